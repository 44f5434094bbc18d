"""Board driver (pynq on the board; rtl-sim and golden backends off it). Never imports torch or myhdl;
pynq is imported only by the board and rtl-sim backends.

One call per notebook step::

    from dualspike import driver
    acc = driver.load("pynq-z2", model="scnn5.dsm")            # board: download, check, load weights
    acc = driver.load("pynq-z2", backend="golden", model=m)      # same API, numpy golden model
    acc.batch_size = 100
    classes = acc.classify(images)                               # uint8 [N, 1, 28, 28]
    acc.throughput_test()                                        # FPS, FPS/W with power_source

Backends: :class:`SnnAccelerator` (``board`` and ``rtl-sim``: the stock ``pynq.lib.dma.DMA`` on a real
or simulated ``pynq.Device``) and :class:`GoldenAccelerator` (``golden``).
"""
import os

from dualspike.accel import AcceleratorDescription
from dualspike.errors import InputError

from .errors import (AcceleratorError, CapacityError, DMAError, DMATimeoutError, DriverError,
                     OverlayMismatchError, PowerSourceError, SensorRangeError, WeightLoadError)
from .golden_backend import GoldenAccelerator

__all__ = ["load", "overlay_dir", "SnnAccelerator", "GoldenAccelerator", "DriverError", "OverlayMismatchError",
           "CapacityError", "DMAError", "DMATimeoutError", "AcceleratorError", "WeightLoadError",
           "SensorRangeError", "PowerSourceError", "BACKENDS", "OVERLAY_STEM"]

BACKENDS = ("board", "rtl-sim", "golden")
OVERLAY_STEM = "dualspike"          # <board dir>/dualspike.bit, .hwh, .json


def __getattr__(name):               # SnnAccelerator needs pynq only when used
    if name == "SnnAccelerator":
        from .accelerator import SnnAccelerator
        return SnnAccelerator
    raise AttributeError(name)


def overlay_dir(board):
    """Where ``board``'s built overlay lives: ``$DUALSPIKE_OVERLAYS/<board>``, the installed
    ``dualspike.overlays`` package, or the repository's ``overlays/<board>``."""
    candidates = []
    if os.environ.get("DUALSPIKE_OVERLAYS"):
        candidates.append(os.path.join(os.environ["DUALSPIKE_OVERLAYS"], board))
    try:
        import dualspike.overlays as pkg
        candidates.append(os.path.join(os.path.dirname(pkg.__file__), board))
    except ImportError:
        pass
    candidates.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "overlays", board))
    for c in candidates:
        if os.path.isfile(os.path.join(c, OVERLAY_STEM + ".bit")):
            return c
    return candidates[-1]


def _model(model):
    if model is None or not isinstance(model, (str, os.PathLike)):
        return model
    from dualspike import bitmap
    return bitmap.load(model)


def _description(accel, board, model):
    if isinstance(accel, AcceleratorDescription):
        return accel
    if accel is not None:
        return AcceleratorDescription.load(accel)
    path = os.path.join(overlay_dir(board), OVERLAY_STEM + ".json")
    if os.path.isfile(path):
        return AcceleratorDescription.load(path)
    raise InputError(f"no accelerator description: pass accel= (the JSON the RTL generator wrote) or build "
                     f"the {board} overlay (expected {path})")


def load(board="pynq-z2", backend="board", model=None, *, accel=None, bitfile=None, download=True,
         batch_size=None, T=None, sim=None, timeout=None):
    """A ready accelerator in one line: construct, check the bitstream, load weights, set T.

    ``model``: an ``IntegerModel`` or a ``.dsm`` path (None: weights built into the bitstream).
    ``accel``: an ``AcceleratorDescription`` or its JSON path (default: the board's overlay dir).
    ``backend``: ``"board"`` (``pynq.Overlay(bitfile, download=download)``), ``"rtl-sim"`` (``sim``:
    the accelerator model behind a simulated DMA, default the Verilator harness of ``dualspike.rtl``)
    or ``"golden"`` (numpy). ``timeout``: seconds every DMA wait may take (default 2 s on a board;
    600 s on ``rtl-sim``, where one simulated frame can take seconds of host time).
    """
    if timeout is None:
        timeout = 600.0 if backend == "rtl-sim" else 2.0
    if backend not in BACKENDS:
        raise InputError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
    model = _model(model)
    if backend == "golden" and accel is None and model is not None:
        from dualspike.accel import BOARDS
        if board not in BOARDS:
            raise InputError(f"board {board!r} is not one of {', '.join(BOARDS)}")
        accel = AcceleratorDescription.for_spec(model.spec, [1] * len(model.spec.layers), model.nonzeros(),
                                                board=board, fclk_mhz=BOARDS[board]["fclk_mhz"])
    if backend == "rtl-sim" and accel is None and isinstance(sim, (str, os.PathLike)):
        import glob
        js = [sim] if str(sim).endswith(".json") else sorted(glob.glob(os.path.join(sim, "*.json")))
        if len(js) != 1:
            raise InputError(f"rtl-sim: expected one accelerator description (*.json) in {sim}, found {len(js)}")
        accel = js[0]
    desc = _description(accel, board, model)
    if backend == "golden":
        acc = GoldenAccelerator(desc)
    elif backend == "board":
        import pynq
        from .accelerator import SnnAccelerator
        from . import core  # noqa: F401  registers the SnnCore driver for the module_ref VLNV
        bit = bitfile or os.path.join(overlay_dir(board), OVERLAY_STEM + ".bit")
        acc = SnnAccelerator.from_overlay(pynq.Overlay(bit, download=download), desc, timeout=timeout)
    else:
        from .rtlsim import rtl_sim_accelerator
        acc = rtl_sim_accelerator(desc, sim=sim, board=desc.board, timeout=timeout)
    acc.check()
    if model is not None:
        acc.load_weights(model)
    if T is not None:
        acc.set_T(T)
    if batch_size is not None:
        acc.batch_size = batch_size
    return acc
