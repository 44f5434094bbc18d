"""A stand-in core chain for testing the top level's plumbing without the real layer cores.

Per frame it sums the pixel beats' data (as unsigned integers) and then emits ``classes`` words
``sum + k·T`` (k = 0..classes-1), ``tlast`` on the last; :func:`reference` is its Python model.
Layer counters: ``spikes[i] = pixels``, ``pairs[i] = sum`` of the last frame, for every layer;
``busy[i]`` is high on every pixel beat taken (so ``LAYERi_BUSY`` counts the pixels).
"""
import numpy as np
from myhdl import Signal, always, always_comb, block, intbv, modbv

from dualspike import streams


def reference(spec, x, t_max, T):
    """Expected output words ``[N, classes]`` uint32 for input batch ``x``."""
    from .input_adapter import pixel_width
    words = streams.pack_frames(spec, x, t_max)
    n = words.shape[0]
    c, h, w = spec.input_shape
    P = streams.pixel_bytes(spec, t_max)
    raw = words.view(np.uint8).reshape(n, -1)[:, :h * w * P].reshape(n, h * w, P).astype(np.int64)
    if spec.encoding == "events":
        pix = sum(raw[..., b] << (8 * b) for b in range(P)) & ((1 << pixel_width(spec, t_max)) - 1)
    elif spec.encoding == "binary":
        bits = (raw >= spec.input_threshold).astype(np.int64)
        pix = sum(bits[..., ch] << ch for ch in range(c))
    else:
        B = spec.input_bits
        v = raw >> (8 - B)
        pix = sum(v[..., ch] << (ch * B) for ch in range(c))
    total = pix.sum(axis=1)
    k = np.arange(spec.num_classes)
    return ((total[:, None] + k[None, :] * T) & 0xFFFFFFFF).astype(np.uint32)


@block
def _latch(clk, stb, npix, acc, data, spikes, pairs):
    @always(clk.posedge)
    def seq():
        if stb:
            spikes.next = npix + 1
            pairs.next = (acc + data)
    return seq


@block
def passthrough_chain(clk, rst, s, m, t, spikes, pairs, busy, spec):
    classes = spec.num_classes
    acc = Signal(modbv(0)[32:])
    npix = Signal(intbv(0)[32:])
    k = Signal(intbv(0, min=0, max=classes + 1))
    emitting = Signal(bool(0))
    val = Signal(modbv(0)[32:])
    stb = Signal(bool(0))
    latches = [_latch(clk, stb, npix, acc, s.data, spikes[i], pairs[i]) for i in range(len(spikes))]

    @block
    def taken(flag):
        @always_comb
        def comb():
            flag.next = s.valid and not emitting
        return comb

    flags = [taken(b) for b in busy]

    @always_comb
    def comb():
        stb.next = s.valid and s.last and not emitting
        s.ready.next = not emitting
        m.valid.next = emitting
        m.last.next = emitting and k == classes - 1
        m.data.next = val

    @always(clk.posedge)
    def seq():
        if rst:
            acc.next = 0
            npix.next = 0
            k.next = 0
            emitting.next = 0
        elif emitting:
            if m.ready:
                val.next = (val + t)
                if k == classes - 1:
                    emitting.next = 0
                    k.next = 0
                else:
                    k.next = k + 1
        elif s.valid:
            if s.last:
                emitting.next = 1
                val.next = (acc + s.data)
                acc.next = 0
                npix.next = 0
            else:
                acc.next = (acc + s.data)
                npix.next = npix + 1

    return latches, flags, comb, seq


@block
def passthrough_cores(glbl, pix, out, t, bus, spikes, pairs, busy, cfg):
    """The ``TopConfig.chain`` form of :func:`passthrough_chain` (the weight bus is ignored)."""
    return passthrough_chain(glbl.clk, glbl.rst, pix, out, t, spikes, pairs, busy, cfg.spec)
