"""2×2 / stride-2 max-pool on spikes = bitwise OR of four pixels, per t and channel.

An odd last row or column is dropped (``torch.max_pool2d`` floors). The even row's pairwise ORs
wait in a row memory of ``W//2`` pixels; the odd row completes them.

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
from myhdl import Signal, always_comb, always_seq, always, block, instances, intbv


@block
def pool(glbl, s, m, width, height, pixel_w):
    W, H, P = width, height, pixel_w
    if W < 2 or H < 2:
        raise ValueError(f"pool: map {H}x{W} is too small to pool 2x2")
    s.check(P, "pool input")
    m.check(P, "pool output")
    W2, H2 = W // 2, H // 2
    row = [Signal(intbv(0)[P:]) for _ in range(W2)]
    hold = Signal(intbv(0)[P:])
    x = Signal(intbv(0, min=0, max=W))
    y = Signal(intbv(0, min=0, max=H))
    take = Signal(bool(0))
    in_map = Signal(bool(0))
    rd = Signal(intbv(0)[P:])

    @always_comb
    def comb():
        take.next = s.valid and (not m.valid or m.ready)
        s.ready.next = not m.valid or m.ready
        in_map.next = x < 2 * W2 and y < 2 * H2

    @always_comb
    def rd_comb():
        if x < 2 * W2:
            rd.next = row[x >> 1]
        else:
            rd.next = 0

    @always(glbl.clk.posedge)
    def row_mem():
        if take and in_map and not y[0] and x[0]:
            row[x >> 1].next = hold | s.data

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
                if not x[0]:
                    if y[0]:
                        hold.next = s.data | rd
                    else:
                        hold.next = s.data
                elif y[0]:
                    m.data.next = hold | s.data
                    m.valid.next = 1
                    m.last.next = x == 2 * W2 - 1 and y == 2 * H2 - 1

    return instances()
