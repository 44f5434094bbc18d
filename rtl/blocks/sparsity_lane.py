"""One dual-side sparsity detector lane: matched (spike, non-zero weight) pairs -> current I.

The lane owns one output channel per group ``g`` (hardware channel ``g*L + lane``, which computes
the model's channel ``order[g*L + lane]`` of the core's geometry). For each *unit*
(pixel, group) the core runs two overlapped phases:

**scan** (all lanes in lock-step, one word per cycle; stages S1 read, S2 AND, S3 push): the core
streams window words
``(pass p, word wi)``; the lane reads its mask word (block RAM, ``[base | mask]``) at
``g*NW + wi``, forms ``x = window & mask`` and, if ``x != 0``, pushes ``(x, mask, base, p, tag)``
into its entry FIFO (block RAM; ``tag`` = the unit's index modulo 4, room for
:data:`~dualspike.golden.cost.IN_FLIGHT` units). All-zero words are dropped here, so they never
cost a pop cycle.

**pop** (one matched pair per cycle): register ``A`` holds the current entry. Per cycle it takes
the lowest set bit of ``x`` with a log-depth prefix-OR (no carry chain): ``incl = OR(x[0..i])``,
``x' = x & (incl << 1)``, ``below = mask & ~incl``; the value address is
``base + popcount(below)`` (pipelined popcount), the value RAM is read and accumulated. Step ``ts``
consumes the entries of unit ``ptag`` with ``p == ts`` (static first layer: all planes in step 0,
weight shifted by ``p``; steps ``ts >= 1`` repeat the current); a step with no entry costs one
*bubble* cycle that carries the bias. ``lane_last`` (combinational) tells the lane's controller
that this cycle is the lane's last of the step; each lane steps through its units on its own.

Parameters: ``geo`` (:class:`~dualspike.rtl.weight_image.CoreGeometry`), ``image`` (initial RAM
contents ``(masks, values, bias, thresholds)`` or None).

Ports (all registers freeze while ``ce`` is low; weight writes ignore ``ce``):

===============  ====  =====================================================================
wr_we/sel/addr/  in    weight write (see :class:`~dualspike.rtl.interfaces.WeightPort`; mask
wr_data                data carries ``[base | mask]``, the core computes base)
sc_rd, sc_addr   in    scan read of the mask RAM at ``g*NW + wi`` (stage S1)
s2_valid/word/   in    stage S2: window word (``WORD`` bits), pass ``p``, unit tag (2 bits)
p/par
pop_en           in    the lane works on step ``ts`` of the unit tagged ``ppar`` this cycle
ts, ppar, pg     in    current step, unit tag, group of the popped unit (``pg`` may carry more
                       bits above the group: they travel with the result to ``o_g``)
lane_last        out   this cycle is the lane's last of step ``ts`` (combinational)
o_valid, o_cur,  out   step result: current I (signed ``cur_w``), step t, threshold and
o_t, o_theta,          group of the neuron
o_g
o_pair           out   optional: this cycle pops a matched pair (not a bubble), for counters
===============  ====  =====================================================================

Latency: ``LANE_LATENCY(geo)`` cycles from a pop cycle to its ``o_valid``; throughput one pair
(or bubble) per cycle. Resources: masks/values in block RAM (LUT RAM when small), the entry
FIFO an :func:`~dualspike.rtl.blocks.sdp_ram.sdp_ram` placed as ``geo.fifo_ram`` says; no carry chain in the
pop loop; the word end is a registered flag (``A_one``), the popcount a LUT-ROM pipeline.
Measured (yosys xc7, ``benchmarks/results/rtl_blocks.md``): about 730 LUTs at ``WORD = 64``,
about 360 at ``WORD = 32``; the pop loop's prefix-OR maps to more than 8 LUT levels.

::

    clk       _/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_
    pop_en    _/‾‾‾‾‾‾‾‾‾‾‾\\___/‾‾‾\\_______    step ts: 3 pairs; ts+1: empty -> bubble
    lane_last _________/‾‾‾\\___/‾‾‾\\_______
    o_valid   ____________ ... ___/‾‾‾\\___/‾‾‾\\   LANE_LATENCY later, I[ts] then I[ts+1]=bias

Usage::

    lane = sparsity_lane(glbl, ce, wr..., sc_rd, sc_addr, s2_valid, ..., geo=geo, image=img)
"""
from myhdl import ConcatSignal, Signal, always, always_comb, always_seq, block, concat, instances, intbv

from ...golden.cost import IN_FLIGHT
from .popcount import popcount, popcount_latency
from .sdp_ram import sdp_ram

TAG_BITS = 2                 # unit tags: IN_FLIGHT units in a lane's FIFO are told apart


def _bits(n):
    return max(1, (n - 1).bit_length())


def LANE_LATENCY(geo):
    return popcount_latency(geo.word) + 4


def fifo_depth(geo):
    """Entries of the lane's FIFO: every window word of :data:`IN_FLIGHT` units, rounded up to a power of 2."""
    need = IN_FLIGHT * geo.npass * geo.nw + 2
    return 1 << _bits(need)


def entry_width(geo):
    """Bits of one FIFO entry: ``[one | tag | p | base | mask | x]``."""
    return 2 * geo.word + geo.base_w + _bits(geo.npass) + TAG_BITS + 1


def lane_memories(geo):
    """``(depth, width, style)`` of a lane's memories that can map to block RAM: the entry FIFO
    (placed as ``geo.fifo_ram`` says), the mask RAM (``[base | mask]``) and the value RAM (bias and
    threshold hold one word per group); style None leaves the placement to the tool."""
    return ((fifo_depth(geo), entry_width(geo), geo.fifo_ram), (geo.groups * geo.nw, geo.word + geo.base_w, None),
            (geo.value_depth, geo.wbits, None))


@block
def _delay(glbl, ce, a, b):
    """One register ``b <= a``, enabled by ``ce`` (a Signal) or always (``ce`` None)."""
    if ce is None:
        @always(glbl.clk.posedge)
        def seq():
            b.next = a
    else:
        @always(glbl.clk.posedge)
        def seq():
            if ce:
                b.next = a
    return seq


@block
def sparsity_lane(glbl, ce, wr_we, wr_sel, wr_addr, wr_data, sc_rd, sc_addr, s2_valid, s2_word,
                  s2_p, s2_par, pop_en, ts, ppar, pg, lane_last, o_valid, o_cur, o_t, o_theta,
                  o_g, geo, image=None, o_pair=None):
    W, BW, G, NW = geo.word, geo.base_w, geo.groups, geo.nw
    WB, BB, VB, CW = geo.wbits, geo.bbits, geo.vbits, geo.cur_w
    PB, TB, GA, GB = _bits(geo.npass), _bits(geo.tmax), _bits(G), len(pg)
    STATIC = geo.static
    MASKW = (1 << W) - 1
    (FD, EW, _), (MD, _, _), (VD, _, _) = lane_memories(geo)   # entry FIFO [one | tag | p | base | mask | x], masks, values
    for name, sig, want in (("s2_word", s2_word, W), ("s2_p", s2_p, PB), ("ts", ts, TB),
                            ("s2_par", s2_par, TAG_BITS), ("ppar", ppar, TAG_BITS)):
        if len(sig) != want:
            raise ValueError(f"sparsity_lane: {name} is {len(sig)} bits, the geometry needs {want}")
    if GB < GA:
        raise ValueError(f"sparsity_lane: pg is {GB} bits, the geometry needs at least {GA}")
    masks, values, biases, thrs = image if image is not None else ([], [], [], [])

    # ---- memories (block RAM) -----------------------------------------------------------------
    mmem = [Signal(intbv(masks[k] if k < len(masks) else 0)[W + BW:]) for k in range(MD)]
    vmem = [Signal(intbv(values[k] if k < len(values) else 0, min=-(1 << (WB - 1)), max=1 << (WB - 1)))
            for k in range(VD)]
    bmem = [Signal(intbv(biases[k] if k < len(biases) else 0, min=-(1 << (BB - 1)), max=1 << (BB - 1)))
            for k in range(G)]
    tmem = [Signal(intbv(thrs[k] if k < len(thrs) else 1)[VB - 1:]) for k in range(G)]
    mq = Signal(intbv(0)[W + BW:])

    @always(glbl.clk.posedge)
    def mask_ram():
        if wr_we and wr_sel == 0 and wr_addr < MD:
            mmem[wr_addr].next = wr_data[W + BW:]
        if ce and sc_rd:
            mq.next = mmem[sc_addr]

    # ---- scan stage S2: AND, drop empty words, push ------------------------------------------
    x2 = Signal(intbv(0)[W:])
    push = Signal(bool(0))
    entry = Signal(intbv(0)[EW:])

    @always_comb
    def s2_comb():
        x2.next = s2_word & mq[W:]

    e2 = Signal(intbv(0)[EW - 1:])            # stage S3 register: [par | p | base | mask | x]
    s3_valid, x3_one = Signal(bool(0)), Signal(bool(0))
    x3 = e2(W, 0)
    one_det = count_le(x3, x3_one, 1)         # x3 has a single set bit: its pop ends the word

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def s3_reg():
        if ce:
            s3_valid.next = s2_valid
            e2.next = concat(s2_par, s2_p, mq[W + BW:W], mq[W:], x2)

    @always_comb
    def s3_push():
        push.next = s3_valid and x3 != 0
        entry.next = concat(x3_one, e2)

    wptr = Signal(intbv(0, min=0, max=FD))
    rptr = Signal(intbv(0, min=0, max=FD))
    fcount = Signal(intbv(0, min=0, max=FD + 1))
    H = Signal(intbv(0)[EW:])
    H_v = Signal(bool(0))
    H_x, H_m, H_base = H(W, 0), H(2 * W, W), H(2 * W + BW, 2 * W)
    H_p, H_par, H_one = H(2 * W + BW + PB, 2 * W + BW), H(EW - 1, EW - 1 - TAG_BITS), H(EW - 1)
    take_h = Signal(bool(0))
    rd = Signal(bool(0))

    @always_comb
    def fifo_rd():
        rd.next = fcount != 0 and (not H_v or take_h)

    f_we, f_re = Signal(bool(0)), Signal(bool(0))

    @always_comb
    def fifo_en():
        f_we.next = ce and push
        f_re.next = ce and rd

    fifo_ram = sdp_ram(glbl.clk, f_we, wptr, entry, f_re, rptr, H, FD, geo.fifo_ram)

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def fifo_ptr():
        if ce:
            if push:
                wptr.next = (wptr + 1) % FD
            if rd:
                rptr.next = (rptr + 1) % FD
                H_v.next = 1
            elif take_h:
                H_v.next = 0
            if push and not rd:
                fcount.next = fcount + 1
            elif rd and not push:
                fcount.next = fcount - 1

    # ---- pop: register A, lowest set bit ------------------------------------------------------
    A_x, A_m = Signal(intbv(0)[W:]), Signal(intbv(0)[W:])
    A_base = Signal(intbv(0)[BW:])
    A_p = Signal(intbv(0)[PB:])
    A_par, A_v = Signal(intbv(0)[TAG_BITS:]), Signal(bool(0))
    A_one, a_le2 = Signal(bool(0)), Signal(bool(0))   # A_x has one bit / at most two bits
    le2_det = count_le(A_x, a_le2, 2)
    incl = Signal(intbv(0)[W:])
    xn = Signal(intbv(0)[W:])
    below = Signal(intbv(0)[W:])
    a_match, h_match, popping = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))
    started = Signal(bool(0))

    prefix = prefix_or(A_x, incl)

    @always_comb
    def lowbit():
        xn.next = A_x & ((incl << 1) & MASKW)
        below.next = A_m & (~incl & MASKW)

    if STATIC:
        @always_comb
        def match():
            a_match.next = A_v and A_par == ppar and ts == 0
            h_match.next = H_v and H_par == ppar and ts == 0
    else:
        @always_comb
        def match():
            a_match.next = A_v and A_par == ppar and A_p == ts
            h_match.next = H_v and H_par == ppar and H_p == ts

    @always_comb
    def pop_comb():
        popping.next = pop_en and a_match
        if pop_en and a_match:
            lane_last.next = A_one and not h_match
        else:
            lane_last.next = pop_en
        take_h.next = H_v and (not A_v or (pop_en and a_match and A_one))

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def a_reg():
        if ce:
            if take_h:
                A_x.next = H_x
                A_m.next = H_m
                A_base.next = H_base
                A_p.next = H_p
                A_par.next = H_par
                A_one.next = H_one
                A_v.next = 1
            elif popping:
                A_x.next = xn
                A_one.next = a_le2
                if A_one:
                    A_v.next = 0
            if pop_en:
                started.next = not lane_last

    # ---- P1: item register ----------------------------------------------------------------------
    SHIFT = STATIC and geo.planes > 1
    PBS = PB if SHIFT else 0
    SBW = BW + GB + TB + PBS + 5
    sb1 = Signal(intbv(0)[SBW:])
    below1 = Signal(intbv(0)[W:])

    first, rep = Signal(bool(0)), Signal(bool(0))
    if STATIC:
        @always_comb
        def flags():
            first.next = not started
            rep.next = ts != 0
    else:
        @always_comb
        def flags():
            first.next = not started
            rep.next = 0

    if SHIFT:
        @always_seq(glbl.clk.posedge, reset=glbl.rst)
        def p1():
            if ce:
                below1.next = below
                sb1.next = concat(pop_en, popping, first, lane_last, rep, A_p, ts, pg, A_base)
    else:                                  # the pass tag is only needed to shift bit planes
        @always_seq(glbl.clk.posedge, reset=glbl.rst)
        def p1():
            if ce:
                below1.next = below
                sb1.next = concat(pop_en, popping, first, lane_last, rep, ts, pg, A_base)

    # ---- popcount + sideband delay, address, RAM read --------------------------------------------
    pc = Signal(intbv(0, min=0, max=W + 1))
    chain = [sb1]
    insts = [popcount(glbl.clk, ce, below1, pc, W)]
    for _ in range(popcount_latency(W)):
        s = Signal(intbv(0)[SBW:])
        insts.append(_delay(glbl, ce, chain[-1], s))
        chain.append(s)
    sbd = chain[-1]
    addr = Signal(intbv(0, min=0, max=max(2, VD)))
    sb_a = Signal(intbv(0)[SBW - BW:])        # the base is not needed after the address

    asum = Signal(intbv(0, min=0, max=(1 << BW) + W + 1))
    sbd_base = sbd(BW, 0)

    @always_comb
    def addr_sum():
        asum.next = sbd_base + pc

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def addr_stage():
        if ce:
            if asum < VD:
                addr.next = asum
            else:
                addr.next = 0
            sb_a.next = sbd[SBW:BW]

    wq = Signal(intbv(0, min=-(1 << (WB - 1)), max=1 << (WB - 1)))
    bq = Signal(intbv(0, min=-(1 << (BB - 1)), max=1 << (BB - 1)))
    tq = Signal(intbv(0)[VB - 1:])
    sb_r = Signal(intbv(0)[SBW - BW:])
    ga = sb_a(GA, 0)

    @always(glbl.clk.posedge)
    def value_ram():
        if wr_we and wr_sel == 1 and wr_addr < VD:
            vmem[wr_addr].next = wr_data[WB:].signed()
        if ce:
            wq.next = vmem[addr]

    @always(glbl.clk.posedge)
    def bias_ram():
        if wr_we and wr_sel == 2 and wr_addr < G:
            bmem[wr_addr].next = wr_data[BB:].signed()
        if ce:
            bq.next = bmem[ga]

    @always(glbl.clk.posedge)
    def thr_ram():
        if wr_we and wr_sel == 3 and wr_addr < G:
            tmem[wr_addr].next = wr_data[VB - 1:]
        if ce:
            tq.next = tmem[ga]

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def ram_stage():
        if ce:
            sb_r.next = sb_a

    # ---- accumulate -------------------------------------------------------------------------------
    o = GB
    r_g, r_t = sb_r(o, 0), sb_r(o + TB, o)
    r_rep, r_last, r_first, r_pair, r_v = (sb_r(o + TB + PBS + k) for k in range(5))
    lo, hi = -(1 << (CW - 1)), 1 << (CW - 1)
    acc, basev, addv, nacc, wsh = (Signal(intbv(0, min=lo, max=hi)) for _ in range(5))

    if SHIFT:
        r_p = sb_r(o + TB + PB, o + TB)

        @always_comb
        def shift():
            wsh.next = wq << r_p
    else:
        @always_comb
        def shift():
            wsh.next = wq

    @always_comb
    def acc_comb():
        if r_pair and not r_rep:
            addv.next = wsh
        else:
            addv.next = 0
        if r_rep or not r_first:
            basev.next = acc
        else:
            basev.next = bq

    @always_comb
    def acc_sum():
        nacc.next = basev + addv

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def acc_stage():
        if ce:
            o_valid.next = r_v and r_last
            if r_v:
                acc.next = nacc
                o_cur.next = nacc
                o_t.next = r_t
                o_g.next = r_g
                o_theta.next = tq

    if o_pair is not None:
        @always_comb
        def pair_out():
            o_pair.next = popping

    return instances()


@block
def prefix_or(x, incl):
    """``incl[i] = OR(x[0..i])`` in log depth (no carry chain): ``x & ~(incl << 1)`` is the lowest
    set bit of ``x`` and ``x & (incl << 1)`` the rest. Shared by the lane's pop and the engine's
    word pick."""
    n = len(x)
    mask = (1 << n) - 1
    steps = _bits(n)

    @always_comb
    def comb():
        v = intbv(0)[n:]
        v[:] = x
        for k in range(steps):
            v[:] = (v | (v << (1 << k))) & mask
        incl.next = v
    return comb


@block
def count_le(x, flag, k):
    """``flag = popcount(x) <= k`` (combinational, log depth): 6-bit chunks give counts saturated
    at ``k + 1`` (one LUT6 per bit), pairs of counts merge with saturation."""
    sat = k + 1
    rom = tuple(min(bin(v).count("1"), sat) for v in range(64))
    insts, level = [], []
    for lo in range(0, len(x), 6):
        hi = min(len(x), lo + 6)
        c = Signal(intbv(0, min=0, max=sat + 1))
        insts.append(_chunk_sat(x(hi, lo) if hi - lo > 1 else x(lo), c, rom[:1 << (hi - lo)]))
        level.append(c)
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level) - 1, 2):
            c = Signal(intbv(0, min=0, max=sat + 1))
            insts.append(_merge_sat(level[i], level[i + 1], c, sat))
            nxt.append(c)
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    insts.append(_le(level[0], flag, k))
    return insts


@block
def _chunk_sat(part, c, rom):
    @always_comb
    def comb():
        c.next = rom[int(part)]
    return comb


@block
def _merge_sat(a, b, c, sat):
    nb = len(b)
    rom = tuple(min(sat, (v >> nb) + (v & ((1 << nb) - 1))) for v in range(1 << (len(a) + nb)))
    ab = ConcatSignal(a, b)

    @always_comb
    def comb():
        c.next = rom[int(ab)]
    return comb


@block
def _le(c, flag, k):
    @always_comb
    def comb():
        flag.next = c <= k
    return comb
