"""Pixel buffers of the sparse engine: lanes that pop their own units finish a pixel at different
times, so each writes its results into the slots of the pixel's buffer; a buffer whose every lane
has written is taken, in pixel order, through a multiplexer into the output register.

:func:`pixel_buffers` sizes them, :func:`pixel_flags` tracks one buffer, :func:`mux` selects the
buffer to take.
"""
from myhdl import ConcatSignal, Signal, always_comb, always_seq, block, intbv

from ...golden.cost import IN_FLIGHT
from ..interfaces import wire
from .sparsity_lane import _bits


def pixel_buffers(groups, conv=True):
    """Output buffers of a core with ``groups`` units per pixel: enough for every pixel a lane can
    write while the oldest waits (the scan leads the slowest lane by at most IN_FLIGHT units). An
    fc core (``conv`` False) has one pixel per frame and frames do not overlap: one buffer."""
    if not conv:
        return 1
    need = -(-(IN_FLIGHT - 1) // groups) + 1
    return 1 << _bits(max(2, need))


@block
def _all(bits, y):
    """``y`` = every bit of the list ``bits`` is high."""
    v, ALL = _vector(bits), (1 << len(bits)) - 1

    @always_comb
    def comb():
        y.next = v == ALL
    return comb


def _vector(bits):
    """A list of 1-bit signals as one vector (LSB first); one bit stays itself."""
    return ConcatSignal(*reversed(bits)) if len(bits) > 1 else bits[0]


@block
def pixel_flags(glbl, run, pdone, pbuf, b, nb, xfer, cb, full):
    """Pixel buffer ``b`` of ``nb``: which lanes have written their slots of its pixel (``full``:
    all); the flags clear when ``xfer`` takes buffer ``cb`` (its low bits) = ``b``."""
    L = len(pdone)
    sets = [Signal(bool(0)) for _ in range(L)]
    setv = _vector(sets)
    fl = Signal(intbv(0)[L:])
    clr = Signal(bool(0))
    ALL = (1 << L) - 1

    @block
    def lane_set(l):
        if nb == 1:
            return wire(sets[l], pdone[l])

        @always_comb
        def comb():
            sets[l].next = pdone[l] and pbuf[l] == b
        return comb

    if nb == 1:
        @always_comb
        def comb():
            clr.next = xfer
            full.next = fl == ALL
    else:
        @always_comb
        def comb():
            clr.next = xfer and cb[len(pbuf[0]):] == b
            full.next = fl == ALL

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def seq():
        if clr:                       # a lane's first write of the buffer's next pixel may come now
            fl.next = setv
        elif run:
            fl.next = fl | setv

    return [lane_set(l) for l in range(L)], comb, seq


@block
def mux(sel, ins, y):
    """``y = ins[sel]`` for ``2**len(sel)`` inputs (``sel``: select bits, LSB first), as a tree of
    2:1 multiplexers."""
    if len(ins) == 1:
        return wire(y, ins[0])
    if len(ins) == 2:
        return _mux2(sel[0], ins[0], ins[1], y)
    half = len(ins) // 2
    lo, hi = Signal(intbv(0)[len(y):]), Signal(intbv(0)[len(y):])
    return mux(sel[:-1], ins[:half], lo), mux(sel[:-1], ins[half:], hi), _mux2(sel[-1], lo, hi, y)


@block
def _mux2(s, a, b, y):
    @always_comb
    def comb():
        y.next = b if s else a
    return comb
