"""Readout accumulator: Σ_t I[t] (membrane readout) or Σ_t S[t] (spike count) of one neuron.

DESIGN.md §2: ``membrane`` -> integer logit ``Σ_t I[t]`` (int32, no threshold, no saturation);
``count`` -> spike count. The steps of one neuron arrive back to back, ``i_first`` marks t = 0.

Parameters: ``mode`` ("membrane" | "count"), ``cur_w`` (width of I). Ports: ``ce``; ``i_valid``,
``i_cur`` (signed; None for count), ``i_spike`` (None for membrane), ``i_first`` in; ``o_valid``, ``o_sum`` (signed 32 bits, the
running sum including this step) out. Latency 1, one step per cycle.

::

    clk      _/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_
    i_valid  _/‾‾‾‾‾‾‾‾‾‾‾\\_______      t = 0, 1, 2
    o_sum    -----< I0 | I0+I1 | I0+I1+I2 >

Usage::

    ro = readout(glbl, ce, i_valid, i_cur, i_spike, i_first, o_valid, o_sum, mode="membrane", cur_w=16)
"""
from myhdl import Signal, always_comb, always_seq, block, instances, intbv, modbv


@block
def readout(glbl, ce, i_valid, i_cur, i_spike, i_first, o_valid, o_sum, mode, cur_w):
    if mode not in ("membrane", "count"):
        raise ValueError(f"readout: mode must be 'membrane' or 'count', not {mode!r}")
    if len(o_sum) != 32:
        raise ValueError(f"readout: o_sum is {len(o_sum)} bits, the readout is int32")
    acc = Signal(intbv(0, min=-(1 << 31), max=1 << 31))
    add = Signal(intbv(0, min=-(1 << 31), max=1 << 31))
    base = Signal(intbv(0, min=-(1 << 31), max=1 << 31))
    nsum = Signal(modbv(0, min=-(1 << 31), max=1 << 31))     # int32 wraps, as the golden int32

    if mode == "membrane":
        @always_comb
        def term():
            add.next = i_cur
    else:
        @always_comb
        def term():
            if i_spike:
                add.next = 1
            else:
                add.next = 0

    @always_comb
    def comb():
        if i_first:
            base.next = 0
        else:
            base.next = acc
        nsum.next = base + add

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def seq():
        if ce:
            o_valid.next = i_valid
            if i_valid:
                acc.next = nsum
                o_sum.next = nsum

    return instances()
