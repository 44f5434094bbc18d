"""Stream word formats: frame packing, weight stream and output words, checked bit by bit."""
import zlib

import numpy as np
import pytest

from dualspike import bitmap, streams
from dualspike.accel import AcceleratorDescription
from dualspike.errors import InputError, SpecError
from dualspike.model import random_model
from dualspike.spec import builtin


def test_image_frames_are_channels_last_bytes():
    spec = builtin("scnn9-cifar")
    x = np.random.default_rng(0).integers(0, 256, (2, 3, 32, 32), dtype=np.uint8)
    words = streams.pack_frames(spec, x, 4)
    assert words.shape == (2, streams.frame_words(spec, 4)) == (2, 384)
    raw = words.astype("<u8").view(np.uint8).reshape(2, -1)
    assert raw[1, 3 * (5 * 32 + 7) + 2] == x[1, 2, 5, 7]        # pixel (5, 7), channel 2


def test_event_frames_are_bits_t_major():
    spec = builtin("scnn7-dvs")
    x = (np.random.default_rng(1).random((2, 3, 2, 32, 32)) < 0.2).astype(np.uint8)
    words = streams.pack_frames(spec, x, 4)
    raw = words.astype("<u8").view(np.uint8).reshape(2, -1)
    assert streams.pixel_bytes(spec, 4) == 1
    for n, t, c, h, w in [(0, 0, 0, 0, 0), (1, 2, 1, 31, 30), (1, 1, 0, 4, 9)]:
        assert (raw[n, h * 32 + w] >> (t * 2 + c)) & 1 == x[n, t, c, h, w]
    assert not (raw >> 6).any()                                 # t = 3 unused when T = 3
    with pytest.raises(InputError, match="T_MAX = 2"):
        streams.pack_frames(spec, x, 2)


def test_weight_stream_layout_and_crc():
    model = random_model(builtin("scnn5-mnist"), 0.06, seed=3)
    words = streams.weight_stream(model)
    packed = bitmap.pack(model)
    pos = 0
    for i, p in enumerate(packed):
        head = int(words[pos])
        co, nnz = p.masks.shape[0], len(p.values)
        assert head >> 56 == 0xA5 and (head >> 48) & 0xFF == i and (head >> 32) & 0xFFFF == co
        assert head & 0xFFFFFFFF == nnz
        pos += 1
        assert np.array_equal(words[pos:pos + p.masks.size], p.masks.reshape(-1))
        pos += p.masks.size
        first = int(words[pos])
        assert [((first >> (4 * k)) & 0xF) for k in range(min(16, nnz))] == [v & 0xF for v in p.values[:16]]
        pos += -(-nnz // 16)
        params = words[pos:pos + co].astype(np.uint64)
        assert np.array_equal((params & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(np.int32), p.bias)
        assert np.array_equal((params >> np.uint64(32)).astype(np.uint32).view(np.int32), p.threshold)
        pos += co
    assert pos == len(words)
    assert streams.weight_crc(words) == zlib.crc32(words.astype("<u8").tobytes())


@pytest.mark.parametrize("build_word", [32, 17, (32, 32, 17, 64, 64)])
def test_weight_stream_mask_words_of_a_narrower_build(build_word):
    """A ``word``-bit build gets each channel's mask cut into ``word``-bit words, LSB-aligned:
    bit j of the receptive field in word j // word at bit j % word (checked against the weights);
    a build with a width per layer cuts each layer's masks at its own width."""
    from dualspike.golden.layers import receptive_field_matrix
    model = random_model(builtin("scnn5-mnist"), 0.06, seed=4)
    words = streams.weight_stream(model, build_word)
    pos = 0
    for i, p in enumerate(bitmap.pack(model)):
        word = build_word[i] if isinstance(build_word, tuple) else build_word
        rf = receptive_field_matrix(model.spec, i, model.layers[i].weight).T != 0      # [Co, R]
        co, r = rf.shape
        nw = bitmap.words_for(r, word)
        got = words[pos + 1:pos + 1 + co * nw].reshape(co, nw)
        bits = (got[:, :, None] >> np.arange(word, dtype=np.uint64)) & np.uint64(1)
        assert not (got >> np.uint64(word)).any()
        assert np.array_equal(bits.reshape(co, -1)[:, :r].astype(bool), rf)
        assert not bits.reshape(co, -1)[:, r:].any()
        assert np.array_equal(bitmap.mask_words(got, r, from_word=word), p.masks)     # and back
        pos += 1 + co * nw + -(-len(p.values) // 16) + co
    assert pos == len(words)


def test_description_word_width():
    spec = builtin("scnn5-mnist")
    caps = [1000] * 5
    d = AcceleratorDescription.for_spec(spec, [1] * 5, caps, word=32)
    assert AcceleratorDescription.from_json(d.to_json()).word == (32,) * 5          # one width per layer
    mixed = AcceleratorDescription.for_spec(spec, [1] * 5, caps, word=[32, 32, 32, 64, 64])
    assert AcceleratorDescription.from_json(mixed.to_json()).word == (32, 32, 32, 64, 64)
    old = d.to_dict()
    old["word"] = 32                                  # descriptions written with one width
    assert AcceleratorDescription.from_dict(old).word == (32,) * 5
    del old["word"]                                   # descriptions written before the option: 64
    assert AcceleratorDescription.from_dict(old).word == (64,) * 5
    for bad in (65, [32] * 4, "32", [32, 32, 32, 64, True]):
        with pytest.raises(SpecError, match="mask word width"):
            AcceleratorDescription.for_spec(spec, [1] * 5, caps, word=bad)


def test_description_channel_order_and_the_stream_in_it():
    spec = builtin("scnn5-mnist")
    caps = [10000] * 5
    order = [tuple(reversed(range(32))), None, tuple(range(1, 64)) + (0,), None, None]
    d = AcceleratorDescription.for_spec(spec, [1] * 5, caps, order=order)
    assert AcceleratorDescription.from_json(d.to_json()) == d and d.order[1] is None
    old = d.to_dict()
    del old["order"]                                  # descriptions written before the option
    assert AcceleratorDescription.from_dict(old).order == (None,) * 5
    for bad, what in (([None] * 4, "one channel order"), ([(0, 0) + tuple(range(2, 32))] + [None] * 4, "layer 0")):
        with pytest.raises(SpecError, match=what):
            AcceleratorDescription.for_spec(spec, [1] * 5, caps, order=bad)
    # the stream carries each layer's channels in the order: hardware channel h = model channel order[h]
    model = random_model(spec, 0.1, seed=4)
    words, plain = streams.weight_stream(model, 64, order), streams.weight_stream(model, 64)
    assert len(words) == len(plain) and not np.array_equal(words, plain)
    head = 1                                          # layer 0: header, then Co rows of mask words
    nw = -(-spec.fan_in(0) // 64)
    rows = plain[head:head + 32 * nw].reshape(32, nw)
    assert np.array_equal(words[head:head + 32 * nw].reshape(32, nw), rows[list(order[0])])


def test_output_words():
    v = np.array([[-1, 5, 0], [7, -300, 2]], np.int32)
    assert np.array_equal(streams.unpack_output(v.view(np.uint32).ravel(), 2, 3), v)
    with pytest.raises(InputError, match="2 frames × 4 classes"):
        streams.unpack_output(v.ravel(), 2, 4)


def test_accelerator_description_round_trip(tmp_path):
    d = AcceleratorDescription.for_spec(builtin("scnn5-mnist"), [8, 32, 16, 8, 2], [100, 900, 1800, 3600, 600],
                                        board="kv260", fclk_mhz=200.0, build={"git": "abc"})
    d.save(tmp_path / "a.json")
    again = AcceleratorDescription.load(tmp_path / "a.json")
    assert again == d and again.frame_words == 98 and again.registers["T"] == 0x18
    bad = d.to_dict()
    bad["spec_hash"] = "0x00000000"
    with pytest.raises(SpecError, match="spec_hash"):
        AcceleratorDescription.from_dict(bad)
    with pytest.raises(SpecError, match="one entry per layer"):
        AcceleratorDescription.for_spec(builtin("scnn5-mnist"), [1], [1])
    with pytest.raises(SpecError, match="unknown key"):
        AcceleratorDescription.from_dict({**d.to_dict(), "lane": 3})
