"""LIF unit: leak, integrate, saturate, fire, reset for all T steps of one neuron back to back.

Difference equations (DESIGN.md §2, :mod:`dualspike.golden.lif`), ``V[-1] = 0``::

    H[t] = sat_vbits( V[t-1] - (V[t-1] >>> k) + I[t] )     (k = 0: no leak)
    S[t] = H[t] >= θ
    V[t] = 0 (zero reset) | H[t] - θ (subtract reset)  if S[t],  else H[t]

``V`` lives in one register: the steps of one neuron arrive consecutively, ``i_first`` marks
``t = 0`` (``V[t-1]`` is then taken as 0), so there is no membrane RAM. For the static first
layer the sparsity lane repeats the same current for every ``t`` (bit-plane reuse).

Parameters: ``vbits``, ``leak`` (k), ``reset`` ("zero" | "subtract"), ``cur_w`` (width of I).

Ports: ``ce`` (clock enable / ready of the consumer), ``i_valid``, ``i_cur`` (signed ``cur_w``),
``i_first``, ``i_theta`` (``vbits-1`` bits, θ >= 1) in; ``o_valid``, ``o_spike``, ``o_v``
(membrane after the step, signed ``vbits``; may be None) out.

Latency 1 cycle, throughput one step per cycle (V feeds back within the cycle).

::

    clk      _/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_
    i_valid  _/‾‾‾‾‾‾‾‾‾‾‾\\_______      I[0] I[1] I[2]
    i_first  _/‾‾‾\\_______________
    o_valid  _____/‾‾‾‾‾‾‾‾‾‾‾\\___      S[0] S[1] S[2]

Usage::

    lif = lif_unit(glbl, ce, i_valid, i_cur, i_first, i_theta, o_valid, o_spike, o_v,
                   vbits=16, leak=1, reset="subtract", cur_w=cw)
"""
from myhdl import Signal, always_comb, always_seq, block, instances, intbv


@block
def lif_unit(glbl, ce, i_valid, i_cur, i_first, i_theta, o_valid, o_spike, o_v, vbits, leak,
             reset, cur_w):
    if reset not in ("zero", "subtract"):
        raise ValueError(f"lif_unit: reset must be 'zero' or 'subtract', not {reset!r}")
    if len(i_cur) != cur_w:
        raise ValueError(f"lif_unit: i_cur is {len(i_cur)} bits, cur_w is {cur_w}")
    VMAX, VMIN = (1 << (vbits - 1)) - 1, -(1 << (vbits - 1))
    SW = max(cur_w, vbits) + 2
    SUBTRACT = reset == "subtract"
    v = Signal(intbv(0, min=VMIN, max=VMAX + 1))
    vp = Signal(intbv(0, min=VMIN, max=VMAX + 1))
    lk = Signal(intbv(0, min=VMIN, max=VMAX + 1))
    hs = Signal(intbv(0, min=-(1 << (SW - 1)), max=1 << (SW - 1)))
    th = Signal(intbv(0, min=0, max=VMAX + 1))
    fire = Signal(bool(0))
    vn = Signal(intbv(0, min=VMIN, max=VMAX + 1))

    @always_comb
    def prev():
        if i_first:
            vp.next = 0
        else:
            vp.next = v

    if leak > 0:
        @always_comb
        def leak_shift():
            lk.next = vp >> leak

        @always_comb
        def integrate():
            hs.next = vp - lk + i_cur
            th.next = i_theta
    else:
        @always_comb
        def integrate():
            hs.next = vp + i_cur
            th.next = i_theta

    # saturate, fire and reset in one process (no transient out-of-range values between them)
    @always_comb
    def fire_reset():
        if hs > VMAX:
            fire.next = VMAX >= th
            if VMAX >= th:
                vn.next = VMAX - th if SUBTRACT else 0
            else:
                vn.next = VMAX
        elif hs < VMIN:
            fire.next = 0
            vn.next = VMIN
        else:
            fire.next = hs >= th
            if hs >= th:
                vn.next = hs - th if SUBTRACT else 0
            else:
                vn.next = hs

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def seq():
        if ce:
            o_valid.next = i_valid
            if i_valid:
                v.next = vn
                o_spike.next = fire

    if o_v is not None:
        @always_seq(glbl.clk.posedge, reset=glbl.rst)
        def seq_v():
            if ce and i_valid:
                o_v.next = vn

    return instances()
