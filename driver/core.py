"""``SnnCore``: PYNQ's driver for the accelerator's control block (``ol.dualspike_0``), bound to the
module reference's VLNV, with named registers from :mod:`dualspike.regmap`. Importing this module
imports pynq (the board and rtl-sim backends do; the golden backend does not)."""
from pynq import DefaultIP

from dualspike import regmap

from .blockdesign import ACCEL_VLNV
from .regs import Registers


class SnnCore(DefaultIP):
    """``ol.dualspike_0.regs.read("STATUS")``; ``register_map`` is PYNQ's view of the same map."""

    bindto = [ACCEL_VLNV]

    def __init__(self, description, num_layers=None):
        description = dict(description)
        if not description.get("registers"):
            description["registers"] = regmap.pynq_dict(num_layers or regmap.MAX_LAYERS)
            description.setdefault("fullpath", "dualspike_0")
        super().__init__(description)
        n = num_layers or self.mmio.read(regmap.offsets(1)["NUM_LAYERS"]) or 1
        self.regs = Registers(self.mmio, min(int(n), regmap.MAX_LAYERS))
