"""Stream word formats of the accelerator, described once (host side: pack and unpack).

The RTL generator, the Verilator harness and the driver all use these functions and constants.

**Input stream** (AXI4-Stream, 64-bit words, ``TLAST`` on a frame's last word):

- images (``binary``/``bitplane``): pixels in raster order ``(h, w)``, each pixel its ``C`` channel
  bytes (uint8, channels fastest); the accelerator applies the threshold or bit-plane shift itself.
- events: pixels in raster order, each pixel ``ceil(T_MAX * C / 8)`` bytes holding spike bit
  ``t * C + c`` (LSB first; bits for ``t >= T`` are 0).

Bytes fill a word from its least significant byte; a frame is zero-padded to whole words.

**Weight stream** (same stream with ``CTRL.LOAD_WEIGHTS = 1``), per layer in order::

    header   bits 63:56 = 0xA5, 55:48 = layer index, 47:32 = out channels, 31:0 = non-zero count
             (the channels below come in the build's channel order: hardware channel h carries the
             model's channel ``order[h]``, ``AcceleratorDescription.order``)
    masks    Co × words  one mask word of the build's ``word`` bits (32 or 64) per stream word, LSB-aligned
                         (the bitmap file's masks re-cut, ``dualspike.bitmap.mask_words``)
    values   ceil(nnz / 16) words, 4-bit values, first value in bits 3:0 (wbits <= 4)
    params   Co words: bits 31:0 = bias (int32), 63:32 = threshold (int32)

``TLAST`` marks the last word of the last layer. ``WEIGHT_CRC`` is ``zlib.crc32`` of all the words'
little-endian bytes.

**Output stream** (32-bit words): per frame ``classes`` int32 words (membrane sums or spike counts),
``TLAST`` on the last.
"""
import zlib

import numpy as np

from .bitmap import mask_words, pack
from .errors import InputError
from .golden.cost import layer_words
from .golden.encode import check_input

IN_WORD_BYTES = 8
OUT_WORD_BYTES = 4
WEIGHT_HEADER_TAG = 0xA5


def pixel_bytes(spec, t_max):
    """Bytes per pixel in the input stream."""
    c = spec.input_shape[0]
    return -(-t_max * c // 8) if spec.encoding == "events" else c


def frame_words(spec, t_max):
    """64-bit words per input frame."""
    _, h, w = spec.input_shape
    return -(-h * w * pixel_bytes(spec, t_max) // IN_WORD_BYTES)


def pack_frames(spec, x, t_max):
    """Input batch ``x`` (as :func:`dualspike.golden.check_input` accepts) -> uint64 ``[N, words]``."""
    x = check_input(spec, x)
    n = x.shape[0]
    if spec.encoding == "events":
        t = x.shape[1]
        if t > t_max:
            raise InputError(f"events have {t} time bins, the accelerator supports at most T_MAX = {t_max}")
        c, h, w = spec.input_shape
        bits = np.zeros((n, h, w, pixel_bytes(spec, t_max) * 8), dtype=np.uint8)
        bits[..., :t * c] = x.transpose(0, 3, 4, 1, 2).reshape(n, h, w, t * c)
        per_pixel = np.packbits(bits, axis=-1, bitorder="little")
    else:
        per_pixel = x.transpose(0, 2, 3, 1)
    flat = np.ascontiguousarray(per_pixel).reshape(n, -1)
    words = frame_words(spec, t_max)
    buf = np.zeros((n, words * IN_WORD_BYTES), dtype=np.uint8)
    buf[:, :flat.shape[1]] = flat
    return buf.view("<u8").astype(np.uint64)


def _value_words(values):
    nib = (values.astype(np.int64) & 0xF).astype(np.uint64)
    nib = np.concatenate([nib, np.zeros((-len(nib)) % 16, dtype=np.uint64)])
    shifts = (np.arange(16, dtype=np.uint64) * np.uint64(4))
    return np.bitwise_or.reduce(nib.reshape(-1, 16) << shifts, axis=1) if len(nib) else nib


def weight_stream(model, word=64, order=None):
    """The whole weight stream of ``model`` as uint64 words, each layer's mask words cut to the
    accelerator's ``word`` bits (:func:`dualspike.bitmap.mask_words`; the build's ``word``: one
    width, or one per layer) and its channels in the build's ``order`` (one per layer, None
    entries or None: the model's order)."""
    out = []
    words = layer_words(word, len(model.spec.layers))
    model = hardware_order(model, order)
    for i, (ls, p) in enumerate(zip(model.spec.layers, pack(model))):
        if ls.wbits > 4:
            raise InputError(f"layer {i}: the weight stream carries 4-bit values, the layer has wbits = {ls.wbits}")
        co = p.masks.shape[0]
        head = (WEIGHT_HEADER_TAG << 56) | (i << 48) | (co << 32) | len(p.values)
        params = (p.bias.astype(np.int64) & 0xFFFFFFFF) | ((p.threshold.astype(np.int64) & 0xFFFFFFFF) << 32)
        out += [np.array([head], dtype=np.uint64), mask_words(p.masks, p.fan_in, words[i]).reshape(-1),
                _value_words(p.values),
                params.astype(np.uint64)]
    return np.concatenate(out).astype(np.uint64)


def hardware_order(model, order):
    """``model`` with each layer's output channels (weights, bias, threshold) in the build's
    channel ``order`` (hardware channel ``h`` = model channel ``order[h]``). Not an equivalent
    model: the next layer still reads the channels in the model's order, as the cores put them
    back. Used only to lay out the weight stream."""
    if not order or all(o is None for o in order):
        return model
    from .model import IntegerModel, LayerParams
    layers = [lp if o is None else LayerParams(lp.weight[list(o)], lp.bias[list(o)], lp.threshold[list(o)])
              for lp, o in zip(model.layers, order)]
    return IntegerModel(model.spec, layers)


def weight_crc(words):
    """CRC-32 the accelerator reports in ``WEIGHT_CRC`` after loading ``words``."""
    return zlib.crc32(np.asarray(words, dtype="<u8").tobytes())


def unpack_output(words, n, classes):
    """Output stream words (uint32) -> int32 ``[n, classes]``."""
    words = np.asarray(words)
    if words.size != n * classes:
        raise InputError(f"output stream holds {words.size} words, {n} frames × {classes} classes expected")
    return words.astype(np.uint32).view(np.int32).reshape(n, classes)
