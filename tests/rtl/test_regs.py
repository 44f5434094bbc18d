"""Register block, weight loader and frame plumbing of the generated top (Verilator).

These run on a top whose layer cores are the pass-through stand-in (rtl/passthrough.py), so they
test the AXI4-Lite decoder, the weight-stream parser and its CRC, the error codes and the frame
counters independently of the layer cores. Weight loading into the real cores is tested in
test_top.py (new weights → the new model's results).
"""
import numpy as np
import pytest

from accel_builds import build
from dualspike import regmap, streams
from dualspike.model import random_model
from dualspike.spec import LayerSpec, ModelSpec

pytestmark = pytest.mark.sim

SPEC = ModelSpec(name="regs", input_shape=(2, 6, 5), encoding="bitplane", T=3, input_bits=5,
                 layers=(LayerSpec("conv", 3, pool=True), LayerSpec("fc", 4)))
CAPS = [20, 30]


@pytest.fixture(scope="module")
def sim():
    from dualspike.rtl.sim import AccelSim
    s = AccelSim(build(SPEC, [2, 2], chain="passthrough", capacities=CAPS))
    yield s
    s.close()


def fresh(sim):
    sim.reset()
    return sim


def test_reset_values_read_back_as_documented(sim):
    fresh(sim)
    expect = {r.name: r.reset for r in regmap.registers(len(SPEC.layers))}
    expect.update(SPEC_HASH=SPEC.hash32(), T=SPEC.T, T_MAX=SPEC.T)
    got = {name: sim.read(name) for name in expect}
    assert got == expect


def test_unmapped_offsets_read_zero(sim):
    used = set(regmap.offsets(len(SPEC.layers)).values())
    for off in range(0, regmap.address_range(len(SPEC.layers)), 4):
        if off not in used and off < 0x100:
            assert sim.read(off) == 0, hex(off)


def test_ctrl_fields_and_self_clearing_bits(sim):
    fresh(sim)
    sim.ctrl(RUN=1)
    assert sim.read("CTRL") == 1 << 0
    sim.ctrl(LOAD_WEIGHTS=1)
    assert sim.read("CTRL") == 1 << 2
    sim.ctrl(RUN=1, CLEAR_COUNTERS=1, SOFT_RESET=1)
    assert sim.read("CTRL") == 1 << 0                    # SOFT_RESET / CLEAR_COUNTERS self-clear
    sim.ctrl()
    assert sim.read("CTRL") == 0


def test_read_only_registers_ignore_writes(sim):
    fresh(sim)
    for name in ("ID", "VERSION", "SPEC_HASH", "T_MAX", "NUM_LAYERS", "FRAMES", "WEIGHT_CRC"):
        before = sim.read(name)
        sim.write(name, 0x12345678)
        assert sim.read(name) == before, name


def test_runtime_T_range_checked(sim):
    fresh(sim)
    for t in range(1, SPEC.T + 1):
        sim.write("T", t)
        assert sim.read("T") == t
    for bad in (0, SPEC.T + 1, 255):
        sim.write("T", bad)
        assert sim.read("T") == SPEC.T
        assert sim.read("ERROR_CODE") == 3
        assert sim.status()["ERROR"] == 1
    sim.ctrl(SOFT_RESET=1)
    assert sim.read("ERROR_CODE") == 0 and sim.read("T") == SPEC.T


def _frames(n, seed):
    return np.random.default_rng(seed).integers(0, 256, (n,) + SPEC.input_shape, dtype=np.uint8)


def test_frames_counters_and_clear(sim):
    from dualspike.rtl.passthrough import reference
    fresh(sim)
    x = _frames(6, 1)
    sim.write("T", 2)
    out = sim.run_frames(x)
    assert np.array_equal(out.view(np.uint32), reference(SPEC, x, SPEC.T, 2))
    assert sim.read("FRAMES") == 6
    st = sim.status()
    assert st["DONE"] == 1 and st["BUSY"] == 0 and st["ERROR"] == 0
    lat, iv = sim.read("LATENCY_CYCLES"), sim.read("INTERVAL_CYCLES")
    npix = SPEC.input_shape[1] * SPEC.input_shape[2]
    assert npix <= iv <= lat < 10 * npix
    assert sim.read("LAYER1_SPIKES") == npix                  # the stand-in's counter: pixels per frame
    for i in range(len(SPEC.layers)):                        # busy counters count on: every pixel taken
        assert sim.read(f"LAYER{i}_BUSY") == 6 * npix
    sim.run_frames(x[:2])
    assert sim.read("LAYER0_BUSY") == 8 * npix
    sim.ctrl(RUN=1, CLEAR_COUNTERS=1)
    assert sim.read("FRAMES") == 0 and sim.read("STATUS") & 2 == 0
    assert [sim.read(f"LAYER{i}_BUSY") for i in range(len(SPEC.layers))] == [0] * len(SPEC.layers)


def test_stall_cycles_count_output_backpressure(sim):
    fresh(sim)
    sim.set_random(seed=3, stall=0.5)
    sim.run_frames(_frames(3, 2))
    stalls = sim.read("STALL_CYCLES")
    sim.set_random(seed=0)
    assert 0 < stalls < sim.cycles


def test_frame_length_mismatch_sets_error_4(sim):
    fresh(sim)
    words = streams.pack_frames(SPEC, _frames(1, 3), SPEC.T).reshape(-1)
    last = np.zeros(len(words), np.uint8)
    last[1] = 1                                               # TLAST early
    sim.ctrl(RUN=1)
    out, olast, taken = sim.stream(words, last, want=SPEC.num_classes)
    assert taken == len(words) and len(out) == SPEC.num_classes     # framing by count: one result
    assert sim.read("ERROR_CODE") == 4


def _load(sim, words, last=None):
    sim.ctrl(LOAD_WEIGHTS=1)
    _, _, taken = sim.stream(words, last)
    sim.step(8)
    sim.ctrl()
    return taken


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weight_crc_matches_and_loaded_set(sim, seed):
    fresh(sim)
    m = random_model(SPEC, 0.3, seed)
    words = streams.weight_stream(m)
    assert _load(sim, words) == len(words)
    assert sim.read("WEIGHT_CRC") == streams.weight_crc(words)
    assert sim.read("ERROR_CODE") == 0 and sim.status()["WEIGHTS_LOADED"] == 1
    assert sim.status()["BUSY"] == 0


def test_over_capacity_refused(sim):
    fresh(sim)
    m = random_model(SPEC, 1.0, 0)                            # dense: 54 > 20 non-zeros in layer 0
    assert m.nonzeros()[0] > CAPS[0]
    words = streams.weight_stream(m)
    assert _load(sim, words) == len(words)                   # drained up to TLAST
    assert sim.read("ERROR_CODE") == 1
    assert sim.status() == {"BUSY": 0, "DONE": 0, "ERROR": 1, "WEIGHTS_LOADED": 0}
    good = streams.weight_stream(random_model(SPEC, 0.2, 1))  # the next stream loads again
    _load(sim, good)
    assert sim.status()["WEIGHTS_LOADED"] == 1 and sim.read("WEIGHT_CRC") == streams.weight_crc(good)


@pytest.mark.parametrize("break_it", ["tag", "layer", "channels", "early_last", "late_last"])
def test_malformed_weight_stream_refused(sim, break_it):
    fresh(sim)
    words = streams.weight_stream(random_model(SPEC, 0.3, 5)).copy()
    last = np.zeros(len(words), np.uint8)
    last[-1] = 1
    if break_it == "tag":
        words[0] ^= np.uint64(1 << 60)
    elif break_it == "layer":
        words[0] ^= np.uint64(1 << 48)
    elif break_it == "channels":
        words[0] ^= np.uint64(1 << 33)
    elif break_it == "early_last":
        last[:] = 0
        last[len(words) // 2] = 1
        words = words[:len(words) // 2 + 1]
        last = last[:len(words)]
    else:
        words = np.concatenate([words, words[:1]])
        last = np.zeros(len(words), np.uint8)
        last[-1] = 1
    _load(sim, words, last)
    assert sim.read("ERROR_CODE") == 2
    assert sim.status()["WEIGHTS_LOADED"] == 0
