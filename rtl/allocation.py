"""Lanes per layer from the model's measured work: :class:`PairProfile` measures a model's matched
pairs and window words on sample inputs once, and :func:`auto_lanes` picks the lanes, mask word
widths and lane-FIFO placement with the shortest engine frame interval whose resource estimate
(:func:`~dualspike.rtl.resources.estimate_resources`) fits the board's budget."""
import itertools
from typing import List, NamedTuple, Optional, Tuple

import numpy as np

from dualspike import golden
from dualspike.accel import BOARDS
from dualspike.data import sample_inputs
from dualspike.errors import SpecError
from dualspike.golden.cost import (channel_work, lane_order, layer_bounds, layer_cycles, layer_words, pair_counts,
                                   scan_cycles)
from dualspike.golden.encode import encode
from dualspike.golden.layers import receptive_field_matrix

from .resources import (LANE_LUTS, WORD_AUTO, WORD_DEFAULT, build_words, default_capacities,
                        estimate_resources, fits, lane_luts, lut_limit, memory_bram36)
from .weight_image import core_geometry

FIFO_CHOICES = 6   # auto_lanes tries LUT RAM for the lane FIFOs of up to this many layers (2^6 placements)


class PairProfile:
    """Matched pairs per (t, frame, pixel, channel) and non-zero window words (at each width of
    :data:`LANE_LUTS`) of every layer on sample inputs ``x``: the cost model for any allocation of
    lanes and word widths without re-running the network."""

    def __init__(self, model, x, T=None):
        spec = model.spec
        self.spec, self.T = spec, spec.T if T is None else T
        r = golden.run(model, x, T=self.T, trace=True)
        frames, static, _ = encode(spec, x, self.T)
        n = x.shape[0]
        self.pairs, self.static, self.scan = [], [], {w: [] for w in LANE_LUTS}
        for i, lp in enumerate(model.layers):
            wmat = receptive_field_matrix(spec, i, lp.weight)
            self.pairs.append(pair_counts(spec, i, frames, static, wmat, self.T, n))
            self.static.append(static)
            for w in LANE_LUTS:
                self.scan[w].append(scan_cycles(spec, i, frames, static, self.T, n, w))
            if i + 1 < len(model.layers):
                o = r.traces[i].out                               # [N, T, C, H, W]
                frames = np.ascontiguousarray(o.transpose(1, 0, 3, 4, 2)).reshape(-1, *o.shape[3:], o.shape[2])
                static = False
        self.work = [channel_work(p) for p in self.pairs]       # pop cycles per channel, for orders

    def frame_pairs(self):
        """Matched pairs per frame over every layer (mean over the sample inputs): the numerator of
        the pair bound ``Σ pairs / Σ lanes``."""
        return sum(float(p.sum(axis=(0, 2, 3, 4)).mean()) for p in self.pairs)

    def cycles(self, i, lanes):
        """Golden cost model (DESIGN.md §3): pair cycles only."""
        return float(layer_cycles(self.pairs[i], lanes, self.T, self.static[i]).mean())

    def order(self, i, lanes):
        """Layer ``i``'s channel order for ``lanes`` lanes that balances their loads (:func:`lane_order`)."""
        return lane_order(self.work[i], lanes)

    def orders(self, lanes):
        """:meth:`order` of every layer for a lanes-per-layer allocation."""
        return [self.order(i, L) for i, L in enumerate(lanes)]

    def engine_cycles(self, i, lanes, word=WORD_DEFAULT):
        """The issue-5 engine with ``word``-bit mask words: the golden cost model with the window
        scan (``scan_cycles``), with the channels in the order :meth:`order` gives."""
        return float(layer_cycles(self.pairs[i], lanes, self.T, self.static[i], self.scan[word][i],
                                  self.order(i, lanes)).mean())

    def bounds(self, i, lanes, word=WORD_DEFAULT, order=None):
        """What bounds layer ``i``'s engine cycles (:func:`~dualspike.golden.cost.layer_bounds`) with
        its channels in ``order`` (None: the model's), as means per frame
        ``{"pairs", "pops", "scan"}``."""
        b = layer_bounds(self.pairs[i], lanes, self.T, self.static[i], self.scan[word][i], order)
        return {k: float(v.mean()) for k, v in b._asdict().items()}

    def frame_cycles(self, lanes, word=WORD_DEFAULT, engine=True):
        words = layer_words(word, len(lanes))
        return max(self.engine_cycles(i, L, words[i]) if engine else self.cycles(i, L)
                   for i, L in enumerate(lanes))


def lane_choices(co):
    """Lane counts for ``co`` output channels: every count from 1 to ``co``. A count that does not
    divide the channels leaves some lanes a channel fewer, and :func:`~dualspike.golden.cost.lane_order`
    gives those lanes the heaviest channels, so each count balances the load differently."""
    return list(range(1, co + 1))


class Allocation(NamedTuple):
    """What :func:`auto_lanes` chose: lanes, mask word width and lane-FIFO placement per layer, and
    the profile."""

    lanes: List[int]
    words: Tuple[int, ...]
    profile: PairProfile
    fifo_ram: Tuple[Optional[str], ...]


def auto_lanes(model, board="pynq-z2", x=None, capacities=None, t_max=None, word=WORD_AUTO, target_cycles=None):
    """Lanes (and, for ``word="auto"``, mask word widths) per layer minimising the engine's frame
    interval under the board budget; with ``target_cycles`` (as FINN's ``target_fps``), the build
    with the fewest lane LUTs whose interval is within that many cycles, if one fits the board
    (else the fastest that fits, as without a target).

    Every layer's options are (lanes of :func:`lane_choices`, a width of :data:`LANE_LUTS`, or the
    layer's fixed ``word``) with their cycles (:meth:`PairProfile.engine_cycles` on ``x``). For a
    target interval ``C`` each layer takes, of the options within ``C``, the one with the fewest
    lane LUTs; the smallest ``C`` (of the cycle counts the options reach) whose allocation
    :func:`fits` the board (:func:`estimate_resources`) wins. Each allocation takes the placement of
    the lanes' entry FIFOs (block RAM, or LUT RAM for some of the layers whose FIFOs hold the most
    block RAM) with the fewest LUTs that fits: a board with LUTs to spare, such as the KV260, trades
    them for block RAM and takes more lanes. ``x``: sample inputs (default: 32 of the spec's shape). If even one lane per layer does not
    fit, that is returned.
    """
    if target_cycles is not None and not (isinstance(target_cycles, (int, float)) and target_cycles > 0):
        raise SpecError(f"target_cycles = {target_cycles!r}: give a frame interval in cycles (> 0)")
    spec = model.spec
    if x is None:
        x = sample_inputs(spec, 32)
    caps = capacities or default_capacities(spec, board)
    t_max = t_max or spec.T
    widths = [sorted(LANE_LUTS)] * len(spec.layers) if word == WORD_AUTO else \
        [[w] for w in build_words(spec, word)]
    prof = PairProfile(model, x)
    table = [[(L * lane_luts(ls.kind, w, prof.static[i]), prof.engine_cycles(i, L, w), L, w)
              for w in widths[i] for L in lane_choices(ls.out_channels)]
             for i, ls in enumerate(spec.layers)]

    from .blocks.sparsity_lane import lane_memories
    family = BOARDS[board]["family"]

    def placement(lanes, words):
        """The lane-FIFO placement with the fewest LUTs that fits, or None: every choice of LUT RAM
        for the (at most :data:`FIFO_CHOICES`) layers whose FIFOs hold the most block RAM."""
        if estimate_resources(spec, lanes, caps, t_max, words)["luts"] > lut_limit(board):
            return None                                   # LUT RAM only adds LUTs
        fifo_bram = [lanes[i] * memory_bram36(*lane_memories(core_geometry(
            spec, i, lanes[i], word=words[i], tmax=t_max))[0]) for i in range(n)]
        movable = sorted((i for i in range(n) if fifo_bram[i]), key=lambda i: -fifo_bram[i])[:FIFO_CHOICES]
        best = None
        for k in range(len(movable) + 1):
            for moved in itertools.combinations(movable, k):
                styles = tuple("distributed" if i in moved else None for i in range(n))
                est = estimate_resources(spec, lanes, caps, t_max, words, styles, family)
                if fits(board, est) and (best is None or est["luts"] < best[0]):
                    best = (est["luts"], styles)
        return best and best[1]

    def allocation(limit):
        picks = [min((o for o in options if o[1] <= limit), default=None) for options in table]
        if any(p is None for p in picks):
            return None
        lanes, words = [p[2] for p in picks], tuple(p[3] for p in picks)
        styles = placement(lanes, words)
        return None if styles is None else (lanes, words, styles)

    n = len(spec.layers)
    if target_cycles is not None:
        found = allocation(target_cycles)
        if found is not None:
            return Allocation(found[0], found[1], prof, found[2])
    for limit in sorted({o[1] for options in table for o in options}):
        found = allocation(limit)
        if found is not None:
            return Allocation(found[0], found[1], prof, found[2])
    return Allocation([1] * n, tuple(min(w) for w in widths), prof, (None,) * n)
