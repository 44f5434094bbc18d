"""Input adapter: 64-bit AXI4-Stream frame words → one beat per pixel for the first core.

Accepts exactly :func:`dualspike.streams.pack_frames`: pixels in raster order, ``P`` bytes each
(images: the ``C`` channel bytes; events: ``ceil(T_MAX·C/8)`` bytes of spike bits), bytes filling
a word from its least significant byte, the frame zero-padded to whole words. A byte gearbox of
``P + 7`` bytes turns words into pixels at up to one pixel per cycle.

Pixel beat (``m``): images ``binary`` → ``C`` bits (``x >= input_threshold``); ``bitplane`` →
``C × input_bits`` bits, channel ``c`` in bits ``[c·B +: B]``, value ``x >> (8 − B)``; events →
``T_MAX·C`` bits, bit ``t·C + c``. ``tlast`` on the frame's last pixel.

Framing is by count (``frame_words`` words per frame). A ``TLAST`` on any other word, or missing on
the frame's last word, pulses ``frame_error`` (ERROR_CODE 4); the frame still completes by count,
so every frame yields exactly one result. ``first`` pulses when a frame's first word is taken.

Ports: ``s`` 64-bit stream in, ``m`` pixel stream out, ``frame_error``/``first`` pulses.
Throughput: one pixel per cycle while ``P ≤ 8``; one word per ``ceil(8/P)`` pixels.
"""
from myhdl import ConcatSignal, Signal, always, always_comb, block, intbv

from dualspike import streams


def pixel_width(spec, t_max):
    c = spec.input_shape[0]
    if spec.encoding == "events":
        return t_max * c
    return c * (spec.input_bits if spec.encoding == "bitplane" else 1)


@block
def _chan(buf, out, ch, mode, thr, bits):
    hi, lo = 8 * ch + 8, 8 * ch + 8 - bits
    b_hi, b_lo = 8 * ch + 8, 8 * ch
    if mode == "binary":
        @always_comb
        def logic():
            out.next = buf[b_hi:b_lo] >= thr
    else:
        @always_comb
        def logic():
            out.next = buf[hi:lo]
    return logic


@block
def input_adapter(clk, rst, s, m, frame_error, first, spec, t_max):
    P = streams.pixel_bytes(spec, t_max)
    c, h, w = spec.input_shape
    npix = h * w
    fw = streams.frame_words(spec, t_max)
    width = pixel_width(spec, t_max)
    if len(m.data) != width:
        raise ValueError(f"input_adapter: pixel stream is {len(m.data)} bits, {spec.encoding} needs {width}")
    if len(s.tdata) != 64:
        raise ValueError(f"input_adapter: input stream is {len(s.tdata)} bits, not 64")
    cap = P + 7
    buf = Signal(intbv(0)[cap * 8:])
    cnt = Signal(intbv(0, min=0, max=cap + 1))
    wcount = Signal(intbv(0, min=0, max=fw + 1))
    pcount = Signal(intbv(0, min=0, max=npix + 1))
    tail = Signal(bool(0))
    emit = Signal(bool(0))
    take = Signal(bool(0))
    after = Signal(intbv(0, min=0, max=cap + 1))

    # # # pixel conversion (constant slices only)
    if spec.encoding == "events":
        pix = buf(width, 0)
        insts = []
    else:
        outs, insts = [], []
        for ch in range(c):
            if spec.encoding == "binary":
                o = Signal(bool(0))
            else:
                o = Signal(intbv(0)[spec.input_bits:])
            insts.append(_chan(buf, o, ch, spec.encoding, spec.input_threshold, spec.input_bits))
            outs.append(o)
        pix = ConcatSignal(*reversed(outs)) if len(outs) > 1 else outs[0]

    @always_comb
    def comb():
        e = bool(cnt >= P and (not m.valid or m.ready))
        emit.next = e
        a = intbv(0, min=0, max=cap + 1)
        if e:
            a[:] = cnt - P
        else:
            a[:] = cnt
        after.next = a
        take.next = (not tail) and a <= P - 1 and s.tvalid
        s.tready.next = (not tail) and a <= P - 1

    @always(clk.posedge)
    def seq():
        first.next = 0
        frame_error.next = 0
        if rst:
            buf.next = 0
            cnt.next = 0
            wcount.next = 0
            pcount.next = 0
            tail.next = 0
            m.valid.next = 0
            m.last.next = 0
        else:
            if m.ready:
                m.valid.next = 0
            b = intbv(0)[cap * 8:]
            b[:] = buf
            n = intbv(0, min=0, max=cap + 1)
            n[:] = after
            if emit:
                m.valid.next = 1
                m.data.next = pix
                b[:] = buf >> (8 * P)
                if pcount == npix - 1:
                    m.last.next = 1
                    pcount.next = 0
                    b[:] = 0
                    n[:] = 0
                    tail.next = 0
                else:
                    m.last.next = 0
                    pcount.next = pcount + 1
            if take:
                b[:] = b | (s.tdata << (8 * n))
                n[:] = n + 8
                if wcount == 0:
                    first.next = 1
                if wcount == fw - 1:
                    wcount.next = 0
                    tail.next = 1
                    if not s.tlast:
                        frame_error.next = 1
                else:
                    wcount.next = wcount + 1
                    if s.tlast:
                        frame_error.next = 1
            buf.next = b
            cnt.next = n

    return insts, comb, seq
