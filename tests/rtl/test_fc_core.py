"""FC core vs the golden model: hidden fc (spikes), membrane and count readout; Verilog too."""
import random

import numpy as np
import pytest
from myhdl import always, block

from dualspike import golden
from dualspike.golden.cost import layer_cycles, pair_counts, scan_cycles
from dualspike.golden.layers import receptive_field_matrix
from dualspike.model import random_model
from dualspike.rtl.blocks.fc_core import fc_core, fc_core_for
from dualspike.spec import LayerSpec, ModelSpec

from rtl_harness import (clock, convert_and_lint, driver, monitor, pack_spikes, reset_pulse,
                         run_sim, unpack_int32, unpack_spikes)


def spec_for(readout="membrane", hidden=True, T=3):
    layers = [LayerSpec("conv", 4, pool=True)]
    if hidden:
        layers.append(LayerSpec("fc", 7, reset="zero"))
    layers.append(LayerSpec("fc", 5))
    return ModelSpec(name="f", input_shape=(2, 6, 5), encoding="events", T=T, layers=tuple(layers),
                     readout=readout)


@block
def bench(cfg, beats, lasts, got, errors, busy, seed, p_gap, p_stall):
    ports = cfg.ports
    dut = fc_core(*ports, geo=cfg.geo, images=cfg.images)
    glbl = ports.glbl

    @always(glbl.clk.posedge)
    def count():
        if ports.busy:
            busy[0] += 1

    return (clock(glbl.clk), reset_pulse(glbl), count, dut,
            driver(glbl.clk, ports.s, beats, lasts, random.Random(seed), p_gap),
            monitor(glbl.clk, ports.m, got, random.Random(seed + 1), p_stall, errors))


def layer_inputs(model, x, i):
    """Golden input of layer i per frame as beats, and the golden result."""
    res = golden.run(model, x, trace=True)
    out = res.traces[i - 1].out                        # [N, T, C, H, W]
    return [pack_spikes(out[f]) for f in range(x.shape[0])], res


def expected(spec, model, x, i, lanes, res):
    tr = res.traces[i - 1].out
    n = x.shape[0]
    frames = np.ascontiguousarray(tr.transpose(1, 0, 3, 4, 2)).reshape(-1, *tr.shape[3:], tr.shape[2])
    wmat = receptive_field_matrix(spec, i, model.layers[i].weight)
    pairs = pair_counts(spec, i, frames, False, wmat, spec.T, n)
    return layer_cycles(pairs, lanes, spec.T, False, scan=scan_cycles(spec, i, frames, False, spec.T, n))


@pytest.mark.parametrize("readout,hidden,layer,lanes,gap,stall", [
    ("membrane", True, 1, 3, 0.0, 0.0), ("membrane", True, 2, 2, 0.3, 0.5), ("count", True, 2, 4, 0, 0),
    ("count", False, 1, 5, 0.4, 0.3), ("count", True, 1, 1, 0.2, 0.6)])
def test_fc_core_golden(readout, hidden, layer, lanes, gap, stall):
    spec = spec_for(readout, hidden)
    model = random_model(spec, density=0.3, seed=lanes)
    frames = 1 if gap == stall == 0 else 3            # one frame: exact cost-model cycles
    x = (np.random.default_rng(lanes).random((frames, spec.T, 2, 6, 5)) < 0.35).astype(np.uint8)
    per_frame, res = layer_inputs(model, x, layer)
    beats = [b for fr in per_frame for b in fr]
    npx = len(per_frame[0])
    lasts = [(k % npx) == npx - 1 for k in range(len(beats))]
    got, errors, busy = [], [], [0]
    cfg = fc_core_for(spec, layer, lanes, model=model)
    run_sim(bench(cfg, beats, lasts, got, errors, busy, 5, gap, stall), 3000 * x.shape[0])
    assert not errors, errors[:3]
    assert len(got) == x.shape[0] and all(last for _, last in got)
    co = spec.layers[layer].out_channels
    for f, (data, _) in enumerate(got):
        if layer == len(spec.layers) - 1:
            np.testing.assert_array_equal(unpack_int32(data, co), res.logits[f])
        else:
            sp = unpack_spikes([data], spec.T, co, 1, 1)
            np.testing.assert_array_equal(sp, res.traces[layer].spikes[f])
    if x.shape[0] == 1:
        assert busy[0] == int(expected(spec, model, x, layer, lanes, res).sum())


def test_fc_core_converts():
    spec = spec_for("count", False)
    model = random_model(spec, density=0.3, seed=1)
    cfg = fc_core_for(spec, 1, 2, model=model)
    convert_and_lint(fc_core(*cfg.ports, geo=cfg.geo, images=cfg.images), "fc_core")
