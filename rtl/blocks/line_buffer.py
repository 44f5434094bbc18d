"""Dataflow orchestrator (line buffer): a pixel stream in, one 3×3 window per output pixel out.

Holds exactly ``(K−1)·W + K = 2W + 3`` pixels of ``P`` bits (a shift register): after pixel
``p + W + 1`` has arrived, the window of output pixel ``p`` sits at fixed taps
``W+1 − dy·W − dx`` (dy, dx ∈ {−1, 0, 1}). At the end of a frame ``W + 1`` zero pixels are shifted
in (flush). Zero padding is not applied to the data: a 9-bit *tap-valid* mask (bit ``ky*3+kx``
= the tap lies inside the map) rides above the pixels and the consumer masks per word, which
costs ``WORD`` gates instead of ``9·P``.

Parameters: ``width`` W, ``height`` H (W >= 1), ``pixel_w`` P.

Ports: ``s`` (Stream, P bits, raster order, H·W beats a frame; ``last`` resynchronises);
``m`` (Stream, ``9·P + 9`` bits: pixel ``ky*3+kx`` at bits ``[k·P, (k+1)·P)``, tap mask at
``[9P, 9P+9)``; ``last`` on the frame's last window).

Throughput: one input pixel per cycle while filling; a window every 2 cycles at best (the
window is held until consumed, then one shift). Latency: the first window after ``W + 2`` pixels.

::

    clk      _/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_
    s.valid  ‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾
    s.ready  ‾‾‾‾‾‾‾\\_______/‾‾‾\\_______/      (shift only while no window is held)
    m.valid  _______/‾‾‾‾‾‾‾\\___/‾‾‾‾‾‾‾\\
    m.ready  ___________/‾‾‾\\_______/‾‾‾\\      (consumer takes window p, then p+1)

Usage::

    lb = line_buffer(glbl, s, m, width=28, height=28, pixel_w=4 * 32)
"""
from myhdl import ConcatSignal, Signal, always_comb, always_seq, block, concat, instances, intbv


@block
def line_buffer(glbl, s, m, width, height, pixel_w):
    W, H, P = width, height, pixel_w
    if W < 1 or H < 1:
        raise ValueError(f"line_buffer: map {H}x{W} must be at least 1x1")
    s.check(P, "line_buffer input")
    m.check(9 * P + 9, "line_buffer output")
    N = 2 * W + 3
    HW = H * W
    sr = Signal(intbv(0)[N * P:])            # pixel i at bits [i*P, (i+1)*P), i = 0 newest
    sc = Signal(intbv(0, min=0, max=HW + W + 2))   # shifts done this frame
    po = Signal(intbv(0, min=0, max=HW + 1))       # output pixel index
    y = Signal(intbv(0, min=0, max=H + 1))
    x = Signal(intbv(0, min=0, max=W + 1))
    hold = Signal(bool(0))
    shift = Signal(bool(0))
    flush = Signal(bool(0))
    tap = Signal(intbv(0)[9:])
    taps = []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            i = W + 1 - dy * W - dx
            taps.append(sr(i) if P == 1 else sr((i + 1) * P, i * P))   # 1-bit: MyHDL needs sr(i)
    win = ConcatSignal(*reversed(taps))

    @always_comb
    def tap_comb():
        v = intbv(0)[9:]
        for ky in range(3):
            for kx in range(3):
                v[ky * 3 + kx] = ((ky != 0 or y != 0) and (ky != 2 or y != H - 1)
                                  and (kx != 0 or x != 0) and (kx != 2 or x != W - 1))
        tap.next = v

    @always_comb
    def ctrl():
        flush.next = sc >= HW
        shift.next = not hold and (sc >= HW or s.valid)
        s.ready.next = not hold and sc < HW
        m.valid.next = hold
        m.last.next = po == HW - 1
        m.data.next = concat(tap, win)

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def seq():
        if shift:
            if flush:
                sr.next = concat(sr[(N - 1) * P:], intbv(0)[P:])
            else:
                sr.next = concat(sr[(N - 1) * P:], s.data)
            if s.last and not flush:
                sc.next = HW                  # resynchronise on the frame's last pixel
            else:
                sc.next = sc + 1
            if sc + 1 == po + W + 2:
                hold.next = 1
        if hold and m.ready:
            hold.next = 0
            if po == HW - 1:
                po.next = 0
                sc.next = 0
                y.next = 0
                x.next = 0
            else:
                po.next = po + 1
                if x == W - 1:
                    x.next = 0
                    y.next = y + 1
                else:
                    x.next = x + 1

    return instances()
