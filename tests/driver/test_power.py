"""throughput_test: keys, units and where the watts come from (injected sensors, external meter,
unavailable)."""
import numpy as np
import pytest

from dualspike.driver.errors import PowerSourceError
from dualspike.driver.power import power_source


class FakeSensor:
    def __init__(self, name, watts):
        self.name, self.watts, self.parents = name, watts, ()

    def get_value(self, parents=None):
        return self.watts

    @property
    def value(self):
        return self.watts


class FakeRail:
    def __init__(self, name, watts):
        self.name, self.power = name, FakeSensor(name + "_power", watts)


def fake_rails(w12=6.5, wint=1.25):
    return {"12V": FakeRail("12V", w12), "INT": FakeRail("INT", wint), "VCCAUX": FakeRail("VCCAUX", 0.3)}


KEYS = {"runtime[ms]", "throughput[images/s]", "batch_size", "fclk[mhz]", "power_source", "pack_input[ms]",
        "copy_in[ms]", "execute_on_buffers[ms]", "copy_out[ms]", "unpack_output[ms]"}
POWER = {"power[W]", "energy_per_frame[J]", "fps_per_watt", "power_idle[W]", "power_dynamic[W]"}


@pytest.fixture
def sim(make_sim, tiny_model):
    acc = make_sim(tiny_model)
    acc.batch_size = 16
    return acc


def test_injected_rails(sim):
    pytest.importorskip("pandas")
    r = sim.throughput_test(batches=3, power=fake_rails(), idle_seconds=0.05, sample_interval=0.01)
    assert KEYS | POWER <= set(r)
    assert r["power_source"] == "rails:12V,INT" and r["batch_size"] == 16 and r["frames"] == 48
    assert r["power[W]"] == pytest.approx(6.5) and r["power_idle[W]"] == pytest.approx(6.5)
    assert r["rails[W]"]["INT"]["active"] == pytest.approx(1.25)
    assert r["fps_per_watt"] == pytest.approx(r["throughput[images/s]"] / 6.5)
    assert r["energy_per_frame[J]"] == pytest.approx(6.5 / r["throughput[images/s]"])
    assert r["fclk[mhz]"] == sim.desc.fclk_mhz and r["simulated_interval[cycles]"] > 0


def test_unavailable_without_sensors(sim):
    r = sim.throughput_test(idle_seconds=0)
    assert KEYS <= set(r) and r["power_source"] == "unavailable"
    assert not POWER & set(r) and not any("[W]" in k or "[J]" in k for k in r)


def test_external_meter_reading_and_callable(sim):
    r = sim.throughput_test(power=4.2)
    assert r["power_source"] == "external (meter reading)" and r["power[W]"] == 4.2
    calls = []
    r = sim.throughput_test(power=lambda: calls.append(1) or 3.0)
    assert r["power_source"] == "external (callable)" and r["power[W]"] == 3.0 and calls == [1]


@pytest.mark.parametrize("bad", ["5W", -1.0, 0, True])
def test_bad_power_sources(bad):
    with pytest.raises(PowerSourceError, match="watts"):
        power_source(bad)


def test_missing_rail_is_named():
    with pytest.raises(PowerSourceError, match="rail.*PSINT_FP.*not found"):
        power_source(fake_rails(), rails=("PSINT_FP",))


def test_no_rails_on_a_board_without_sensors():
    assert power_source(None, board="pynq-z2").source == "unavailable"


def test_golden_backend_same_keys(tiny_model):
    from dualspike import driver
    g = driver.load(backend="golden", model=tiny_model, batch_size=8)
    r = g.throughput_test(batches=2)
    assert KEYS <= set(r) and r["power_source"] == "unavailable" and r["fclk[mhz]"] is None
    assert np.isfinite(r["throughput[images/s]"])
