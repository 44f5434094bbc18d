"""Weight averaging (train/averaging.py): the EMA update against a hand-computed sequence, its
checkpoint round trip, and the global magnitude pruning that restores the target sparsity."""
import pytest
import torch

from dualspike.train.averaging import ParameterEMA, prune_to


def _net(w, b):
    net = torch.nn.Linear(2, 1)
    with torch.no_grad():
        net.weight.copy_(torch.tensor([w]))
        net.bias.copy_(torch.tensor([b]))
    return net


def test_ema_follows_the_hand_computed_average():
    ema = ParameterEMA(0.75)
    steps = [([1.0, -2.0], 4.0), ([3.0, 2.0], 0.0), ([-1.0, 6.0], 8.0)]
    for w, b in steps:
        ema.update(_net(w, b))
    # avg1 = p1; avg2 = .75 p1 + .25 p2; avg3 = .75 avg2 + .25 p3
    w_avg = [0.75 * (0.75 * 1.0 + 0.25 * 3.0) + 0.25 * -1.0, 0.75 * (0.75 * -2.0 + 0.25 * 2.0) + 0.25 * 6.0]
    b_avg = 0.75 * (0.75 * 4.0 + 0.25 * 0.0) + 0.25 * 8.0
    assert ema.avg["weight"].tolist() == [w_avg]
    assert ema.avg["bias"].tolist() == [b_avg]
    net = _net([0.0, 0.0], 0.0)
    ema.copy_to(net)
    assert net.weight.tolist() == [w_avg] and net.bias.tolist() == [b_avg]


def test_ema_state_round_trip_continues_the_same_average():
    a, b = ParameterEMA(0.5), ParameterEMA(0.9)
    a.update(_net([2.0, 2.0], 2.0))
    b.load_state_dict(a.state_dict())
    for e in (a, b):
        e.update(_net([4.0, 0.0], 6.0))
    assert b.decay == 0.5
    assert all(torch.equal(a.avg[k], b.avg[k]) for k in a.avg)
    assert b.avg["weight"].tolist() == [[3.0, 1.0]]


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.5])
def test_ema_decay_outside_the_open_interval(decay):
    with pytest.raises(ValueError, match=r"ema decay = .* must be in \(0, 1\)"):
        ParameterEMA(decay)


def test_prune_to_ranks_all_tensors_together():
    w1 = torch.tensor([[0.5, -0.1875], [0.0, 2.0]])
    w2 = torch.tensor([-0.375, 0.0625, 1.0, -0.25])
    assert prune_to([w1, w2], 0.5) == 0.5          # zeros: 0.0 and the 3 smallest |w| over both tensors
    assert w1.tolist() == [[0.5, 0.0], [0.0, 2.0]]
    assert w2.tolist() == [-0.375, 0.0, 1.0, 0.0]
    assert prune_to([w1, w2], 0.0) == 0.5          # nothing to do
