"""The golden model against a naive loop implementation and hand-computed cases."""
import numpy as np
import pytest

from dualspike import golden
from dualspike.errors import InputError
from dualspike.golden.lif import LIFParams, LIFState, charge, fire, lif_step, reset
from dualspike.model import IntegerModel, LayerParams, random_model
from dualspike.spec import LayerSpec, ModelSpec, builtin

from naive import naive_run
from small_models import random_case


@pytest.mark.parametrize("seed", range(120))
def test_golden_equals_naive_loops(seed):
    model, x = random_case(seed)
    assert np.array_equal(golden.run(model, x).logits, naive_run(model, x))


def test_random_cases_cover_every_option():
    seen = set()
    for seed in range(120):
        m, _ = random_case(seed)
        seen |= {("enc", m.spec.encoding), ("readout", m.spec.readout)}
        seen |= {("leak", l.leak) for l in m.spec.layers} | {("reset", l.reset) for l in m.spec.layers}
        seen |= {("pool", l.pool) for l in m.spec.layers} | {("vbits", l.vbits) for l in m.spec.layers}
    want = {("enc", e) for e in ("binary", "bitplane", "events")} | {("readout", r) for r in ("membrane", "count")}
    want |= {("leak", k) for k in (0, 1, 3)} | {("reset", r) for r in ("zero", "subtract")} | {("pool", True)}
    want |= {("vbits", 5)}
    assert want <= seen


def _one_neuron(w, b, theta, leak, reset_mode, T, vbits=16, encoding="binary", inputs=(1,)):
    c = 2 if encoding == "events" else 1
    spec = ModelSpec("one", (c, 1, 1), encoding, T, [LayerSpec("fc", 1, leak=leak, reset=reset_mode, vbits=vbits,
                                                               bbits=min(8, vbits))], readout="count")
    model = IntegerModel(spec, [LayerParams(np.array([w]), np.array([b]), np.array([theta]))])
    return model


def test_hand_computed_membrane_trace():
    # w=3, θ=5, k=1 (V - V>>1), subtract reset: H = 3, 5*, 3, 5*, 3  -> spikes 0 1 0 1 0
    m = _one_neuron([3], 0, 5, 1, "subtract", 5)
    r = golden.run(m, np.full((1, 1, 1, 1), 255, np.uint8), trace=True)
    assert r.traces[0].spikes[0, :, 0, 0, 0].tolist() == [0, 1, 0, 1, 0]
    assert r.logits.tolist() == [[2]]
    # IF neuron (k=0): H = 3, 6* (V=1), 4, 7* (V=2), 5* (V=0) -> 3 spikes
    assert golden.run(_one_neuron([3], 0, 5, 0, "subtract", 5), np.full((1, 1, 1, 1), 255, np.uint8)).logits.tolist() == [[3]]
    # zero reset: H = 3, 6* (V=0), 3, 6*, 3
    assert golden.run(_one_neuron([3], 0, 5, 0, "zero", 5), np.full((1, 1, 1, 1), 255, np.uint8)).logits.tolist() == [[2]]


def test_lif_stages_by_hand():
    p = LIFParams(np.array([5]), 1, "subtract", 16)
    assert charge(np.array([-3]), LIFState(np.array([-3])), p).tolist() == [-4]   # -3 - floor(-3/2) - 3
    assert fire(np.array([5, 4]), p).tolist() == [True, False]
    assert reset(np.array([7]), np.array([True]), p).v.tolist() == [2]
    assert reset(np.array([7]), np.array([True]), p._replace(reset="zero")).v.tolist() == [0]
    s, st = lif_step(np.array([9]), LIFState(np.array([0])), p._replace(vbits=4))   # 9 saturates to 7
    assert s.tolist() == [True] and st.v.tolist() == [2]


def test_saturation_changes_the_outcome():
    # events: ON (w=-8) at t=0..2, OFF (w=+7) at t=3..5; vbits=5 clamps at -16.
    # unsaturated: -8 -16 -24 -17 -10 -3 (no spike); saturated: -8 -16 -16 -9 -2 5* -> one spike
    m = _one_neuron([-8, 7], 0, 5, 0, "zero", 6, vbits=5, encoding="events")
    x = np.zeros((1, 6, 2, 1, 1), np.uint8)
    x[0, :3, 0] = 1
    x[0, 3:, 1] = 1
    assert golden.run(m, x).logits.tolist() == [[1]]
    unsat = IntegerModel(m.spec.replace(layers=(m.spec.layers[0].__class__(
        "fc", 1, leak=0, reset="zero", vbits=16),)), m.layers)
    assert golden.run(unsat, x).logits.tolist() == [[0]]


def test_pooling_and_flatten_order():
    # identity conv (centre weight 1, θ=1) copies the input; OR-pool; fc = identity over (c, h, w)
    T = 3
    spec = ModelSpec("pool", (1, 4, 4), "binary", T, [LayerSpec("conv", 1, pool=True, leak=0),
                                                      LayerSpec("fc", 4, leak=0)], readout="count")
    wc = np.zeros((1, 1, 3, 3), int)
    wc[0, 0, 1, 1] = 1
    model = IntegerModel(spec, [LayerParams(wc, [0], [1]), LayerParams(np.eye(4, dtype=int), [0] * 4, [1] * 4)])
    x = np.zeros((2, 1, 4, 4), np.uint8)
    x[0, 0, 1, 2] = 255          # pooled cell (0, 1) -> flat index 1
    x[1, 0, 3, 0] = 255          # pooled cell (1, 0) -> flat index 2
    x[1, 0, 2, 1] = 255          # same pooled cell: OR, not sum
    assert golden.run(model, x).logits.tolist() == [[0, T, 0, 0], [0, 0, T, 0]]


def test_membrane_readout_sums_currents_with_bias():
    spec = ModelSpec("mem", (1, 1, 1), "binary", 4, [LayerSpec("fc", 2)], readout="membrane")
    model = IntegerModel(spec, [LayerParams(np.array([[3], [-2]]), [1, -1], [1, 1])])
    assert golden.run(model, np.array([[[[200]]]], np.uint8)).logits.tolist() == [[16, -12]]
    assert golden.run(model, np.array([[[[0]]]], np.uint8)).logits.tolist() == [[4, -4]]


def test_ties_go_to_lowest_class_and_runtime_T():
    spec = ModelSpec("tie", (1, 1, 1), "binary", 4, [LayerSpec("fc", 3)])
    model = IntegerModel(spec, [LayerParams(np.array([[1], [2], [2]]), [0, 0, 0], [1, 1, 1])])
    r = golden.run(model, np.array([[[[255]]]], np.uint8), T=2)
    assert r.logits.tolist() == [[2, 4, 4]] and r.classes.tolist() == [1]


def test_batched_equals_one_by_one():
    m = random_model(builtin("scnn5-mnist"), 0.1, seed=2)
    x = np.random.default_rng(1).integers(0, 256, (5, 1, 28, 28), dtype=np.uint8)
    whole = golden.run(m, x).logits
    assert np.array_equal(whole, np.concatenate([golden.run(m, x[i:i + 1]).logits for i in range(5)]))


def test_traces_locate_layers():
    m = random_model(builtin("scnn5-mnist"), 0.1, seed=2)
    r = golden.run(m, np.zeros((1, 1, 28, 28), np.uint8) + 200, trace=True)
    assert [t.spikes.shape for t in r.traces[:-1]] == [(1, 4, 32, 28, 28), (1, 4, 32, 28, 28), (1, 4, 64, 14, 14),
                                                       (1, 4, 64, 7, 7)]
    assert r.traces[1].out.shape == (1, 4, 32, 14, 14)
    assert r.traces[-1].spikes is None            # membrane readout has no spikes


@pytest.mark.parametrize("bad, msg", [
    (np.zeros((2, 28, 28), np.uint8), r"shape \[N, 1, 28, 28\]"),
    (np.zeros((2, 1, 28, 28), np.float32), "must be uint8"),
    (np.zeros((2, 3, 28, 28), np.uint8), "got \\[2, 3, 28, 28\\]"),
    ([[1, 2]], "numpy array"),
])
def test_bad_input_to_golden(bad, msg):
    m = random_model(builtin("scnn5-mnist"), 0.06)
    with pytest.raises(InputError, match=msg):
        golden.run(m, bad)


def test_bad_events_input():
    m = random_model(builtin("scnn7-dvs"), 0.06)
    with pytest.raises(InputError, match="0/1"):
        golden.run(m, np.full((1, 4, 2, 32, 32), 2, np.uint8))
    with pytest.raises(InputError, match="time bins"):
        golden.run(m, np.zeros((1, 3, 2, 32, 32), np.uint8))
    with pytest.raises(InputError, match="positive int"):
        golden.run(m, np.zeros((1, 4, 2, 32, 32), np.uint8), T=0)


def _saturating_case(seed):
    """Events into IF/LIF layers with a 5-bit membrane and thresholds near its top: clamps often."""
    rng = np.random.default_rng(seed)
    layers = [LayerSpec("conv", 3, leak=int(rng.choice([0, 1])), reset=["zero", "subtract"][seed % 2], vbits=5,
                        bbits=4),
              LayerSpec("fc", 4, leak=0, reset="subtract", vbits=5, bbits=4)]
    spec = ModelSpec("sat", (2, 3, 3), "events", 8, layers, readout="count")
    params = [LayerParams(rng.integers(-8, 8, spec.weight_shape(i)), rng.integers(-2, 3, l.out_channels),
                          rng.integers(8, 16, l.out_channels)) for i, l in enumerate(layers)]
    x = (rng.random((4, 8, 2, 3, 3)) < 0.4).astype(np.uint8)
    return IntegerModel(spec, params), x


@pytest.mark.parametrize("seed", range(20))
def test_golden_equals_naive_when_saturating(seed):
    model, x = _saturating_case(seed)
    assert np.array_equal(golden.run(model, x).logits, naive_run(model, x))
