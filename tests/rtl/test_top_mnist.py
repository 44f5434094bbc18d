"""scnn5-mnist in Verilator on real MNIST test digits: bit-exact vs golden, and the frame interval
vs the cost model. The trained model (dualspike/pretrained/scnn5-mnist.dsm) when it exists, else a
random 6 %-dense one, on the board builds ``auto`` chooses (lanes, mask word widths and lane-FIFO
placement per layer, from 64 test digits as the demo does): pynq-z2 on ``DUALSPIKE_MNIST_FRAMES``
digits (default 1,000, spread over the classes; it converts in about 20 s and compiles in about 2
minutes) and kv260 (some of its lane FIFOs in LUT RAM for the shipped model) on
``DUALSPIKE_KV260_FRAMES`` (default 200; it compiles in about 2.5 minutes). Frames are split over the CPUs
(``rtl.sim.run_frames_parallel``): about 0.3-0.8 s per frame per core."""
import os

import numpy as np
import pytest

from accel_builds import build
from dualspike import bitmap, golden
from dualspike.accel import AcceleratorDescription
from dualspike.data import default_mnist, spread
from dualspike.model import random_model
from dualspike.rtl.allocation import auto_lanes
from dualspike.spec import builtin

pytestmark = [pytest.mark.sim, pytest.mark.slow]
FRAMES = {"pynq-z2": int(os.environ.get("DUALSPIKE_MNIST_FRAMES", "1000")),
          "kv260": int(os.environ.get("DUALSPIKE_KV260_FRAMES", "200"))}
PRETRAINED = os.path.join(os.path.dirname(bitmap.__file__), "pretrained", "scnn5-mnist.dsm")


@pytest.fixture(scope="module", params=sorted(FRAMES))
def run(request):
    from dualspike.rtl.sim import run_frames_parallel
    model = bitmap.load(PRETRAINED) if os.path.exists(PRETRAINED) else random_model(builtin("scnn5-mnist"), 0.06, 1)
    digits, _ = default_mnist("test")
    x = spread(digits, FRAMES[request.param])                     # over the ten classes
    lanes, words, prof, fifo_ram = auto_lanes(model, request.param, spread(digits, 64))
    out = build(model.spec, lanes, word=list(words), order=prof.orders(lanes),    # lanes balanced by load
                fifo_ram=list(fifo_ram))
    got, interval = run_frames_parallel(out, model, x)
    desc = AcceleratorDescription.load(os.path.join(out, "dualspike_top.json"))
    return model, x, got, interval, desc


def test_bit_exact_mnist_digits(run):
    model, x, got, _, _ = run
    want = golden.run(model, x).logits
    bad = np.flatnonzero(np.any(got != want, axis=1))
    assert bad.size == 0, f"{bad.size} digits differ, first #{bad[0]}: {got[bad[0]]} vs {want[bad[0]]}"


def test_interval_vs_cost_models(run):
    """The simulated interval within 5 % of the golden cost model of this build (scan-aware engine
    model at the build's mask word widths and channel orders: the RTL reads one non-zero window
    word per cycle, see golden/cost.py)."""
    model, x, _, interval, desc = run
    engine = float(golden.run(model, x, lanes=list(desc.lanes), word=desc.word,
                              order=desc.order).stats.frame_cycles.mean())
    assert abs(interval - engine) <= 0.05 * engine, (interval, engine)
