"""The bitmap weight file (``.dsm``) and the weight stream the accelerator loads.

Weights are stored as the accelerator's weight memory holds them: per output channel a bitmap mask
over the layer's receptive field (conv: ``(ky, kx, ci)``, fc: ``(h, w, c)``; channel fastest), split
into 64-bit words with bit ``j`` in word ``j // 64`` at bit ``j % 64``, followed by the channel's
non-zero weights in ascending ``j``. The byte-level specification with a worked example is
``docs/format.md``; this docstring is its summary::

    file    = header manifest section*            (one section per layer, in order)
    header  = "DSPK" u16 version u16 word_bits u32 manifest_len u32 manifest_crc32
    manifest= UTF-8 JSON {"spec": {...}, "layers": [{"co", "fan_in", "words", "nnz"}...], "meta": {...}}
    section = "LAYR" u32 payload_len u32 payload_crc32 payload
    payload = masks   co × words × u64          (LSB = receptive-field position 0)
              values  ceil(nnz / 2) bytes        (4-bit two's complement, first value in the low nibble)
              bias    co × i32
              thresh  co × i32

All integers little-endian. Values are nibbles for ``wbits <= 4`` and one byte each otherwise.
:func:`load` checks everything and raises a :class:`~dualspike.errors.FormatError` subclass (or
:class:`~dualspike.errors.ModelError` for out-of-range values) before any model exists.
"""
import json
import struct
import zlib
from typing import NamedTuple

import numpy as np

from .errors import (BadMagicError, ChecksumError, FormatError, MaskMismatchError,
                     TruncatedFileError, UnsupportedVersionError)
from .golden.layers import receptive_field_matrix
from .model import IntegerModel, LayerParams
from .spec import ModelSpec

MAGIC = b"DSPK"
VERSION = 1
WORD_BITS = 64
SECTION_TAG = b"LAYR"
_HEADER = struct.Struct("<4sHHII")
_SECTION = struct.Struct("<4sII")


class PackedLayer(NamedTuple):
    """One layer in weight-memory form: ``masks`` uint64 ``[Co, words]``, ``values`` int8 ``[nnz]``
    (all channels, channel after channel), ``bias`` and ``threshold`` int32 ``[Co]``."""

    masks: np.ndarray
    values: np.ndarray
    bias: np.ndarray
    threshold: np.ndarray
    fan_in: int

    @property
    def counts(self):
        """Non-zero weights per output channel (the masks' popcounts)."""
        bits = np.unpackbits(self.masks.view(np.uint8), axis=1)
        return bits.sum(axis=1).astype(np.int64)


def words_for(fan_in, word=WORD_BITS):
    """Mask words of ``word`` bits per output channel for a receptive field of ``fan_in``."""
    return -(-fan_in // word)


def mask_words(masks, fan_in, word=WORD_BITS, from_word=WORD_BITS):
    """Mask words ``[Co, words_for(fan_in, from_word)]`` (the file's 64-bit words by default) re-cut
    into ``word``-bit words (bit ``j`` in word ``j // word`` at bit ``j % word``), one per uint64
    ``[Co, words_for(fan_in, word)]``: the mask RAM layout of an accelerator built with that word
    width (and, with ``from_word``, back)."""
    masks = np.asarray(masks, dtype=np.uint64)
    if word == from_word:
        return masks
    for w in (word, from_word):
        if not 1 <= w <= WORD_BITS:
            raise ValueError(f"mask word width must be in [1, {WORD_BITS}], not {w}")
    co = masks.shape[0]
    bits = np.unpackbits(masks.astype("<u8").view(np.uint8).reshape(co, -1, 8), axis=2, bitorder="little")
    bits = bits[:, :, :from_word].reshape(co, -1)
    nw = words_for(fan_in, word)
    cut = np.zeros((co, nw * word), dtype=np.uint64)
    cut[:, :fan_in] = bits[:, :fan_in]
    return (cut.reshape(co, nw, word) << np.arange(word, dtype=np.uint64)).sum(axis=2, dtype=np.uint64)


# ---- model <-> weight-memory form ---------------------------------------------------------------
def pack_layer(spec, i, params):
    """Layer ``i`` of an integer model as a :class:`PackedLayer`."""
    rf = receptive_field_matrix(spec, i, params.weight).T          # [Co, R]
    co, r = rf.shape
    nz = rf != 0
    padded = np.zeros((co, words_for(r) * WORD_BITS), dtype=np.uint8)
    padded[:, :r] = nz
    masks = np.packbits(padded, axis=1, bitorder="little").view("<u8").reshape(co, -1)
    return PackedLayer(masks.astype(np.uint64), rf[nz].astype(np.int8),
                       params.bias.astype(np.int32), params.threshold.astype(np.int32), r)


def unpack_layer(spec, i, packed):
    """Inverse of :func:`pack_layer`: ``LayerParams`` in torch layout."""
    co, r = packed.masks.shape[0], packed.fan_in
    bits = np.unpackbits(packed.masks.astype("<u8").view(np.uint8).reshape(co, -1), axis=1,
                         bitorder="little")[:, :r].astype(bool)
    rf = np.zeros((co, r), dtype=np.int32)
    rf[bits] = packed.values
    shape = spec.weight_shape(i)
    if spec.layers[i].kind == "conv":                          # [Co, (ky, kx, ci)] -> [Co, Ci, 3, 3]
        w = rf.reshape(co, 3, 3, shape[1]).transpose(0, 3, 1, 2)
    else:                                                      # [Co, (h, w, c)] -> [Co, (c, h, w)]
        (c, h, wd), _ = spec.layer_shapes()[i]
        w = rf.reshape(co, h, wd, c).transpose(0, 3, 1, 2).reshape(co, -1)
    return LayerParams(np.ascontiguousarray(w), packed.bias.astype(np.int32),
                       packed.threshold.astype(np.int32))


def pack(model):
    """All layers of ``model`` as :class:`PackedLayer` s."""
    return [pack_layer(model.spec, i, lp) for i, lp in enumerate(model.layers)]


# ---- nibble packing -----------------------------------------------------------------------------
def pack_values(values, wbits):
    v = np.asarray(values, dtype=np.int64)
    if wbits > 4:
        return (v & 0xFF).astype(np.uint8).tobytes()
    nib = (v & 0xF).astype(np.uint8)
    if len(nib) % 2:
        nib = np.append(nib, np.uint8(0))
    return (nib[0::2] | (nib[1::2] << 4)).astype(np.uint8).tobytes()


def unpack_values(raw, n, wbits):
    b = np.frombuffer(raw, dtype=np.uint8)
    if wbits > 4:
        return b[:n].astype(np.int8)
    nib = np.empty(2 * len(b), dtype=np.int16)
    nib[0::2], nib[1::2] = b & 0xF, b >> 4
    nib = nib[:n]
    return np.where(nib >= 8, nib - 16, nib).astype(np.int8)


def values_bytes(n, wbits):
    return n if wbits > 4 else (n + 1) // 2


# ---- file ---------------------------------------------------------------------------------------
def dumps(model, meta=None):
    """The ``.dsm`` bytes of ``model``; ``meta`` is a JSON-able dict stored in the manifest."""
    layers = pack(model)
    manifest = {"spec": model.spec.to_dict(), "meta": meta or {},
                "layers": [{"co": int(p.masks.shape[0]), "fan_in": p.fan_in, "words": int(p.masks.shape[1]),
                            "nnz": int(len(p.values))} for p in layers]}
    mraw = json.dumps(manifest, sort_keys=True).encode()
    out = [_HEADER.pack(MAGIC, VERSION, WORD_BITS, len(mraw), zlib.crc32(mraw)), mraw]
    for ls, p in zip(model.spec.layers, layers):
        payload = (p.masks.astype("<u8").tobytes() + pack_values(p.values, ls.wbits)
                   + p.bias.astype("<i4").tobytes() + p.threshold.astype("<i4").tobytes())
        out += [_SECTION.pack(SECTION_TAG, len(payload), zlib.crc32(payload)), payload]
    return b"".join(out)


def save(model, path, meta=None):
    """Write ``model`` to ``path`` as a ``.dsm`` file; returns the number of bytes written."""
    raw = dumps(model, meta)
    with open(path, "wb") as f:
        f.write(raw)
    return len(raw)


def _take(raw, pos, n, what):
    if pos + n > len(raw):
        raise TruncatedFileError(f"file truncated in {what}: needs {n} bytes at offset {pos}, "
                                 f"only {max(0, len(raw) - pos)} left")
    return raw[pos:pos + n], pos + n


def loads(raw, with_meta=False):
    """Parse ``.dsm`` bytes into an :class:`IntegerModel` (and its ``meta`` dict if asked)."""
    head, pos = _take(raw, 0, _HEADER.size, "the header")
    magic, version, word_bits, mlen, mcrc = _HEADER.unpack(head)
    if magic != MAGIC:
        raise BadMagicError(f"not a dualspike weight file: starts with {magic!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise UnsupportedVersionError(f"weight file format version {version}; this dualspike reads "
                                      f"version {VERSION} — convert it with a matching release")
    if word_bits != WORD_BITS:
        raise UnsupportedVersionError(f"word width {word_bits} bits; this reader supports {WORD_BITS}")
    mraw, pos = _take(raw, pos, mlen, "the manifest")
    if zlib.crc32(mraw) != mcrc:
        raise ChecksumError(f"manifest CRC32 mismatch (stored {mcrc:08x}, computed "
                            f"{zlib.crc32(mraw):08x}): the file is corrupt")
    try:
        manifest = json.loads(mraw.decode())
        spec = ModelSpec.from_dict(manifest["spec"])
        entries = manifest["layers"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FormatError(f"manifest is not valid: {exc}") from exc
    if len(entries) != len(spec.layers):
        raise FormatError(f"manifest lists {len(entries)} layer sections, its spec has {len(spec.layers)}")
    params = []
    for i, (ls, e) in enumerate(zip(spec.layers, entries)):
        where = f"layer {i} section"
        co, fan_in, words, nnz = (int(e[k]) for k in ("co", "fan_in", "words", "nnz"))
        if (co, fan_in, words) != (ls.out_channels, spec.fan_in(i), words_for(spec.fan_in(i))):
            raise FormatError(f"{where}: manifest shape co={co} fan_in={fan_in} words={words} does not "
                              f"match the spec (co={ls.out_channels}, fan_in={spec.fan_in(i)})")
        shead, pos = _take(raw, pos, _SECTION.size, f"{where} header")
        tag, plen, pcrc = _SECTION.unpack(shead)
        if tag != SECTION_TAG:
            raise FormatError(f"{where}: tag {tag!r} where {SECTION_TAG!r} was expected")
        payload, pos = _take(raw, pos, plen, where)
        if zlib.crc32(payload) != pcrc:
            raise ChecksumError(f"{where}: CRC32 mismatch (stored {pcrc:08x}, computed "
                                f"{zlib.crc32(payload):08x}): the file is corrupt")
        sizes = [co * words * 8, values_bytes(nnz, ls.wbits), co * 4, co * 4]
        if sum(sizes) != plen:
            raise FormatError(f"{where}: payload has {plen} bytes, its manifest entry needs {sum(sizes)}")
        cuts = np.cumsum([0] + sizes)
        masks = np.frombuffer(payload[cuts[0]:cuts[1]], dtype="<u8").reshape(co, words).astype(np.uint64)
        packed = PackedLayer(masks, unpack_values(payload[cuts[1]:cuts[2]], nnz, ls.wbits),
                             np.frombuffer(payload[cuts[2]:cuts[3]], dtype="<i4").astype(np.int32),
                             np.frombuffer(payload[cuts[3]:cuts[4]], dtype="<i4").astype(np.int32), fan_in)
        counts = packed.counts
        if counts.sum() != nnz:
            raise MaskMismatchError(f"{where}: the masks have {int(counts.sum())} set bits but {nnz} "
                                    f"values are stored")
        pad_bits = words * WORD_BITS - fan_in
        if pad_bits and np.any(masks[:, -1] >> np.uint64(WORD_BITS - pad_bits)):
            raise MaskMismatchError(f"{where}: mask bits are set beyond the receptive field "
                                    f"({fan_in} positions)")
        if np.any(packed.values == 0):
            raise MaskMismatchError(f"{where}: a mask bit marks a zero weight (value "
                                    f"#{int(np.argmax(packed.values == 0))}); masks mark non-zeros only")
        params.append(unpack_layer(spec, i, packed))
    if pos != len(raw):
        raise FormatError(f"{len(raw) - pos} unexpected bytes after the last layer section")
    model = IntegerModel(spec, params)
    return (model, manifest.get("meta", {})) if with_meta else model


def load(path, with_meta=False):
    """Read a ``.dsm`` file; see :func:`loads`."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise FormatError(f"cannot read weight file {path}: {exc}") from exc
    return loads(raw, with_meta)


def size_report(model):
    """Packed bytes vs dense ``wbits`` bytes of the weights (masks + values; bias/θ excluded)."""
    packed = sum(p.masks.size * 8 + values_bytes(len(p.values), ls.wbits)
                 for p, ls in zip(pack(model), model.spec.layers))
    dense = model.dense_int4_bytes()
    return {"packed_bytes": packed, "dense_bytes": dense, "ratio": packed / dense if dense else 0.0,
            "file_bytes": len(dumps(model))}
