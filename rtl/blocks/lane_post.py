"""After a sparsity lane: LIF and/or readout, then the write into the lane's slots of a pixel buffer
(:mod:`dualspike.rtl.blocks.pixel_buffers`)."""
from myhdl import Signal, always, always_comb, always_seq, block, instances, intbv

from .lif_unit import lif_unit
from .readout import readout
from .sparsity_lane import _bits, _delay


@block
def lane_post(glbl, run, o_valid, o_cur, o_t, o_theta, o_g, t_last, slots, cmask, done, dbuf, geo):
    """Per lane: LIF and/or readout after the lane, then the write into the lane's output slots
    (``slots``: ``(code, register)`` pairs, code = pixel buffer above the group, compared on the
    bits of ``cmask``; one register per group and buffer: ``Tmax`` spike bits, or the int32
    readout); ``done`` marks the write of a pixel's last group, ``dbuf`` its buffer (None: one
    buffer)."""
    mode, TM, TB, GB = geo.readout, geo.tmax, len(o_t), len(o_g)
    GA, G = _bits(geo.groups), geo.groups
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

    if dbuf is None:                          # one pixel buffer
        @always_comb
        def pixel_done():
            done.next = wvalid and wg[GA:] == G - 1
    else:
        @always_comb
        def pixel_done():
            done.next = wvalid and wg[GA:] == G - 1
            dbuf.next = wg[GB:GA]

    @block
    def slot_write(code, reg):
        if cmask == (1 << GB) - 1:               # every code bit picks the slot
            @always(glbl.clk.posedge)
            def seq():
                if run and wvalid and wg == code:
                    reg.next = wval
        else:
            @always(glbl.clk.posedge)
            def seq():
                if run and wvalid and (wg & cmask) == code:
                    reg.next = wval
        return seq

    for code, reg in slots:                  # padding channels (co >= Co) of the last group have none
        insts.append(slot_write(code, reg))
    return instances()
