"""Integer layer arithmetic of the golden model, vectorised.

Maps are kept channels-last, ``[M, H, W, C]`` (``M`` = frames × time steps), so that a pixel's
channels are contiguous as they are in the accelerator's streams. A conv window is flattened in
``(ky, kx, c)`` order and an fc input in ``(h, w, c)`` order: the *receptive-field order* that the
bitmap file and the hardware use (:func:`receptive_field_matrix` maps the torch-layout weights to it).

Currents are sums of small integers; they are computed with float GEMMs (BLAS), which are exact
while every partial sum stays below 2**24 (float32) or 2**53 (float64) — :func:`_gemm_dtype`
chooses the type from the worst case, so the result is always the exact integer.
"""
import numpy as np

from ..spec import KERNEL

_CHUNK_BYTES = 48 << 20


def receptive_field_matrix(spec, i, weight):
    """Layer ``i``'s torch-layout ``weight`` as a ``[R, Co]`` matrix in receptive-field order."""
    w = np.asarray(weight)
    if spec.layers[i].kind == "conv":                      # [Co, Ci, ky, kx] -> [(ky, kx, ci), Co]
        co = w.shape[0]
        return w.transpose(2, 3, 1, 0).reshape(-1, co)
    (c, h, wd), _ = spec.layer_shapes()[i]                 # [Co, (c, h, w)] -> [(h, w, c), Co]
    co = w.shape[0]
    return w.reshape(co, c, h, wd).transpose(2, 3, 1, 0).reshape(-1, co)


def _gemm_dtype(x_max, w_max, fan_in):
    return np.float32 if x_max * w_max * fan_in < (1 << 24) else np.float64


def windows(x):
    """``[M, H, W, C]`` -> ``[M, H, W, 9*C]``: each pixel's zero-padded 3×3 window, (ky, kx, c) order."""
    m, h, w, c = x.shape
    pad = KERNEL // 2
    xp = np.zeros((m, h + 2 * pad, w + 2 * pad, c), dtype=x.dtype)
    xp[:, pad:pad + h, pad:pad + w] = x
    return np.concatenate([xp[:, ky:ky + h, kx:kx + w] for ky in range(KERNEL) for kx in range(KERNEL)],
                          axis=-1)


def conv_current(x, wmat, x_max=1):
    """Synaptic current of a 3×3/p1 conv: ``x`` ``[M, H, W, Ci]`` non-negative ints, ``wmat``
    ``[9*Ci, Co]`` -> int64 ``[M, H, W, Co]`` (bias not included)."""
    m, h, w, ci = x.shape
    r, co = wmat.shape
    dt = _gemm_dtype(x_max, max(1, int(np.abs(wmat).max(initial=0))), r)
    wf = wmat.astype(dt)
    out = np.empty((m, h, w, co), dtype=np.int64)
    step = max(1, _CHUNK_BYTES // max(1, h * w * r * np.dtype(dt).itemsize))
    for a in range(0, m, step):
        win = windows(x[a:a + step].astype(dt))
        out[a:a + step] = np.rint(win @ wf)
    return out


def fc_current(x, wmat, x_max=1):
    """Synaptic current of an fc layer: ``x`` ``[M, H, W, C]`` -> int64 ``[M, 1, 1, Co]``."""
    m = x.shape[0]
    r, co = wmat.shape
    dt = _gemm_dtype(x_max, max(1, int(np.abs(wmat).max(initial=0))), r)
    return np.rint(x.reshape(m, -1).astype(dt) @ wmat.astype(dt)).astype(np.int64).reshape(m, 1, 1, co)


def current(kind, x, wmat, x_max=1):
    return (conv_current if kind == "conv" else fc_current)(x, wmat, x_max)


def pool(s):
    """2×2/2 OR-pool of spikes ``[M, H, W, C]`` (an odd last row/column is dropped)."""
    m, h, w, c = s.shape
    s = s[:, :h // 2 * 2, :w // 2 * 2]
    return s.reshape(m, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def bit_planes(x, bits):
    """``[M, ...]`` ints of ``bits`` bits -> ``[bits, M, ...]`` binary planes, LSB first."""
    return np.stack([(x >> b) & 1 for b in range(bits)]).astype(np.uint8)
