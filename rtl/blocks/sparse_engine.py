"""Sparse compute engine shared by the conv and fc cores: scan/pop controller, L lanes, LIF or
readout per lane, output assembly.

Work is split into *units* (one pixel × one group of ``L`` output channels). Unit ``k+1`` is
scanned while unit ``k`` is popped; the two phases meet at a barrier, so per unit::

    scan  S_k = nz + 4 cycles         (nz: the pixel's non-zero window words over its NP passes,
                                       NP = T, or the bit planes B of a static first layer)
    pop   P_k = Σ_steps max_lane(max(1, pairs))      (static: max_lane(max(1, Σ_b pairs)) + T-1)
    frame = S_0 + Σ_{k<K-1} max(S_{k+1}, P_k) + P_{K-1}   (K units, the `busy` cycles of a frame)

which is what :mod:`dualspike.golden.cost` computes. ``busy`` is high on exactly those cycles.

The scan reads only the window words that hold a spike: when a unit starts, a flag per (pass,
word) (``word & padding != 0``) is loaded into ``pend``; each cycle the lowest pending word is
picked (log-depth prefix-OR, no carry chain), read by every lane, and cleared. A unit's first word
comes from its own picker on the window's flags, so ``start`` only selects a result.

Parameters: ``geo`` (CoreGeometry), ``images`` (per-lane RAM images or None), ``npix`` (pixels in
the window bus), ``conv`` (True: the window bus carries a 9-bit tap mask above the pixels and
zero padding is applied per word).

Ports:

==========  ====  ===============================================================================
win         in    window stream: ``npix`` pixels × ``NP·C`` bits (pass p, channel c at bit
                  ``p*C + c`` of a pixel) [+ 9 tap-valid bits for conv]; held (valid) while the
                  engine scans it, consumed (ready) after the last group's last word is read
out         out   one beat per pixel: spikes (``Tmax·Co`` bits, bit ``t*Co + co``) or readout
                  (``32·Co`` bits, int32 per channel); ``last`` on the frame's last pixel
wport       in    :class:`~dualspike.rtl.interfaces.WeightPort`
T           in    runtime time steps, 1 <= T <= Tmax (hold stable during a frame)
busy        out   the engine is scanning or popping (the cost-model cycles)
pairs       out   optional (32 bits): matched pairs popped by all lanes in the last frame, latched
                  when the frame's last unit finishes popping (the golden model's ``stats`` pairs)
==========  ====  ===============================================================================

The whole engine freezes (one clock enable) while a finished pixel cannot be handed to ``out``.
"""
from myhdl import ConcatSignal, Signal, always, always_comb, always_seq, block, instances, intbv

from ..interfaces import wire
from .lif_unit import lif_unit
from .popcount import frame_popcount, popcount, popcount_latency
from .readout import readout
from .sparsity_lane import LANE_LATENCY, _bits, _delay, prefix_or, sparsity_lane

SCAN_TAIL = 3       # + the start cycle: 4 cycles from the last word read until its entry can be popped


@block
def _word_nonzero(word, vmask, flag):
    """``flag = (word & vmask) != 0`` (``vmask`` None: ``word != 0``)."""
    if vmask is None:
        @always_comb
        def comb():
            flag.next = word != 0
    else:
        @always_comb
        def comb():
            flag.next = (word & vmask) != 0
    return comb


@block
def _onehot_bit(onehot, bit, m):
    """One bit of a one-hot -> binary encoder: ``bit = (onehot & m) != 0``."""
    @always_comb
    def comb():
        bit.next = (onehot & m) != 0
    return comb


def _pick_signals(n):
    """``(rest, bits, last)`` for :func:`lowest_pick` on ``n`` bits."""
    return Signal(intbv(0)[n:]), [Signal(bool(0)) for _ in range(_bits(n))], Signal(bool(0))


@block
def lowest_pick(src, rest, bits, last):
    """Pick the lowest set bit of ``src``: its index in ``bits`` (LSB first, one-hot -> binary),
    ``rest`` = ``src`` without it, ``last`` = nothing is left in ``rest``."""
    n = len(src)
    incl, low = Signal(intbv(0)[n:]), Signal(intbv(0)[n:])
    insts = [prefix_or(src, incl), _split_low(src, incl, low, rest, last)]
    for b, bit in enumerate(bits):
        insts.append(_onehot_bit(low, bit, sum(1 << k for k in range(n) if (k >> b) & 1)))
    return insts


@block
def _split_low(src, incl, low, rest, last):
    """``low`` = the lowest set bit of ``src``, ``rest`` = the others (``incl`` = prefix-OR of
    ``src``), ``last`` = ``rest`` is empty."""
    mask = (1 << len(src)) - 1

    @always_comb
    def comb():
        r = intbv(0)[len(src):]
        r[:] = src & ((incl << 1) & mask)
        low.next = src & (~(incl << 1) & mask)
        rest.next = r
        last.next = r == 0
    return comb


def _runs(bits):
    """Group a list of source bit indices (None = constant 0), LSB first, into (lo, hi|None) runs."""
    runs = []
    for b in bits:
        if runs and b is None and runs[-1][0] is None:
            runs[-1] = (None, runs[-1][1] + 1)
        elif runs and b is not None and runs[-1][0] is not None and runs[-1][0] + runs[-1][1] == b:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((b, 1))
    return runs


def _concat(bus, bits):
    """``bus`` bits (LSB-first list; None = 0) as one shadow signal: a slice when they are one
    contiguous run, else a ConcatSignal (never a slice of a ConcatSignal: MyHDL 0.11 names those
    wrongly; 1-bit parts use ``bus(i)``, as ``bus(i+1, i)`` converts to an illegal ``x[i:i][0]``)."""
    runs = _runs(bits)
    if len(runs) == 1:
        lo, n = runs[0]
        return bus(lo) if n == 1 else bus(lo + n, lo)
    parts = []
    for lo, n in reversed(runs):
        if lo is None:
            parts.append(intbv(0)[n:])
        elif n == 1:
            parts.append(bus(lo))
        else:
            parts.append(bus(lo + n, lo))
    return ConcatSignal(*parts)


@block
def sparse_engine(glbl, win, out, wport, T, busy, geo, images, npix, conv, probe=None, pairs=None):
    L, G, NW, W, C = geo.lanes, geo.groups, geo.nw, geo.word, geo.in_shape[0]
    NP = geo.npass
    P = NP * C
    TM = geo.tmax
    PB, TB, GB = _bits(NP), _bits(TM), _bits(G)
    want_win = npix * P + (9 if conv else 0)
    win.check(want_win, "sparse_engine window")
    out.check(32 * geo.co if geo.readout == "membrane" or geo.readout == "count" else TM * geo.co,
              "sparse_engine output")
    insts = []

    # ---- window words: (pass, word) -> WORD bits, plus per-word padding masks ----------------
    words = [Signal(intbv(0)[W:]) for _ in range(NP * NW)]
    for p in range(NP):
        for wi in range(NW):
            src = []
            for b in range(W):
                j = wi * W + b
                src.append(None if j >= geo.r else (j // C) * P + p * C + j % C)
            cs = _concat(win.data, src)
            insts.append(wire(words[p * NW + wi], cs))
    vmasks = [Signal(intbv(0)[W:]) for _ in range(NW)]
    if conv:
        for wi in range(NW):
            src = [None if wi * W + b >= geo.r else npix * P + (wi * W + b) // C for b in range(W)]
            cs = _concat(win.data, src)
            insts.append(wire(vmasks[wi], cs))

    # ---- controller: scan ---------------------------------------------------------------------------
    # (pass p, word wi) is flat word k = p*NW + wi; a 1-word scan gets a constant-0 second flag
    K = NP * NW
    KW = max(2, K)
    nzs = [Signal(bool(0)) for _ in range(K)]
    for k in range(K):
        insts.append(_word_nonzero(words[k], vmasks[k % NW] if conv else None, nzs[k]))
    nzv = ConcatSignal(*reversed(nzs)) if K > 1 else ConcatSignal(intbv(0)[1:], nzs[0])
    WI_ROM = tuple(k % NW if k < K else 0 for k in range(KW))
    P_ROM = tuple(k // NW if k < K else 0 for k in range(KW))

    run = Signal(bool(0))
    sk_state = Signal(intbv(0)[2:])          # 0 idle, 1 reading, 2 tail, 3 done
    sk_tail = Signal(intbv(0, min=0, max=SCAN_TAIL + 1))
    passm, pend, fresh = (Signal(intbv(0)[KW:]) for _ in range(3))
    scan_none = Signal(bool(0))
    # the first word of a unit is picked from the window's flags, the others from ``pend``: two
    # pickers, so that ``start`` (which waits on the lanes) only selects between their results
    (f_rest, f_bits, f_last), (p_rest, p_bits, p_last) = _pick_signals(KW), _pick_signals(KW)
    insts += [lowest_pick(fresh, f_rest, f_bits, f_last), lowest_pick(pend, p_rest, p_bits, p_last)]
    f_pick, p_pick = (ConcatSignal(*reversed(v)) if len(v) > 1 else v[0] for v in (f_bits, p_bits))
    cur_idx = Signal(intbv(0, min=0, max=KW))      # the word read this cycle (state 1)
    cur_last = Signal(bool(0))                     # ... and it is the unit's last
    sk_wi = Signal(intbv(0, min=0, max=max(2, NW)))
    sk_p = Signal(intbv(0)[PB:])
    sk_g, next_g, pk_g = (Signal(intbv(0)[GB:]) for _ in range(3))
    sk_gbase, next_gbase = (Signal(intbv(0, min=0, max=max(2, G * NW))) for _ in range(2))   # g·NW
    sk_par, sk_pixlast, sk_framelast = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    pk_active, pk_par, pk_pixlast, pk_framelast = (Signal(bool(0)) for _ in range(4))
    ts = Signal(intbv(0)[TB:])
    done = Signal(intbv(0)[L:])
    take, start, step_end, pop_fin, last_read = (Signal(bool(0)) for _ in range(5))
    np_last = Signal(intbv(0)[PB:])
    t_last = Signal(intbv(0)[TB:])
    sc_rd = Signal(bool(0))
    sc_addr = Signal(intbv(0, min=0, max=max(2, G * NW)))
    s2_valid, s2_par = Signal(bool(0)), Signal(bool(0))
    s2_word = Signal(intbv(0)[W:])
    s2_p = Signal(intbv(0)[PB:])
    lane_last = [Signal(bool(0)) for _ in range(L)]
    lane_last_v = ConcatSignal(*reversed(lane_last)) if L > 1 else None
    all_last = Signal(bool(0))
    ALL = (1 << L) - 1

    if geo.static:
        @always_comb
        def npass():
            np_last.next = geo.planes - 1
            t_last.next = T - 1
    else:
        @always_comb
        def npass():
            np_last.next = T - 1
            t_last.next = T - 1

    @always_comb
    def pass_mask():
        v = intbv(0)[KW:]
        for p in range(NP):
            for wi in range(NW):
                v[p * NW + wi] = p <= np_last
        passm.next = v

    @always_comb
    def scan_src():
        fresh.next = nzv & passm
        scan_none.next = (nzv & passm) == 0

    @always_comb
    def rom_wi():
        sk_wi.next = WI_ROM[int(cur_idx)]

    @always_comb
    def rom_p():
        sk_p.next = P_ROM[int(cur_idx)]

    if L > 1:
        @always_comb
        def alllast():
            all_last.next = (done | lane_last_v) == ALL
    else:
        @always_comb
        def alllast():
            all_last.next = done[0] or lane_last[0]

    @always_comb
    def ctrl_comb():
        last_read.next = sk_state == 1 and cur_last
        step_end.next = pk_active and all_last
        pop_fin.next = pk_active and all_last and ts == t_last
        take.next = run and sk_state == 3 and (not pk_active or (all_last and ts == t_last))
        sc_rd.next = sk_state == 1
        sc_addr.next = sk_gbase + sk_wi                  # adders, not a multiplier (no DSP)
        busy.next = run and (pk_active or sk_state != 0)

    @always_comb
    def start_comb():
        start.next = run and win.valid and (sk_state == 0 or take)

    @always_comb
    def ready_comb():       # consumed with the last group's last read, or at its start if it reads none
        win.ready.next = run and ((last_read and sk_g == G - 1) or (start and scan_none and next_g == G - 1))

    wsel = Signal(intbv(0)[W:])
    if conv:
        @always_comb
        def word_sel():
            wsel.next = words[cur_idx] & vmasks[sk_wi]
    else:
        @always_comb
        def word_sel():
            wsel.next = words[cur_idx]

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def scan_seq():
        if run:
            s2_valid.next = sc_rd
            s2_word.next = wsel
            s2_p.next = sk_p
            s2_par.next = sk_par
            if start:
                if scan_none:
                    sk_state.next = 2
                    sk_tail.next = 0
                else:
                    sk_state.next = 1
                pend.next = f_rest
                cur_idx.next = f_pick
                cur_last.next = f_last
                sk_g.next = next_g
                sk_gbase.next = next_gbase
                sk_par.next = not sk_par
                sk_pixlast.next = next_g == G - 1
                sk_framelast.next = next_g == G - 1 and win.last
                if next_g == G - 1:
                    next_g.next = 0
                    next_gbase.next = 0
                else:
                    next_g.next = next_g + 1
                    next_gbase.next = next_gbase + NW
            elif sk_state == 1:
                if cur_last:
                    sk_state.next = 2
                    sk_tail.next = 0
                else:
                    pend.next = p_rest
                    cur_idx.next = p_pick
                    cur_last.next = p_last
            elif sk_state == 2:
                if sk_tail == SCAN_TAIL - 1:
                    sk_state.next = 3
                else:
                    sk_tail.next = sk_tail + 1
            elif take:
                sk_state.next = 0

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def pop_seq():
        if run:
            if take:
                pk_active.next = 1
                pk_g.next = sk_g
                pk_par.next = sk_par
                pk_pixlast.next = sk_pixlast
                pk_framelast.next = sk_framelast
                ts.next = 0
                done.next = 0
            elif pop_fin:
                pk_active.next = 0
            elif step_end:
                ts.next = ts + 1
                done.next = 0
            elif pk_active:
                for l in range(L):
                    if lane_last[l]:
                        done.next[l] = 1

    # ---- weight write path: pipelined popcount computes each mask word's value base ----------
    PCL = popcount_latency(W)
    AW, DW = len(wport.addr), len(wport.data)
    LB = len(wport.lane)
    wreq = ConcatSignal(wport.we, wport.sel, wport.lane, wport.addr, wport.data)
    chain = [Signal(intbv(0)[len(wreq):])]
    insts.append(_delay(glbl, None, wreq, chain[0]))
    for _ in range(PCL):
        s = Signal(intbv(0)[len(wreq):])
        insts.append(_delay(glbl, None, chain[-1], s))
        chain.append(s)
    wq = chain[-1]
    wq_data, wq_addr = wq(DW, 0), wq(DW + AW, DW)
    wq_mask = wq(W, 0)
    wq_lane, wq_sel, wq_we = wq(DW + AW + LB, DW + AW), wq(DW + AW + LB + 2, DW + AW + LB), wq(len(wreq) - 1)
    wmask = Signal(intbv(0)[W:])
    wpc = Signal(intbv(0, min=0, max=W + 1))
    insts.append(wire(wmask, wport.data(W, 0) if DW > W else wport.data))
    insts.append(popcount(glbl.clk, None, wmask, wpc, W))
    # wpc is aligned with chain[PCL - 1]; one more register aligns it with wq
    wpc_d = Signal(intbv(0, min=0, max=W + 1))
    insts.append(_delay(glbl, None, wpc, wpc_d))
    rbase = Signal(intbv(0)[geo.base_w:])
    base_now = Signal(intbv(0)[geo.base_w:])
    l_we = [Signal(bool(0)) for _ in range(L)]
    l_data = Signal(intbv(0)[max(DW, W + geo.base_w):])

    @always_comb
    def wbase():
        if wq_addr == 0:
            base_now.next = 0
        else:
            base_now.next = rbase

    @always_comb
    def wdata():
        if wq_sel == 0:
            l_data.next = (base_now << W) | wq_mask
        else:
            l_data.next = wq_data

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def wacc():
        if wq_we and wq_sel == 0:
            rbase.next = (base_now + wpc_d) % (1 << geo.base_w)

    @block
    def lane_we(l, sig):
        @always_comb
        def comb():
            sig.next = wq_we and wq_lane == l
        return comb

    # ---- lanes, LIF / readout, output slots ---------------------------------------------------------
    mode = geo.readout
    CW = geo.cur_w
    SLW = 32 if mode else TM
    slots = [[Signal(intbv(0)[SLW:]) for _ in range(G)] for _ in range(L)]
    pop_en = [Signal(bool(0)) for _ in range(L)]
    popped = [Signal(bool(0)) if pairs is not None else None for _ in range(L)]

    @block
    def pop_en_comb(l):
        @always_comb
        def comb():
            pop_en[l].next = pk_active and not done[l]
        return comb

    for l in range(L):
        insts.append(lane_we(l, l_we[l]))
        insts.append(pop_en_comb(l))
        o_valid = Signal(bool(0))
        o_cur = Signal(intbv(0, min=-(1 << (CW - 1)), max=1 << (CW - 1)))
        o_t = Signal(intbv(0)[TB:])
        o_g = Signal(intbv(0)[GB:])
        o_theta = Signal(intbv(0)[geo.vbits - 1:])
        insts.append(sparsity_lane(
            glbl, run, l_we[l], wq_sel, wq_addr, l_data, sc_rd, sc_addr, s2_valid, s2_word, s2_p,
            s2_par, pop_en[l], ts, pk_par, pk_g, lane_last[l], o_valid, o_cur, o_t, o_theta, o_g,
            geo=geo, image=None if images is None else images[l], o_pair=popped[l]))
        used = [slots[l][g] if g * L + l < geo.co else None for g in range(G)]
        insts.append(lane_post(glbl, run, o_valid, o_cur, o_t, o_theta, o_g, t_last, used, geo))
        if probe is not None:                      # simulation only: record step currents
            insts.append(_probe(glbl, run, o_valid, o_cur, o_t, o_g, l, probe))

    # ---- completion, output register ------------------------------------------------------------------
    # the pixel's word is captured (one cycle after ``dlast``) in the cycle right after its last
    # slot write: the next unit's first slot write can land one cycle later (T = 1, one-cycle pops)
    D = LANE_LATENCY(geo) + (2 if mode == "count" else 1)
    fin_ev = Signal(bool(0))
    fin_last = Signal(bool(0))
    dl = [Signal(intbv(0)[2:]) for _ in range(D)]
    fin_pair = ConcatSignal(fin_last, fin_ev)

    @always_comb
    def fin_comb():
        fin_ev.next = pop_fin and pk_pixlast
        fin_last.next = pk_framelast

    insts.append(_delay(glbl, run, fin_pair, dl[0]))
    for k in range(1, D):
        insts.append(_delay(glbl, run, dl[k - 1], dl[k]))
    c_full, c_last = Signal(bool(0)), Signal(bool(0))
    xfer = Signal(bool(0))
    o_reg = Signal(intbv(0)[out.data_w:])
    bits = []
    if mode:
        cat = ConcatSignal(*[slots[co % L][co // L] for co in reversed(range(geo.co))]) \
            if geo.co > 1 else slots[0][0]
    else:
        for t in range(TM):
            for co in range(geo.co):
                bits.append(slots[co % L][co // L](t))
        cat = ConcatSignal(*reversed(bits)) if len(bits) > 1 else bits[0]
    dlast = dl[D - 1]

    @always_comb
    def out_comb():
        xfer.next = c_full and (not out.valid or out.ready)
        run.next = not c_full or (c_full and (not out.valid or out.ready))
        out.data.next = o_reg

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def out_seq():
        if xfer:
            o_reg.next = cat
            out.valid.next = 1
            out.last.next = c_last
            c_full.next = 0
        elif out.valid and out.ready:
            out.valid.next = 0
        if run and dlast[0]:
            c_full.next = 1
            c_last.next = dlast[1]

    if pairs is not None:
        insts.append(pair_counter(glbl, run, popped, pop_fin, pk_pixlast, pk_framelast, pairs))
    if probe is not None:
        insts.append(_ctrl_probe(glbl, run, take, start, pk_active, sk_state, win.valid, ts, probe))
    return insts, word_sel, scan_seq, pop_seq, ctrl_comb, start_comb, ready_comb, npass, pass_mask, \
        scan_src, rom_wi, rom_p, alllast, wbase, wdata, wacc, fin_comb, out_comb, out_seq


@block
def lane_post(glbl, run, o_valid, o_cur, o_t, o_theta, o_g, t_last, slots, geo):
    """Per lane: LIF and/or readout after the lane, then the write into the lane's output slots
    (one register per group: ``Tmax`` spike bits, or the int32 readout)."""
    mode, TM, TB, GB = geo.readout, geo.tmax, len(o_t), len(o_g)
    insts = []
    first = Signal(bool(0))

    @always_comb
    def first_comb():
        first.next = o_t == 0

    t1, t2 = Signal(intbv(0)[TB:]), Signal(intbv(0)[TB:])
    g1, g2 = Signal(intbv(0)[GB:]), Signal(intbv(0)[GB:])
    insts += [_delay(glbl, run, o_t, t1), _delay(glbl, run, o_g, g1)]
    if mode == "count":
        insts += [_delay(glbl, run, t1, t2), _delay(glbl, run, g1, g2)]
    s_valid, s_spike = Signal(bool(0)), Signal(bool(0))
    wvalid = Signal(bool(0))
    wval = Signal(intbv(0)[32 if mode else TM:])
    wt, wg = (t2, g2) if mode == "count" else (t1, g1)
    if mode != "membrane":
        insts.append(lif_unit(glbl, run, o_valid, o_cur, first, o_theta, s_valid, s_spike, None,
                              vbits=geo.vbits, leak=geo.leak, reset=geo.reset, cur_w=geo.cur_w))
    if mode:
        r_valid = Signal(bool(0))
        r_sum = Signal(intbv(0, min=-(1 << 31), max=1 << 31))
        if mode == "membrane":
            insts.append(readout(glbl, run, o_valid, o_cur, None, first, r_valid, r_sum,
                                 mode=mode, cur_w=geo.cur_w))
        else:
            first1 = Signal(bool(0))
            insts.append(_delay(glbl, run, first, first1))
            insts.append(readout(glbl, run, s_valid, None, s_spike, first1, r_valid, r_sum,
                                 mode=mode, cur_w=geo.cur_w))

        @always_comb
        def wsel():
            wvalid.next = r_valid and wt == t_last
            wval.next = r_sum[32:]
    else:
        cur = Signal(intbv(0)[TM:])
        nxt = Signal(intbv(0)[TM:])

        @always_comb
        def assemble():
            v = intbv(0)[TM:]
            for k in range(TM):
                if k == t1:
                    v[k] = s_spike
                elif t1 == 0:
                    v[k] = 0
                else:
                    v[k] = cur[k]
            nxt.next = v

        @always_seq(glbl.clk.posedge, reset=glbl.rst)
        def cur_seq():
            if run and s_valid:
                cur.next = nxt

        @always_comb
        def wsel():
            wvalid.next = s_valid and t1 == t_last
            wval.next = nxt

    @block
    def slot_write(gg, reg):
        @always(glbl.clk.posedge)
        def seq():
            if run and wvalid and wg == gg:
                reg.next = wval
        return seq

    for gg, reg in enumerate(slots):
        if reg is not None:                 # None: a padding channel (co >= Co) of the last group
            insts.append(slot_write(gg, reg))
    return instances()


@block
def pair_counter(glbl, run, popped, pop_fin, pk_pixlast, pk_framelast, total):
    """Σ over lanes of the pair pops of each cycle, accumulated over a frame and latched into
    ``total`` a few cycles after the frame's last unit finishes popping."""
    vec = ConcatSignal(*reversed(popped)) if len(popped) > 1 else popped[0]
    fin = Signal(bool(0))

    @always_comb
    def frame_end():
        fin.next = pop_fin and pk_pixlast and pk_framelast

    return frame_end, frame_popcount(glbl, run, vec, fin, total, len(popped))


@block
def _probe(glbl, run, o_valid, o_cur, o_t, o_g, lane, log):
    @always(glbl.clk.posedge)
    def rec():
        if run and o_valid:
            log.append((lane, int(o_g), int(o_t), int(o_cur)))
    return rec


@block
def _ctrl_probe(glbl, run, take, start, pk_active, sk_state, wv, ts, log):
    @always(glbl.clk.posedge)
    def rec():
        log.append(("c", int(run), int(take), int(start), int(pk_active), int(sk_state), int(wv), int(ts)))
    return rec
