"""Per-layer statistics and the DESIGN.md §3 cost model, computed alongside the golden model.

A core with ``L`` lanes processes output channels in groups of ``L``; for each pixel, group and
time step the slowest lane sets the pace, and a step with no matched pair still costs one cycle
(the bias "bubble")::

    cycles(layer) = Σ_pixels Σ_groups Σ_t  max_lane( max(1, pairs[t, pixel, channel]) )

``pairs`` counts (spike = 1, weight ≠ 0) pairs in the window; for a ``bitplane`` input every plane's
bits count. A first layer with a static input (``binary`` or ``bitplane``) computes its current once
and reuses it, so its pairs count at ``t = 0`` only and each later step costs one cycle.
The frame interval is the largest ``cycles`` over the layers; the pair bound is
``Σ pairs / Σ lanes``; utilization = pair bound / frame interval.

Correction for the RTL (issues 5-6, ``rtl/blocks/sparse_engine.py``): a lane cannot keep a
full-width copy of a 576-bit window within its LUT budget, so the core *scans* the window one
``WORD``-bit word per cycle (every lane ANDs it with its mask word and queues the matched bits)
while the lanes pop earlier *units* (pixel, group) from their queues. Window words with no spike
(after zero padding) are skipped, so unit ``k``'s scan reads ``R_k = max(1, nz)`` words (``nz``:
non-zero (pass, word) window words over the ``NP`` passes, ``T`` or the bit planes ``B`` of a
static input; :func:`scan_cycles`). Scans follow each other back to back: the core keeps a copy
of the window and hands the window back to the line buffer when the pixel's last group starts, so
the next pixel's window comes :data:`WINDOW_GAP` cycles after that start and the next pixel's
scan starts in the last read, or when its window comes; a unit's pairs can be popped
:data:`LAND` cycles after its last read. Each lane pops its own queue: lane ``l`` spends
``P_l,k = Σ_t max(1, pairs)`` cycles on unit ``k`` (static input: ``max(1, Σ_b pairs) + T - 1``)
and starts the next unit the cycle after, so lanes drift apart; the scan may run at most
:data:`IN_FLIGHT` units ahead of the slowest lane (the depth of the lane queues)::

    c_k = max(r_{k-1},  F_{k-IN_FLIGHT} + 1,  c_{k-1} + WINDOW_GAP if unit k starts a pixel)
    r_k = c_k + R_k                                     (scan start, last read)
    f_l,k = max(f_l,k-1 + 1, r_k + LAND) + P_l,k - 1    (lane l's last pop of unit k)
    F_k = max_l f_l,k;   frame = F_{K-1}                (c_0 = 0; the `busy` cycles of a frame)

*Blank windows*: a pixel whose window holds no spike (``nz = 0``) gets the bias-only result,
the same for every such pixel of a frame. The frame's first one is computed as above; a conv
core keeps its result in a cache, and every later one is held until the lanes are idle and the
previous pixel is out (:data:`DRAIN` cycles after the last pop, one more right after the first
blank pixel), then emitted in one cycle ``e`` with no unit started (``r = e``). ``busy`` is low
on the cycle after an emission and on the start cycle of a scan that follows one, so those
cycles are not counted. MNIST's background makes 68 % of the first layer's pixels blank.

``scan_cycles`` gives ``R`` per pixel; ``layer_cycles(..., scan=R)`` the frame; ``scan=None``
(the default) keeps the ideal model above.

*Channel order*: a build may give its lanes the channels in another order (``order[h]`` = the
model channel in hardware channel ``h``: lane ``h % L``, group ``h // L``); :func:`lane_order`
balances the lanes' loads (longest processing time first), and ``layer_cycles(..., order=...)``
costs the layer in that order.
"""
from typing import List, NamedTuple, Optional

import numpy as np

from .layers import bit_planes, current, windows

IN_FLIGHT = 4      # units the window scan may run ahead of the slowest lane (RTL sparse_engine)
LAND = 5           # cycles from a unit's last window-word read to its first pop
WINDOW_GAP = 2     # cycles from handing a window back to the line buffer to the next window
DRAIN = 12         # cycles from the last pop to the emission of a blank pixel (its predecessor is out)


def layer_words(word, n):
    """A build's mask word width per layer as a tuple of ``n`` ints: ``word`` is one width for
    every layer or a sequence with one width per layer (each in 1..64)."""
    from ..errors import SpecError

    def width(w):
        return isinstance(w, (int, np.integer)) and not isinstance(w, bool) and 1 <= w <= 64

    ws = (word,) * n if width(word) else word
    if not isinstance(ws, (list, tuple)) or len(ws) != n or not all(map(width, ws)):
        raise SpecError(f"word = {word!r}: give one mask word width (an int in 1..64) or one per layer "
                        f"({n} layers)")
    return tuple(int(w) for w in ws)


class LayerStats(NamedTuple):
    """Per-frame figures of one layer (arrays are ``[N]``)."""

    pairs: np.ndarray                  # matched (spike, non-zero weight) pairs
    dense_synops: int                  # fan_in × neurons × T
    spike_density: Optional[np.ndarray]  # output spikes / (neurons × T), None for a membrane readout
    lanes: Optional[int] = None
    cycles: Optional[np.ndarray] = None   # cost model for `lanes`
    dense_cycles: Optional[int] = None    # the same lanes without any skipping


class ModelStats(NamedTuple):
    layers: List[LayerStats]
    frame_cycles: Optional[np.ndarray]    # [N] the slowest core per frame
    pair_bound: Optional[np.ndarray]      # [N] Σ pairs / Σ lanes
    utilization: Optional[np.ndarray]     # [N] pair_bound / frame_cycles

    def summary(self):
        """Means over the batch, as plain Python numbers (JSON-ready)."""
        d = {"layers": [{"pairs": float(l.pairs.mean()), "dense_synops": l.dense_synops,
                         "spike_density": None if l.spike_density is None else float(l.spike_density.mean()),
                         "lanes": l.lanes,
                         "cycles": None if l.cycles is None else float(l.cycles.mean()),
                         "dense_cycles": l.dense_cycles} for l in self.layers]}
        if self.frame_cycles is not None:
            d.update(frame_cycles=float(self.frame_cycles.mean()), pair_bound=float(self.pair_bound.mean()),
                     utilization=float(self.pair_bound.mean() / self.frame_cycles.mean()))
        return d


def pair_counts(spec, i, frames, static, wmat, T, n):
    """Matched pairs ``[T', N, H, W, Co]`` (``T' = 1`` for a static input)."""
    kind = spec.layers[i].kind
    mask = (wmat != 0).astype(np.int8)
    if static and spec.encoding == "bitplane":
        planes = bit_planes(frames, spec.input_bits)
        p = current(kind, planes.reshape(-1, *frames.shape[1:]), mask)
        return p.reshape(spec.input_bits, n, *p.shape[1:]).sum(axis=0)[None]
    p = current(kind, frames, mask)
    return p.reshape(1 if static else T, n, *p.shape[1:])


def channel_work(pairs):
    """Pop cycles per output channel over the frames of ``pairs`` ``[T', N, H, W, Co]``
    (``Σ max(1, pairs)``): the load :func:`lane_order` balances."""
    return np.maximum(pairs, 1).sum(axis=(0, 1, 2, 3))


def lane_order(work, lanes):
    """A channel order (``order[h]`` = the channel in hardware channel ``h``, lane ``h % lanes``)
    that balances the lanes' summed ``work``: heaviest channel first, each to the least loaded lane
    with a free group (lane ``l`` holds the channels ``h = l, l + lanes, … < Co``); ties go to the
    lane with fewer groups left, then the lower lane, so the heaviest channels start the lanes that
    hold fewer channels (a channel heavier than a lane's share then has a lane to itself).
    Deterministic."""
    work = np.asarray(work, dtype=np.float64)
    co = len(work)
    slots = [list(range(l, co, lanes)) for l in range(lanes)]
    load = np.zeros(lanes)
    order = [0] * co
    for c in sorted(range(co), key=lambda c: (-work[c], c)):
        lane = min((l for l in range(lanes) if slots[l]), key=lambda l: (load[l], len(slots[l]), l))
        order[slots[lane].pop(0)] = c
        load[lane] += work[c]
    return tuple(order)


def lane_units(pairs, lanes, T, static, order=None):
    """``pairs`` in the build's channel ``order``, zero-padded to whole groups ``[T', N, H, W, G·L]``,
    the groups ``G`` and each lane's pop cycles per unit ``[N, H·W·G, L]`` (pixel-group order:
    ``Σ_t max(1, pairs)``, plus ``T - 1`` repeat steps for a static input)."""
    if order is not None:
        pairs = pairs[..., list(order)]
    tt, n, h, w, co = pairs.shape
    groups = -(-co // lanes)
    p = np.zeros((tt, n, h, w, groups * lanes), dtype=np.int64)
    p[..., :co] = pairs
    lane = np.maximum(p, 1).sum(axis=0).reshape(n, h * w * groups, lanes)
    return p, groups, (lane + (T - 1) if static else lane)


def layer_cycles(pairs, lanes, T, static, scan=None, order=None):
    """Cost-model cycles per frame ``[N]`` from ``pairs`` ``[T', N, H, W, Co]``; ``scan``
    (``[N, H*W]``, :func:`scan_cycles`) applies the RTL's scan and per-lane pop schedule
    (:func:`engine_schedule`); ``order``: the build's channel order (None: the model's)."""
    p, groups, lane = lane_units(pairs, lanes, T, static, order)
    tt, n, h, w, _ = p.shape
    if scan is None:
        per = np.maximum(p, 1).reshape(tt, n, h, w, groups, lanes).max(axis=-1)
        cycles = per.sum(axis=(0, 2, 3, 4))
        if static:
            cycles = cycles + (T - 1) * h * w * groups
        return cycles
    words = np.asarray(scan, dtype=np.int64).reshape(n, h * w)
    reads = np.repeat(np.maximum(words, 1), groups, axis=1)
    return engine_schedule(lane, reads, groups, blank=words == 0)


class LayerBounds(NamedTuple):
    """What bounds a layer's engine cycles (:func:`layer_bounds`), per frame ``[N]``: the busiest
    lane's matched ``pairs`` and its ``pops`` (pairs plus bubbles), and the ``scan``'s reads plus
    the gaps between windows, all over the pixels the lanes compute (a conv core answers every blank
    window after the frame's first from its cache); ``all_pops``: the pops of every lane together."""

    pairs: np.ndarray
    pops: np.ndarray
    scan: np.ndarray
    all_pops: np.ndarray


def layer_bounds(pairs, lanes, T, static, scan, order=None):
    """:class:`LayerBounds` of a layer (arguments as :func:`layer_cycles`, ``scan`` required). The
    engine needs at least ``max(pops, scan)`` cycles; more lanes shorten the pops, and the scan
    (which every group of a pixel repeats) only where they leave fewer groups."""
    p, groups, lane = lane_units(pairs, lanes, T, static, order)
    n, hw = p.shape[1], p.shape[2] * p.shape[3]
    words = np.asarray(scan, dtype=np.int64).reshape(n, hw)
    computed = ~emitted_pixels(words == 0)
    keep = np.repeat(computed, groups, axis=1)[..., None]
    pure = p.sum(axis=0).reshape(n, hw * groups, lanes)
    r = np.maximum(words, 1)
    reads = (r * (groups - 1) + np.maximum(r, WINDOW_GAP)) * computed   # a pixel's last group waits for the next window
    pops = (lane * keep).sum(axis=1)
    return LayerBounds((pure * keep).sum(axis=1).max(axis=1), pops.max(axis=1),
                       reads.sum(axis=1) - (WINDOW_GAP - 1), pops.sum(axis=1))


def emitted_pixels(blank):
    """Of the blank pixels ``blank`` ``[N, P]``, those a conv core emits from its cache: every one
    after the frame's first, which the lanes compute."""
    blank = np.asarray(blank, dtype=bool)
    return blank & (np.cumsum(blank, axis=1) > 1)


def engine_schedule(lane, reads, groups, blank=None):
    """The RTL engine's busy cycles per frame ``[N]`` (module docstring) from each lane's pop
    cycles per unit ``lane`` ``[N, K, L]`` and the scan's reads per unit ``reads`` ``[N, K]``
    (``groups`` units per pixel). ``blank`` ``[N, K / groups]``: pixels whose window holds no
    spike; a conv core emits all but the frame's first from its cache (module docstring)."""
    n, k_units, lanes = lane.shape
    rows = np.arange(n)
    fin = np.zeros((n, k_units), dtype=np.int64)          # F of the units started, in order
    started = np.zeros(n, dtype=np.int64)
    f = np.full((n, lanes), -1, dtype=np.int64)             # f_l of the lane's previous unit
    r = np.zeros(n, dtype=np.int64)                         # last read, or the last emission
    end = np.zeros(n, dtype=np.int64)                       # the last busy cycle so far
    idle = np.zeros(n, dtype=np.int64)                      # cycles before ``end`` with busy low
    blank = np.zeros((n, k_units // groups), dtype=bool) if blank is None else np.asarray(blank, dtype=bool)
    cached = emitted_pixels(blank)
    emitted = np.zeros(n, dtype=bool)                       # the previous pixel was emitted
    c_last = np.zeros(n, dtype=np.int64)                    # start of the last scanned pixel's last group
    first = np.zeros(n, dtype=bool)                         # ... was the frame's first blank one
    for px in range(k_units // groups):
        skip = cached[:, px]
        was_first = first
        first = blank[:, px] & ~skip
        # after an emission the window comes WINDOW_GAP cycles later; busy is low until then
        # (and on a scan's start cycle)
        idle += np.where(emitted, np.where(skip, WINDOW_GAP - 1, WINDOW_GAP), 0)
        if skip.any():
            # the cache is filled the cycle after the first blank pixel is taken
            e = np.maximum(r + WINDOW_GAP, f.max(axis=1) + DRAIN + was_first)
            r, end = np.where(skip, e, r), np.where(skip, e, end)
        go = ~skip
        for g in range(groups):
            k = px * groups + g
            c = r
            if g == 0 and px:               # the window comes WINDOW_GAP cycles after the last one was
                c = np.where(emitted, r + WINDOW_GAP, np.maximum(r, c_last + WINDOW_GAP))   # handed back
            back = started - IN_FLIGHT
            c = np.where(back >= 0, np.maximum(c, fin[rows, np.maximum(back, 0)] + 1), c)
            rr = c + reads[:, k]
            if g == groups - 1:
                c_last = np.where(go, c, c_last)
            fn = np.maximum(f + 1, (rr + LAND)[:, None]) + lane[:, k] - 1
            r = np.where(go, rr, r)
            f = np.where(go[:, None], fn, f)
            fin[rows[go], started[go]] = f.max(axis=1)[go]
            started += go
        end = np.where(go, f.max(axis=1), end)
        emitted = skip
    return end - idle


def scan_cycles(spec, i, frames, static, T, n, word=64):
    """Window words the RTL core reads per pixel ``[N, H*W]`` of layer ``i`` (module docstring):
    the non-zero ``word``-bit words of each pass of the pixel's zero-padded window.
    ``frames`` is the layer input ``[T'·N, H, W, C]`` as in :func:`pair_counts`."""
    if static and spec.encoding == "bitplane":
        frames = bit_planes(frames, spec.input_bits).reshape(-1, *frames.shape[1:])
    if spec.layers[i].kind == "conv":
        win = windows(frames)                                        # [P·N, H, W, 9C]
    else:
        win = frames.reshape(frames.shape[0], 1, 1, -1)
    m, h, w, r = win.shape
    nw = -(-r // word)
    padded = np.zeros((m, h, w, nw * word), dtype=bool)
    padded[..., :r] = win != 0
    nz = padded.reshape(m, h, w, nw, word).any(axis=-1).sum(axis=-1)   # [P·N, H, W]
    return nz.reshape(-1, n, h * w).sum(axis=0)


def dense_cycles(spec, i, lanes, T, static):
    (_, h, w), _ = spec.layer_shapes()[i]
    if spec.layers[i].kind == "fc":
        h = w = 1
    groups = -(-spec.layers[i].out_channels // lanes)
    r = spec.fan_in(i)
    per_pixel = (r * (spec.input_bits if spec.encoding == "bitplane" else 1) + T - 1) if static else r * T
    return h * w * groups * per_pixel


def layer_stats(spec, i, frames, static, wmat, T, n, lanes=None, word=None, order=None):
    pairs = pair_counts(spec, i, frames, static, wmat, T, n)
    (_, h, w), _ = spec.layer_shapes()[i]
    neurons = spec.layers[i].out_channels * (h * w if spec.layers[i].kind == "conv" else 1)
    st = LayerStats(pairs.sum(axis=(0, 2, 3, 4)), spec.fan_in(i) * neurons * T, None)
    if lanes is not None:
        st = st._replace(lanes=int(lanes), cycles=layer_cycles(pairs, lanes, T, static,
                                                             scan_cycles(spec, i, frames, static, T, n, word)
                                                             if word else None, order),
                         dense_cycles=dense_cycles(spec, i, lanes, T, static))
    return st


def model_stats(layers, lanes):
    if lanes is None:
        return ModelStats(layers, None, None, None)
    frame = np.max([l.cycles for l in layers], axis=0)
    bound = np.sum([l.pairs for l in layers], axis=0) / float(sum(lanes))
    return ModelStats(layers, frame, bound, bound / frame)
