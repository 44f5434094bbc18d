"""The golden backend: same API as SnnAccelerator, no pynq; load() in one line."""
import subprocess
import sys

import numpy as np
import pytest

from dualspike import driver, golden
from dualspike.driver.errors import CapacityError, OverlayMismatchError
from dualspike.events import bin_batch, mnist_to_events

API = ["check", "load_weights", "set_T", "T", "batch_size", "pack_input", "copy_in", "execute_on_buffers",
       "copy_out", "unpack_output", "execute", "run", "classify", "layer_counters", "throughput_test", "prepare"]


def test_same_public_api():
    pytest.importorskip("pynq")
    from dualspike.driver.accelerator import SnnAccelerator
    for name in API:
        assert hasattr(driver.GoldenAccelerator, name) and hasattr(SnnAccelerator, name), name


def test_golden_equals_golden_model(mnist_model, mnist):
    acc = driver.load("pynq-z2", backend="golden", model=mnist_model, batch_size=64)
    x = mnist[0][:200]
    np.testing.assert_array_equal(acc.run(x), golden.run(mnist_model, x).logits)
    np.testing.assert_array_equal(acc.classify(x), golden.run(mnist_model, x).classes)


def test_golden_events(dvs_model, mnist):
    recs = mnist_to_events(mnist[0][:8], sensor_size=(32, 32))
    acc = driver.load(backend="golden", model=dvs_model)
    acc.set_T(3)
    np.testing.assert_array_equal(acc.run(recs), golden.run(dvs_model, bin_batch(recs, 3, (32, 32)), T=3).logits)


def test_golden_counters_match_stats(mnist_model, mnist):
    acc = driver.load(backend="golden", model=mnist_model)
    acc.run(mnist[0][:3])
    st = golden.run(mnist_model, mnist[0][2:3], stats=True).stats
    assert acc.layer_counters()["pairs"] == [int(s.pairs[0]) for s in st.layers]


def test_golden_checks_like_the_board(mnist_model, dvs_model):
    from driver_models import description
    acc = driver.GoldenAccelerator(description(mnist_model, slack=-1))
    with pytest.raises(CapacityError):
        acc.load_weights(mnist_model)
    with pytest.raises(OverlayMismatchError):
        acc.load_weights(dvs_model)


def test_load_rejects_unknown_backend():
    with pytest.raises(ValueError, match="backend 'fpga' is not one of board, rtl-sim, golden"):
        driver.load(backend="fpga")


def test_dsm_path_accepted(mnist_model, tmp_path):
    from dualspike import bitmap
    p = tmp_path / "m.dsm"
    bitmap.save(mnist_model, str(p))
    acc = driver.load(backend="golden", model=str(p))
    assert acc.model == mnist_model


def test_driver_imports_neither_torch_myhdl_nor_pynq():
    code = ("import sys, dualspike.driver as d; from dualspike.driver import golden_backend, base, power, regs, "
            "dma, hwh, blockdesign; print(sorted(m for m in ('torch', 'myhdl', 'pynq') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_driver_sources_never_import_torch_or_myhdl():
    import os
    import re
    root = os.path.dirname(driver.__file__)
    for f in os.listdir(root):
        if f.endswith(".py"):
            src = open(os.path.join(root, f)).read()
            assert not re.search(r"^\s*(import|from)\s+(torch|myhdl)\b", src, re.M), f
            assert "0x0C" not in src and "0x10)" not in src, f"{f}: accelerator offsets come from regmap"
