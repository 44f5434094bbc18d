"""Gradient rewiring: one step against a hand computation; frozen sign; regrowth; prior location;
the sparsity budget."""
import math

import pytest
import torch

from dualspike.train.gradr import GradRewiring, TrainError, check_sparsity, laplace_location


def test_gradr_step_by_hand():
    w = torch.nn.Parameter(torch.tensor([0.5, -0.2, 0.3, -0.1]))
    opt = GradRewiring([w], lr=0.2, betas=(0.9, 0.999), eps=1e-8, sparsity=0.8, prior=0.5,
                       weight_decay=0.01)
    theta, sign = opt.hidden(w)
    assert sign.tolist() == [1, -1, 1, -1] and torch.allclose(theta, w.detach().abs())
    with torch.no_grad():          # make weight 3 pruned: θ = -0.05, w = 0
        theta[3] = -0.05
        w[3] = 0.0
    b = (0.5 + 0.2 + 0.3 + 0.1) / 4
    mu = b * math.log(2 * (1 - 0.8))
    g = torch.tensor([0.4, -1.0, 0.0, 2.0])   # dL/dw
    w.grad = g.clone()
    opt.step()
    # first Adam step: m̂ = g, v̂ = g², so m̂/(√v̂+ε) = sign(g) (0 where g = 0)
    th0 = torch.tensor([0.5, 0.2, 0.3, -0.05])
    sg = torch.tensor([1.0, -1.0, 1.0, -1.0])
    adam = g / (g.abs() + 1e-8)
    want_theta = th0 - 0.2 * (sg * adam + 0.5 * torch.sign(th0 - mu) + 0.01 * th0)
    assert torch.allclose(theta, want_theta, atol=1e-6)
    assert torch.allclose(w.detach(), sg * want_theta.clamp_min(0))
    # weight 1 (σ = -1): dL/dw < 0 wants w larger, i.e. θ smaller: 0.2 - 0.2·(1 + 0.5 + 0.002) < 0
    assert theta[1].item() < 0 and w[1].item() == 0.0          # pruned, w stays ≤ 0 (sign frozen)
    # weight 3 was pruned (θ < 0); dL/dw = 2 > 0 with σ = -1 pushes θ up: it grows back negative
    assert theta[3].item() > 0 and w[3].item() < 0


def test_sign_frozen_and_regrowth_over_many_steps():
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(200))
    sign0 = torch.sign(w.detach())
    opt = GradRewiring([w], lr=0.05, sparsity=0.9, prior=1.0)
    for _ in range(60):                 # only the prior: most weights get pruned
        w.grad = torch.zeros_like(w)
        opt.step()
    z, n = opt.sparsity()
    assert z / n > 0.8
    pruned = opt.hidden(w)[0] <= 0
    for _ in range(60):                 # data pulls every weight away from 0 along its sign
        w.grad = -sign0 * 1.0
        opt.step()
    w_now = w.detach()
    assert torch.all((w_now == 0) | (torch.sign(w_now) == sign0))     # never flips sign
    assert (w_now[pruned] != 0).float().mean() > 0.9                  # pruned weights regrew


def test_laplace_location_puts_target_mass_below_zero():
    for p in (0.5, 0.9, 0.94):
        b = 0.03
        mu = laplace_location(b, p)
        cdf0 = 1 - 0.5 * math.exp(-(0 - mu) / b)
        assert math.isclose(cdf0, p, rel_tol=1e-9)


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5, float("nan"), "0.9", True])
def test_target_sparsity_outside_range(bad):
    with pytest.raises(TrainError, match=r"target sparsity = .* must be a number in \[0, 1\)"):
        check_sparsity(bad)


def test_plain_adam_group_untouched_by_rewiring():
    a = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    opt = GradRewiring([dict(params=[a], rewire=False)], lr=0.1)
    a.grad = torch.tensor([1.0, 1.0])
    opt.step()
    assert torch.allclose(a.detach(), torch.tensor([0.9, -1.1]))


def test_enforce_prunes_the_smallest_weights_globally_and_leaves_biases():
    a = torch.nn.Parameter(torch.tensor([[0.5, -0.05], [0.2, -0.3]]))
    b = torch.nn.Parameter(torch.tensor([[0.01, 0.9, -0.1, 0.4]]))
    bias = torch.nn.Parameter(torch.tensor([0.001, -0.002]))
    opt = GradRewiring([dict(params=[a, b, bias])], sparsity=0.5)
    assert opt.enforce(0.0) == 0
    assert opt.enforce(0.5) == 4                       # 8 weights: the 4 smallest |w| go, over both tensors
    assert a.detach().flatten().tolist() == pytest.approx([0.5, 0.0, 0.0, -0.3])
    assert b.detach().flatten().tolist() == pytest.approx([0.0, 0.9, 0.0, 0.4])
    assert bias.detach().tolist() == pytest.approx([0.001, -0.002])   # 1-d tensors are not budgeted
    assert opt.hidden(a)[0][0, 1].item() == 0.0 and opt.hidden(a)[1][0, 1].item() == -1.0
    assert opt.enforce(0.5) == 0                       # already there
    w = torch.nn.Parameter(torch.randn(50, 20))
    opt = GradRewiring([w])
    opt.enforce(0.9)
    assert (w == 0).float().mean().item() == pytest.approx(0.9)
    w.grad = -torch.sign(w.detach() + (w == 0) * opt.hidden(w)[1])      # pruned weights grow back
    opt.step()
    assert (w == 0).float().mean().item() < 0.9
