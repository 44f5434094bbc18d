"""Sparse compute engine shared by the conv and fc cores: window scan, L lanes that pop on their
own, LIF or readout per lane, pixel buffers and output assembly.

Work is split into *units* (one pixel × one group of ``L`` output channels), in pixel-group
order. The scan reads a unit's non-zero window words, one per cycle (``R_k = max(1, nz)``
cycles: ``nz`` non-zero words over the NP passes, NP = T, or the bit planes B of a static first
layer), back to back; every lane ANDs each word with its mask word and queues the matched bits
(tagged with the unit). A unit *lands* :data:`~dualspike.golden.cost.LAND` cycles after its last
read; each lane then pops it at its own pace (``Σ_t max(1, pairs)`` cycles, static:
``max(1, Σ_b pairs) + T - 1``) and goes straight on to its next landed unit, so a lane with a
light channel runs ahead of one with a heavy channel instead of waiting at every step. The scan
stays at most :data:`~dualspike.golden.cost.IN_FLIGHT` units ahead of the slowest lane (the
depth of the lane FIFOs) and stops at a frame's end until every lane has finished the frame.
:func:`dualspike.golden.cost.engine_schedule` computes the resulting frame cycles; ``busy`` is
high on exactly those cycles (scanning, or a started unit not yet popped by every lane).

Lanes write their results into one of ``NB`` pixel buffers (:func:`pixel_buffers`); a pixel
whose every lane has written leaves through the output register in order (32 pixel tags; the
scan stops before it would reuse one). A conv core copies a pixel's window when its first group
starts and hands the window back when its last group starts, so the next pixel starts in that
group's last read (:data:`~dualspike.golden.cost.WINDOW_GAP` after the hand-back at the earliest,
as the line buffer shifts). The scan reads only
the window words that hold a spike: when a unit starts, a flag per (pass, word)
(``word & padding != 0``) is loaded into ``pend``; each cycle the lowest pending word is picked
(log-depth prefix-OR, no carry chain), read by every lane, and cleared. A unit's first word
comes from its own picker on the window's flags, so ``start`` only selects a result.

Parameters: ``geo`` (CoreGeometry), ``images`` (per-lane RAM images or None), ``npix`` (pixels in
the window bus), ``conv`` (True: the window bus carries a 9-bit tap mask above the pixels and
zero padding is applied per word).

Ports:

==========  ====  ===============================================================================
win         in    window stream: ``npix`` pixels × ``NP·C`` bits (pass p, channel c at bit
                  ``p*C + c`` of a pixel) [+ 9 tap-valid bits for conv]; held (valid) while the
                  engine scans it, consumed (ready) when the pixel's last group starts (a conv
                  core reads the words from its copy) or, in an fc core, with that group's last
                  read
out         out   one beat per pixel: spikes (``Tmax·Co`` bits, bit ``t*Co + co``) or readout
                  (``32·Co`` bits, int32 per channel); ``last`` on the frame's last pixel
wport       in    :class:`~dualspike.rtl.interfaces.WeightPort`
T           in    runtime time steps, 1 <= T <= Tmax (latched when a frame's first unit starts)
busy        out   the engine is scanning, or a started unit is not yet popped by every lane
                  (the cost-model cycles)
pairs       out   optional (32 bits): matched pairs popped by all lanes in the last frame, latched
                  when every lane has finished the frame (the golden model's ``stats`` pairs)
==========  ====  ===============================================================================

The whole engine freezes (one clock enable) while the oldest finished pixel cannot be handed to
``out``.

Blank windows (a conv core): a pixel whose window holds no spike gets the bias-only result, the
same for every such pixel of a frame. The frame's first is computed by the lanes; the cycle after
it leaves, ``cache`` copies it from the output register. Every later one is held (``busy`` high)
until the lanes are idle and every earlier pixel is out, then ``emit`` loads the cache into the
output register and consumes the window, with no unit started
(:data:`~dualspike.golden.cost.DRAIN`). The cache is dropped at each frame's end.
"""
from myhdl import ConcatSignal, Signal, always, always_comb, always_seq, block, concat, intbv, modbv

from ...golden.cost import IN_FLIGHT, LAND
from ..interfaces import wire
from .lane_post import lane_post
from .popcount import frame_popcount, popcount, popcount_latency
from .pixel_buffers import _all, _vector, mux, pixel_buffers, pixel_flags
from .sparsity_lane import TAG_BITS, _bits, _delay, prefix_or, sparsity_lane

UB = 3              # unit counters modulo 8 (at most IN_FLIGHT units between the scan and a lane)


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
    NB = pixel_buffers(G, conv)
    BLANK = bool(conv)               # blank windows answered from the cache (a conv core's pixels)
    PPB = _bits(NB)                  # pixel tag bits (at least 1); the buffer is the tag modulo NB
    want_win = npix * P + (9 if conv else 0)
    win.check(want_win, "sparse_engine window")
    out.check(32 * geo.co if geo.readout == "membrane" or geo.readout == "count" else TM * geo.co,
              "sparse_engine output")
    insts = []

    # ---- window words: (pass, word) -> WORD bits, plus per-word padding masks ----------------
    # A conv core hands the window back to the line buffer when the pixel's last group starts and
    # reads the words from ``held``, a copy taken when the pixel's first group starts, so the next
    # window is shifted in during that group's scan (``EARLY``). The flags that pick the words come
    # from the window itself (a unit starts while it is still there).
    EARLY = bool(conv)
    held = Signal(intbv(0)[want_win:]) if EARLY else None

    word_bits = [[None if wi * W + b >= geo.r else ((wi * W + b) // C) * P + p * C + (wi * W + b) % C
                  for b in range(W)] for p in range(NP) for wi in range(NW)]          # word p*NW + wi
    mask_bits = [[None if wi * W + b >= geo.r else npix * P + (wi * W + b) // C for b in range(W)]
                 for wi in range(NW)] if conv else []
    views = []                                        # (words, vmasks) of the bus, then of ``held``
    for bus in [win.data] + ([held] if EARLY else []):
        ws = [Signal(intbv(0)[W:]) for _ in word_bits]
        vs = [Signal(intbv(0)[W:]) for _ in range(NW)]
        for sig, bits in list(zip(ws, word_bits)) + list(zip(vs, mask_bits)):
            insts.append(wire(sig, _concat(bus, bits)))
        views.append((ws, vs))
    (words, vmasks), (rwords, rvmasks) = views[0], views[-1]

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

    run = Signal(bool(1))                  # clock enable: low while a finished pixel waits for ``out``
    sk_state = Signal(bool(0))             # 0 idle, 1 reading (one word, or one empty read, per cycle)
    passm, pend, fresh = (Signal(intbv(0)[KW:]) for _ in range(3))
    scan_none = Signal(bool(0))
    # the first word of a unit is picked from the window's flags, the others from ``pend``: two
    # pickers, so that ``start`` (which waits on the lanes) only selects between their results
    (f_rest, f_bits, f_last), (p_rest, p_bits, p_last) = _pick_signals(KW), _pick_signals(KW)
    insts += [lowest_pick(fresh, f_rest, f_bits, f_last), lowest_pick(pend, p_rest, p_bits, p_last)]
    f_pick, p_pick = (ConcatSignal(*reversed(v)) if len(v) > 1 else v[0] for v in (f_bits, p_bits))
    cur_idx = Signal(intbv(0, min=0, max=KW))      # the word read this cycle (state 1)
    cur_last = Signal(bool(0))                     # ... and it is the unit's last
    sk_null = Signal(bool(0))                      # ... the unit has no word: an empty read
    sk_wi = Signal(intbv(0, min=0, max=max(2, NW)))
    sk_p = Signal(intbv(0)[PB:])
    sk_g, next_g = (Signal(intbv(0)[GB:]) for _ in range(2))
    sk_gbase, next_gbase = (Signal(intbv(0, min=0, max=max(2, G * NW))) for _ in range(2))   # g·NW
    sk_framelast, fbar, infr = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    t_lat, t_run = Signal(T.val), Signal(T.val)  # T, latched when a frame's first unit starts
    # pixels taken / started, modulo 2**PXB: ``lastv`` and ``blankv`` (a pixel's last and blank flags,
    # from its window) hold an entry per pixel started and not yet taken. The lanes write at most
    # IN_FLIGHT units ahead of the slowest, but a conv core starts pixels as fast as every second
    # cycle (``EARLY``) while a finished pixel spends about a dozen cycles in the lane pipelines
    # before it is taken: 32 entries hold every pixel in between (the buffers are the tag modulo NB);
    # ``px_room`` stops the scan before a tag is reused, so this holds by construction
    PXB = max(PPB + 1, 5 if EARLY else 0)
    cb, pw = Signal(modbv(0)[PXB:]), Signal(modbv(0)[PXB:])
    px_room = Signal(bool(0))
    su, landed = Signal(modbv(0)[UB:]), Signal(modbv(0)[UB:])      # units started / landed, mod 8
    sk_tag = Signal(intbv(0)[TAG_BITS:])
    land = Signal(intbv(0)[LAND - 1:])             # last reads on their way to the lane FIFOs
    start, last_read, gate, fin = (Signal(bool(0)) for _ in range(4))
    np_last = Signal(intbv(0)[PB:])
    t_last = Signal(intbv(0)[TB:])
    sc_rd = Signal(bool(0))
    sc_addr = Signal(intbv(0, min=0, max=max(2, G * NW)))
    s2_valid = Signal(bool(0))
    s2_par = Signal(intbv(0)[TAG_BITS:])
    s2_word = Signal(intbv(0)[W:])
    s2_p = Signal(intbv(0)[PB:])
    # blank windows (conv): a pixel whose window has no spike gets the bias-only result. The frame's
    # first one is computed by the lanes; the cycle after it is taken, ``cache`` copies it from the
    # output register; later ones wait until every earlier pixel is out (``hold``) and are emitted
    # from the cache (``emit``). The cache feeds only the output register (no second multiplexer).
    blank_px, hold, emit, blank_seen, cache_ok, o_blank = (Signal(bool(0)) for _ in range(6))
    room, idle = [Signal(bool(0)) for _ in range(L)], [Signal(bool(0)) for _ in range(L)]
    all_room, all_idle = Signal(bool(0)), Signal(bool(0))
    insts += [_all(room, all_room), _all(idle, all_idle)]

    @always_comb
    def t_frame():
        if infr:
            t_run.next = t_lat
        else:
            t_run.next = T

    if geo.static:
        @always_comb
        def npass():
            np_last.next = geo.planes - 1
            t_last.next = t_run - 1
    else:
        @always_comb
        def npass():
            np_last.next = t_run - 1
            t_last.next = t_run - 1

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
    def blank_comb():
        blank_px.next = BLANK and blank_seen and scan_none and next_g == 0   # constant 0 in an fc core

    @always_comb
    def hold_comb():
        hold.next = blank_px and win.valid and not sk_state and not fbar

    @always_comb
    def emit_comb():
        emit.next = hold and all_idle and pw == cb and (not out.valid or out.ready) and cache_ok

    @always_comb
    def rom_wi():
        sk_wi.next = WI_ROM[int(cur_idx)]

    @always_comb
    def rom_p():
        sk_p.next = P_ROM[int(cur_idx)]

    @always_comb
    def px_comb():
        d = modbv(0)[PXB:]
        d[:] = pw - cb
        px_room.next = d < (1 << PXB) - 1

    @always_comb
    def ctrl_comb():
        last_read.next = sk_state and cur_last
        gate.next = run and win.valid and all_room and not fbar and px_room
        fin.next = fbar and all_idle and pw == cb       # popped and taken: the next frame may start
        sc_rd.next = sk_state and not sk_null
        sc_addr.next = sk_gbase + sk_wi                  # adders, not a multiplier (no DSP)
        busy.next = sk_state or not all_idle or hold

    # a pixel's next group starts in its previous group's last read cycle; so does the next pixel in
    # a conv core (``EARLY``), unless it is blank or the next frame's
    @always_comb
    def start_comb():
        start.next = gate and ((not sk_state and not blank_px) or (cur_last and (
            sk_g != G - 1 or (EARLY and not blank_px and not sk_framelast))))

    if EARLY:
        @always_comb
        def ready_comb():   # the window goes back when its last group starts, or is emitted blank
            win.ready.next = (start and next_g == G - 1) or emit
    else:
        @always_comb
        def ready_comb():   # the window is consumed with its last group's last read
            win.ready.next = (run and sk_state and cur_last and sk_g == G - 1) or emit

    wsel = Signal(intbv(0)[W:])
    if conv:
        @always_comb
        def word_sel():
            wsel.next = rwords[cur_idx] & rvmasks[sk_wi]
    else:
        @always_comb
        def word_sel():
            wsel.next = rwords[cur_idx]

    if EARLY:
        @always(glbl.clk.posedge)
        def hold_window():
            if run and start and next_g == 0:
                held.next = win.data
        insts.append(hold_window)

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def scan_seq():
        if run:
            s2_valid.next = sc_rd
            s2_word.next = wsel
            s2_p.next = sk_p
            s2_par.next = sk_tag
            land.next = concat(land[LAND - 2:], last_read)
            if land[LAND - 2]:
                landed.next = landed + 1
            if start:
                if not infr:
                    t_lat.next = T
                    infr.next = 1
                sk_state.next = 1
                pend.next = f_rest
                cur_idx.next = f_pick
                cur_last.next = f_last
                sk_null.next = scan_none
                sk_g.next = next_g
                sk_gbase.next = next_gbase
                sk_tag.next = su[TAG_BITS:]
                su.next = su + 1
                sk_framelast.next = next_g == G - 1 and win.last
                if next_g == G - 1:
                    next_g.next = 0
                    next_gbase.next = 0
                else:
                    next_g.next = next_g + 1
                    next_gbase.next = next_gbase + NW
            elif sk_state:
                if cur_last:
                    sk_state.next = 0
                else:
                    pend.next = p_rest
                    cur_idx.next = p_pick
                    cur_last.next = p_last
            if start and next_g == 0 and scan_none:
                blank_seen.next = BLANK
            if (last_read and sk_framelast) or (emit and win.last):
                fbar.next = 1
            elif fin:
                fbar.next = 0
                infr.next = 0
                blank_seen.next = 0

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

    # ---- lanes (each steps through its units on its own), LIF / readout, output slots -------------
    mode = geo.readout
    CW = geo.cur_w
    SLW = 32 if mode else TM
    slots = [[[Signal(intbv(0)[SLW:]) for _ in range(G)] for _ in range(L)] for _ in range(NB)]
    pop_en = [Signal(bool(0)) for _ in range(L)]
    popped = [Signal(bool(0)) if pairs is not None else None for _ in range(L)]
    pdone = [Signal(bool(0)) for _ in range(L)]             # a lane wrote its pixel's last group
    pbuf = [Signal(intbv(0)[PPB:]) if NB > 1 else None for _ in range(L)]   # ... into this buffer

    for l in range(L):
        insts.append(lane_we(l, l_we[l]))
        lane_last, ts, tag = Signal(bool(0)), Signal(intbv(0)[TB:]), Signal(intbv(0)[TAG_BITS:])
        pg = Signal(intbv(0)[GB + PPB:])
        insts.append(lane_ctrl(glbl, run, lane_last, t_last, landed, su, pop_en[l], ts, tag, pg, room[l],
                               idle[l], G))
        o_valid = Signal(bool(0))
        o_cur = Signal(intbv(0, min=-(1 << (CW - 1)), max=1 << (CW - 1)))
        o_t = Signal(intbv(0)[TB:])
        o_g = Signal(intbv(0)[GB + PPB:])
        o_theta = Signal(intbv(0)[geo.vbits - 1:])
        insts.append(sparsity_lane(
            glbl, run, l_we[l], wq_sel, wq_addr, l_data, sc_rd, sc_addr, s2_valid, s2_word, s2_p,
            s2_par, pop_en[l], ts, tag, pg, lane_last, o_valid, o_cur, o_t, o_theta, o_g,
            geo=geo, image=None if images is None else images[l], o_pair=popped[l]))
        used = [((b << GB) | g, slots[b][l][g]) for b in range(NB) for g in range(G) if g * L + l < geo.co]
        cmask = ((NB - 1) << GB) | ((1 << GB) - 1)                     # the code bits that pick a slot
        insts.append(lane_post(glbl, run, o_valid, o_cur, o_t, o_theta, o_g, t_last, used, cmask, pdone[l],
                               pbuf[l], geo))
        if probe is not None:                      # simulation only: record step currents
            insts.append(_probe(glbl, run, o_valid, o_cur, o_t, o_g, l, (1 << GB) - 1, probe))

    # ---- pixel buffers, output register -----------------------------------------------------------
    # a pixel is complete when every lane has written its last group's slot; pixels leave in order
    # through ``o_reg``. The scan runs at most IN_FLIGHT units ahead, so NB buffers hold every pixel
    # a lane can write before the oldest is taken; while that one waits for ``out``, all freezes.
    lastv = Signal(intbv(0)[1 << PXB:])
    fulls, cats = [], []
    hw = list(range(geo.co))                  # hw[co]: the hardware channel of model channel co
    if geo.order is not None:
        for h, co in enumerate(geo.order):
            hw[co] = h
    xfer = Signal(bool(0))
    for b in range(NB):
        full = Signal(bool(0))
        insts.append(pixel_flags(glbl, run, pdone, pbuf, b, NB, xfer, cb, full))
        fulls.append(full)
        if mode:
            cat = ConcatSignal(*[slots[b][h % L][h // L] for h in reversed(hw)]) \
                if geo.co > 1 else slots[b][0][0]
        else:
            bits = [slots[b][h % L][h // L](t) for t in range(TM) for h in hw]
            cat = ConcatSignal(*reversed(bits)) if len(bits) > 1 else bits[0]
        cats.append(cat)
    c_full, c_last = Signal(bool(0)), Signal(bool(0))
    c_data = Signal(intbv(0)[out.data_w:])
    sel = [cb(k) for k in range(NB.bit_length() - 1)]
    insts += [mux(sel, fulls, c_full), mux(sel, cats, c_data)]
    o_reg = Signal(intbv(0)[out.data_w:])

    @always_comb
    def out_comb():
        xfer.next = c_full and (not out.valid or out.ready)
        run.next = not (c_full and out.valid and not out.ready)
        c_last.next = lastv[cb]
        out.data.next = o_reg

    blankv = Signal(intbv(0)[1 << PXB:])
    cache = Signal(intbv(0)[out.data_w:])

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def out_seq():
        if xfer:
            o_reg.next = c_data
            out.valid.next = 1
            out.last.next = c_last
            cb.next = cb + 1
        elif emit:
            o_reg.next = cache
            out.valid.next = 1
            out.last.next = win.last
        elif out.valid and out.ready:
            out.valid.next = 0
        o_blank.next = xfer and blankv[cb]             # o_reg holds a computed blank pixel
        if o_blank:
            cache.next = o_reg
        if fin:
            cache_ok.next = 0
        elif o_blank:
            cache_ok.next = 1
        if start and next_g == 0:
            lastv.next[pw] = win.last
            blankv.next[pw] = scan_none
            pw.next = pw + 1

    if pairs is not None:
        insts.append(frame_popcount(glbl, run, _vector(popped), fin, pairs, L))
    return insts, word_sel, scan_seq, ctrl_comb, start_comb, ready_comb, npass, pass_mask, \
        scan_src, blank_comb, hold_comb, emit_comb, px_comb, rom_wi, rom_p, t_frame, wbase, wdata, wacc, out_comb, out_seq


@block
def lane_ctrl(glbl, run, lane_last, t_last, landed, su, pop_en, ts, tag, pg, room, idle, G):
    """One lane's walk through the units: step ``ts`` of unit ``nf`` (its index modulo 8; ``tag``
    its low bits for the FIFO entries) of group ``g`` of pixel buffer ``pp``. The lane pops while
    units it has not finished have landed; it has ``room`` while the scan is fewer than
    :data:`~dualspike.golden.cost.IN_FLIGHT` units ahead of it and is ``idle`` when it has
    finished every unit the scan started."""
    GB, PPB = _bits(G), len(pg) - _bits(G)
    nf = Signal(modbv(0)[UB:])
    g = Signal(intbv(0)[GB:])
    pp = Signal(modbv(0)[PPB:])

    @always_comb
    def comb():
        d = modbv(0)[UB:]
        d[:] = su - nf
        pop_en.next = landed != nf
        room.next = d < IN_FLIGHT
        idle.next = d == 0
        tag.next = nf[TAG_BITS:]
        pg.next = concat(pp, g)

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def seq():
        if run and pop_en and lane_last:
            if ts == t_last:
                ts.next = 0
                nf.next = nf + 1
                if g == G - 1:
                    g.next = 0
                    pp.next = pp + 1
                else:
                    g.next = g + 1
            else:
                ts.next = ts + 1

    return comb, seq


@block
def _probe(glbl, run, o_valid, o_cur, o_t, o_g, lane, gmask, log):
    @always(glbl.clk.posedge)
    def rec():
        if run and o_valid:
            log.append((lane, int(o_g) & gmask, int(o_t), int(o_cur)))
    return rec
