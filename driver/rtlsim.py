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
    """The Verilator harness (``dualspike.rtl.sim.AccelSim``, public API only: ``read``, ``write``,
    ``stream``, ``step``, ``set_random``, ``cycles``) as the stream interface SimDevice drives.

    ``stream(words, want=k)`` keeps ``m_axis_tready`` high and keeps the first ``k`` output beats, so:

    - no room: the output is held not-ready (``set_random(stall=1)``), also during AXI4-Lite
      accesses and between polls, and input is pushed alone;
    - room, no input: ``want = out_room`` — the harness stops at exactly that many beats;
    - room and input: ``want = out_room + extra`` for the whole poll; beats past ``out_room`` go to
      the DMA model's store-and-forward FIFO, in order. A poll that fills all ``extra`` places
      raises rather than risk a dropped beat.
    """

    def __init__(self, sim, extra=8192):
        self.sim = sim
        self.extra = extra
        self._stalled = None
        self._hold()

    def _stall(self, on):
        if self._stalled is not on:
            self.sim.set_random(0, 0.0, 1.0 if on else 0.0)
            self._stalled = on

    def _hold(self):
        self._stall(True)
        self.sim.step(1)                     # tready low from now on (also during register accesses)

    @property
    def cycle(self):
        return self.sim.cycles

    def read_reg(self, off):
        return self.sim.read(off)

    def write_reg(self, off, value):
        self.sim.write(off, value)

    def exchange(self, words, last, out_room, cycles):
        import numpy as np

        if not len(words) and not out_room:
            self.sim.step(cycles)
            return 0, np.zeros(0, np.uint32), np.zeros(0, np.uint8)
        flags = np.zeros(len(words), np.uint8)
        if last and len(words):
            flags[-1] = 1
        want = int(out_room) + (self.extra if len(words) and out_room else 0)
        self._stall(out_room == 0)
        out, olast, taken = self.sim.stream(np.asarray(words, np.uint64), flags, want=want, max_cycles=int(cycles))
        self._hold()
        if want and len(out) >= want > out_room:
            from .errors import DriverError
            raise DriverError(f"rtl-sim: {len(out)} output beats in one poll filled the {want} places; "
                              f"beats may have been lost (lower cycles_per_poll)")
        return int(taken), out, olast


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
