"""The integer model: a spec plus, per layer, integer weights, bias and threshold.

Build one by hand from numpy arrays::

    spec = builtin("scnn5-mnist")
    layers = [LayerParams(weight=w0, bias=b0, threshold=t0), ...]   # one per spec layer
    model = IntegerModel(spec, layers)

Array layout per layer ``i`` (``spec.weight_shape(i)``):

- conv: ``weight`` int ``[Co, Ci, 3, 3]`` (torch's layout), fc: ``weight`` int ``[Co, C*H*W]`` with
  the input flattened in ``(c, h, w)`` order as ``torch.flatten`` of an NCHW tensor;
- ``bias`` int ``[Co]`` within ``bbits``; ``threshold`` int ``[Co]``, ``1 <= θ <= 2**(vbits-1) - 1``.

Construction validates every array and raises :class:`~dualspike.errors.ModelError` naming the
layer and the field; a model that exists is a valid model.
"""
import dataclasses
from typing import NamedTuple

import numpy as np

from .errors import ModelError
from .fixedpoint import signed_range
from .spec import ModelSpec


class LayerParams(NamedTuple):
    """Integer parameters of one layer (see the module docstring for shapes)."""

    weight: np.ndarray
    bias: np.ndarray
    threshold: np.ndarray


def _as_int_array(where, a, shape, lo, hi):
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise ModelError(f"{where} must hold integers, got dtype {a.dtype}")
    if a.shape != tuple(shape):
        raise ModelError(f"{where} has shape {a.shape}, the spec needs {tuple(shape)}")
    if a.size and (a.min() < lo or a.max() > hi):
        bad = a[(a < lo) | (a > hi)].ravel()[0]
        raise ModelError(f"{where} holds {int(bad)}, outside the range [{lo}, {hi}]")
    return a.astype(np.int32)


class IntegerModel:
    """A validated integer model: ``spec`` and ``layers`` (a tuple of :class:`LayerParams`)."""

    def __init__(self, spec, layers):
        if not isinstance(spec, ModelSpec):
            raise ModelError(f"spec must be a ModelSpec, got {type(spec).__name__}")
        layers = list(layers)
        if len(layers) != len(spec.layers):
            raise ModelError(f"{len(layers)} layer arrays given, the spec has {len(spec.layers)} layers")
        checked = []
        for i, (ls, lp) in enumerate(zip(spec.layers, layers)):
            w, b, t = (lp.weight, lp.bias, lp.threshold) if isinstance(lp, LayerParams) else lp
            co = ls.out_channels
            checked.append(LayerParams(
                _as_int_array(f"layers[{i}].weight", w, spec.weight_shape(i), *signed_range(ls.wbits)),
                _as_int_array(f"layers[{i}].bias", b, (co,), *signed_range(ls.bbits)),
                _as_int_array(f"layers[{i}].threshold", t, (co,), 1, signed_range(ls.vbits)[1])))
        self.spec = spec
        self.layers = tuple(checked)

    def __eq__(self, other):
        return (isinstance(other, IntegerModel) and self.spec == other.spec and all(
            np.array_equal(a, b) for la, lb in zip(self.layers, other.layers) for a, b in zip(la, lb)))

    def __repr__(self):
        return f"IntegerModel({self.spec.name!r}, {len(self.layers)} layers, sparsity {self.sparsity():.2%})"

    def nonzeros(self):
        """Non-zero weights per layer."""
        return [int(np.count_nonzero(lp.weight)) for lp in self.layers]

    def sparsity(self, layer=None):
        """Fraction of zero weights, over the whole model or one layer."""
        if layer is not None:
            w = self.layers[layer].weight
            return 1.0 - np.count_nonzero(w) / w.size
        total = sum(lp.weight.size for lp in self.layers)
        return 1.0 - sum(self.nonzeros()) / total

    def dense_int4_bytes(self):
        """Bytes of the weights stored densely at ``wbits`` each (the packing baseline)."""
        return sum((lp.weight.size * ls.wbits + 7) // 8 for lp, ls in zip(self.layers, self.spec.layers))

    def replace_spec(self, spec):
        return IntegerModel(spec, self.layers)

    def select_channels(self, i, keep):
        """The model with layer ``i``'s output channels ``keep`` (indices, in their new order: a
        subset drops channels, a permutation reorders them) and the matching input channels of
        layer ``i + 1``. The readout layer's channels are the classes and cannot be selected. A
        permutation leaves every logit unchanged; dropping a channel does when it never spikes."""
        n = len(self.layers)
        if not 0 <= i < n - 1:
            raise ModelError(f"layer {i}: only the output channels of layers 0..{n - 2} can be selected "
                             f"(layer {n - 1} is the readout)")
        co = self.spec.layers[i].out_channels
        keep = np.asarray(keep, dtype=np.int64).ravel()
        if keep.size == 0 or keep.min() < 0 or keep.max() >= co or len(np.unique(keep)) != keep.size:
            raise ModelError(f"layer {i}: keep must be distinct channel indices in 0..{co - 1}, got {keep.tolist()}")
        layers = list(self.layers)
        w, b, t = layers[i]
        layers[i] = LayerParams(w[keep], b[keep], t[keep])
        nxt = layers[i + 1]
        if self.spec.layers[i + 1].kind == "conv":
            nw = nxt.weight[:, keep]
        else:                                              # fc input flattened in (c, h, w) order
            (c, h, wd), _ = self.spec.layer_shapes()[i + 1]
            nw = nxt.weight.reshape(-1, c, h, wd)[:, keep].reshape(nxt.weight.shape[0], -1)
        layers[i + 1] = LayerParams(nw, nxt.bias, nxt.threshold)
        specs = list(self.spec.layers)
        specs[i] = dataclasses.replace(specs[i], out_channels=int(keep.size))
        return IntegerModel(self.spec.replace(layers=tuple(specs)), layers)


def random_model(spec, density=0.06, seed=0):
    """A seeded random model: each weight is non-zero with probability ``density``, drawn uniformly
    from the non-zero values of ``wbits``; thresholds are set so that a typical layer fires."""
    if not 0.0 <= density <= 1.0:
        raise ModelError(f"density = {density} must be in [0, 1]")
    rng = np.random.default_rng(seed)
    layers = []
    for i, ls in enumerate(spec.layers):
        lo, hi = signed_range(ls.wbits)
        shape = spec.weight_shape(i)
        values = rng.integers(lo, hi, size=shape, endpoint=True)
        values[values == 0] = hi
        w = np.where(rng.random(shape) < density, values, 0)
        blo, bhi = signed_range(ls.bbits)
        b = rng.integers(max(blo, -4), min(bhi, 4), size=ls.out_channels, endpoint=True)
        # expected |current| grows with sqrt(active pairs); a bitplane first layer sees pixel
        # values x >> (8 - B), about 127 for B = 8
        scale = 127.0 * ((1 << spec.input_bits) - 1) / 255 if (i == 0 and spec.encoding == "bitplane") else 1.0
        active = spec.fan_in(i) * max(density, 1e-3) * 0.3
        typical = scale * (abs(lo) / 2) * np.sqrt(active) + 1
        vmax = signed_range(ls.vbits)[1]
        t = np.clip(np.round(typical * rng.uniform(0.5, 1.5, ls.out_channels)), 1, vmax)
        layers.append(LayerParams(w, b, t.astype(np.int64)))
    return IntegerModel(spec, layers)
