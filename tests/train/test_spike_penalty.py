"""The spike penalty: the recorded densities carry the surrogate gradient, the loop adds the
penalty to the loss, and a run with it ends with fewer spikes than the same run without."""
import pytest
import torch

from dualspike.data import default_mnist
from dualspike.spec import builtin
from dualspike.train import recipes
from dualspike.train.gradr import TrainError
from dualspike.train.loop import train
from dualspike.train.models import SpikingNet


def test_densities_carry_the_surrogate_gradient():
    net = SpikingNet(builtin("scnn5-mnist"), init_gain=1.5)
    x = torch.from_numpy(default_mnist("test")[0][:16])
    before = [d.item() for d in net(x, "float", record=True)[1]]
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        torch.stack(net(x, "float", record=True)[1]).mean().backward()
        opt.step()
    after = [d.item() for d in net(x, "float", record=True)[1]]
    assert sum(after) < 0.9 * sum(before), (before, after)     # 0.44 -> 0.37


@pytest.mark.slow
def test_a_run_with_the_penalty_ends_with_fewer_spikes(tmp_path):
    base = recipes.get("quick", train_subset=128, test_subset=64)
    dens = []
    for penalty in (0.0, 20.0):
        report = train(base.replace(spike_penalty=penalty), str(tmp_path / str(penalty)), progress=False,
                       log=lambda m: None)
        assert report["recipe"]["spike_penalty"] == penalty
        dens.append(sum(report["history"][-1]["spike_density"]))
    assert dens[1] < 0.7 * dens[0], dens


@pytest.mark.parametrize("bad", [-0.5, True, float("inf"), "2"])
def test_spike_penalty_must_be_a_number_at_least_zero(bad):
    with pytest.raises(TrainError, match=rf"spike_penalty = {bad!r} must be a number >= 0 \(0 = off\)"):
        recipes.get("default", spike_penalty=bad)
