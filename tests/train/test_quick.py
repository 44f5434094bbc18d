"""End to end: the quick recipe prunes, quantises, removes silent channels, exports, and the torch
integer mode equals the golden model on all 1,000 test digits; resume is deterministic; the CLI."""
import argparse
import json
import os

import numpy as np
import pytest

from dualspike import bitmap, golden
from dualspike.data import default_mnist
from dualspike.train import cli, recipes
from dualspike.train.gradr import TrainError
from dualspike.train.loop import export_checkpoint, train


@pytest.mark.slow
def test_quick_recipe_is_bit_exact_on_every_test_digit(tmp_path):
    report = train(recipes.get("quick"), str(tmp_path), progress=False, log=lambda m: None)
    fin = report["int"]
    assert fin["bit_exact"] and fin["checked_samples"] == 1000
    assert [h["mode"] for h in report["history"]] == ["float", "quant"]
    assert fin["weight_sparsity"] > 0.3                      # Grad-R pruned (plus zero-rounding)
    assert fin["test_acc"] > 0.13            # above chance (0.10, binomial sd 0.01 on 1,000 digits); a smoke run
    for name in ("report.json", "report.png", "checkpoint.pt", fin["model_file"]):
        assert os.path.getsize(tmp_path / name) > 0
    with open(tmp_path / "report.json") as f:
        assert json.load(f)["int"]["test_acc"] == fin["test_acc"]
    model = bitmap.load(str(tmp_path / fin["model_file"]))
    x, y = default_mnist("test")
    assert np.isclose((golden.run(model, x).classes == y).mean(), fin["test_acc"])
    assert [l.out_channels for l in model.spec.layers] == fin["out_channels"]
    assert len(fin["channel_order"]) == len(model.layers) - 1           # hidden channels ordered for the scan
    assert all(o["words_after"] <= o["words_before"] for o in fin["channel_order"])


@pytest.mark.slow
def test_resume_continues_exactly(tmp_path):
    # with label smoothing, and the parameter average from 40 % of the run on: it is in the
    # checkpoint after the first epoch, and the exported model is the average
    recipe = recipes.get("quick", train_subset=192, test_subset=100, prune_end=0.4, label_smoothing=0.1,
                         ema_decay=0.9)
    logs = []
    full = train(recipe, str(tmp_path / "a"), progress=False, log=logs.append)
    assert any(m.startswith("exporting the parameter average (EMA, decay 0.9)") for m in logs)

    class Stop(Exception):
        pass

    def stop_after_first(msg):
        if msg.startswith("epoch 1:"):
            raise Stop

    with pytest.raises(Stop):
        train(recipe, str(tmp_path / "b"), progress=False, log=stop_after_first)
    resumed = train(recipe, str(tmp_path / "b"), resume=True, progress=False, log=lambda m: None)
    keys = ("train_loss", "train_acc", "test_acc", "weight_sparsity", "prior")
    assert [[h[k] for k in keys] for h in resumed["history"]] == [[h[k] for k in keys] for h in full["history"]]
    assert resumed["int"]["test_acc"] == full["int"]["test_acc"]
    with open(tmp_path / "a" / "model.dsm", "rb") as fa, open(tmp_path / "b" / "model.dsm", "rb") as fb:
        run_file = fa.read()
        assert run_file == fb.read()
    # a checkpoint exported on its own gives the model the run exported (the parameter average)
    export_checkpoint(str(tmp_path / "b" / "checkpoint.pt"), str(tmp_path / "c"), log=lambda m: None)
    with open(tmp_path / "c" / "model.dsm", "rb") as fc:
        assert fc.read() == run_file


def test_cli_parser_and_early_errors(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="dualspike")
    sub = parser.add_subparsers(dest="command")
    cli.register(sub)
    args = parser.parse_args(["train", "--recipe", "quick", "--epochs", "3", "--target-sparsity", "0.9",
                              "--seed", "7", "-o", str(tmp_path)])
    assert args.func is cli.main and args.epochs == 3 and args.target_sparsity == 0.9 and args.seed == 7
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--help"])
    assert "--target-sparsity" in capsys.readouterr().out
    args = parser.parse_args(["train", "--target-sparsity", "1.2", "-o", str(tmp_path)])
    with pytest.raises(TrainError, match=r"target sparsity = 1.2 must be a number in \[0, 1\)"):
        args.func(args)
    assert cli._standalone(["--model", "nope", "-o", str(tmp_path)]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
