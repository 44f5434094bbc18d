"""Conv core vs the golden model: spikes bit-exact, busy cycles == cost model, Verilog too."""
import random

import numpy as np
import pytest
from myhdl import always, block

from dualspike import golden
from dualspike.golden.cost import layer_cycles, pair_counts, scan_cycles
from dualspike.golden.encode import encode
from dualspike.golden.layers import receptive_field_matrix
from dualspike.model import random_model
from dualspike.spec import LayerSpec, ModelSpec
from dualspike.rtl.blocks.conv_core import conv_core, conv_core_for

from dualspike.rtl.weight_image import lane_images
from rtl_harness import (clock, reset_pulse, icarus_stream_sim, weight_writes, convert_and_lint, driver, monitor, pack_spikes, pack_values,
                      run_sim, unpack_spikes)


def small_spec(encoding="events", c=2, h=5, w=6, co=5, T=3, reset="subtract", leak=1, bits=8):
    layers = (LayerSpec("conv", co, leak=leak, reset=reset), LayerSpec("fc", 3))
    return ModelSpec(name="t", input_shape=(c, h, w), encoding=encoding, T=T, layers=layers,
                     input_bits=bits)


def make_case(spec, wdens, sdens, seed, frames=1):
    model = random_model(spec, density=wdens, seed=seed)
    rng = np.random.default_rng(seed + 100)
    c, h, w = spec.input_shape
    if spec.encoding == "events":
        x = (rng.random((frames, spec.T, c, h, w)) < sdens).astype(np.uint8)
    else:
        x = rng.integers(0, 256, (frames, c, h, w), dtype=np.uint8)
    return model, x


def blob(x, y0=2, x0=3, size=2):
    """``x`` with every pixel outside a ``size``-square blob at (y0, x0) zeroed: most windows are
    blank, so the core emits them from its cache."""
    keep = np.zeros(x.shape[-2:], dtype=x.dtype)
    keep[y0:y0 + size, x0:x0 + size] = 1
    return x * keep


def input_beats(spec, x, T=None):
    """Per frame: the layer-0 input beats in the core's format (``T`` runtime steps)."""
    T = T or spec.T
    frames, static, _ = encode(spec, x, T)
    c, h, w = spec.input_shape
    n = x.shape[0]
    out = []
    for f in range(n):
        if static:
            b = spec.input_bits if spec.encoding == "bitplane" else 1
            out.append(pack_values(frames[f].transpose(2, 0, 1), b))
        else:
            s = frames.reshape(T, n, h, w, c)[:, f].transpose(0, 3, 1, 2)
            out.append(pack_spikes(s))
    return out


def expected_cycles(spec, model, x, lanes, word=64, T=None):
    """Single-frame cost-model cycles per frame (from the golden package)."""
    T = T or spec.T
    frames, static, _ = encode(spec, x, T)
    wmat = receptive_field_matrix(spec, 0, model.layers[0].weight)
    pairs = pair_counts(spec, 0, frames, static, wmat, T, x.shape[0])
    return layer_cycles(pairs, lanes, T, static, scan=scan_cycles(spec, 0, frames, static, T, x.shape[0], word))


@block
def bench(cfg, beats, lasts, got, errors, busy_count, seed, p_gap, p_stall, probe=None):
    ports = cfg.ports
    inst = conv_core(*ports, geo=cfg.geo, images=cfg.images, probe=probe)
    glbl = ports.glbl

    @always(glbl.clk.posedge)
    def count():
        if ports.busy:
            busy_count[0] += 1

    return (clock(glbl.clk), reset_pulse(glbl), count, inst,
            driver(glbl.clk, ports.s, beats, lasts, random.Random(seed + 1), p_gap),
            monitor(glbl.clk, ports.m, got, random.Random(seed + 2), p_stall, errors))


def simulate(spec, model, x, lanes, seed=0, p_gap=0.0, p_stall=0.0, word=64, probe=None, T=None):
    """The core in MyHDL simulation at runtime ``T`` (default the built maximum ``spec.T``)."""
    per_frame = input_beats(spec, x, T)
    beats = [b for fr in per_frame for b in fr]
    hw = spec.input_shape[1] * spec.input_shape[2]
    lasts = [(k % hw) == hw - 1 for k in range(len(beats))]
    got, errors, busy = [], [], [0]
    cfg = conv_core_for(spec, 0, lanes, model=model, word=word)
    if T is not None:
        cfg.ports.T._val[:] = T                 # runtime T, held for the whole simulation
    tb = bench(cfg, beats, lasts, got, errors, busy, seed, p_gap, p_stall, probe)
    budget = 200 + int(expected_cycles(spec, model, x, lanes, word, T).sum() * 3) + len(beats) * 20
    run_sim(tb, budget)
    return got, errors, busy[0]


def check(spec, model, x, got, errors, T=None):
    assert not errors, errors[:3]
    T = T or spec.T
    res = golden.run(model, x, T=T, trace=True)
    c, h, w = spec.input_shape
    co = spec.layers[0].out_channels
    n = x.shape[0]
    assert len(got) == n * h * w, f"{len(got)} beats out, expected {n * h * w}"
    for f in range(n):
        fr = got[f * h * w:(f + 1) * h * w]
        assert [l for _, l in fr] == [False] * (h * w - 1) + [True]
        hw_sp = unpack_spikes([d for d, _ in fr], spec.T, co, h, w)[:T]
        ref = res.traces[0].spikes[f]
        bad = np.argwhere(hw_sp != ref)
        assert bad.size == 0, f"frame {f}: first mismatch at (t, co, y, x) = {tuple(bad[0])}"


@pytest.mark.parametrize("enc,lanes,wd,sd", [("events", 2, 0.3, 0.3), ("events", 5, 0.05, 0.1),
                                             ("bitplane", 2, 0.2, 0), ("binary", 3, 0.4, 0)])
def test_conv_core_golden_and_cycles(enc, lanes, wd, sd):
    spec = small_spec(encoding=enc, c=2 if enc == "events" else 1, bits=3)
    model, x = make_case(spec, wd, sd, seed=lanes)
    got, errors, busy = simulate(spec, model, x, lanes)
    check(spec, model, x, got, errors)
    assert busy == int(expected_cycles(spec, model, x, lanes).sum())


@pytest.mark.parametrize("enc,lanes,groups,sd", [("events", 1, 2, 0.3), ("events", 2, 2, 0.3), ("bitplane", 1, 2, 0.3),
                                                 ("events", 3, 1, 0.15), ("events", 1, 1, 0.15)])
def test_conv_core_runtime_T1_back_to_back_units(enc, lanes, groups, sd):
    """Runtime T = 1 < Tmax: one-cycle pops of the next pixel must not overwrite a pixel's output
    slots before the pixel's word is captured (a regression: the capture was one cycle late); with
    one group a pixel starts every second cycle, so more pixels are started and not yet taken than
    the pixel buffers hold (a regression: their flags were overwritten and the core stopped)."""
    spec = small_spec(encoding=enc, c=2 if enc == "events" else 1, co=groups * lanes, bits=3)
    model, x = make_case(spec, 0.4, sd, seed=21, frames=4)
    x = x[:, :1] if enc == "events" else x
    got, errors, busy = simulate(spec, model, x, lanes, T=1)
    check(spec, model, x, got, errors, T=1)
    assert busy == int(expected_cycles(spec, model, x, lanes, T=1).sum())


@pytest.mark.parametrize("enc,lanes,gap,stall", [("events", 3, 0.4, 0.6), ("bitplane", 2, 0.3, 0.8)])
def test_conv_core_stalls_two_frames(enc, lanes, gap, stall):
    spec = small_spec(encoding=enc, c=2 if enc == "events" else 1, bits=4, reset="zero", leak=0)
    model, x = make_case(spec, 0.25, 0.2, seed=7, frames=2)
    got, errors, busy = simulate(spec, model, x, lanes, seed=3, p_gap=gap, p_stall=stall)
    check(spec, model, x, got, errors)


@pytest.mark.parametrize("enc,lanes,gap,stall", [("bitplane", 2, 0, 0), ("events", 3, 0, 0), ("binary", 1, 0, 0),
                                                 ("bitplane", 3, 0.3, 0.6)])
def test_conv_core_emits_blank_windows_from_cache(enc, lanes, gap, stall):
    """Pixels whose window holds no spike: the frame's first is computed, later ones are emitted
    from the cache, in order, including a frame with no input at all and a runtime T change."""
    spec = small_spec(encoding=enc, c=2 if enc == "events" else 1, h=7, w=8, bits=3)
    model, x = make_case(spec, 0.4, 0.4, seed=31, frames=3)
    x = blob(x)
    x[1] = 0
    frames, static, _ = encode(spec, x, spec.T)
    blank = scan_cycles(spec, 0, frames, static, spec.T, x.shape[0]) == 0
    assert (blank.sum(axis=1) > 1).all()
    for T in (None, 2):
        xt = x[:, :T] if enc == "events" and T else x
        got, errors, busy = simulate(spec, model, xt, lanes, seed=5, p_gap=gap, p_stall=stall, T=T)
        check(spec, model, xt, got, errors, T=T)
        if not gap and not stall:
            assert busy == int(expected_cycles(spec, model, xt, lanes, T=T).sum())


def test_conv_core_converts():
    spec = small_spec(encoding="bitplane", c=1, bits=3)
    model, _ = make_case(spec, 0.3, 0, seed=1)
    cfg = conv_core_for(spec, 0, 2, model=model)
    convert_and_lint(conv_core(*cfg.ports, geo=cfg.geo, images=cfg.images), "conv_core")


@pytest.mark.slow
@pytest.mark.parametrize("enc,lanes", [("bitplane", 2), ("events", 3)])
def test_conv_core_verilog_sim(enc, lanes):
    """The converted Verilog (weights loaded at run time through the weight port) vs golden."""
    spec = small_spec(encoding=enc, c=1 if enc == "bitplane" else 2, bits=3, co=5)
    model, x = make_case(spec, 0.25, 0.25, seed=11, frames=2)
    x[0] = blob(x[0])                                   # frame 0 mostly blank windows (emitted)
    cfg = conv_core_for(spec, 0, lanes)                 # RAMs empty: loaded through wport
    writes = weight_writes(cfg.geo, lane_images(spec, 0, cfg.geo, model))
    v = convert_and_lint(conv_core(*cfg.ports, geo=cfg.geo, images=None), "conv_core")
    per_frame = input_beats(spec, x)
    beats = [b for fr in per_frame for b in fr]
    hw = spec.input_shape[1] * spec.input_shape[2]
    lasts = [(k % hw) == hw - 1 for k in range(len(beats))]
    got, _ = icarus_stream_sim(v, "conv_core", cfg.ports, beats, lasts, len(beats), writes,
                               p_gap=0.3, p_stall=0.4)
    check(spec, model, x, got, [])
    got, busy = icarus_stream_sim(v, "conv_core", cfg.ports, beats[:hw], lasts[:hw], hw, writes)
    assert busy == int(expected_cycles(spec, model, x[:1], lanes).sum())
