"""Weight loader: the weight stream (:func:`dualspike.streams.weight_stream`) → the cores' RAM writes.

Per layer ``i``, in order: a header word (tag 0xA5, layer index, out channels, non-zero count), the
``Co × NW`` mask words (the layer's ``word`` bits each, LSB-aligned), ``ceil(nnz / 16)`` value words (16 nibbles each, channel after channel),
``Co`` parameter words (bias | threshold << 32). They become writes in the cores' lane layout
(:class:`rtl.interfaces.WeightPort`: channel ``co`` in lane ``co % L``, group ``g = co // L``)::

    bus.layer   target core          bus.sel   0 mask | 1 value | 2 bias | 3 threshold
    bus.lane    co % L               bus.addr  mask g·NW + wi; value: lane-local index; bias/θ g
    bus.data    LSB-aligned          bus.we    one cycle per write

Mask words are buffered (``max Co·NW`` words) and written lane after lane once a layer's masks
are in (the cores compute each lane's running value base from its masks written in order; the
stream is channel-major), ``Co·NW + 1`` cycles with ``tready`` low; values are written one per cycle (a value word takes up to 16 cycles,
``tready`` low meanwhile, plus one cycle per channel to fetch its count); a parameter word takes
two cycles (bias, threshold). Per-channel non-zero counts are the masks' popcounts, kept while the
masks pass; each lane's next value index is a running counter.

Checks (``error`` + ``err_stb`` pulse, then the rest of the stream is drained up to ``TLAST`` with no
more writes): header tag, layer index or channel count different from the build, masks holding fewer
non-zeros than the header, or ``TLAST`` anywhere but the last layer's last word → 2 (malformed); a
non-zero count above the layer's built capacity, or more non-zeros in one lane than its value RAM
(``ceil(capacity / L)``) holds → 1 (over capacity). ``loaded`` rises after a
complete, error-free stream and falls when a new one starts; ``crc`` is ``zlib.crc32`` of every word
of the current stream (a new stream starts when a word arrives with the loader idle).
"""
from myhdl import Signal, always, always_comb, block, enum, intbv

from dualspike import bitmap, streams
from dualspike.golden.cost import layer_words

from .crc32_word import crc32_word

OVER_CAPACITY, MALFORMED = 1, 2


class LoaderBus:
    """All cores' weight ports in one: ``layer`` selects the core."""

    def __init__(self, num_layers, max_lanes, addr_w=20, data_w=64):
        self.layer = Signal(intbv(0, min=0, max=max(2, num_layers)))
        self.sel = Signal(intbv(0)[2:])
        self.lane = Signal(intbv(0, min=0, max=max(2, max_lanes)))
        self.addr = Signal(intbv(0)[addr_w:])
        self.data = Signal(intbv(0)[data_w:])
        self.we = Signal(bool(0))


def _popcount64(x):
    n = 0
    for i in range(64):
        n += (x >> i) & 1
    return n


@block
def _popcount(x, out):
    """Popcount of a 64-bit word (adder tree left to synthesis)."""
    @always_comb
    def count_bits():
        n = intbv(0, min=0, max=65)
        for i in range(64):
            n[:] = n + x[i]
        out.next = n
    return count_bits


@block
def weight_loader(clk, rst, s, bus, busy, loaded, error, err_stb, crc, spec, lanes, capacities, word=64):
    nl = len(spec.layers)
    if len(lanes) != nl or len(capacities) != nl:
        raise ValueError(f"weight_loader: {len(lanes)} lanes and {len(capacities)} capacities for {nl} layers")
    # ROMs get one spare entry so that any index the counters can hold is valid
    CO = tuple(ls.out_channels for ls in spec.layers) + (1,)
    words = layer_words(word, nl)
    NW = tuple(bitmap.words_for(spec.fan_in(i), words[i]) for i in range(nl)) + (1,)
    LN = tuple(int(v) for v in lanes) + (1,)
    CAP = tuple(int(v) for v in capacities) + (0,)
    DEPTH = tuple(-(-int(c) // int(L)) for c, L in zip(capacities, lanes)) + (0,)   # per-lane values
    GSTEP = tuple((l - 1) * n for l, n in zip(LN, NW))          # mask words between a lane's groups
    max_co, max_nw, max_l, max_cap = max(CO), max(NW), max(LN), max(CAP) + 1
    st = enum("HEAD", "MASK", "REPLAY", "VAL", "PARAM", "DRAIN")
    MB = max(c * n for c, n in zip(CO, NW))                                 # mask words of a layer
    mbuf = [Signal(intbv(0)[64:]) for _ in range(MB)]
    mk = Signal(intbv(0, min=0, max=MB + 1))
    mb_we = Signal(bool(0))
    mb_ra = Signal(intbv(0, min=0, max=MB + 1))
    mb_rd = Signal(intbv(0)[64:])
    ractive, p_valid = Signal(bool(0)), Signal(bool(0))
    rl = Signal(intbv(0, min=0, max=max_l + 1))
    rwi = Signal(intbv(0, min=0, max=max_nw + 1))
    rco = Signal(intbv(0, min=0, max=max_co + max_l + 1))
    rsrc = Signal(intbv(0, min=0, max=MB + max_l * max_nw + 1))
    lsrc = Signal(intbv(0, min=0, max=MB + max_l * max_nw + 1))
    rdst = Signal(intbv(0, min=0, max=(max_co + 2) * max_nw + 1))
    p_lane = Signal(intbv(0, min=0, max=max_l + 1))
    p_addr = Signal(intbv(0, min=0, max=(max_co + 2) * max_nw + max_nw + 1))
    state = Signal(st.HEAD)
    lidx = Signal(intbv(0, min=0, max=nl + 1))
    co_v = Signal(intbv(0, min=0, max=max_co + 1))
    nw_v = Signal(intbv(0, min=0, max=max_nw + 1))
    l_v = Signal(intbv(0, min=0, max=max_l + 1))
    cap_v = Signal(intbv(0, min=0, max=max_cap + 1))
    gstep_v = Signal(intbv(0, min=0, max=max(GSTEP) + 2))
    depth_v = Signal(intbv(0, min=0, max=max_cap + 1))
    # position: channel co = g·L + lane, mask word wi
    co = Signal(intbv(0, min=0, max=max_co + 2))
    lane = Signal(intbv(0, min=0, max=max_l + 1))
    g = Signal(intbv(0, min=0, max=max_co + 2))
    wi = Signal(intbv(0, min=0, max=max_nw + 1))
    gaddr = Signal(intbv(0, min=0, max=(max_co + 2) * max_nw + 1))
    acc = Signal(intbv(0, min=0, max=max_nw * 64 + 1))                  # popcount of this channel
    counts = [Signal(intbv(0, min=0, max=max_nw * 64 + 1)) for _ in range(max_co + 2)]
    lane_next = [Signal(intbv(0, min=0, max=max_cap + 1)) for _ in range(max_l + 1)]
    cnt_rd = Signal(intbv(0, min=0, max=max_nw * 64 + 1))
    ln_rd = Signal(intbv(0, min=0, max=max_cap + 1))
    pc = Signal(intbv(0, min=0, max=65))
    nnz = Signal(intbv(0, min=0, max=max_cap + 1))
    vcount = Signal(intbv(0, min=0, max=max_cap + 1))
    rem = Signal(intbv(0, min=0, max=max_nw * 64 + 1))
    need = Signal(bool(0))
    ni = Signal(intbv(0)[4:])
    phase = Signal(bool(0))
    nib = Signal(intbv(0)[4:])
    reg = Signal(intbv(0xFFFFFFFF)[32:])
    cin = Signal(intbv(0)[32:])
    nxt = Signal(intbv(0)[32:])
    take = Signal(bool(0))
    consume = Signal(bool(0))
    crc_inst = crc32_word(cin, s.tdata, nxt)
    pop_inst = _popcount(s.tdata, pc)
    tag = streams.WEIGHT_HEADER_TAG

    @always_comb
    def rom():
        co_v.next = CO[lidx]
        nw_v.next = NW[lidx]
        l_v.next = LN[lidx]
        cap_v.next = CAP[lidx]
        depth_v.next = DEPTH[lidx]
        gstep_v.next = GSTEP[lidx]

    @always_comb
    def mem_read():
        cnt_rd.next = counts[co]
        ln_rd.next = lane_next[lane]
        nib.next = (s.tdata >> (4 * ni)) & 0xF

    @always_comb
    def mbuf_ctl():
        mb_we.next = state == st.MASK and s.tvalid
        if rsrc < MB:
            mb_ra.next = rsrc
        else:
            mb_ra.next = 0

    @always(clk.posedge)
    def mbuf_ram():
        if mb_we:
            mbuf[int(mk)].next = s.tdata
        mb_rd.next = mbuf[int(mb_ra)]

    @always_comb
    def comb():
        c = False
        if state == st.VAL:
            c = bool(not need and (ni == 15 or vcount == nnz - 1))
        elif state == st.PARAM:
            c = bool(phase)
        elif state == st.REPLAY:
            c = False
        else:
            c = True
        consume.next = c
        s.tready.next = c
        take.next = s.tvalid and c
        crc.next = ~reg
        busy.next = state != st.HEAD or lidx != 0
        if state == st.HEAD and lidx == 0:
            cin.next = 0xFFFFFFFF
        else:
            cin.next = reg

    @always(clk.posedge)
    def seq():
        bus.we.next = 0
        err_stb.next = 0
        bus.layer.next = lidx
        bus.lane.next = lane
        if rst:
            state.next = st.HEAD
            lidx.next = 0
            reg.next = 0xFFFFFFFF
            ractive.next = 0
            p_valid.next = 0
            mk.next = 0
            need.next = 0
            ni.next = 0
            phase.next = 0
        elif state == st.REPLAY:                           # masks → lanes, lane after lane
            p_valid.next = ractive
            p_lane.next = rl
            p_addr.next = rdst + rwi
            if p_valid:
                bus.we.next = 1
                bus.sel.next = 0
                bus.lane.next = p_lane
                bus.addr.next = p_addr
                bus.data.next = mb_rd
            if ractive:
                if rwi == nw_v - 1:
                    rwi.next = 0
                    if rco + l_v < co_v:                    # next group of this lane
                        rco.next = rco + l_v
                        rsrc.next = rsrc + 1 + gstep_v
                        rdst.next = rdst + nw_v
                    elif rl + 1 < l_v and rl + 1 < co_v:     # next lane
                        rl.next = rl + 1
                        rco.next = rl + 1
                        rsrc.next = lsrc + nw_v
                        lsrc.next = lsrc + nw_v
                        rdst.next = 0
                    else:
                        ractive.next = 0
                else:
                    rwi.next = rwi + 1
                    rsrc.next = rsrc + 1
            else:
                mk.next = 0
                if nnz != 0:
                    state.next = st.VAL
                else:
                    state.next = st.PARAM
        elif s.tvalid:
            bad = False
            adv = False                                   # advance to the next channel
            restart = False                               # back to channel 0 (next section)
            if take:
                reg.next = nxt
            if state == st.HEAD:
                mk.next = 0
                if lidx == 0:
                    loaded.next = 0
                co.next = 0
                lane.next = 0
                g.next = 0
                wi.next = 0
                gaddr.next = 0
                acc.next = 0
                if s.tdata[64:56] != tag or s.tdata[56:48] != lidx or s.tdata[48:32] != co_v:
                    error.next = MALFORMED
                    bad = True
                elif s.tdata[32:0] > cap_v:
                    error.next = OVER_CAPACITY
                    bad = True
                elif s.tlast:
                    error.next = MALFORMED
                    bad = True
                else:
                    nnz.next = s.tdata[32:0]
                    state.next = st.MASK
            elif state == st.MASK:                          # masks wait in mbuf (channel-major)
                mk.next = mk + 1
                if g == 0:
                    lane_next[int(lane)].next = 0
                if wi == nw_v - 1:
                    counts[int(co)].next = acc + pc
                    acc.next = 0
                    wi.next = 0
                    adv = True
                    if co == co_v - 1:
                        restart = True
                        state.next = st.REPLAY
                        ractive.next = 1
                        rl.next = 0
                        rwi.next = 0
                        rco.next = 0
                        rsrc.next = 0
                        lsrc.next = 0
                        rdst.next = 0
                        need.next = 1
                        vcount.next = 0
                        ni.next = 0
                        phase.next = 0
                else:
                    acc.next = acc + pc
                    wi.next = wi + 1
                if s.tlast:
                    error.next = MALFORMED
                    bad = True
            elif state == st.VAL:
                if need:
                    if co >= co_v:
                        error.next = MALFORMED
                        bad = True
                    elif cnt_rd == 0:
                        adv = True
                    else:
                        rem.next = cnt_rd
                        need.next = 0
                elif ln_rd >= depth_v:                     # this lane's value RAM is full
                    error.next = OVER_CAPACITY
                    bad = True
                else:
                    bus.we.next = 1
                    bus.sel.next = 1
                    bus.addr.next = ln_rd
                    bus.data.next = nib
                    lane_next[int(lane)].next = ln_rd + 1
                    rem.next = rem - 1
                    ni.next = (ni + 1) % 16
                    vcount.next = vcount + 1
                    if rem == 1:
                        adv = True
                        need.next = 1
                    if vcount == nnz - 1:
                        ni.next = 0
                        state.next = st.PARAM
                        restart = True
                        phase.next = 0
                    if consume and s.tlast:
                        error.next = MALFORMED
                        bad = True
            elif state == st.PARAM:
                bus.we.next = 1
                bus.addr.next = g
                if not phase:
                    bus.sel.next = 2
                    bus.data.next = s.tdata[32:0]
                    phase.next = 1
                else:
                    bus.sel.next = 3
                    bus.data.next = s.tdata[64:32]
                    phase.next = 0
                    adv = True
                    if co == co_v - 1:
                        if lidx == nl - 1:
                            if s.tlast:
                                loaded.next = 1
                                state.next = st.HEAD
                                lidx.next = 0
                            else:
                                error.next = MALFORMED
                                bad = True
                        elif s.tlast:
                            error.next = MALFORMED
                            bad = True
                        else:
                            lidx.next = lidx + 1
                            state.next = st.HEAD
                    elif s.tlast:
                        error.next = MALFORMED
                        bad = True
            else:                                          # DRAIN
                if s.tlast:
                    state.next = st.HEAD
                    lidx.next = 0
            if restart:
                co.next = 0
                lane.next = 0
                g.next = 0
                gaddr.next = 0
            elif adv:
                co.next = co + 1
                if lane == l_v - 1:
                    lane.next = 0
                    g.next = g + 1
                    gaddr.next = gaddr + nw_v
                else:
                    lane.next = lane + 1
            if bad:
                bus.we.next = 0
                err_stb.next = 1
                need.next = 0
                if s.tlast and consume:
                    state.next = st.HEAD
                    lidx.next = 0
                else:
                    state.next = st.DRAIN

    return crc_inst, pop_inst, rom, mem_read, mbuf_ctl, mbuf_ram, comb, seq
