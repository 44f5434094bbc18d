"""Port definitions shared by every dualspike RTL block: streams, clock/reset, weight write port.

These objects are *the* port definitions; blocks take them as arguments and MyHDL flattens an
interface argument ``s`` into Verilog ports ``s_data``, ``s_valid``, ``s_ready``, ``s_last``.

Stream transfer rules (Amaranth ``lib.stream`` / AXI4-Stream):

1. A beat transfers on a rising clock edge where ``valid & ready`` are both high.
2. Once ``valid`` is high it stays high, with ``data``/``last`` unchanged, until the beat transfers.
3. The source must not wait for ``ready`` before raising ``valid``; the sink may wait for ``valid``.
4. ``last`` marks the final beat of a frame (a frame = one image through one core).

::

    clk     _/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_
    valid   ___/‾‾‾‾‾‾‾‾‾‾‾\\___/‾‾‾\\___
    ready   ‾‾‾‾‾‾‾\\___/‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾
    data    ---< A     |B  >---<C  >---      A transfers, B waits one cycle, then B, C
    last    ___________________/‾‾‾\\___      C is the frame's last beat

Section contents: :class:`Global` (clock + synchronous reset), :class:`Stream`,
:class:`WeightPort` (the run-time weight write port of a compute core), :func:`pipeline_ctrl`
(handshake written once) and :func:`wire` (a constant-slice continuous assignment).
"""
from myhdl import ResetSignal, Signal, always_comb, always_seq, block, concat, intbv


# ---- clock and reset -------------------------------------------------------------------------
class Global:
    """Clock and reset bundle (rhea ``Global``). ``rst`` is active high; ``isasync`` picks an
    asynchronous reset (default synchronous, the 7-series recommendation)."""

    def __init__(self, isasync=False):
        self.clk = Signal(bool(0))
        self.rst = ResetSignal(0, active=1, isasync=isasync)


# ---- streams ---------------------------------------------------------------------------------
class Stream:
    """A ready/valid stream of ``data_w``-bit beats with ``last``. Widths live on the object.

    dualspike uses it for spike pixel streams (one beat per pixel in raster order, bit
    ``t*C + c`` = spike of channel ``c`` at step ``t``), first-layer value streams (bit
    ``c*B + b`` = bit ``b`` of channel ``c``'s ``B``-bit value) and readout results.
    """

    def __init__(self, data_w, name=None):
        if not isinstance(data_w, int) or data_w < 1:
            raise ValueError(f"stream data width must be a positive int, not {data_w!r}")
        self.data_w = data_w
        self.data = Signal(intbv(0)[data_w:])
        self.valid = Signal(bool(0))
        self.ready = Signal(bool(0))
        self.last = Signal(bool(0))
        self.name = name

    def check(self, data_w, who):
        """Raise ``ValueError`` naming both widths when this stream is not ``data_w`` wide."""
        if self.data_w != data_w:
            raise ValueError(f"{who}: stream data width {self.data_w} does not match the "
                             f"block's {data_w}")


class WeightPort:
    """Synchronous write port into a core's weight memories (one write per cycle when ``we``).

    ``sel`` picks the memory, ``lane`` the lane, ``addr`` the lane-local address, ``data`` is
    LSB-aligned (wider than needed; unused high bits ignored):

    ====  =========  ===============================  ===============================
    sel   memory     addr                             data
    ====  =========  ===============================  ===============================
    0     mask       ``g*NW + wi`` (group g, word wi)  ``WORD`` mask bits (bit j%WORD)
    1     value      lane-local packed index           signed ``wbits`` weight
    2     bias       ``g``                             signed ``bbits`` bias
    3     threshold  ``g``                             unsigned ``vbits-1`` threshold
    ====  =========  ===============================  ===============================

    Channel ``co`` lives in lane ``co % L`` at group ``g = co // L``. A lane's values are packed
    in ascending (g, j) order, so a lane's value index of a non-zero weight is the number of
    non-zero weights before it in that lane. Masks of a lane must be written in ascending
    address order starting at address 0: the core computes each word's value base (the running
    popcount) as the words are written. See :mod:`dualspike.rtl.weight_image`.
    """

    MASK, VALUE, BIAS, THRESHOLD = 0, 1, 2, 3

    def __init__(self, lanes, addr_w, data_w):
        self.lanes, self.addr_w, self.data_w = lanes, addr_w, data_w
        self.we = Signal(bool(0))
        self.sel = Signal(intbv(0)[2:])
        self.lane = Signal(intbv(0, min=0, max=max(2, lanes)))
        self.addr = Signal(intbv(0)[addr_w:])
        self.data = Signal(intbv(0)[data_w:])


# ---- helpers ---------------------------------------------------------------------------------
@block
def wire(dst, src):
    """Continuous assignment ``dst = src`` (use with constant slices or ConcatSignals)."""

    @always_comb
    def comb():
        dst.next = src

    return comb


@block
def pipeline_ctrl(glbl, s, m, ce, latency):
    """Handshake of a fixed-latency pipeline, written once (LiteX ``PipelinedActor``).

    ``ce = m.ready | ~m.valid`` advances ``valid``/``last`` through ``latency`` stages and is the
    clock enable of the block's datapath registers; ``s.ready = ce``. The block describes only its
    datapath: every register updates ``if ce``. Throughput 1 beat/cycle, latency ``latency``.

    ::

        clk      _/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_
        s.valid  _/‾‾‾‾‾‾‾\\_________       latency = 2
        m.valid  _________/‾‾‾‾‾‾‾\\_
        m.ready  ‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾
    """
    if latency < 1:
        raise ValueError(f"pipeline latency must be >= 1, not {latency}")
    vs = Signal(intbv(0)[latency:])          # bit i = valid after stage i + 1
    ls = Signal(intbv(0)[latency:])

    @always_comb
    def comb():
        ce.next = m.ready or not m.valid

    @always_comb
    def comb_s():
        s.ready.next = m.ready or not m.valid

    if latency > 1:
        @always_seq(glbl.clk.posedge, reset=glbl.rst)
        def seq():
            if m.ready or not m.valid:
                vs.next = concat(vs[latency - 1:0], s.valid)
                ls.next = concat(ls[latency - 1:0], s.last)
    else:
        @always_seq(glbl.clk.posedge, reset=glbl.rst)
        def seq():
            if m.ready or not m.valid:
                vs.next = s.valid
                ls.next = s.last

    @always_comb
    def out():
        m.valid.next = vs[latency - 1]
        m.last.next = ls[latency - 1]

    return comb, comb_s, seq, out
