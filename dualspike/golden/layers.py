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
    """``[M, H, W, C]`` -> ``[M, H, W, 9*C]``: each pixel's zero-padded 3×3 window in (ky, kx, c)
    order — what the line buffer emits for a pixel."""
    m, h, w, c = x.shape
    xp = np.zeros((m, h + 2, w + 2, c), dtype=x.dtype)
    xp[:, 1:h + 1, 1:w + 1] = x
    return np.concatenate([xp[:, ky:ky + h, kx:kx + w] for ky in range(KERNEL) for kx in range(KERNEL)],
                          axis=-1)


def row_windows(x):
    """``[M, H, W, C]`` -> ``[M, H, W, 3*C]``: each pixel's zero-padded 1×3 row, (kx, c) order."""
    m, h, w, c = x.shape
    xp = np.zeros((m, h, w + 2, c), dtype=x.dtype)
    xp[:, :, 1:w + 1] = x
    return np.concatenate([xp[:, :, kx:kx + w] for kx in range(KERNEL)], axis=-1)


def conv_current(x, wmat, x_max=1):
    """Synaptic current of a 3×3/p1 conv: ``x`` ``[M, H, W, Ci]`` non-negative ints, ``wmat``
    ``[9*Ci, Co]`` in (ky, kx, ci) order -> int32 ``[M, H, W, Co]`` (bias not included).

    One GEMM of the 1×3 row windows against the three kernel rows side by side gives, per pixel,
    the partial sums of rows ky = 0, 1, 2; the output row y adds row ky's partial of input row
    ``y + ky - 1`` (zero outside the map).
    """
    m, h, w, ci = x.shape
    r, co = wmat.shape
    dt = _gemm_dtype(x_max, max(1, int(np.abs(wmat).max(initial=0))), r)
    w3 = np.concatenate([wmat[ky * 3 * ci:(ky + 1) * 3 * ci] for ky in range(KERNEL)], axis=1).astype(dt)
    out = np.empty((m, h, w, co), dtype=np.int32)
    step = max(1, _CHUNK_BYTES // max(1, h * w * 3 * max(ci, co) * np.dtype(dt).itemsize))
    for a in range(0, m, step):
        g = (row_windows(x[a:a + step].astype(dt)) @ w3).reshape(-1, h, w, KERNEL, co)
        acc = g[:, :, :, 1].copy()
        acc[:, 1:] += g[:, :-1, :, 0]
        acc[:, :-1] += g[:, 1:, :, 2]
        out[a:a + step] = acc
    return out


def fc_current(x, wmat, x_max=1):
    """Synaptic current of an fc layer: ``x`` ``[M, H, W, C]`` -> int32 ``[M, 1, 1, Co]``."""
    m = x.shape[0]
    r, co = wmat.shape
    dt = _gemm_dtype(x_max, max(1, int(np.abs(wmat).max(initial=0))), r)
    return (x.reshape(m, -1).astype(dt) @ wmat.astype(dt)).astype(np.int32).reshape(m, 1, 1, co)


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
