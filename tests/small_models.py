"""Random tiny models and inputs covering every encoding, leak, reset, readout and saturation."""
import numpy as np

from dualspike.model import IntegerModel, LayerParams
from dualspike.spec import LayerSpec, ModelSpec


def random_small_spec(rng):
    encoding = ["binary", "bitplane", "events"][rng.integers(3)]
    c = 2 if encoding == "events" else int(rng.integers(1, 3))
    layers = []
    for _ in range(int(rng.integers(0, 3))):
        pool = bool(rng.integers(2))
        layers.append(LayerSpec("conv", int(rng.integers(1, 5)), pool=pool, leak=int(rng.choice([0, 1, 3])),
                                reset=["zero", "subtract"][rng.integers(2)], **_widths(rng)))
    for _ in range(int(rng.integers(1, 3))):
        layers.append(LayerSpec("fc", int(rng.integers(2, 6)), leak=int(rng.choice([0, 1, 3])),
                                reset=["zero", "subtract"][rng.integers(2)], **_widths(rng)))
    return ModelSpec(name="tiny", input_shape=(c, *_hw(rng, layers)),
                     encoding=encoding, T=int(rng.integers(1, 9)), layers=layers,
                     readout=["membrane", "count"][rng.integers(2)], input_bits=int(rng.integers(1, 9)),
                     input_threshold=int(rng.integers(1, 256)))


def _widths(rng):
    vbits = int(rng.choice([5, 8, 16]))          # 5 bits saturates often
    return dict(vbits=vbits, bbits=min(8, vbits))


def _hw(rng, layers):
    """An input height/width big enough for the pools of ``layers``."""
    pools = sum(l.pool for l in layers)
    lo = 2 ** pools
    return int(rng.integers(max(3, lo), max(3, lo) + 4)), int(rng.integers(max(3, lo), max(3, lo) + 4))


def random_params(spec, rng, density=None):
    layers = []
    for i, ls in enumerate(spec.layers):
        d = rng.uniform(0.05, 0.6) if density is None else density
        shape = spec.weight_shape(i)
        w = np.where(rng.random(shape) < d, rng.integers(-8, 8, size=shape), 0)
        big = 1 << (ls.vbits - 1)
        b = rng.integers(-8, 8, size=ls.out_channels)
        t = rng.integers(1, min(big - 1, 40 if i or spec.encoding != "bitplane" else 400), size=ls.out_channels,
                         endpoint=True)
        layers.append(LayerParams(w, b, t))
    return IntegerModel(spec, layers)


def random_input(spec, rng, n):
    c, h, w = spec.input_shape
    if spec.encoding == "events":
        return (rng.random((n, spec.T, c, h, w)) < rng.uniform(0.05, 0.5)).astype(np.uint8)
    return rng.integers(0, 256, size=(n, c, h, w), dtype=np.uint8)


def random_case(seed, n=2):
    rng = np.random.default_rng(seed)
    spec = random_small_spec(rng)
    return random_params(spec, rng), random_input(spec, rng, n)
