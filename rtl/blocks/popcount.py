"""Pipelined population count: 6-bit chunk counts (a ROM = one LUT6 per bit), then one adder
level per register stage.

Parameters: ``width`` of ``x``. Ports: ``ce`` (clock enable, all stages freeze when low; None = always enabled),
``x`` in, ``y`` out (``bit_length(width)`` bits). Latency :func:`popcount_latency` cycles,
throughput one word per cycle. Each stage holds at most one small adder (≤ 4 LUT levels).

:func:`frame_popcount` puts it behind a per-frame accumulator: the one counter of set bits the
chain's spike taps and the engines' pair pops share.

Usage::

    inst = popcount(clk, ce, x, y, width=64)   # y = popcount(x) 4 cycles later
    inst = frame_popcount(glbl, en, bits, last, total, width=64)
"""
from myhdl import Signal, always, always_comb, always_seq, block, intbv, modbv


CHUNK = 6                                  # one LUT6 per output bit of a chunk count
POPC = tuple(bin(v).count("1") for v in range(1 << CHUNK))


def popcount_latency(width):
    n, lat = -(-width // CHUNK), 1
    while n > 1:
        n, lat = -(-n // 2), lat + 1
    return lat


@block
def popcount(clk, ce, x, y, width):
    chunks = []
    insts = []

    chunk = _chunk if ce is not None else _chunk_free
    add = _add if ce is not None else _add_free

    for lo in range(0, width, CHUNK):
        hi = min(width, lo + CHUNK)
        s = Signal(intbv(0, min=0, max=width + 1))
        chunks.append(s)
        insts.append(chunk(clk, ce, x, lo, hi, s))
    level = chunks
    while len(level) > 1:
        nxt = []
        for k in range(0, len(level), 2):
            s = Signal(intbv(0, min=0, max=width + 1))
            insts.append(add(clk, ce, level[k], level[k + 1] if k + 1 < len(level) else None, s))
            nxt.append(s)
        level = nxt

    return insts, _copy(level[0], y)


@block
def _chunk(clk, ce, x, lo, hi, out):
    rom = POPC[:1 << (hi - lo)]
    part = x(hi, lo) if hi - lo > 1 else x(lo)

    @always(clk.posedge)
    def seq():
        if ce:
            out.next = rom[int(part)]
    return seq


@block
def _chunk_free(clk, ce, x, lo, hi, out):
    rom = POPC[:1 << (hi - lo)]
    part = x(hi, lo) if hi - lo > 1 else x(lo)

    @always(clk.posedge)
    def seq():
        out.next = rom[int(part)]
    return seq


@block
def _add(clk, ce, a, b, out):
    if b is None:
        @always(clk.posedge)
        def seq():
            if ce:
                out.next = a
    else:
        @always(clk.posedge)
        def seq():
            if ce:
                out.next = a + b
    return seq


@block
def _add_free(clk, ce, a, b, out):
    if b is None:
        @always(clk.posedge)
        def seq():
            out.next = a
    else:
        @always(clk.posedge)
        def seq():
            out.next = a + b
    return seq


@block
def _copy(a, b):
    @always_comb
    def comb():
        b.next = a

    return comb


@block
def frame_popcount(glbl, en, bits, last, total, width):
    """Σ popcount(``bits``) over the cycles with ``en`` high; on an ``en`` cycle with ``last`` high
    the frame's sum (that cycle included) is latched into ``total`` (32 bits, wraps)
    ``popcount_latency(width) + 1`` cycles later. ``bits`` is sampled every cycle (no clock enable);
    ``en`` and ``last`` travel beside it through a shift register of the popcount's latency.

    =====  ===  =========================================================================
    en     in   count this cycle's ``bits``
    bits   in   ``width`` bits
    last   in   this ``en`` cycle closes the frame
    total  out  the last closed frame's count
    =====  ===  =========================================================================
    """
    lat = popcount_latency(width)
    x = Signal(intbv(0)[width:])
    y = Signal(intbv(0, min=0, max=width + 1))
    en_d, last_d = Signal(modbv(0)[lat:]), Signal(modbv(0)[lat:])
    acc = Signal(modbv(0)[32:])
    top = lat - 1

    @always_comb
    def sample():
        x.next = bits

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def flags():
        en_d.next = (en_d << 1) | en
        last_d.next = (last_d << 1) | (en and last)

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def accumulate():
        if en_d[top]:
            if last_d[top]:
                total.next = acc + y
                acc.next = 0
            else:
                acc.next = acc + y

    return sample, flags, accumulate, popcount(glbl.clk, None, x, y, width)
