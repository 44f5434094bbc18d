"""Torch integer mode vs golden on random tiny models; silent-channel removal; export errors."""

import numpy as np
import pytest
import torch

from dualspike import golden
from dualspike.model import IntegerModel, LayerParams, random_model
from dualspike.spec import LayerSpec, ModelSpec
from dualspike.train.export import ExportError, check_bit_exact, remove_silent, silent_channels
from dualspike.train.models import SpikingNet, int_forward
from small_models import random_case


@pytest.mark.parametrize("seed", range(40))
def test_int_forward_equals_golden_on_random_tiny_models(seed):
    model, x = random_case(seed, n=3)
    params = [tuple(torch.from_numpy(a) for a in lp) for lp in model.layers]
    got = int_forward(model.spec, params, torch.from_numpy(x)).numpy()
    assert np.array_equal(got, golden.run(model, x).logits)


def _spec(encoding="bitplane", readout="membrane"):
    return ModelSpec(name="t", input_shape=(2 if encoding == "events" else 1, 8, 8), encoding=encoding,
                     T=3, readout=readout,
                     layers=(LayerSpec("conv", 4, pool=True), LayerSpec("conv", 3, pool=True),
                             LayerSpec("fc", 5)))


@pytest.mark.parametrize("encoding", ["binary", "bitplane", "events"])
@pytest.mark.parametrize("readout", ["membrane", "count"])
def test_quant_mode_matches_int_mode(encoding, readout):
    spec = _spec(encoding, readout)
    net = SpikingNet(spec, init_gain=2.0)
    net.init_quant()
    rng = np.random.default_rng(0)
    x = (rng.integers(0, 2, (16, 3, 2, 8, 8)) if encoding == "events" else
         rng.integers(0, 256, (16, 1, 8, 8))).astype(np.uint8)
    q = net(torch.from_numpy(x), "quant").detach().double()
    i = net(torch.from_numpy(x), "int")
    if readout == "membrane":
        q = q / net.layers[-1].quant.scale()[0].double()
    assert torch.allclose(q, i.double(), atol=1e-3)
    model = IntegerModel(spec, [LayerParams(*(a.numpy() for a in p)) for p in net.integer_params()])
    assert np.array_equal(i.numpy(), golden.run(model, x).logits)


def _with_silent(model, layer, ch, bias, weight_value=0):
    layers = list(model.layers)
    w, b, t = (a.copy() for a in layers[layer])
    w[ch] = 0
    if weight_value:
        w[ch].flat[0] = weight_value
    b[ch] = bias
    layers[layer] = LayerParams(w, b, t)
    return IntegerModel(model.spec, layers)


def test_silent_channel_removal_keeps_logits():
    spec = _spec("binary")
    model = random_model(spec, density=0.5, seed=3)
    t1 = model.layers[1].threshold[2]
    model = _with_silent(model, 0, 1, bias=0)                 # all-zero weights, bias 0: silent
    model = _with_silent(model, 1, 2, bias=-3, weight_value=-5)  # only a negative weight: silent
    model = _with_silent(model, 0, 3, bias=int(model.layers[0].threshold[3]))  # bias alone fires: kept
    assert list(silent_channels(model, 0)) == [1] and list(silent_channels(model, 1)) == [2]
    x = np.random.default_rng(1).integers(0, 256, (20, 1, 8, 8)).astype(np.uint8)
    ref = golden.run(model, x).logits
    pruned, removed = remove_silent(model)
    assert removed == [[1], [2], []]
    assert [l.out_channels for l in pruned.spec.layers] == [3, 2, 5]
    assert pruned.layers[1].weight.shape == (2, 3, 3, 3) and pruned.layers[2].weight.shape == (5, 2 * 2 * 2)
    assert np.array_equal(pruned.layers[2].weight.reshape(5, 2, 2, 2),
                          model.layers[2].weight.reshape(5, 3, 2, 2)[:, [0, 1]])
    assert np.array_equal(check_bit_exact(pruned, x, reference=ref), ref)
    assert t1 > 0


def test_bias_reaching_threshold_within_T_is_not_silent():
    model = random_model(_spec("binary"), density=0.5, seed=4)
    layers = list(model.layers)
    w, b, t = (a.copy() for a in layers[0])
    w[0], t[0] = 0, 10
    # leak k = 1, T = 3, θ = 10: bias 6 gives H = 6, 9, 11 (fires at t = 2); bias 5 gives 5, 8, 9
    for bias, silent in ((6, False), (5, True)):
        b[0] = bias
        layers[0] = LayerParams(w, b, t)
        assert (0 in silent_channels(IntegerModel(model.spec, layers), 0)) == silent


def test_removal_never_empties_a_layer_or_touches_the_readout():
    spec = _spec("binary")
    model = random_model(spec, density=0.5, seed=5)
    layers = list(model.layers)
    w, b, t = layers[0]
    layers[0] = LayerParams(np.zeros_like(w), np.zeros_like(b), t)
    w2, b2, t2 = layers[2]
    layers[2] = LayerParams(np.zeros_like(w2), np.zeros_like(b2), t2)
    pruned, removed = remove_silent(IntegerModel(spec, layers))
    assert pruned.spec.layers[0].out_channels == 1 and len(removed[0]) == 3
    assert pruned.spec.layers[2].out_channels == 5 and removed[2] == []


def test_bit_exact_check_names_the_sample():
    model = random_model(_spec("binary"), density=0.5, seed=6)
    x = np.random.default_rng(2).integers(0, 256, (10, 1, 8, 8)).astype(np.uint8)
    ref = golden.run(model, x).logits.copy()
    ref[7, 0] += 1
    with pytest.raises(ExportError, match="logits changed on sample 7"):
        check_bit_exact(model, x, reference=ref)
