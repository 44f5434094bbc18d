"""A deliberately naive golden model: Python ints, explicit loops, one neuron at a time.

Different code, same semantics (DESIGN.md §2). Only for tiny models in the tests.
"""
import numpy as np


def _clamp(v, bits):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return max(lo, min(hi, v))


def _first_input(spec, x, n, T):
    """Per t, per channel, a 2-D list of input values (spikes or integer pixels)."""
    c, h, w = spec.input_shape
    if spec.encoding == "events":
        return [[[[int(x[n, t, ci, i, j]) for j in range(w)] for i in range(h)] for ci in range(c)]
                for t in range(T)]
    if spec.encoding == "binary":
        frame = [[[1 if int(x[n, ci, i, j]) >= spec.input_threshold else 0 for j in range(w)]
                  for i in range(h)] for ci in range(c)]
    else:  # bitplane: Σ_b 2^b bit_b of the top input_bits bits
        frame = []
        for ci in range(c):
            rows = []
            for i in range(h):
                row = []
                for j in range(w):
                    v = int(x[n, ci, i, j]) >> (8 - spec.input_bits)
                    row.append(sum((1 << b) * ((v >> b) & 1) for b in range(spec.input_bits)))
                rows.append(row)
            frame.append(rows)
    return [frame for _ in range(T)]


def _conv_currents(inp, weight, bias):
    """inp[ci][h][w] -> I[co][h][w] for a 3x3, stride 1, zero-padded conv."""
    ci_n, h, w = len(inp), len(inp[0]), len(inp[0][0])
    out = []
    for co in range(weight.shape[0]):
        plane = []
        for i in range(h):
            row = []
            for j in range(w):
                acc = int(bias[co])
                for ci in range(ci_n):
                    for ky in range(3):
                        for kx in range(3):
                            y, xx = i + ky - 1, j + kx - 1
                            if 0 <= y < h and 0 <= xx < w:
                                acc += int(weight[co, ci, ky, kx]) * inp[ci][y][xx]
                row.append(acc)
            plane.append(row)
        out.append(plane)
    return out


def _fc_currents(inp, weight, bias):
    flat = [inp[c][i][j] for c in range(len(inp)) for i in range(len(inp[0])) for j in range(len(inp[0][0]))]
    return [[[int(bias[co]) + sum(int(weight[co, k]) * flat[k] for k in range(len(flat)))]]
            for co in range(weight.shape[0])]


def naive_run(model, x, T=None):
    """Logits ``[N, classes]`` as Python ints."""
    spec = model.spec
    T = spec.T if T is None else T
    results = []
    for n in range(x.shape[0]):
        maps = _first_input(spec, x, n, T)          # maps[t][c][h][w]
        for li, (ls, lp) in enumerate(zip(spec.layers, model.layers)):
            f = _conv_currents if ls.kind == "conv" else _fc_currents
            currents = [f(maps[t], lp.weight, lp.bias) for t in range(T)]
            co, h, w = len(currents[0]), len(currents[0][0]), len(currents[0][0][0])
            last = li == len(spec.layers) - 1
            if last and spec.readout == "membrane":
                results.append([sum(currents[t][c][0][0] for t in range(T)) for c in range(co)])
                break
            spikes = [[[[0] * w for _ in range(h)] for _ in range(co)] for _ in range(T)]
            for c in range(co):
                theta = int(lp.threshold[c])
                for i in range(h):
                    for j in range(w):
                        v = 0
                        for t in range(T):
                            decay = (v >> ls.leak) if ls.leak > 0 else 0
                            hh = _clamp(v - decay + currents[t][c][i][j], ls.vbits)
                            s = 1 if hh >= theta else 0
                            spikes[t][c][i][j] = s
                            if s and ls.reset == "zero":
                                v = 0
                            elif s:
                                v = hh - theta
                            else:
                                v = hh
            if last:
                results.append([sum(spikes[t][c][0][0] for t in range(T)) for c in range(co)])
                break
            if ls.pool:
                spikes = [[[[max(spikes[t][c][2 * i + a][2 * j + b] for a in (0, 1) for b in (0, 1))
                             for j in range(w // 2)] for i in range(h // 2)] for c in range(co)]
                          for t in range(T)]
            maps = spikes
    return np.array(results, dtype=np.int64)
