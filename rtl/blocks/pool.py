"""2×2 / stride-2 max-pool on spikes = bitwise OR of four pixels, per t and channel.

An odd last row or column is dropped (``torch.max_pool2d`` floors). One accumulator ``acc`` ORs
the pixels of a block as they arrive (one LUT per bit: ``acc = s | (odd x ? acc : odd row ? head :
0)``) and is the output register. The even row's pairs wait in a shift register of ``W//2 - 1``
pixels; each pair enters it when the next block starts (the row's last pair at the odd row's first
pixel, in the same shift that moves the first pair to the head), so the odd row finds them in
column order at the head. No read multiplexer and no second OR: yosys xc7 maps a 7 × 256-bit pool
to about one LUT per bit and flip-flops, where an addressed row memory took 661 LUT.

Parameters: ``width`` W, ``height`` H (both >= 2), ``pixel_w`` P (= Tmax·C).

Ports: ``s`` (Stream, P bits, H·W beats a frame in raster order; ``last`` resynchronises), ``m`` (Stream, P bits,
``(H//2)·(W//2)`` beats a frame, ``last`` on the frame's last pooled pixel).

Throughput one input pixel per cycle (an input beat waits only while a finished output beat is
not taken). Latency 1 cycle from the completing input pixel to ``m.valid``.

::

    clk      _/‾\\_/‾\\_/‾\\_/‾\\_/‾\\_
    s        ==<(1,0)><(1,1)>=======      odd row: (1,1) completes the 2×2 block
    m.valid  ________________/‾‾‾‾\\__
    m.data   ----------------< OR >--

Usage::

    p = pool(glbl, s, m, width=28, height=28, pixel_w=4 * 32)
"""
from myhdl import Signal, always_comb, always_seq, block, intbv

from ..interfaces import wire


@block
def pool(glbl, s, m, width, height, pixel_w):
    W, H, P = width, height, pixel_w
    if W < 2 or H < 2:
        raise ValueError(f"pool: map {H}x{W} is too small to pool 2x2")
    s.check(P, "pool input")
    m.check(P, "pool output")
    W2, H2 = W // 2, H // 2
    acc = Signal(intbv(0)[P:])
    row = [Signal(intbv(0)[P:]) for _ in range(W2 - 1)]    # row[0]: the oldest waiting pair
    head = row[0] if row else acc                          # one pair per row: it is still in acc
    x = Signal(intbv(0, min=0, max=W))
    y = Signal(intbv(0, min=0, max=H))
    take, in_map, shift = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))

    @always_comb
    def comb():
        take.next = s.valid and (not m.valid or m.ready)
        s.ready.next = not m.valid or m.ready
        in_map.next = x < 2 * W2 and y < 2 * H2

    @always_comb
    def shift_comb():       # a block starts: the previous pair enters the row (and the head leaves)
        shift.next = take and in_map and not x[0] and (y[0] or x != 0)

    insts = [wire(m.data, acc), _shift_register(glbl, shift, acc, row)]

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def seq():
        if m.valid and m.ready:
            m.valid.next = 0
        if take:
            if s.last:                      # resynchronise on the frame's last pixel
                x.next = 0
                y.next = 0
            elif x == W - 1:
                x.next = 0
                if y == H - 1:
                    y.next = 0
                else:
                    y.next = y + 1
            else:
                x.next = x + 1
            if in_map:
                if x[0]:
                    acc.next = acc | s.data
                elif y[0]:
                    acc.next = head | s.data
                else:
                    acc.next = s.data
                if x[0] and y[0]:
                    m.valid.next = 1
                    m.last.next = x == 2 * W2 - 1 and y == 2 * H2 - 1

    return insts, comb, shift_comb, seq


@block
def _shift_register(glbl, en, din, regs):
    """``regs[k] <= regs[k+1]``, ``regs[-1] <= din`` while ``en``. Registers with a reset, one
    block per stage: no memory is inferred, and synthesis keeps flip-flops (clock enable, no LUT)
    instead of packing the chain into shift-register LUTs (one LUT per bit)."""
    srcs = list(regs[1:]) + [din]
    return [_stage(glbl, en, a, b) for a, b in zip(srcs, regs)]


@block
def _stage(glbl, en, d, q):
    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def seq():
        if en:
            q.next = d
    return seq
