"""Trained network -> integer model -> weight file, with silent-channel removal and a bit-exact check.

>>> # net = SpikingNet(spec); ... train ...
>>> # model = export(net)                 # IntegerModel of the quant mode's integers
>>> # model, removed = remove_silent(model)
>>> # check_bit_exact(model, x_test)      # torch int mode == golden.run, every logit
"""

import numpy as np
import torch

from dualspike import golden
from dualspike.errors import DualspikeError
from dualspike.golden.lif import LIFParams, lif_run
from dualspike.model import IntegerModel, LayerParams
from .models import int_forward


class ExportError(DualspikeError, RuntimeError):
    """The exported integer model does not reproduce the trained network."""


def export(net):
    """The :class:`~dualspike.model.IntegerModel` of ``net``'s ``quant`` mode (weights, biases and
    thresholds as integers, no scales)."""
    params = [LayerParams(*(a.cpu().numpy() for a in p)) for p in net.integer_params()]
    return IntegerModel(net.spec, params)


def silent_channels(model, i):
    """Output channels of layer ``i`` that can never spike: no positive weight (so, as input
    spikes are ≥ 0, the current is at most the bias every step; the LIF update is monotone in the
    current) and a bias that alone never reaches threshold within ``T`` steps. This includes the
    all-zero-weight channels of DESIGN's silent-channel rule."""
    spec, lp, ls = model.spec, model.layers[i], model.spec.layers[i]
    w = lp.weight.reshape(lp.weight.shape[0], -1)
    no_pos = (w <= 0).all(axis=1)
    cur = np.broadcast_to(lp.bias.astype(np.int64), (spec.T, len(lp.bias)))
    fires = lif_run(np.ascontiguousarray(cur), LIFParams(lp.threshold.astype(np.int64), ls.leak,
                                                        ls.reset, ls.vbits)).any(axis=0)
    return np.flatnonzero(no_pos & ~fires)


def remove_silent(model):
    """Remove silent output channels (never from the readout) and the matching input slices of the
    next layer, repeated until none is left; at least one channel per layer is kept. Returns
    ``(model, removed)`` with ``removed[i]`` the original indices dropped from layer ``i``. The new
    spec has smaller ``out_channels``; the logits are unchanged."""
    spec, layers = model.spec, list(model.layers)
    orig = [np.arange(l.out_channels) for l in spec.layers]
    removed = [[] for _ in spec.layers]
    changed = True
    while changed:
        changed = False
        for i in range(len(layers) - 1):
            cur = IntegerModel(spec, layers)
            silent = silent_channels(cur, i)
            if len(silent) == 0:
                continue
            if len(silent) == spec.layers[i].out_channels:
                silent = silent[1:]
                if len(silent) == 0:
                    continue
            keep = np.setdiff1d(np.arange(spec.layers[i].out_channels), silent)
            removed[i].extend(int(c) for c in orig[i][silent])
            orig[i] = orig[i][keep]
            cur = cur.select_channels(i, keep)
            spec, layers = cur.spec, list(cur.layers)
            changed = True
    return IntegerModel(spec, layers), [sorted(r) for r in removed]


def check_bit_exact(model, x, batch=200, reference=None):
    """Assert that the torch integer mode equals ``golden.run`` on every sample of ``x`` (and, if
    given, ``reference`` int logits, e.g. from before silent-channel removal). Returns the golden
    logits ``[N, classes]``; raises :class:`ExportError` naming the first mismatching sample."""
    params = [(torch.from_numpy(l.weight), torch.from_numpy(l.bias), torch.from_numpy(l.threshold))
              for l in model.layers]
    out = []
    for a in range(0, len(x), batch):
        xb = x[a:a + batch]
        g = golden.run(model, xb).logits
        t = int_forward(model.spec, params, torch.from_numpy(np.ascontiguousarray(xb))).numpy()
        if not np.array_equal(g, t):
            k = int(np.flatnonzero((g != t).any(axis=1))[0])
            raise ExportError(f"torch integer mode and golden model differ on sample {a + k}: "
                              f"torch {t[k].tolist()} vs golden {g[k].tolist()}")
        out.append(g)
    logits = np.concatenate(out)
    if reference is not None and not np.array_equal(logits, reference):
        k = int(np.flatnonzero((logits != reference).any(axis=1))[0])
        raise ExportError(f"logits changed on sample {k}: {reference[k].tolist()} -> {logits[k].tolist()}")
    return logits


def save(model, path, meta=None):
    """Write ``model`` with :func:`dualspike.bitmap.save` when the bitmap writer is installed,
    else as an ``.npz`` fallback (spec JSON plus per-layer arrays). Returns the path written."""
    try:
        from dualspike import bitmap
    except ImportError:
        bitmap = None
    if bitmap is not None and hasattr(bitmap, "save"):
        bitmap.save(model, path, meta=meta)
        return path
    path = str(path) + ".npz" if not str(path).endswith(".npz") else str(path)
    arrays = {f"{k}{i}": v for i, l in enumerate(model.layers) for k, v in zip("wbt", l)}
    np.savez(path, spec=np.array(model.spec.to_json()), **arrays)
    return path


def load(path):
    """Read a model written by :func:`save`."""
    if str(path).endswith(".npz"):
        from dualspike.spec import ModelSpec
        with np.load(path) as d:
            spec = ModelSpec.from_json(str(d["spec"]))
            return IntegerModel(spec, [LayerParams(d[f"w{i}"], d[f"b{i}"], d[f"t{i}"])
                                       for i in range(len(spec.layers))])
    from dualspike import bitmap
    return bitmap.load(path)
