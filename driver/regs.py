"""Register access by name, from :mod:`dualspike.regmap` (no numeric offset lives in the driver).

:class:`Registers` wraps anything with ``read(offset)`` / ``write(offset, value)`` — a
``pynq.MMIO``, a ``DefaultIP`` or a test double — and adds names, fields and a timed poll.

>>> class Mem(dict):
...     def read(self, off): return self.get(off, 0)
...     def write(self, off, v): self[off] = v
>>> r = Registers(Mem(), num_layers=2)
>>> r.write("T", 3); r.read("T")
3
>>> r.fields("CTRL", 5)
{'RUN': 1, 'SOFT_RESET': 0, 'LOAD_WEIGHTS': 1, 'CLEAR_COUNTERS': 0}
"""
from dualspike import regmap

from .timing import Deadline


class Registers:
    """Named 32-bit registers of the accelerator's control block."""

    def __init__(self, mmio, num_layers):
        self.mmio = mmio
        self.num_layers = num_layers
        self.map = {r.name: r for r in regmap.registers(num_layers)}

    def offset(self, name):
        try:
            return self.map[name].offset
        except KeyError:
            raise KeyError(f"no register {name!r}; the map has {', '.join(self.map)}") from None

    def read(self, name):
        return int(self.mmio.read(self.offset(name))) & 0xFFFFFFFF

    def write(self, name, value):
        reg = self.map[name]
        if reg.access != regmap.RW:
            raise PermissionError(f"register {name} is read-only")
        self.mmio.write(reg.offset, int(value) & 0xFFFFFFFF)

    def value(self, name, **fields):
        """The register word with the given fields set, e.g. ``value("CTRL", RUN=1)``."""
        word = 0
        by_name = {f.name: f for f in self.map[name].fields}
        for k, v in fields.items():
            if k not in by_name:
                raise KeyError(f"register {name} has no field {k!r} (fields: {', '.join(by_name)})")
            f = by_name[k]
            word |= (int(v) & ((1 << f.width) - 1)) << f.bit
        return word

    def set(self, name, **fields):
        self.write(name, self.value(name, **fields))

    def fields(self, name, word=None):
        word = self.read(name) if word is None else word
        return {f.name: (word >> f.bit) & ((1 << f.width) - 1) for f in self.map[name].fields}

    def snapshot(self):
        """Every register as ``{name: value}`` (for error messages and notebooks)."""
        return {n: self.read(n) for n in self.map}

    def layer_counters(self):
        """``{"spikes": [...], "pairs": [...]}`` per layer, for the last completed frame."""
        return {"spikes": [self.read(f"LAYER{i}_SPIKES") for i in range(self.num_layers)],
                "pairs": [self.read(f"LAYER{i}_PAIRS") for i in range(self.num_layers)]}

    def layer_busy(self):
        """Cycles each layer's core has worked since the last clear (``LAYERi_BUSY``; wraps at 2^32).
        Read before and after a batch: the difference over the frames is each layer's busy cycles
        per frame, the figure the engine cost model gives per layer."""
        return [self.read(f"LAYER{i}_BUSY") for i in range(self.num_layers)]

    def wait_for(self, name, field, value=1, timeout=1.0, what=None):
        """Poll ``name.field`` until it equals ``value``; on timeout return False."""
        deadline = Deadline(timeout)
        while True:
            if self.fields(name)[field] == value:
                return True
            if deadline.expired():
                return False
