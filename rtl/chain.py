"""The layer-core chain: input pixel stream → conv/pool/fc cores → 32-bit class words.

Built from the per-layer cores in :mod:`dualspike.rtl.blocks` (issue 5); this module only wires
them: one :class:`~dualspike.rtl.interfaces.Stream` between consecutive cores (ready/valid
backpressure end to end), the loader's bus fanned out to each core's ``WeightPort``, the runtime
``T``, per-layer counters latched at each frame's last beat, and each core's ``busy`` flag (the
top counts its cycles)::

    pix ─► core 0 ─► [pool] ─► FIFO ─► core 1 ─► … ─► fc core (readout) ─► serializer ─► out (32-bit)

Each FIFO holds at least one frame of the stream between two cores (``H·W`` beats, at least
:data:`FIFO_MIN_DEPTH` and at most 1,024; block RAM), so consecutive cores work on different
frames instead of throttling each other pixel by pixel.
             │ spikes counted            │                 pairs from each core's counter

Per-layer ``LAYERi_SPIKES`` = output spikes of layer ``i`` (before pooling) in the last frame;
for a ``count`` readout the sum of the counts, for ``membrane`` 0. ``LAYERi_PAIRS`` = matched
pairs, from the core's pair counter.
"""
from myhdl import Signal, always, always_comb, block, intbv, modbv

from dualspike.golden.cost import layer_words

from .blocks.popcount import frame_popcount
from .interfaces import Stream
from .weight_image import core_geometry, lane_images


FIFO_MIN_DEPTH = 512   # one block RAM's depth at 36 bits: a shallower FIFO needs the same block RAMs,
                       # and a 49 x 257-bit one maps to LUT RAM instead (375 LUT against 44, yosys xc7)


def frame_fifo_depth(spec, i, fifo_max=1024):
    """Beats of the frame FIFO after layer ``i`` (after its pool): the layer's output pixels, at
    least :data:`FIFO_MIN_DEPTH`, at most ``fifo_max``."""
    (_, ho, wo) = spec.layer_shapes()[i][1]
    return min(max(ho * wo, FIFO_MIN_DEPTH), int(fifo_max))


# ---- small blocks ------------------------------------------------------------------------------
@block
def serializer(glbl, s, m, total, n, mode_count):
    """``n`` int32 per beat (channel ``c`` at bits ``[32c, 32c+32)``) → ``n`` 32-bit beats, ``last``
    on the n-th. ``total`` latches Σ words of the frame (count readout) or 0 (membrane)."""
    s.check(32 * n, "serializer input")
    m.check(32, "serializer output")
    hold = Signal(intbv(0)[32 * n:])
    k = Signal(intbv(0, min=0, max=n + 1))
    full = Signal(bool(0))
    acc = Signal(modbv(0)[32:])

    @always_comb
    def comb():
        s.ready.next = not full
        m.valid.next = full
        m.data.next = hold[32:0]
        m.last.next = full and k == n - 1

    @always(glbl.clk.posedge)
    def seq():
        if glbl.rst:
            full.next = 0
            k.next = 0
            acc.next = 0
        elif full:
            if m.ready:
                hold.next = hold >> 32
                if mode_count:
                    acc.next = acc + hold[32:0]
                if k == n - 1:
                    full.next = 0
                    k.next = 0
                    if mode_count:
                        total.next = acc + hold[32:0]
                    acc.next = 0
                else:
                    k.next = k + 1
        elif s.valid:
            hold.next = s.data
            full.next = 1
    return comb, seq


@block
def spike_counter(glbl, s, total, width):
    """Counts the set bits of every beat taken on ``s`` (a passive tap); latches the frame's sum
    into ``total`` a few cycles after the ``last`` beat (:func:`~.blocks.popcount.frame_popcount`)."""
    taken = Signal(bool(0))

    @always_comb
    def handshake():
        taken.next = s.valid and s.ready

    return handshake, frame_popcount(glbl, taken, s.data, s.last, total, width)


@block
def port_fanout(bus, port, index, addr_w, data_w):
    """The loader bus → one core's ``WeightPort`` (``we`` only when ``bus.layer == index``)."""
    @always_comb
    def comb():
        port.we.next = bus.we and bus.layer == index
        port.sel.next = bus.sel
        port.lane.next = bus.lane
        port.addr.next = bus.addr[addr_w:]
        port.data.next = bus.data[data_w:]
    return comb


@block
def t_port(t_in, t_out):
    @always_comb
    def comb():
        t_out.next = t_in
    return comb


@block
def stream_fifo(glbl, s, m, depth, width):
    """Synchronous FIFO of ``depth`` beats (``data`` + ``last``) with a registered read (block
    RAM) and an output register; ``s.ready`` while not full. Between cores it holds up to a frame,
    so a core can run a frame ahead of the next and the slowest core alone sets the interval."""
    s.check(width, "stream_fifo input")
    m.check(width, "stream_fifo output")
    mem = [Signal(intbv(0)[width + 1:]) for _ in range(depth)]
    wptr = Signal(intbv(0, min=0, max=depth))
    rptr = Signal(intbv(0, min=0, max=depth))
    count = Signal(intbv(0, min=0, max=depth + 1))
    push, pop = Signal(bool(0)), Signal(bool(0))
    rd = Signal(intbv(0)[width + 1:])
    wd = Signal(intbv(0)[width + 1:])

    @always_comb
    def comb():
        s.ready.next = count < depth
        push.next = s.valid and count < depth
        pop.next = count != 0 and (not m.valid or m.ready)
        wd.next = (s.last << width) | s.data
        m.data.next = rd[width:]
        m.last.next = rd[width]

    @always(glbl.clk.posedge)
    def ram():
        if push:
            mem[int(wptr)].next = wd
        if pop:
            rd.next = mem[int(rptr)]

    @always(glbl.clk.posedge)
    def ctl():
        if glbl.rst:
            wptr.next = 0
            rptr.next = 0
            count.next = 0
            m.valid.next = 0
        else:
            if push:                       # wrap by compare: a `%` by a non-power of two is a divider
                wptr.next = 0 if wptr == depth - 1 else wptr + 1
            if pop:
                rptr.next = 0 if rptr == depth - 1 else rptr + 1
                m.valid.next = 1
            elif m.ready:
                m.valid.next = 0
            if push and not pop:
                count.next = count + 1
            elif pop and not push:
                count.next = count - 1
    return comb, ram, ctl


# ---- the chain ---------------------------------------------------------------------------------
@block
def core_chain(glbl, pix, out, t, bus, spikes, pairs, busy, cfg):
    """``TopConfig.chain``: every layer's core, pools, counters and the output serializer."""
    from .blocks.conv_core import conv_core, weight_port_for
    from .blocks.fc_core import fc_core
    from .blocks.pool import pool
    spec, tmax = cfg.spec, cfg.t_max
    nl = len(spec.layers)
    words = layer_words(cfg.word, nl)
    insts, cur = [], pix
    for i, ls in enumerate(spec.layers):
        L, cap = int(cfg.lanes[i]), int(cfg.capacities[i])
        geo = core_geometry(spec, i, L, word=words[i], tmax=tmax, value_depth=max(1, -(-cap // L)),
                            order=cfg.order[i] if cfg.order else None,
                            fifo_ram=cfg.fifo_ram[i] if cfg.fifo_ram else None)
        images = lane_images(spec, i, geo, cfg.model) if cfg.model is not None else None
        wport = weight_port_for(geo)
        insts.append(port_fanout(bus, wport, i, len(wport.addr), len(wport.data)))
        T = Signal(intbv(tmax, min=0, max=tmax + 1))
        insts.append(t_port(t, T))
        readout = i == nl - 1
        m = Stream(32 * ls.out_channels if readout else tmax * ls.out_channels)
        core = conv_core if ls.kind == "conv" else fc_core
        insts.append(core(glbl, cur, m, wport, T, busy[i], geo=geo, images=images, pairs=pairs[i]))
        if readout:
            insts.append(serializer(glbl, m, out, spikes[i], ls.out_channels, spec.readout == "count"))
        else:
            insts.append(spike_counter(glbl, m, spikes[i], tmax * ls.out_channels))
        if ls.pool:
            pooled = Stream(tmax * ls.out_channels)
            (_, hin, win), _ = spec.layer_shapes()[i]
            insts.append(pool(glbl, m, pooled, width=win, height=hin, pixel_w=tmax * ls.out_channels))
            cur = pooled
        else:
            cur = m
        if not readout and cfg.extra.get("fifo", True):
            depth = frame_fifo_depth(spec, i, cfg.extra.get("fifo_max", 1024))
            if depth >= 2:
                buffered = Stream(tmax * ls.out_channels)
                insts.append(stream_fifo(glbl, cur, buffered, depth, tmax * ls.out_channels))
                cur = buffered
    return insts
