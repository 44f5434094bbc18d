"""Fixtures for the driver tests: models, accelerator descriptions, and accelerators on the
simulated device (behavioural model here; the Verilator model in test_rtl_sim.py)."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

from driver_models import description  # noqa: E402,F401
from dualspike.model import random_model  # noqa: E402
from dualspike.spec import LayerSpec, ModelSpec, builtin  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "board: needs a PYNQ board with the dualspike overlay")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DUALSPIKE_BOARD"):
        return
    skip = pytest.mark.skip(reason="needs a PYNQ board (set DUALSPIKE_BOARD=pynq-z2|kv260|zcu104)")
    for item in items:
        if "board" in item.keywords:
            item.add_marker(skip)




@pytest.fixture(scope="session")
def mnist_model():
    return random_model(builtin("scnn5-mnist"), density=0.06, seed=1)


@pytest.fixture(scope="session")
def dvs_model():
    return random_model(builtin("scnn7-dvs"), density=0.06, seed=2)


@pytest.fixture(scope="session")
def tiny_model():
    """A 1×8×8 binary net: fast enough for thousands of frames."""
    spec = ModelSpec("tiny", (1, 8, 8), "binary", 2,
                     (LayerSpec("conv", 4, pool=True), LayerSpec("fc", 10)), input_threshold=100)
    return random_model(spec, density=0.5, seed=3)


@pytest.fixture(scope="session")
def mnist():
    from dualspike.data import default_mnist
    x, y = default_mnist("test")
    return x, y


def sim_accelerator(model, load=True, board="pynq-z2", timeout=2.0, desc=None, cycles_per_poll=64, **behav):
    """An SnnAccelerator through pynq.Overlay(download=False) on a SimDevice with the behavioural model."""
    from behav import BehaviouralAccel
    from dualspike.driver.rtlsim import rtl_sim_accelerator

    desc = desc or description(model, board)
    acc = rtl_sim_accelerator(desc, sim=BehaviouralAccel(desc, **behav), board=board, timeout=timeout,
                              cycles_per_poll=cycles_per_poll)
    if load:
        acc.check()
        acc.load_weights(model)
    return acc


@pytest.fixture
def make_sim():
    return sim_accelerator


@pytest.fixture
def rng():
    return np.random.default_rng(0)
