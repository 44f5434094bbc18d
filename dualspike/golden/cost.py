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

Correction for the RTL (issue 5, ``rtl/blocks/sparse_engine.py``): a lane cannot keep a
full-width copy of a 576-bit window within its LUT budget, so it *scans* the window one
``WORD``-bit word per cycle (mask AND spikes) and pops the matched pairs of the previous unit
(pixel, group) meanwhile. Window words with no spike (after zero padding) are skipped by the
controller, so a pixel's scan costs ``S = nz + 4``: ``nz`` = non-zero (pass, word) window words
over the ``NP`` passes (T, or the bit planes B of a static input), 4 = pipeline latency from the
pick of the first word to the pop of the last. Scan and pop meet at a barrier per unit, so unit
``k+1``'s scan overlaps unit ``k``'s pops, ``P_k = Σ_t max_lane(max(1, pairs))`` (static input:
``max_lane(max(1, Σ_b pairs)) + T - 1``). One frame through an idle core costs
``S_0 + Σ_{k<K-1} max(S_{k+1}, P_k) + P_{K-1}`` (the first scan is not hidden, the last pop has no
scan to hide). ``scan_cycles`` gives ``S`` per pixel; ``layer_cycles(..., scan=S)`` the frame;
``scan=None`` (the default) keeps the ideal model above.
"""
from typing import List, NamedTuple, Optional

import numpy as np

from .layers import bit_planes, current, windows

SCAN_LATENCY = 4   # cycles of a unit's scan beyond its non-zero words (RTL sparse_engine)


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


def layer_cycles(pairs, lanes, T, static, scan=None):
    """Cost-model cycles per frame ``[N]`` from ``pairs`` ``[T', N, H, W, Co]``; ``scan``
    (``[N, H*W]``, :func:`scan_cycles`) applies the RTL's per-unit scan/pop overlap (module
    docstring)."""
    tt, n, h, w, co = pairs.shape
    groups = -(-co // lanes)
    p = np.zeros((tt, n, h, w, groups * lanes), dtype=np.int64)
    p[..., :co] = pairs
    per = np.maximum(p, 1).reshape(tt, n, h, w, groups, lanes).max(axis=-1)
    if scan is None:
        cycles = per.sum(axis=(0, 2, 3, 4))
        if static:
            cycles = cycles + (T - 1) * h * w * groups
        return cycles
    unit = per.sum(axis=0).reshape(n, h * w * groups)          # P_k, units in pixel-group order
    if static:
        unit = unit + (T - 1)
    s = np.repeat(np.asarray(scan, dtype=np.int64).reshape(n, h * w), groups, axis=1)   # S per unit
    return s[:, 0] + np.maximum(s[:, 1:], unit[:, :-1]).sum(axis=1) + unit[:, -1]


def scan_cycles(spec, i, frames, static, T, n, word=64):
    """``S`` per pixel ``[N, H*W]`` of layer ``i``'s RTL core (module docstring): the non-zero
    ``word``-bit words of each pass of the pixel's zero-padded window, plus :data:`SCAN_LATENCY`.
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
    return nz.reshape(-1, n, h * w).sum(axis=0) + SCAN_LATENCY


def dense_cycles(spec, i, lanes, T, static):
    (_, h, w), _ = spec.layer_shapes()[i]
    if spec.layers[i].kind == "fc":
        h = w = 1
    groups = -(-spec.layers[i].out_channels // lanes)
    r = spec.fan_in(i)
    per_pixel = (r * (spec.input_bits if spec.encoding == "bitplane" else 1) + T - 1) if static else r * T
    return h * w * groups * per_pixel


def layer_stats(spec, i, frames, static, wmat, T, n, lanes=None, word=None):
    pairs = pair_counts(spec, i, frames, static, wmat, T, n)
    (_, h, w), _ = spec.layer_shapes()[i]
    neurons = spec.layers[i].out_channels * (h * w if spec.layers[i].kind == "conv" else 1)
    st = LayerStats(pairs.sum(axis=(0, 2, 3, 4)), spec.fan_in(i) * neurons * T, None)
    if lanes is not None:
        st = st._replace(lanes=int(lanes), cycles=layer_cycles(pairs, lanes, T, static,
                                                             scan_cycles(spec, i, frames, static, T, n, word)
                                                             if word else None),
                         dense_cycles=dense_cycles(spec, i, lanes, T, static))
    return st


def model_stats(layers, lanes):
    if lanes is None:
        return ModelStats(layers, None, None, None)
    frame = np.max([l.cycles for l in layers], axis=0)
    bound = np.sum([l.pairs for l in layers], axis=0) / float(sum(lanes))
    return ModelStats(layers, frame, bound, bound / frame)
