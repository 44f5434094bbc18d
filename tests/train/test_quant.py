"""Modified LSQ: rounding mode, integers, and the gradient against the LSQ formula."""
import math

import numpy as np
import torch

from dualspike.fixedpoint import HALF_EVEN, round_half
from dualspike.train.quant import Int4WeightBiasThresholdPerChannel, grad_scale, lsq


def test_round_half_even_matches_fixedpoint():
    v = torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 3.49])
    q = lsq(v, torch.tensor(1.0), -8, 7)
    assert q.tolist() == round_half(v.numpy(), HALF_EVEN).tolist() == [0.0, 2.0, 2.0, -0.0, -2.0, 3.0]


def test_lsq_gradient_formula():
    s = torch.tensor(0.1, requires_grad=True)
    v = torch.tensor([0.234, -0.349, 0.96, -1.3, 0.05], requires_grad=True)
    lo, hi = -8, 7
    q = lsq(v, s, lo, hi)
    q.sum().backward()
    r = v.detach() / 0.1
    want_s = torch.where(r <= lo, torch.tensor(float(lo)),
                         torch.where(r >= hi, torch.tensor(float(hi)), torch.round(r) - r))
    assert torch.allclose(s.grad, want_s.sum(), atol=1e-6)
    assert v.grad.tolist() == [1.0, 1.0, 0.0, 0.0, 1.0]      # STE inside, 0 where clamped (9.6, -13)
    assert torch.allclose(q.detach(), torch.tensor([0.2, -0.3, 0.7, -0.8, 0.0]))  # 0.5 -> 0 (even)


def test_lsq_gradient_scale():
    qz = Int4WeightBiasThresholdPerChannel(channels=3, n_per_channel=18, wbits=4)
    assert math.isclose(qz.g, 1 / math.sqrt(18 * 7))
    w = torch.randn(3, 2, 3, 3)
    qz.init_from(w)
    s = qz.scale()
    qw = qz.weight(w, s)
    s_plain = qz.s.detach().clone().requires_grad_(True)
    qw_plain = lsq(w, s_plain.reshape(-1, 1, 1, 1), -8, 7)
    qw.sum().backward()
    qw_plain.sum().backward()
    assert torch.allclose(qz.s.grad, s_plain.grad * qz.g)
    assert torch.equal(qw.detach(), qw_plain.detach())
    x = torch.tensor(2.0, requires_grad=True)
    (grad_scale(x, 0.25) * 3).backward()
    assert x.grad.item() == 0.75


def test_shared_scale_integers():
    qz = Int4WeightBiasThresholdPerChannel(channels=2, n_per_channel=4, wbits=4, bbits=8, vbits=16)
    with torch.no_grad():
        qz.s.copy_(torch.tensor([0.1, 0.5]))
    w = torch.tensor([[0.24, -0.9, 0.05, 0.0], [1.0, -5.0, 0.2, 0.3]])
    b = torch.tensor([0.31, -100.0])
    wq, bq, tq = qz.integers(w, b, torch.tensor(1.0), in_gain=0.5)
    assert wq.tolist() == [[2, -8, 0, 0], [2, -8, 0, 1]]       # 0.5 -> 0 and 0.6 -> 1: half-even
    # bias and threshold in units u = s · gain = [0.05, 0.25]
    assert bq.tolist() == [6, -128] and tq.tolist() == [20, 4]


def test_readout_scale_shared():
    qz = Int4WeightBiasThresholdPerChannel(channels=10, n_per_channel=5, per_channel=False)
    qz.init_from(torch.randn(10, 5))
    s = qz.scale()
    assert s.shape == (10,) and torch.all(s == s[0])
    assert np.isclose(qz.g, 1 / math.sqrt(50 * 7))
