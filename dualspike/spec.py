"""The model spec: one typed, frozen description of a spiking conv net, read by every stage.

A :class:`ModelSpec` names the input (shape, encoding, ``T``), the layers and the readout. It is
serialised to JSON with a schema version; :func:`ModelSpec.from_dict` rejects unknown keys, wrong
types and inconsistent shapes with a :class:`~dualspike.errors.SpecError` naming the field.

Layer kinds (DESIGN.md §2):

- ``conv``: 3×3 convolution, stride 1, zero padding 1, then LIF; ``pool=True`` adds a 2×2/2 OR-pool
  on the spikes
  (an odd last row or column is dropped, as ``torch.max_pool2d`` floors).
- ``fc``: fully connected over the flattened ``(c, h, w)`` input, then LIF. The last layer is the
  readout and must be ``fc``.

>>> spec = builtin("scnn5-mnist")
>>> [l.out_channels for l in spec.layers]
[32, 32, 64, 64, 10]
>>> spec.layer_shapes()[-1]
((64, 3, 3), (10, 1, 1))
"""
import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Tuple

from .errors import SpecError

SCHEMA_VERSION = 1
ENCODINGS = ("binary", "bitplane", "events")
RESETS = ("zero", "subtract")
READOUTS = ("membrane", "count")
KINDS = ("conv", "fc")
KERNEL = 3


def _check_int(where, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{where} must be an int, got {type(value).__name__} {value!r}")
    if not lo <= value <= hi:
        raise SpecError(f"{where} = {value} is outside [{lo}, {hi}]")


def _check_choice(where, value, choices):
    if value not in choices:
        raise SpecError(f"{where} = {value!r} is not one of {', '.join(choices)}")


@dataclass(frozen=True)
class LayerSpec:
    """One layer: ``kind`` conv|fc, ``out_channels``, optional 2×2 ``pool`` (conv only), leak shift
    ``leak`` (k; 0 = IF), ``reset`` zero|subtract, and the signed widths of weights, bias and membrane."""

    kind: str
    out_channels: int
    pool: bool = False
    leak: int = 1
    reset: str = "subtract"
    wbits: int = 4
    bbits: int = 8
    vbits: int = 16

    def validate(self, where):
        _check_choice(f"{where}.kind", self.kind, KINDS)
        _check_int(f"{where}.out_channels", self.out_channels, 1, 4096)
        if not isinstance(self.pool, bool):
            raise SpecError(f"{where}.pool must be true or false, got {self.pool!r}")
        if self.pool and self.kind != "conv":
            raise SpecError(f"{where}.pool: only conv layers can pool")
        _check_int(f"{where}.wbits", self.wbits, 2, 8)
        _check_int(f"{where}.vbits", self.vbits, 4, 32)
        _check_int(f"{where}.bbits", self.bbits, 2, self.vbits)
        _check_int(f"{where}.leak", self.leak, 0, self.vbits - 1)
        _check_choice(f"{where}.reset", self.reset, RESETS)


@dataclass(frozen=True)
class ModelSpec:
    """A whole network. ``input_shape`` is ``(C, H, W)``. Encodings: ``binary`` (pixel ≥
    ``input_threshold``), ``bitplane`` (the top ``input_bits`` bits of a uint8 pixel, weighted by
    ``2^b``), ``events`` (2 channels ON/OFF per time step)."""

    name: str
    input_shape: Tuple[int, int, int]
    encoding: str
    T: int
    layers: Tuple[LayerSpec, ...]
    readout: str = "membrane"
    input_bits: int = 8
    input_threshold: int = 128
    schema_version: int = field(default=SCHEMA_VERSION)

    def __post_init__(self):
        object.__setattr__(self, "input_shape", tuple(self.input_shape))
        object.__setattr__(self, "layers", tuple(self.layers))
        self.validate()

    # ---- checks ------------------------------------------------------------------------------
    def validate(self):
        if not isinstance(self.name, str) or not self.name:
            raise SpecError(f"name must be a non-empty string, got {self.name!r}")
        if self.schema_version != SCHEMA_VERSION:
            raise SpecError(f"schema_version = {self.schema_version!r}; this dualspike reads "
                            f"version {SCHEMA_VERSION}")
        if len(self.input_shape) != 3:
            raise SpecError(f"input_shape must be [C, H, W], got {list(self.input_shape)}")
        for axis, v in zip("CHW", self.input_shape):
            _check_int(f"input_shape.{axis}", v, 1, 4096)
        _check_choice("encoding", self.encoding, ENCODINGS)
        if self.encoding == "events" and self.input_shape[0] != 2:
            raise SpecError(f"input_shape.C = {self.input_shape[0]}: the events encoding has "
                            "2 channels (ON, OFF)")
        _check_int("T", self.T, 1, 256)
        _check_int("input_bits", self.input_bits, 1, 8)
        _check_int("input_threshold", self.input_threshold, 1, 255)
        _check_choice("readout", self.readout, READOUTS)
        if not self.layers:
            raise SpecError("layers: a model needs at least one layer")
        seen_fc = False
        c, h, w = self.input_shape
        for i, layer in enumerate(self.layers):
            where = f"layers[{i}]"
            if not isinstance(layer, LayerSpec):
                raise SpecError(f"{where} must be a LayerSpec, got {type(layer).__name__}")
            layer.validate(where)
            if layer.kind == "conv" and seen_fc:
                raise SpecError(f"{where}.kind: a conv layer cannot follow an fc layer")
            if layer.pool and (h < 2 or w < 2):
                raise SpecError(f"{where}.pool: the map {h}x{w} is too small to pool 2x2")
            seen_fc = seen_fc or layer.kind == "fc"
            if layer.pool:
                h, w = h // 2, w // 2
            if layer.kind == "fc":
                h = w = 1
        if self.layers[-1].kind != "fc":
            raise SpecError(f"layers[{len(self.layers) - 1}].kind: the last layer is the readout "
                            "and must be fc")

    # ---- derived shapes ----------------------------------------------------------------------
    def layer_shapes(self):
        """``[(in_shape, out_shape), ...]`` per layer, each ``(C, H, W)``; out is after pooling."""
        shapes, shape = [], tuple(self.input_shape)
        for layer in self.layers:
            c, h, w = shape
            if layer.kind == "conv":
                out = (layer.out_channels, h // 2, w // 2) if layer.pool else (layer.out_channels, h, w)
            else:
                out = (layer.out_channels, 1, 1)
            shapes.append((shape, out))
            shape = out
        return shapes

    def fan_in(self, i):
        """Receptive-field size of layer ``i`` (bits of its window): 9·Ci for conv, C·H·W for fc."""
        (c, h, w), _ = self.layer_shapes()[i]
        return c * KERNEL * KERNEL if self.layers[i].kind == "conv" else c * h * w

    def weight_shape(self, i):
        (c, h, w), _ = self.layer_shapes()[i]
        co = self.layers[i].out_channels
        return (co, c, KERNEL, KERNEL) if self.layers[i].kind == "conv" else (co, c * h * w)

    @property
    def num_classes(self):
        return self.layers[-1].out_channels

    # ---- serialisation -----------------------------------------------------------------------
    def to_dict(self):
        d = dataclasses.asdict(self)
        d["input_shape"] = list(self.input_shape)
        d["layers"] = list(d["layers"])
        return d

    def to_json(self, indent=None):
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    def digest(self):
        """SHA-256 of the canonical JSON; the first 8 hex digits are the accelerator's spec hash."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def hash32(self):
        return int(self.digest()[:8], 16)

    @classmethod
    def from_dict(cls, d):
        if not isinstance(d, dict):
            raise SpecError(f"a spec must be a JSON object, got {type(d).__name__}")
        _reject_unknown("spec", d, cls)
        d = dict(d)
        if "layers" not in d or not isinstance(d["layers"], (list, tuple)):
            raise SpecError("layers: missing or not a list")
        layers = []
        for i, ld in enumerate(d["layers"]):
            if not isinstance(ld, dict):
                raise SpecError(f"layers[{i}] must be an object, got {type(ld).__name__}")
            _reject_unknown(f"layers[{i}]", ld, LayerSpec)
            try:
                layers.append(LayerSpec(**ld))
            except TypeError as exc:
                raise SpecError(f"layers[{i}]: {exc}") from exc
        d["layers"] = layers
        if not isinstance(d.get("input_shape"), (list, tuple)):
            raise SpecError(f"input_shape must be [C, H, W], got {d.get('input_shape')!r}")
        try:
            return cls(**d)
        except TypeError as exc:
            raise SpecError(f"spec: {exc}") from exc

    @classmethod
    def from_json(cls, text):
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"spec is not valid JSON: {exc}") from exc
        return cls.from_dict(d)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


def _reject_unknown(where, d, cls):
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)}; known keys are "
                        f"{', '.join(sorted(known))}")


# ---- built-in reference models (DESIGN.md §5) ---------------------------------------------------
def _stack(code, **kw):
    """Layers from a compact string: 'c32 c32 P c64 fc10' (P pools the conv before it)."""
    layers = []
    for tok in code.split():
        if tok == "P":
            layers[-1] = dataclasses.replace(layers[-1], pool=True)
        elif tok.startswith("fc"):
            layers.append(LayerSpec("fc", int(tok[2:]), **kw))
        else:
            layers.append(LayerSpec("conv", int(tok[1:]), **kw))
    return tuple(layers)


# scnn5-mnist reads the top 4 bits of a pixel: MNIST strokes are nearly binary, so 4 planes lose no
# accuracy against 8, and they halve the first layer's matched pairs and window scan (the pynq-z2
# `auto` build's frame interval drops by 6 %, 31,892 -> 29,867 cycles; docs/rtl_blocks.md).
BUILTIN = {
    "scnn5-mnist": dict(input_shape=(1, 28, 28), encoding="bitplane", T=4, input_bits=4,
                        code="c32 c32 P c64 P c64 P fc10"),
    "scnn7-dvs": dict(input_shape=(2, 32, 32), encoding="events", T=4,
                      code="c32 c32 P c64 c64 P c128 c128 P fc11"),
    "scnn9-cifar": dict(input_shape=(3, 32, 32), encoding="bitplane", T=4,
                        code="c64 c64 P c128 c128 P c256 c256 P c256 c256 P fc10"),
}


def builtin(name, **overrides):
    """A built-in reference spec by name; keyword overrides replace top-level fields."""
    if name not in BUILTIN:
        raise SpecError(f"unknown model {name!r}; built-in models are {', '.join(BUILTIN)}")
    d = dict(BUILTIN[name])
    layers = _stack(d.pop("code"))
    return ModelSpec(name=name, layers=layers, **{**d, **overrides})
