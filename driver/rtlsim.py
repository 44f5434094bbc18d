"""The ``rtl-sim`` backend: the Verilator model of the generated accelerator behind
:class:`~dualspike.driver.simdevice.SimDevice`, reached through ``pynq.Overlay(download=False)`` on a
``.hwh`` of the real block design — the same code path as on the board.
"""
import os
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
    from .blockdesign import CTRL_RANGE
    dev = SimDevice(accel, dma_base=b["dma_base"], ctrl_base=b["ctrl_base"], ctrl_range=CTRL_RANGE, **device_kw)
    return pynq.Overlay(bit, device=dev, download=False)


class AccelSimAdapter:
    """The Verilator harness (``dualspike.rtl.sim.AccelSim``) as the stream interface SimDevice drives.

    The output is held not-ready (harness ``stall = 1``) whenever the DMA has no room, including
    during AXI4-Lite accesses, so no beat is ever taken without a place to put it. While input is
    offered the harness may take more output beats than ``out_room``; they are returned (the
    device keeps them in its S2MM FIFO) and never dropped: a beat past ``max_extra`` raises.
    """

    def __init__(self, sim, max_extra=4096):
        self.sim = sim
        self.max_extra = max_extra
        self._lib, self._h = sim._lib, sim._h          # the harness's ctypes entry point (sim_stream)
        self._stalled = None
        self._stall(True)
        self.sim.step(1)

    def _stall(self, on):
        if self._stalled is not on:
            self.sim.set_random(0, 0.0, 1.0 if on else 0.0)
            self._stalled = on

    @property
    def cycle(self):
        return self.sim.cycles

    def read_reg(self, off):
        return self.sim.read(off)

    def write_reg(self, off, value):
        self.sim.write(off, value)

    def exchange(self, words, last, out_room, cycles):
        import ctypes

        import numpy as np

        words = np.ascontiguousarray(words, dtype=np.uint64)
        flags = np.zeros(len(words), np.uint8)
        if last and len(words):
            flags[-1] = 1
        if not len(words) and not out_room:
            self.sim.step(cycles)                        # stalled: tready low
            return 0, np.zeros(0, np.uint32), np.zeros(0, np.uint8)
        cap = out_room + (self.max_extra if len(words) else 0)
        out, olast = np.zeros(max(cap, 1), np.uint32), np.zeros(max(cap, 1), np.uint8)
        taken = ctypes.c_int64(0)
        self._stall(out_room == 0)
        k = self._lib.sim_stream(self._h, words, flags, len(words), out, olast, len(out), int(out_room),
                                 int(cycles), ctypes.byref(taken))
        self._stall(True)
        self.sim.step(1)                                 # leave tready low for register accesses
        if k > len(out):
            from .errors import DriverError
            raise DriverError(f"rtl-sim: {k} output beats in one exchange, room for {len(out)}: beats lost")
        return int(taken.value), out[:k], olast[:k]


def rtl_sim_accelerator(desc, sim=None, board=None, timeout=30.0, directory=None, **device_kw):
    """An :class:`SnnAccelerator` on the simulated device. ``sim``: a stream model (see
    :mod:`dualspike.driver.simdevice`), or the build directory / ``.json`` of the generated Verilog
    (``dualspike.rtl.generate``) to compile and run with Verilator."""
    from .accelerator import SnnAccelerator

    sim_source, sim = (sim, None) if isinstance(sim, (str, os.PathLike)) else (None, sim)
    if sim is None:
        from dualspike.errors import require
        rtl_sim = require("dualspike.rtl.sim", "rtl")
        if not isinstance(sim_source, (str, os.PathLike)):
            raise ValueError("rtl-sim needs the generated accelerator: sim=<build dir with dualspike_top.v/.json>")
        sim = AccelSimAdapter(rtl_sim.AccelSim(sim_source))
    ol = sim_overlay(sim, desc, board, directory, **device_kw)
    return SnnAccelerator.from_overlay(ol, desc, backend="rtl-sim", timeout=timeout)
