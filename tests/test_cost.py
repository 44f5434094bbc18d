"""The scan-aware cost model (golden/cost.py) against plain loops: non-zero window words per pixel
and the scan/pop barrier schedule, unit by unit."""
import numpy as np
import pytest

from dualspike.golden.cost import SCAN_LATENCY, layer_cycles, scan_cycles
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
    return out + SCAN_LATENCY


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
    assert got.min() >= SCAN_LATENCY and got.max() > SCAN_LATENCY


def _schedule(S, P):
    """Cycle by cycle: unit k+1's scan starts when unit k's pops start; pops of k+1 start when
    both its scan and k's pops are done."""
    scan_end = S[0]
    pop_end = 0
    for k in range(len(P)):
        pop_start = max(scan_end, pop_end)
        pop_end = pop_start + P[k]
        if k + 1 < len(P):
            scan_end = pop_start + S[k + 1]
    return pop_end


def test_layer_cycles_follow_the_scan_pop_schedule():
    rng = np.random.default_rng(5)
    T, n, h, w, co, lanes = 2, 3, 2, 3, 5, 2
    pairs = rng.integers(0, 6, (T, n, h, w, co))
    scan = rng.integers(SCAN_LATENCY, 20, (n, h * w))
    got = layer_cycles(pairs, lanes, T, False, scan)
    groups = -(-co // lanes)
    for f in range(n):
        S, P = [], []
        for pix in range(h * w):
            y, x = divmod(pix, w)
            for g in range(groups):
                S.append(scan[f, pix])
                P.append(sum(max(1, max(pairs[t, f, y, x, g * lanes:(g + 1) * lanes])) for t in range(T)))
        assert got[f] == _schedule(S, P)
    ideal = layer_cycles(pairs, lanes, T, False)
    assert (ideal <= got).all()
