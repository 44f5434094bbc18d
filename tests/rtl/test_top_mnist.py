"""scnn5-mnist in Verilator on real MNIST test digits: bit-exact vs golden, and the frame interval
vs the cost models. The trained model (dualspike/pretrained/scnn5-mnist.dsm) when it exists, else a
random 6 %-dense one, on a build with one lane per 16 channels (it converts and compiles in about a
minute and simulates about 1.5 s per frame). CI runs ``DUALSPIKE_MNIST_FRAMES`` digits (default 100;
spread over the classes); ``DUALSPIKE_MNIST_FRAMES=1000`` is the full acceptance run (about 25 minutes)."""
import os

import numpy as np
import pytest

from accel_builds import build
from dualspike import bitmap, golden
from dualspike.data import default_mnist
from dualspike.demo import sim_lanes
from dualspike.model import random_model
from dualspike.spec import builtin

pytestmark = [pytest.mark.sim, pytest.mark.slow]
FRAMES = int(os.environ.get("DUALSPIKE_MNIST_FRAMES", "100"))
PRETRAINED = os.path.join(os.path.dirname(bitmap.__file__), "pretrained", "scnn5-mnist.dsm")


@pytest.fixture(scope="module")
def run():
    from dualspike.rtl.sim import AccelSim
    model = bitmap.load(PRETRAINED) if os.path.exists(PRETRAINED) else random_model(builtin("scnn5-mnist"), 0.06, 1)
    x, _ = default_mnist("test")
    x = x[np.arange(FRAMES) * (len(x) // FRAMES)]                # spread over the ten classes
    with AccelSim(build(model.spec, sim_lanes(model.spec))) as sim:
        sim.load_weights(model)
        got = sim.run_frames(x)
        interval = sim.interval
        word = sim.description.word
    return model, x, got, interval, word


def test_bit_exact_mnist_digits(run):
    model, x, got, _, _ = run
    want = golden.run(model, x).logits
    bad = np.flatnonzero(np.any(got != want, axis=1))
    assert bad.size == 0, f"{bad.size} digits differ, first #{bad[0]}: {got[bad[0]]} vs {want[bad[0]]}"


def test_interval_vs_cost_models(run):
    """The simulated interval within 5 % of the golden cost model of this build (scan-aware engine
    model at the build's mask word width: the RTL reads one non-zero window word per cycle, see
    golden/cost.py)."""
    model, x, _, interval, word = run
    engine = float(golden.run(model, x, lanes=sim_lanes(model.spec), word=word).stats.frame_cycles.mean())
    assert abs(interval - engine) <= 0.05 * engine, (interval, engine)
