"""On a board with the dualspike overlay (DUALSPIKE_BOARD=pynq-z2|kv260|zcu104, run as root)."""
import os

import numpy as np
import pytest

pytestmark = pytest.mark.board
BOARD = os.environ.get("DUALSPIKE_BOARD", "pynq-z2")


@pytest.fixture(scope="module")
def acc():
    from dualspike import driver
    from dualspike.model import random_model
    ov = driver.load(BOARD, backend="board", model=None, download=True)
    ov.load_weights(random_model(ov.spec, density=0.05, seed=0))
    return ov


def test_board_equals_golden(acc, mnist):
    from dualspike import driver
    g = driver.load(BOARD, backend="golden", model=acc.model, accel=acc.desc)
    x = mnist[0][:200] if acc.spec.input_shape == (1, 28, 28) else None
    if x is None:
        pytest.skip("the overlay is not an MNIST build")
    acc.batch_size = 100
    np.testing.assert_array_equal(acc.run(x), g.run(x))


def test_board_throughput(acc):
    r = acc.throughput_test(batches=5)
    assert r["throughput[images/s]"] > 0 and r["power_source"]
    print(r)
