"""LIF neuron: integer mode == golden LIF; quant mode == integer mode × unit; ATan surrogate."""
import math

import numpy as np
import pytest
import torch

from dualspike.golden.lif import LIFParams, lif_run
from dualspike.train.neurons import LIFConfig, atan_spike, lif_multistep


@pytest.mark.parametrize("leak", [0, 1, 3])
@pytest.mark.parametrize("reset", ["zero", "subtract"])
@pytest.mark.parametrize("vbits", [8, 16])
def test_int_mode_equals_golden(leak, reset, vbits):
    rng = np.random.default_rng(leak * 10 + vbits)
    lim = 1 << (vbits - 1)
    cur = rng.integers(-lim // 2, lim // 2, size=(6, 50, 7))            # large enough to saturate
    th = rng.integers(1, lim // 4, size=7)
    ref = lif_run(cur.astype(np.int64), LIFParams(th.astype(np.int64), leak, reset, vbits))
    got = lif_multistep(torch.from_numpy(cur), torch.from_numpy(th), LIFConfig(leak, reset, vbits), "int")
    assert np.array_equal(got.numpy(), ref)
    assert ref.any() and not ref.all()


@pytest.mark.parametrize("leak,reset", [(0, "subtract"), (1, "subtract"), (2, "zero")])
def test_quant_mode_is_int_mode_times_unit(leak, reset):
    rng = np.random.default_rng(1)
    cur = rng.integers(-300, 400, size=(5, 40, 6))
    th = rng.integers(1, 200, size=6)
    unit = torch.tensor(rng.uniform(0.003, 0.2, size=6), dtype=torch.float32)
    cfg = LIFConfig(leak, reset, 10)
    ref = lif_multistep(torch.from_numpy(cur), torch.from_numpy(th), cfg, "int")
    got = lif_multistep(torch.from_numpy(cur).float() * unit, torch.from_numpy(th).float() * unit, cfg,
                        "quant", unit)
    assert torch.equal(got.to(torch.int64), ref)


def test_float_mode_difference_equation():
    cfg = LIFConfig(leak=1, reset="subtract", vbits=16)
    cur = torch.tensor([[0.6], [0.6], [0.6], [0.0]])
    s = lif_multistep(cur, torch.tensor(1.0), cfg, "float")
    # V: 0.6 -> 0.3+0.6=0.9 -> 0.45+0.6=1.05 fires, V=0.05 -> 0.025 no spike
    assert s.flatten().tolist() == [0.0, 0.0, 1.0, 0.0]


def test_atan_surrogate_gradient():
    x = torch.tensor([-1.0, 0.0, 0.3], requires_grad=True)
    alpha = 2.0
    s = atan_spike(x, alpha)
    assert s.tolist() == [0.0, 1.0, 1.0]
    s.sum().backward()
    want = [alpha / 2 / (1 + (math.pi / 2 * alpha * v) ** 2) for v in (-1.0, 0.0, 0.3)]
    assert torch.allclose(x.grad, torch.tensor(want))


def test_bad_mode():
    with pytest.raises(ValueError, match="mode = 'fixed'"):
        lif_multistep(torch.zeros(2, 3), torch.tensor(1.0), LIFConfig(), "fixed")


@pytest.mark.parametrize("mode", ["float", "quant"])
@pytest.mark.parametrize("leak,reset", [(0, "subtract"), (1, "subtract"), (2, "zero"), (1, "zero")])
def test_hand_bptt_equals_autograd(mode, leak, reset):
    from dualspike.train.neurons import lif_reference
    torch.manual_seed(leak)
    cfg = LIFConfig(leak, reset, 16, alpha=2.0)
    unit = torch.rand(1, 5) * 0.1 + 0.05 if mode == "quant" else None
    cur = (torch.randn(4, 8, 5) * 0.8).requires_grad_(True)
    th = (torch.rand(1, 5) + 0.5).requires_grad_(True)
    if mode == "quant":
        with torch.no_grad():
            cur.copy_(torch.round(cur / unit) * unit)
    gout = torch.randn(4, 8, 5)
    out = lif_multistep(cur, th, cfg, mode, unit)
    (out * gout).sum().backward()
    g1 = (cur.grad.clone(), th.grad.clone())
    cur.grad = th.grad = None
    ref = lif_reference(cur, th, cfg, mode, unit)
    (ref * gout).sum().backward()
    assert torch.equal(out, ref) and out.any()
    assert torch.allclose(g1[0], cur.grad, atol=1e-5) and torch.allclose(g1[1], th.grad, atol=1e-5)
