"""The accelerator description: what a built accelerator is, for the driver and the docs.

The RTL generator writes it as JSON next to the Verilog (and the overlay's ``.bit``/``.hwh``); the
driver reads it and never looks at the MyHDL code. It names the model shape (the spec and its hash),
the build (board, clock, lanes, weight capacities, ``T_MAX``, mask word width per layer), the stream
formats and the register map.

>>> from dualspike.spec import builtin
>>> d = AcceleratorDescription.for_spec(builtin("scnn5-mnist"), lanes=[8, 32, 16, 8, 2],
...                                     capacities=[288, 9216, 18432, 36864, 576])
>>> AcceleratorDescription.from_json(d.to_json()) == d
True
"""
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from . import regmap, streams
from .errors import SpecError
from .golden.cost import layer_words
from .spec import ModelSpec

DESCRIPTION_VERSION = 1
BOARDS = {  # name: part, LUTs, FFs, 36 Kb BRAMs, DSPs, default fabric clock (MHz)
    "pynq-z2": dict(part="xc7z020clg400-1", family="xc7", luts=53200, ffs=106400, bram36=140, dsp=220, fclk_mhz=100),
    "kv260": dict(part="xck26-sfvc784-2LV-c", family="xcup", luts=117120, ffs=234240, bram36=144, dsp=1248,
                  fclk_mhz=200),
    "zcu104": dict(part="xczu7ev-ffvc1156-2-e", family="xcup", luts=230400, ffs=460800, bram36=312, dsp=1728,
                   fclk_mhz=200),
}


def layer_order(spec, i, order):
    """Layer ``i``'s channel ``order`` (None, or a permutation of its output channels) as a tuple
    or None; raises :class:`SpecError` naming the layer."""
    if order is None:
        return None
    order = tuple(int(c) for c in order)
    co = spec.layers[i].out_channels
    if sorted(order) != list(range(co)):
        raise SpecError(f"order of layer {i} is not a permutation of its {co} channels")
    return order


def channel_orders(spec, order):
    """``order`` (None, or one entry per layer: None or a permutation of the layer's output
    channels) as a tuple per layer (:func:`layer_order`)."""
    n = len(spec.layers)
    if order is None:
        return (None,) * n
    if len(order) != n:
        raise SpecError(f"order: one channel order (or null) per layer ({n}), got {len(order)}")
    return tuple(layer_order(spec, i, o) for i, o in enumerate(order))


@dataclass(frozen=True)
class AcceleratorDescription:
    """A built accelerator. ``capacities``: non-zero weights each layer's value memory holds."""

    spec: ModelSpec
    lanes: Tuple[int, ...]
    capacities: Tuple[int, ...]
    t_max: int
    board: str = "pynq-z2"
    fclk_mhz: float = 100.0
    weights_built_in: bool = False
    word: Tuple[int, ...] = 64         # mask word width of each layer's core (its weight stream mask words);
                                       # one int is every layer's width
    order: Optional[Tuple] = None      # per layer: the model channel of each hardware channel (lane h % L),
                                       # or None for the model's order (the weight stream follows it)
    build: Dict[str, object] = field(default_factory=dict)   # generator options, git sha, tool versions
    version: int = DESCRIPTION_VERSION

    def __post_init__(self):
        object.__setattr__(self, "lanes", tuple(int(v) for v in self.lanes))
        object.__setattr__(self, "capacities", tuple(int(v) for v in self.capacities))
        n = len(self.spec.layers)
        if len(self.lanes) != n or len(self.capacities) != n:
            raise SpecError(f"lanes ({len(self.lanes)}) and capacities ({len(self.capacities)}) need one "
                            f"entry per layer ({n})")
        object.__setattr__(self, "word", layer_words(self.word, n))
        object.__setattr__(self, "order", channel_orders(self.spec, self.order))
        if self.board not in BOARDS:
            raise SpecError(f"board = {self.board!r} is not one of {', '.join(BOARDS)}")

    @classmethod
    def for_spec(cls, spec, lanes, capacities, t_max=None, **kw):
        return cls(spec, tuple(lanes), tuple(capacities), spec.T if t_max is None else t_max, **kw)

    # ---- derived, read by the driver ----------------------------------------------------------
    @property
    def spec_hash(self):
        return self.spec.hash32()

    @property
    def frame_words(self):
        return streams.frame_words(self.spec, self.t_max)

    @property
    def output_words(self):
        return self.spec.num_classes

    @property
    def registers(self):
        return regmap.offsets(len(self.spec.layers))

    def to_dict(self):
        return {
            "version": self.version, "spec": self.spec.to_dict(), "spec_hash": f"0x{self.spec_hash:08X}",
            "board": self.board, "fclk_mhz": self.fclk_mhz, "lanes": list(self.lanes),
            "capacities": list(self.capacities), "t_max": self.t_max, "weights_built_in": self.weights_built_in,
            "word": list(self.word),
            "order": [None if o is None else list(o) for o in self.order],
            "build": self.build,
            "streams": {"in_word_bytes": streams.IN_WORD_BYTES, "out_word_bytes": streams.OUT_WORD_BYTES,
                        "frame_words": self.frame_words, "output_words": self.output_words,
                        "pixel_bytes": streams.pixel_bytes(self.spec, self.t_max)},
            "registers": regmap.to_json_list(len(self.spec.layers)),
            "address_range": regmap.address_range(len(self.spec.layers)),
        }

    def to_json(self, indent=2):
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    @classmethod
    def from_dict(cls, d):
        derived = {"spec_hash", "streams", "registers", "address_range"}
        known = {f.name for f in dataclasses.fields(cls)} | derived
        unknown = sorted(set(d) - known)
        if unknown:
            raise SpecError(f"accelerator description: unknown key(s) {', '.join(unknown)}")
        if d.get("version") != DESCRIPTION_VERSION:
            raise SpecError(f"accelerator description version {d.get('version')!r}; this dualspike reads "
                            f"version {DESCRIPTION_VERSION}")
        kw = {k: v for k, v in d.items() if k not in derived}
        kw["spec"] = ModelSpec.from_dict(d["spec"])
        desc = cls(**kw)
        if "spec_hash" in d and d["spec_hash"] != f"0x{desc.spec_hash:08X}":
            raise SpecError(f"accelerator description: spec_hash {d['spec_hash']} does not match its spec "
                            f"(0x{desc.spec_hash:08X}); the file was edited by hand")
        return desc

    @classmethod
    def from_json(cls, text):
        return cls.from_dict(json.loads(text))

    @classmethod
    def load(cls, path):
        with open(path) as f:
            return cls.from_json(f.read())

    def save(self, path):
        with open(path, "w") as f:
            f.write(self.to_json())
