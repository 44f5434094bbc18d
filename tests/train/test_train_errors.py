"""Bad input gives specific errors with clear messages."""

import numpy as np
import pytest
import torch

from dualspike.errors import InputError, SpecError
from dualspike.spec import builtin
from dualspike.train import recipes
from dualspike.train.gradr import GradRewiring, TrainError
from dualspike.train.loop import CheckpointError, load_checkpoint, load_data, save_checkpoint


def test_unknown_model_name():
    with pytest.raises(SpecError, match="unknown model 'scnn5-mnistt'; built-in models are scnn5-mnist"):
        recipes.get("default", model="scnn5-mnistt")


def test_unknown_recipe():
    with pytest.raises(TrainError, match="unknown recipe .fast.; recipes are default, dense, pruned-float, short, quick"):
        recipes.get("fast")


@pytest.mark.parametrize("bad", [1.0, -0.01, 2])
def test_target_sparsity_outside_range(bad):
    with pytest.raises(TrainError, match=rf"target sparsity = {bad!r} must be a number in \[0, 1\)"):
        recipes.get("default", target_sparsity=bad)
    with pytest.raises(TrainError, match="target sparsity"):
        GradRewiring([torch.nn.Parameter(torch.ones(3))], sparsity=bad)


@pytest.mark.parametrize("name", ["label_smoothing", "ema_decay"])
@pytest.mark.parametrize("bad", [1.0, -0.1, True])
def test_label_smoothing_and_ema_decay_outside_range(name, bad):
    with pytest.raises(TrainError, match=rf"{name} = {bad!r} must be a number in \[0, 1\)"):
        recipes.get("default", **{name: bad})


def test_wrong_data_shape():
    spec = builtin("scnn5-mnist")
    x = np.zeros((10, 28, 28), np.uint8)
    y = np.zeros(10, np.int64)
    ok = np.zeros((10, 1, 28, 28), np.uint8)
    with pytest.raises(InputError, match=r"train data: scnn5-mnist takes images of shape \[N, 1, 28, 28\], "
                                         r"got \[10, 28, 28\]"):
        load_data(spec, ((x, y), (ok, y)))
    with pytest.raises(InputError, match=r"test labels must be ints \[N\] with N = 10 images"):
        load_data(spec, ((ok, y), (ok, y[:5])))
    with pytest.raises(InputError, match=r"train labels must lie in \[0, 10\), found \[3, 12\]"):
        load_data(spec, ((ok, np.arange(10) + 3), (ok, y)))
    with pytest.raises(TrainError, match="data = 'nowhere.bin'"):
        load_data(spec, "nowhere.bin")


def test_corrupt_checkpoint(tmp_path):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(b"PK\x03\x04 this is not a checkpoint" * 10)
    with pytest.raises(CheckpointError, match=f"checkpoint {path} is corrupt or not a dualspike training checkpoint"):
        load_checkpoint(str(path))
    recipe = recipes.get("quick")
    save_checkpoint(str(path), dict(recipe=recipe.to_dict(), epoch=1))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])                    # truncated
    with pytest.raises(CheckpointError, match="is corrupt"):
        load_checkpoint(str(path))
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(str(tmp_path / "none.pt"))


def test_checkpoint_of_another_recipe_or_format(tmp_path):
    path = str(tmp_path / "c.pt")
    save_checkpoint(path, dict(recipe=recipes.get("quick").to_dict(), epoch=1))
    assert load_checkpoint(path, recipes.get("quick"))["epoch"] == 1
    with pytest.raises(CheckpointError, match="different recipe .*differs in seed"):
        load_checkpoint(path, recipes.get("quick", seed=3))
    # a checkpoint written before a recipe field existed reads as that field's default
    older = {k: v for k, v in recipes.get("quick").to_dict().items() if k not in ("label_smoothing", "ema_decay")}
    save_checkpoint(path, dict(recipe=older, epoch=2))
    assert load_checkpoint(path, recipes.get("quick"))["epoch"] == 2
    with pytest.raises(CheckpointError, match="differs in ema_decay"):
        load_checkpoint(path, recipes.get("quick", ema_decay=0.9))
    torch.save({"weights": torch.ones(2)}, path)
    with pytest.raises(CheckpointError, match="is not a dualspike training checkpoint"):
        load_checkpoint(path)
