"""The dualspike CLI: every command has --help and works on files it writes itself."""
import json

import numpy as np
import pytest

from dualspike import bitmap, cli, golden
from dualspike.data import default_mnist


@pytest.mark.parametrize("command", ["info", "run", "random", "dump", "order", "train", "build", "demo"])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and "usage: dualspike" in out
    assert "``" not in out                                  # plain text, not the docstrings' markup


def test_random_info_dump_run(tmp_path, capsys):
    f = str(tmp_path / "m.dsm")
    assert cli.main(["random", "--density", "0.1", "--seed", "3", "-o", f]) == 0
    assert cli.main(["info", f]) == 0
    assert "total sparsity" in capsys.readouterr().out
    assert cli.main(["dump", f, "-o", str(tmp_path / "m.npz")]) == 0
    arrays = np.load(tmp_path / "m.npz")
    model = bitmap.load(f)
    assert np.array_equal(arrays["layer3_weight"], model.layers[3].weight)
    assert json.loads(str(arrays["spec_json"]))["name"] == "scnn5-mnist"
    x = np.random.default_rng(0).integers(0, 256, (6, 1, 28, 28), dtype=np.uint8)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", np.arange(6))
    out = tmp_path / "o.json"
    assert cli.main(["run", f, "--npy", str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"),
                     "--lanes", "4,8,8,8,2", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    from dualspike import golden
    assert res["classes"] == golden.run(model, x).classes.tolist()
    assert res["stats"]["frame_cycles"] > 0 and len(res["logits"]) == 6 and "accuracy" in res


def test_run_default_digits(capsys):
    assert cli.main(["run", "random:scnn5-mnist", "--limit", "20"]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_errors_are_reported_not_raised(tmp_path, capsys):
    (tmp_path / "bad.dsm").write_bytes(b"nope")
    assert cli.main(["info", str(tmp_path / "bad.dsm")]) == 2
    assert "truncated" in capsys.readouterr().err
    np.save(tmp_path / "x.npy", np.zeros((2, 28, 28), np.uint8))
    assert cli.main(["run", "random:scnn5-mnist", "--npy", str(tmp_path / "x.npy")]) == 2
    assert "shape" in capsys.readouterr().err


def test_order_keeps_the_logits_and_saves_window_words(tmp_path, capsys):
    src, dst = str(tmp_path / "m.dsm"), str(tmp_path / "o.dsm")
    assert cli.main(["random", "--density", "0.1", "--seed", "4", "-o", src]) == 0
    assert cli.main(["order", src, "-o", dst, "--samples", "8"]) == 0
    out = capsys.readouterr().out
    assert "window words" in out and "wrote" in out
    model, ordered = bitmap.load(src), bitmap.load(dst)
    x = default_mnist("test")[0][::97]
    assert np.array_equal(golden.run(ordered, x).logits, golden.run(model, x).logits)
    report = bitmap.load(dst, with_meta=True)[1]["channel_order"]
    assert len(report) == len(model.layers) - 1
    assert all(r["words_after"] <= r["words_before"] for r in report)
