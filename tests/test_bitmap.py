"""Bitmap weight file: round trips (hypothesis), the documented word layout, and every corruption."""
import json
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dualspike import bitmap
from dualspike.errors import (BadMagicError, ChecksumError, FormatError, MaskMismatchError, ModelError,
                              TruncatedFileError, UnsupportedVersionError)
from dualspike.model import IntegerModel, LayerParams, random_model
from dualspike.spec import LayerSpec, ModelSpec, builtin

from small_models import random_params, random_small_spec


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), density=st.floats(0.0, 1.0))
def test_round_trip_random_models(seed, density):
    rng = np.random.default_rng(seed)
    model = random_params(random_small_spec(rng), rng, density=density)
    again, meta = bitmap.loads(bitmap.dumps(model, meta={"seed": seed}), with_meta=True)
    assert again == model and meta == {"seed": seed}


@pytest.mark.parametrize("name", ["scnn5-mnist", "scnn7-dvs"])
def test_round_trip_reference_models(tmp_path, name):
    model = random_model(builtin(name), density=0.06, seed=4)
    n = bitmap.save(model, tmp_path / "m.dsm")
    assert (tmp_path / "m.dsm").stat().st_size == n and bitmap.load(tmp_path / "m.dsm") == model


def test_word_layout_matches_docs():
    """The worked example of docs/format.md: conv 1->2 channels, 9-bit receptive field."""
    spec = ModelSpec("doc", (1, 2, 2), "binary", 1, [LayerSpec("conv", 2), LayerSpec("fc", 1)])
    w = np.zeros((2, 1, 3, 3), int)
    w[0, 0, 0, 0], w[0, 0, 1, 1], w[0, 0, 2, 2] = 3, -1, 7       # positions 0, 4, 8
    w[1, 0, 0, 1] = -8                                           # position 1
    fc = np.array([[1, 0, 0, 0, 0, 0, 0, -2]])                  # (c, h, w) index 7 = c1,h1,w1 -> (h,w,c) 7
    model = IntegerModel(spec, [LayerParams(w, [1, -1], [5, 6]), LayerParams(fc, [0], [1])])
    p = bitmap.pack(model)[0]
    assert p.masks.tolist() == [[0b100010001], [0b10]]
    assert p.values.tolist() == [3, -1, 7, -8]
    assert bitmap.pack_values(p.values, 4) == bytes([0xF3, 0x87])
    raw = bitmap.dumps(model)
    assert raw[:4] == b"DSPK" and struct.unpack("<HH", raw[4:8]) == (1, 64)
    mlen = struct.unpack("<I", raw[8:12])[0]
    section = raw[16 + mlen:]
    assert section[:4] == b"LAYR" and struct.unpack("<I", section[4:8])[0] == 2 * 8 + 2 + 2 * 4 + 2 * 4
    fcp = bitmap.pack(model)[1]
    assert fcp.masks.tolist() == [[(1 << 0) | (1 << 7)]] and fcp.values.tolist() == [1, -2]


def test_size_report():
    model = random_model(builtin("scnn5-mnist"), density=0.06, seed=0)
    rep = bitmap.size_report(model)
    assert rep["dense_bytes"] == sum(lp.weight.size for lp in model.layers) // 2
    assert rep["packed_bytes"] < 0.4 * rep["dense_bytes"]


# ---- corruption ---------------------------------------------------------------------------------
def _model():
    return random_model(builtin("scnn5-mnist"), density=0.06, seed=1)


def _rewrite_section(raw, layer, edit):
    """Apply ``edit(payload) -> payload`` to a layer section and fix its length and CRC."""
    mlen = struct.unpack("<I", raw[8:12])[0]
    pos, out = 16 + mlen, bytearray(raw[:16 + mlen])
    for i in range(layer + 1):
        tag, plen, crc = struct.unpack("<4sII", raw[pos:pos + 12])
        payload = raw[pos + 12:pos + 12 + plen]
        if i == layer:
            payload = edit(bytearray(payload))
            out += struct.pack("<4sII", tag, len(payload), zlib.crc32(bytes(payload))) + payload
        else:
            out += raw[pos:pos + 12 + plen]
        pos += 12 + plen
    return bytes(out + raw[pos:])


def test_truncated():
    raw = bitmap.dumps(_model())
    for cut in (3, 20, len(raw) - 5):
        with pytest.raises(TruncatedFileError, match="truncated"):
            bitmap.loads(raw[:cut])


def test_wrong_magic_and_version():
    raw = bitmap.dumps(_model())
    with pytest.raises(BadMagicError, match="not a dualspike weight file"):
        bitmap.loads(b"PK\x03\x04" + raw[4:])
    with pytest.raises(UnsupportedVersionError, match="version 7"):
        bitmap.loads(raw[:4] + struct.pack("<H", 7) + raw[6:])


def test_crc_mismatch_names_the_section():
    raw = bytearray(bitmap.dumps(_model()))
    raw[-3] ^= 0x40                                   # inside the last layer's thresholds
    with pytest.raises(ChecksumError, match="layer 4 section: CRC32 mismatch"):
        bitmap.loads(bytes(raw))
    raw = bytearray(bitmap.dumps(_model()))
    raw[20] ^= 1                                      # inside the manifest
    with pytest.raises(ChecksumError, match="manifest CRC32"):
        bitmap.loads(bytes(raw))


def test_mask_popcount_differs_from_values():
    def flip(payload):
        payload[0] ^= 0x02 if not payload[0] & 0x02 else 0x04   # set one more mask bit
        return payload
    with pytest.raises(MaskMismatchError, match="layer 1 section: the masks have"):
        bitmap.loads(_rewrite_section(bitmap.dumps(_model()), 1, flip))


def test_value_out_of_range():
    model = _model()
    co = model.spec.layers[2].out_channels

    def big_bias(payload):
        bias_at = len(payload) - 8 * co
        payload[bias_at:bias_at + 4] = struct.pack("<i", 1000)    # bbits = 8
        return payload
    with pytest.raises(ModelError, match=r"layers\[2\].bias holds 1000, outside the range \[-128, 127\]"):
        bitmap.loads(_rewrite_section(bitmap.dumps(model), 2, big_bias))


def test_trailing_bytes_and_bad_manifest(tmp_path):
    raw = bitmap.dumps(_model())
    with pytest.raises(FormatError, match="unexpected bytes"):
        bitmap.loads(raw + b"\0")
    manifest = json.dumps({"spec": {"name": "x"}, "layers": []}).encode()
    bad = struct.pack("<4sHHII", b"DSPK", 1, 64, len(manifest), zlib.crc32(manifest)) + manifest
    with pytest.raises(FormatError, match="manifest is not valid"):
        bitmap.loads(bad)
    with pytest.raises(FormatError, match="cannot read"):
        bitmap.load(tmp_path / "missing.dsm")


def test_shape_mismatch_between_spec_and_arrays():
    spec = builtin("scnn5-mnist")
    layers = list(random_model(spec).layers)
    layers[1] = LayerParams(np.zeros((32, 16, 3, 3), int), layers[1].bias, layers[1].threshold)
    with pytest.raises(ModelError, match=r"layers\[1\].weight has shape \(32, 16, 3, 3\), the spec needs \(32, 32, 3, 3\)"):
        IntegerModel(spec, layers)
    layers = list(random_model(spec).layers)
    layers[0] = LayerParams(layers[0].weight.astype(float), layers[0].bias, layers[0].threshold)
    with pytest.raises(ModelError, match="must hold integers"):
        IntegerModel(spec, layers)
    with pytest.raises(ModelError, match="4 layer arrays given"):
        IntegerModel(spec, layers[:4])
