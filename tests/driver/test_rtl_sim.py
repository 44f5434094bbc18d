"""Acceptance on the ``rtl-sim`` backend: the generated Verilog under Verilator behind the simulated
AXI DMA, driven by the stock pynq drivers. Every run is compared with the harness driven directly
(``AccelSim.run_frames``) and with the golden model."""
import os
import shutil

import numpy as np
import pytest

pynq = pytest.importorskip("pynq")
pytest.importorskip("myhdl")
if shutil.which("verilator") is None:
    pytest.skip("verilator is not installed", allow_module_level=True)

import accel_builds  # noqa: E402
from dualspike import golden  # noqa: E402
from dualspike.driver.errors import CapacityError, OverlayMismatchError  # noqa: E402
from dualspike.events import bin_batch, mnist_to_events  # noqa: E402

from dualspike.model import random_model  # noqa: E402
from dualspike.spec import LayerSpec, ModelSpec  # noqa: E402

pytestmark = pytest.mark.sim
# Small nets on the real input shapes, so the Verilator runs stay in seconds.
MNIST = ModelSpec("drv-mnist", (1, 28, 28), "bitplane", 2,
                  (LayerSpec("conv", 4, pool=True), LayerSpec("conv", 4, pool=True), LayerSpec("fc", 10)))
STREAM = ModelSpec("drv-stream", (1, 6, 7), "binary", 3,
                   (LayerSpec("conv", 3, pool=True, leak=0, reset="zero"), LayerSpec("fc", 4, leak=3)),
                   readout="count", input_threshold=100)
DVS = ModelSpec("drv-dvs", (2, 16, 16), "events", 3,
                (LayerSpec("conv", 4, pool=True), LayerSpec("conv", 4, pool=True), LayerSpec("fc", 11)))


def build(model, lanes):
    return accel_builds.build(model.spec, lanes)


@pytest.fixture(scope="module")
def mnist_small():
    return random_model(MNIST, density=0.3, seed=1)


@pytest.fixture(scope="module")
def dvs_small():
    return random_model(DVS, density=0.3, seed=2)


@pytest.fixture(scope="module")
def mnist_build(mnist_small):
    return build(mnist_small, [2, 2, 2])


@pytest.fixture(scope="module")
def dvs_build(dvs_small):
    return build(dvs_small, [2, 2, 2])


@pytest.fixture(scope="module")
def stream_model():
    return random_model(STREAM, density=0.5, seed=3)


@pytest.fixture(scope="module")
def stream_build(stream_model):
    return build(stream_model, [2, 3])


def direct(build_dir, model, x, T=None):
    from dualspike.rtl.sim import AccelSim
    with AccelSim(build_dir) as sim:
        sim.load_weights(model)
        return sim.run_frames(x, T=T)


def load(build_dir, model, **kw):
    from dualspike import driver
    return driver.load(backend="rtl-sim", sim=build_dir, model=model, **kw)


@pytest.fixture(scope="module")
def mnist_run(mnist_build, mnist_small, mnist):
    x = mnist[0][:200]
    acc = load(mnist_build, mnist_small, batch_size=50)
    return x, acc.run(x), acc


def test_mnist_200_digits_equal_golden(mnist_run, mnist_small):
    x, out, acc = mnist_run
    assert len(x) == 200 and len(np.unique(out, axis=0)) > 20
    np.testing.assert_array_equal(out, golden.run(mnist_small, x).logits)


def test_mnist_equal_harness_direct(mnist_run, mnist_build, mnist_small):
    x, out, _ = mnist_run
    np.testing.assert_array_equal(out[:40], direct(mnist_build, mnist_small, x[:40]))


def test_mnist_golden_backend_equals_rtl_sim(mnist_run, mnist_small):
    from dualspike import driver
    x, out, acc = mnist_run
    g = driver.load(backend="golden", model=mnist_small, accel=acc.desc, batch_size=64)
    np.testing.assert_array_equal(g.run(x), out)


def test_layer_counters_from_registers(mnist_run, mnist_small):
    x, _, acc = mnist_run
    from dualspike import driver
    g = driver.load(backend="golden", model=mnist_small, accel=acc.desc)
    g.run(x[-1:])
    hw, ref = acc.layer_counters(), g.layer_counters()
    assert hw["spikes"] == ref["spikes"]
    assert hw["pairs"] == ref["pairs"] and any(hw["pairs"])


def test_dvs_events_from_mnist(dvs_build, dvs_small, mnist):
    from dualspike.events import downscale
    recs = [downscale(r, 2) for r in mnist_to_events(mnist[0][:6], sensor_size=(32, 32), seed=0)]
    acc = load(dvs_build, dvs_small, batch_size=3)
    out = acc.run(recs)
    frames = bin_batch(recs, 3, (16, 16))
    assert out.any()
    np.testing.assert_array_equal(out, golden.run(dvs_small, frames).logits)


def test_stream_of_2000_frames(stream_build, stream_model):
    x = np.random.default_rng(11).integers(0, 256, (2000, 1, 6, 7), dtype=np.uint8)
    acc = load(stream_build, stream_model, batch_size=400)
    out = acc.run(x)
    ref = golden.run(stream_model, x).logits
    np.testing.assert_array_equal(out, ref)
    changes = np.any(ref[1:] != ref[:-1], axis=1).mean()       # how often a swap would show
    assert changes > 0.2 and len(np.unique(ref, axis=0)) >= 8, f"only {changes:.0%} of neighbours differ"
    assert acc.counters()["FRAMES"] == 2000


def test_throughput_reports_simulated_cycles(mnist_build, mnist_small):
    from test_power import fake_rails
    acc = load(mnist_build, mnist_small, batch_size=3)
    r = acc.throughput_test(batches=1, power=fake_rails(), idle_seconds=0.05)
    assert r["backend"] == "rtl-sim" and r["frames"] == 3 and r["power_source"] == "rails:12V,INT"
    assert r["simulated_interval[cycles]"] > 0
    assert r["simulated_throughput_at_fclk[images/s]"] == pytest.approx(
        acc.desc.fclk_mhz * 1e6 / r["simulated_interval[cycles]"])


def test_real_rtl_refuses_a_foreign_description(mnist_build, dvs_build):
    from dualspike.accel import AcceleratorDescription
    from dualspike.driver.rtlsim import AccelSimAdapter, rtl_sim_accelerator
    from dualspike.rtl.sim import AccelSim
    other = AcceleratorDescription.load(os.path.join(dvs_build, "dualspike_top.json"))
    acc = rtl_sim_accelerator(other, sim=AccelSimAdapter(AccelSim(mnist_build)))
    with pytest.raises(OverlayMismatchError, match=r"built for spec hash 0x[0-9A-F]{8}.*'drv-dvs'"):
        acc.check()


def test_real_rtl_capacity_refused_before_sending(mnist_build, mnist_small):
    import dataclasses

    from dualspike.accel import AcceleratorDescription
    from dualspike.driver.rtlsim import AccelSimAdapter, rtl_sim_accelerator
    from dualspike.rtl.sim import AccelSim
    desc = AcceleratorDescription.load(os.path.join(mnist_build, "dualspike_top.json"))
    small = dataclasses.replace(desc, capacities=tuple(n - 1 for n in mnist_small.nonzeros()))
    acc = rtl_sim_accelerator(small, sim=AccelSimAdapter(AccelSim(mnist_build)))
    acc.check()
    log = acc.device.register_log = []
    with pytest.raises(CapacityError, match=r"layer 0 has \d+ non-zero weights.*holds \d+"):
        acc.load_weights(mnist_small)
    assert not [a for op, a, v in log if op == "write"]


def test_build_folder_with_other_json_files(stream_build, stream_model, tmp_path):
    """A yosys cache (``synth_*.json``) beside the build does not hide its description; a second
    description does, and the error says how many were found."""
    from dualspike.rtl.sim import AccelSim, SimError
    x = np.random.default_rng(5).integers(0, 256, (8, 1, 6, 7), dtype=np.uint8)
    for name in ("dualspike_top.v", "dualspike_top.json"):
        shutil.copy(os.path.join(stream_build, name), tmp_path / name)
    (tmp_path / "synth_xc7_0123456789abcdef.json").write_text('{"luts": 1}')
    np.testing.assert_array_equal(direct(str(tmp_path), stream_model, x), golden.run(stream_model, x).logits)
    for ext in ("v", "json"):
        shutil.copy(os.path.join(stream_build, "dualspike_top." + ext), tmp_path / ("second." + ext))
    with pytest.raises(SimError, match="found 2"):
        AccelSim(str(tmp_path))
