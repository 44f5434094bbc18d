"""Gradient rewiring: one step against a hand computation; frozen sign; regrowth; prior location;
the sparsity budget; the per-channel cap."""
import math

import pytest
import torch

from dualspike.train.averaging import prune_to
from dualspike.train.gradr import (GradRewiring, TrainError, check_channel_cap, check_sparsity, laplace_location,
                                   over_channel_cap)


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


def test_channel_cap_trims_the_heaviest_channels_by_magnitude():
    # 3 output channels with 4, 1 and 1 positive entries: mean 2, cap 1.0 keeps ceil(2) = 2 each
    v = torch.tensor([[0.4, 0.1, 0.3, 0.2], [0.0, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.6]])
    assert over_channel_cap(v, 1.0).tolist() == [[False, True, False, True], [False] * 4, [False] * 4]
    assert not over_channel_cap(v, 2.0).any() and not over_channel_cap(v, 0.0).any()
    assert not over_channel_cap(torch.zeros(2, 3), 1.0).any()
    conv = torch.rand(8, 4, 3, 3) * (torch.rand(8, 4, 3, 3) < 0.3)          # a conv weight, channels first
    conv[0] = torch.rand(4, 3, 3) + 0.01                                     # one dense channel
    m = over_channel_cap(conv, 1.25)
    keep = math.ceil(1.25 * int((conv > 0).sum()) / 8)
    left = ((conv > 0) & ~m).reshape(8, -1).sum(1)
    assert int(left.max()) == keep and int(left[0]) == keep
    assert float(conv[0][~m[0]].min()) >= float(conv[0][m[0]].max())       # the smallest went
    light = (conv > 0).reshape(8, -1).sum(1) <= keep
    assert not m.reshape(8, -1)[light].any()                                # channels under the cap keep all


def test_enforce_and_prune_to_apply_the_channel_cap():
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(16, 8, 3, 3))
    with torch.no_grad():
        w[:2] *= 10                                          # two channels that magnitude pruning keeps whole
    opt = GradRewiring([w])
    opt.enforce(0.8)
    assert int((w[0] != 0).sum()) > 60                      # magnitude pruning alone keeps channel 0
    kept = w.numel() - math.ceil(0.8 * w.numel())           # non-zeros after the global budget
    opt.enforce(0.8, channel_cap=1.25)
    nz = (w != 0).reshape(16, -1).sum(1)
    assert int(nz[0]) == int(nz[1]) == int(nz.max()) == math.ceil(1.25 * kept / 16)
    assert (w == 0).float().mean().item() >= 0.8
    assert (opt.hidden(w)[0][w.detach() == 0] <= 0).all()  # pruned in the hidden state too
    e = torch.randn(16, 8, 3, 3)
    e[:2] *= 10
    zeros = prune_to([e], 0.8, channel_cap=1.25)
    nz = (e != 0).reshape(16, -1).sum(1)
    assert zeros >= 0.8 and int(nz[0]) < 72


@pytest.mark.parametrize("bad", [0.5, -1.0, float("nan"), True, "1.2"])
def test_channel_cap_outside_range(bad):
    from dualspike.train import recipes
    with pytest.raises(TrainError, match="channel cap"):
        check_channel_cap(bad)
    with pytest.raises(TrainError, match="channel cap"):
        recipes.get("default", channel_cap=bad)
    assert recipes.get("default", channel_cap=1.25).channel_cap == 1.25
