"""The golden model: the numpy integer reference every other stage must reproduce bit for bit.

>>> from dualspike.spec import builtin
>>> from dualspike.model import random_model
>>> import numpy as np
>>> m = random_model(builtin("scnn5-mnist"), density=0.06, seed=1)
>>> x = np.random.default_rng(0).integers(0, 256, (2, 1, 28, 28), dtype=np.uint8)
>>> r = run(m, x)
>>> r.logits.shape, r.classes.shape
((2, 10), (2,))
"""
from typing import List, NamedTuple, Optional

import numpy as np

from ..errors import InputError
from .cost import LayerStats, ModelStats, layer_stats, layer_words, model_stats
from .encode import check_input, encode
from .layers import current, pool, receptive_field_matrix
from .lif import LIFParams, lif_run

__all__ = ["run", "Result", "LayerTrace", "LayerStats", "ModelStats", "check_input", "encode"]


class LayerTrace(NamedTuple):
    """Per-layer signals, channels-first: ``current`` int ``[N, T, Co, H, W]`` (bias included),
    ``spikes`` uint8 ``[N, T, Co, H, W]`` before pooling, ``out`` after pooling."""

    current: np.ndarray
    spikes: np.ndarray
    out: np.ndarray


class Result(NamedTuple):
    """``logits`` int32 ``[N, classes]`` (membrane sums or spike counts), ``classes`` ``[N]``
    (argmax, ties to the lowest index), optional ``traces`` and ``stats``."""

    logits: np.ndarray
    classes: np.ndarray
    traces: Optional[List[LayerTrace]] = None
    stats: Optional[ModelStats] = None


def _to_nchw(a, T, n):
    """``[T*N or N, H, W, C]`` -> ``[N, T, C, H, W]`` (a static map is repeated over T)."""
    a = a.reshape(-1, n, *a.shape[1:])
    a = np.broadcast_to(a, (T,) + a.shape[1:])
    return np.ascontiguousarray(a.transpose(1, 0, 4, 2, 3))


CHUNK = 8   # frames per pass: small enough that a layer's maps stay in cache


def run(model, x, T=None, trace=False, stats=False, lanes=None, word=None, order=None):
    """Run ``model`` on a batch ``x`` (see :mod:`dualspike.golden.encode` for shapes).

    ``T`` overrides the spec's time steps (runtime T). ``trace=True`` returns per-layer
    :class:`LayerTrace`; ``stats=True`` (or ``lanes`` given) returns :class:`ModelStats` with
    pairs, spike densities and, for a lanes-per-layer allocation, the cost-model cycles; ``word``
    (bits, e.g. 64, or one width per layer) selects the RTL engine's scan-aware form of the cost
    model (see ``cost``); ``order``: the build's channel order per layer (``None`` entries, or
    ``None``: the model's order; ``AcceleratorDescription.order``).
    The batch is processed :data:`CHUNK` frames at a time; results are the same for any chunking.
    """
    check_input(model.spec, x)
    if word is not None:
        word = layer_words(word, len(model.spec.layers))
    order = order or [None] * len(model.spec.layers)
    parts = [_run(model, x[a:a + CHUNK], T, trace, stats, lanes, word, order)
             for a in range(0, max(1, len(x)), CHUNK)]
    return parts[0] if len(parts) == 1 else _merge(parts, lanes)


def _cat(arrays):
    return None if arrays[0] is None else np.concatenate(arrays)


def _merge(parts, lanes):
    traces = None
    if parts[0].traces is not None:
        traces = [LayerTrace(*(_cat([p.traces[i][f] for p in parts]) for f in range(3)))
                  for i in range(len(parts[0].traces))]
    st = None
    if parts[0].stats is not None:
        layers = [parts[0].stats.layers[i]._replace(
            pairs=_cat([p.stats.layers[i].pairs for p in parts]),
            spike_density=_cat([p.stats.layers[i].spike_density for p in parts]),
            cycles=_cat([p.stats.layers[i].cycles for p in parts])) for i in range(len(parts[0].stats.layers))]
        st = model_stats(layers, lanes)
    logits = np.concatenate([p.logits for p in parts])
    return Result(logits, np.argmax(logits, axis=1), traces, st)


def _run(model, x, T, trace, stats, lanes, word, order):
    spec = model.spec
    T = spec.T if T is None else T
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise InputError(f"T = {T!r} must be a positive int")
    frames, static, x_max = encode(spec, x, T)
    n = x.shape[0]
    traces, per_layer = [], []
    logits = None
    for i, (ls, lp) in enumerate(zip(spec.layers, model.layers)):
        wmat = receptive_field_matrix(spec, i, lp.weight)
        cur = current(ls.kind, frames, wmat, x_max) + lp.bias          # [M, H, W, Co]
        cur = cur.reshape(-1, n, *cur.shape[1:])                        # [T or 1, N, H, W, Co]
        cur = np.broadcast_to(cur, (T,) + cur.shape[1:])
        last = i == len(spec.layers) - 1
        if stats or lanes is not None:
            per_layer.append(layer_stats(spec, i, frames, static, wmat, T, n,
                                         None if lanes is None else lanes[i],
                                         None if word is None else word[i], order[i]))
        if last and spec.readout == "membrane":
            logits = cur.sum(axis=0).reshape(n, -1)
            spikes = None
        else:
            bound = int(np.abs(wmat).sum(axis=0).max(initial=0)) * x_max + int(np.abs(lp.bias).max())
            dtype = np.int32 if bound < (1 << 29) and ls.vbits <= 28 else np.int64
            p = LIFParams(lp.threshold.astype(dtype), ls.leak, ls.reset, ls.vbits)
            spikes = lif_run(cur, p, dtype)                                  # [T, N, H, W, Co]
            if last:
                logits = spikes.sum(axis=0, dtype=np.int64).reshape(n, -1)
        if stats or lanes is not None:
            per_layer[-1] = per_layer[-1]._replace(
                spike_density=None if spikes is None else spikes.reshape(T, n, -1).mean(axis=(0, 2)))
        out = None
        if spikes is not None:
            out = pool(spikes.reshape(T * n, *spikes.shape[2:])) if ls.pool else \
                spikes.reshape(T * n, *spikes.shape[2:])
        if trace:
            traces.append(LayerTrace(
                _to_nchw(cur.reshape(T * n, *cur.shape[2:]), T, n).astype(np.int32),
                None if spikes is None else _to_nchw(spikes.reshape(T * n, *spikes.shape[2:]), T, n),
                None if out is None else _to_nchw(out, T, n)))
        frames, static, x_max = out, False, 1
    logits = logits.astype(np.int32)
    return Result(logits, np.argmax(logits, axis=1), traces if trace else None,
                  model_stats(per_layer, lanes) if (stats or lanes is not None) else None)
