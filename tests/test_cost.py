"""The scan-aware cost model (golden/cost.py) against plain loops: non-zero window words per pixel,
and the engine schedule against a cycle-by-cycle walk of the scan and the lanes."""
import numpy as np
import pytest

from dualspike.golden.cost import (DRAIN, IN_FLIGHT, LAND, WINDOW_GAP, channel_work, lane_order, layer_bounds,
                                   layer_cycles, scan_cycles)
from dualspike.spec import LayerSpec, ModelSpec


def _naive_scan(spec, i, frames, static, n, word):
    """Per pixel: loop over passes and words of the zero-padded 3×3 window (or the fc input)."""
    if static and spec.encoding == "bitplane":
        passes = [(frames >> b) & 1 for b in range(spec.input_bits)]          # each [N, H, W, C]
    else:
        passes = list(frames.reshape(-1, n, *frames.shape[1:]))               # [P][N, H, W, C]
    _, h, w, c = frames.shape
    conv = spec.layers[i].kind == "conv"
    out = np.zeros((n, h * w if conv else 1), dtype=np.int64)
    for f in range(n):
        for pix in range(out.shape[1]):
            y, x = divmod(pix, w)
            for pm in passes:
                if conv:
                    vec = [pm[f, y + dy, x + dx, ch] if 0 <= y + dy < h and 0 <= x + dx < w else 0
                           for dy in (-1, 0, 1) for dx in (-1, 0, 1) for ch in range(c)]
                else:
                    vec = list(pm[f].reshape(-1))
                for a in range(0, len(vec), word):
                    out[f, pix] += any(vec[a:a + word])
    return out


@pytest.mark.parametrize("encoding,kind,word", [("events", "conv", 8), ("events", "conv", 64),
                                                ("bitplane", "conv", 4), ("events", "fc", 16)])
def test_scan_cycles_count_nonzero_window_words(encoding, kind, word):
    rng = np.random.default_rng(word)
    n, static = 2, encoding == "bitplane"
    c = 3 if static else 2                                  # events carry ON/OFF channels
    spec = ModelSpec(name="s", input_shape=(c, 4, 5), encoding=encoding, T=3, input_bits=4,
                     layers=(LayerSpec(kind, 4), LayerSpec("fc", 2)))
    if static:
        frames = rng.integers(0, 16, (n, 4, 5, c)) * (rng.random((n, 4, 5, c)) < 0.3)
    else:
        frames = (rng.random((3 * n, 4, 5, c)) < 0.1).astype(np.uint8)
    got = scan_cycles(spec, 0, frames, static, 3, n, word)
    assert np.array_equal(got, _naive_scan(spec, 0, frames, static, n, word))
    assert got.max() > 0


def _cycle_walk(R, P, groups, blank=None):
    """Cycle by cycle, the cycles ``busy`` is high: the scan starts a unit when it is idle (or in
    the last read of the unit before), the window is there and no lane is IN_FLIGHT units behind;
    a window goes back to the line buffer when its pixel's last group starts and the next one comes
    WINDOW_GAP cycles later; it reads R[k] cycles; the unit lands LAND cycles after its last read; each lane pops
    its units in order, P[k][l] cycles each. A ``blank`` pixel after the frame's first is held
    until every lane is idle and DRAIN cycles have passed since the last pop (one more right after
    the frame's first blank pixel, whose result fills the cache), then emitted in one cycle. busy = reading, or a lane not idle, or a blank pixel held."""
    K, L = len(R), len(P[0])
    npx = K // groups
    blank = blank or [False] * npx
    skip = [blank[p] and any(blank[:p]) for p in range(npx)]
    units = [k for k in range(K) if not skip[k // groups]]      # started units, in order
    landed_at, done, left = {}, [0] * L, [None] * L
    su, px, g, cur, read_end, window_at, t, busy, last_pop = 0, 0, 0, None, None, 0, 0, 0, -DRAIN
    while px < npx or min(done) < len(units):
        last_read = read_end == t
        if last_read:
            landed_at[su - 1] = t + LAND
        reading = cur is not None and cur < t <= read_end
        lanes_busy = any(d < su for d in done)
        scan_free = read_end is None or read_end < t
        hold = px < npx and g == 0 and skip[px] and t >= window_at and scan_free
        busy += reading or lanes_busy or hold
        cached = last_pop + DRAIN + (px > 0 and blank[px - 1] and not skip[px - 1])   # cache filled
        if hold and not lanes_busy and t >= cached:
            px, window_at = px + 1, t + WINDOW_GAP
        elif px < npx and not skip[px] and t >= window_at and (scan_free or last_read) \
                and all(su - d < IN_FLIGHT for d in done):
            cur, read_end, su = t, t + R[units[su]], su + 1
            g += 1
            if g == groups:                            # the window goes back: the next one comes later
                g, px, window_at = 0, px + 1, t + WINDOW_GAP
        for l in range(L):
            k = done[l]
            if k < su and k in landed_at and landed_at[k] <= t:
                left[l] = (P[units[k]][l] if left[l] is None else left[l]) - 1
                last_pop = t
                if left[l] == 0:
                    left[l], done[l] = None, k + 1
        t += 1
    return busy


def test_layer_cycles_follow_the_engine_schedule():
    rng = np.random.default_rng(5)
    for T, n, h, w, co, lanes in ((2, 3, 2, 3, 5, 2), (3, 2, 3, 3, 4, 4), (1, 2, 2, 2, 6, 1)):
        pairs = rng.integers(0, 6, (T, n, h, w, co)) * (rng.random((T, n, h, w, co)) < 0.7)
        scan = rng.integers(1, 12, (n, h * w)) * (rng.random((n, h * w)) < 0.6)     # 0: a blank window
        got = layer_cycles(pairs, lanes, T, False, scan)
        groups = -(-co // lanes)
        for f in range(n):
            R, P = [], []
            for pix in range(h * w):
                y, x = divmod(pix, w)
                for g in range(groups):
                    R.append(max(1, scan[f, pix]))
                    P.append([sum(max(1, pairs[t, f, y, x, c] if c < co else 0) for t in range(T))
                              for c in range(g * lanes, (g + 1) * lanes)])
            blank = list(scan[f] == 0)
            assert got[f] == _cycle_walk(R, P, groups, blank)
            computed = [p for k, p in enumerate(P)                       # all but emitted pixels
                        if not (blank[k // groups] and any(blank[:k // groups]))]
            assert got[f] >= max(map(sum, zip(*computed)))   # no lane pops faster than its own pairs
        b = layer_bounds(pairs, lanes, T, False, scan)
        assert np.all(got >= b.pops) and np.all(got >= b.scan) and np.all(b.pops >= b.pairs)
        assert sum(scan[f] == 0) > 1                         # pixels were emitted


def test_layer_bounds_by_hand():
    """One frame of 3 pixels, 2 channels on 1 lane (2 groups), T = 1: pixel 0 has 3 pairs in
    channel 0 and 4 window words; pixels 1-2 are blank (1, the frame's first, is computed; 2 is
    emitted from the cache and costs the lanes and the scan nothing)."""
    pairs = np.zeros((1, 1, 1, 3, 2), dtype=np.int64)
    pairs[0, 0, 0, 0, 0] = 3
    scan = np.array([[4, 0, 0]])
    b = layer_bounds(pairs, 1, 1, False, scan)
    assert (b.pairs[0], b.pops[0]) == (3, 3 + 1 + 1 + 1)              # channel 1 and pixel 1: bubbles
    assert b.all_pops[0] == b.pops[0]                                   # one lane
    assert b.scan[0] == 4 * 2 + (1 + WINDOW_GAP) - (WINDOW_GAP - 1)    # pixel 1's last group waits for a window
    assert layer_bounds(pairs, 1, 3, True, scan).pops[0] == 6 + 4 * 2  # static: T - 1 repeats a unit
    two = layer_bounds(pairs, 2, 1, False, scan, order=(1, 0))          # channel 0 on lane 1
    assert (two.pairs[0], two.pops[0], two.scan[0]) == (3, 4, 4 + WINDOW_GAP - (WINDOW_GAP - 1))
    assert two.all_pops[0] == 4 + 2                                     # lane 0: bubbles at both pixels


@pytest.mark.parametrize("co,lanes", [(30, 6), (64, 11), (10, 3), (5, 5), (7, 1), (32, 17)])
def test_lane_order_balances_the_lanes(co, lanes):
    """A permutation that keeps each lane's slot count (h = l, l + L, … < Co), puts the heaviest
    channel on a lane with the fewest slots and leaves no lane more loaded than identity's busiest
    one; costing a layer in an order is costing its pairs permuted."""
    rng = np.random.default_rng(co * 100 + lanes)
    work = rng.integers(1, 1000, co) * (1 + 9 * (rng.random(co) < 0.2))       # a few heavy channels
    order = lane_order(work, lanes)
    assert sorted(order) == list(range(co))
    loads = [sum(work[order[h]] for h in range(l, co, lanes)) for l in range(lanes)]
    ident = [sum(work[h] for h in range(l, co, lanes)) for l in range(lanes)]
    fewest = co % lanes                          # the first lane with one slot less (0: all equal)
    assert max(loads) <= max(ident) and order[fewest] == int(np.argmax(work))
    pairs = rng.integers(0, 4, (2, 3, 2, 2, co))
    assert np.array_equal(channel_work(pairs), np.maximum(pairs, 1).sum(axis=(0, 1, 2, 3)))
    scan = rng.integers(0, 5, (3, 4))
    assert np.array_equal(layer_cycles(pairs, lanes, 2, False, scan, order),
                          layer_cycles(pairs[..., list(order)], lanes, 2, False, scan))


def test_lane_order_gives_a_heavy_channel_a_lane_to_itself():
    """32 channels on 17 lanes (15 lanes hold two, 2 hold one): the two channels heavier than a
    lane's share take the one-channel lanes, so the busiest lane carries one heavy channel only."""
    work = np.full(32, 100)
    work[[5, 20]] = 250
    order = lane_order(work, 17)
    assert sorted((order[15], order[16])) == [5, 20]
    assert max(sum(work[order[h]] for h in range(l, 32, 17)) for l in range(17)) == 250
