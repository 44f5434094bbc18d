"""The ``rtl-sim`` backend: the Verilator model of the generated accelerator behind
:class:`~dualspike.driver.simdevice.SimDevice`, reached through ``pynq.Overlay(download=False)`` on a
``.hwh`` of the real block design — the same code path as on the board.
"""
import tempfile

from .blockdesign import board as board_info
from .hwh import write_overlay_stub


def sim_overlay(accel, desc, board=None, directory=None, **device_kw):
    """``pynq.Overlay`` over a :class:`SimDevice` wrapping the stream model ``accel``."""
    import pynq

    from .simdevice import SimDevice

    board = board or desc.board
    b = board_info(board)
    directory = directory or tempfile.mkdtemp(prefix="dualspike-sim-")
    bit = write_overlay_stub(directory, board, desc)
    dev = SimDevice(accel, dma_base=b["dma_base"], ctrl_base=b["ctrl_base"], **device_kw)
    return pynq.Overlay(bit, device=dev, download=False)


class AccelSimAdapter:
    """The Verilator harness (``dualspike.rtl.sim.AccelSim``) as the stream interface SimDevice drives."""

    def __init__(self, sim):
        self.sim = sim

    @property
    def cycle(self):
        return self.sim.cycle

    def read_reg(self, off):
        return self.sim.read_reg(off)

    def write_reg(self, off, value):
        self.sim.write_reg(off, value)

    def push(self, words, last):
        return self.sim.push(words, last)

    def pop(self, max_words):
        return self.sim.pop(max_words)

    def step(self, cycles):
        self.sim.step(cycles)


def rtl_sim_accelerator(desc, sim=None, board=None, timeout=30.0, directory=None, **device_kw):
    """An :class:`SnnAccelerator` on the simulated device. ``sim``: a stream model; default the
    Verilator harness built for ``desc``."""
    from .accelerator import SnnAccelerator

    if sim is None:
        from dualspike.errors import require
        rtl_sim = require("dualspike.rtl.sim", "rtl")
        sim = AccelSimAdapter(rtl_sim.AccelSim(desc))
    ol = sim_overlay(sim, desc, board, directory, **device_kw)
    return SnnAccelerator.from_overlay(ol, desc, backend="rtl-sim", timeout=timeout)
