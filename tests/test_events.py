"""Event streams: dtype and validation, binning, the N-MNIST-like generator, .npy and AEDAT 3.1."""
import struct

import numpy as np
import pytest

from dualspike import golden
from dualspike.aedat import (AedatError, TruncatedAedatError, read_aedat, read_aedat_header,
                             write_aedat)
from dualspike.errors import DataError, InputError
from dualspike.events import (EVENT_DTYPE, EventFormatError, EventRangeError, as_events, bin_batch,
                              bin_events, downscale, load_npy, mnist_to_events, save_npy)
from dualspike.model import random_model
from dualspike.spec import builtin


def random_events(n, w, h, t_max=10_000, seed=0):
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, EVENT_DTYPE)
    ev["x"], ev["y"] = rng.integers(0, w, n), rng.integers(0, h, n)
    ev["t"], ev["p"] = np.sort(rng.integers(0, t_max, n)), rng.integers(0, 2, n)
    return ev


def digits(n=6):
    """Synthetic 28×28 'digits': a bright ring and a bar, shifted per sample."""
    yy, xx = np.mgrid[:28, :28]
    out = np.zeros((n, 1, 28, 28), np.uint8)
    for i in range(n):
        r = np.hypot(yy - 14 - i % 3, xx - 13 - i % 2)
        out[i, 0][(r > 5) & (r < 9)] = 255
        out[i, 0, 6:22, 12 + i % 4:14 + i % 4] = 200
    return out


# ---- dtype and validation --------------------------------------------------------------------
def test_dtype_is_tonic_layout():
    assert EVENT_DTYPE.names == ("x", "y", "t", "p")
    assert [EVENT_DTYPE[f].str for f in EVENT_DTYPE.names] == ["<i2", "<i2", "<i8", "|i1"]


def test_as_events_converts_tonic_variants():
    # tonic's DVSGesture order (x, y, p: bool, t) and NMNIST's plain int fields
    for dt in ([("x", np.int16), ("y", np.int16), ("p", bool), ("t", np.int64)],
               [("x", int), ("y", int), ("t", int), ("p", int)]):
        a = np.zeros(3, dt)
        a["x"], a["y"], a["t"], a["p"] = [1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 0, 1]
        ev = as_events(a, (8, 8))
        assert ev.dtype == EVENT_DTYPE
        assert ev["x"].tolist() == [1, 2, 3] and ev["t"].tolist() == [7, 8, 9]
        assert ev["p"].tolist() == [1, 0, 1]


@pytest.mark.parametrize("bad, err, match", [
    ([1, 2], EventFormatError, "numpy structured array.*list"),
    (np.zeros(3), EventFormatError, "plain float64"),
    (np.zeros(3, [("x", "i2"), ("y", "i2"), ("t", "i8")]), EventFormatError, "no field 'p'"),
    (np.zeros(3, [("x", "i2"), ("y", "i2"), ("t", "f8"), ("p", "i1")]), EventFormatError,
     "field 't' has dtype float64"),
    (np.zeros((2, 2), EVENT_DTYPE), EventFormatError, "1-D"),
])
def test_as_events_rejects_bad_arrays(bad, err, match):
    with pytest.raises(err, match=match):
        as_events(bad)


@pytest.mark.parametrize("field, value, match", [
    ("x", 40, "field 'x' has the value 40 at event 1: outside the sensor width 32"),
    ("y", 20, "field 'y' has the value 20 at event 1: outside the sensor height 16"),
    ("y", -3, "field 'y' has the value -3 at event 1: coordinates start at 0"),
    ("p", -1, "field 'p' has the value -1 at event 1: polarity must be 0"),
    ("x", 40000, "field 'x' has the value 40000 at event 1: does not fit int16"),
    ("x", -40000, "field 'x' has the value -40000 at event 1: coordinates start at 0"),
])
def test_as_events_range_errors_name_field_and_value(field, value, match):
    ev = np.zeros(3, [("x", "i4"), ("y", "i4"), ("t", "i8"), ("p", "i4")])
    ev[field][1] = value
    with pytest.raises(EventRangeError, match=match):
        as_events(ev, sensor_size=(32, 16))
    assert issubclass(EventRangeError, InputError)


def test_bad_sensor_size():
    with pytest.raises(InputError, match="sensor_size must be"):
        bin_events(np.zeros(0, EVENT_DTYPE), 4, 32)
    with pytest.raises(InputError, match="must be 2"):
        bin_events(np.zeros(0, EVENT_DTYPE), 4, (32, 32, 3))


def test_npy_round_trip_and_tonic_file(tmp_path):
    ev = random_events(50, 9, 7)
    save_npy(tmp_path / "a.npy", ev)
    np.testing.assert_array_equal(load_npy(tmp_path / "a.npy", (9, 7)), ev)
    tonic = np.zeros(2, [("x", np.int16), ("y", np.int16), ("p", bool), ("t", np.int64)])
    tonic["x"], tonic["p"], tonic["t"] = [3, 100], [True, False], [5, 6]
    np.save(tmp_path / "t.npy", tonic)
    assert load_npy(tmp_path / "t.npy")["x"].tolist() == [3, 100]
    with pytest.raises(EventRangeError, match="t.npy: field 'x' has the value 100"):
        load_npy(tmp_path / "t.npy", (32, 32))
    with pytest.raises(DataError, match="cannot read events"):
        load_npy(tmp_path / "missing.npy")


def test_downscale():
    ev = random_events(100, 128, 128)
    small = downscale(ev, 4)
    assert small["x"].tolist() == (ev["x"] // 4).tolist()
    as_events(small, (32, 32))


# ---- binning -----------------------------------------------------------------------------------
def naive_bin(ev, T, w, h, t0, d):
    f = np.zeros((T, 2, h, w), np.uint8)
    for e in ev:
        if t0 <= e["t"] < t0 + d:
            f[(int(e["t"]) - t0) * T // d, e["p"], e["y"], e["x"]] = 1
    return f


@pytest.mark.parametrize("T, duration, t_start", [(1, None, None), (3, None, None),
                                                  (4, 5_000, None), (5, 6_000, 2_000)])
def test_bin_events_matches_naive_loop(T, duration, t_start):
    w, h = 7, 5  # non-square: sensor_size is (W, H), frames are [.., H, W]
    ev = random_events(300, w, h, seed=T)
    got = bin_events(ev, T, (w, h), duration, t_start)
    t0 = int(ev["t"].min()) if t_start is None else t_start
    d = int(ev["t"].max()) - t0 + 1 if duration is None else duration
    assert got.shape == (T, 2, h, w) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, naive_bin(ev, T, w, h, t0, d))


def test_bin_channel_is_polarity_and_edges():
    ev = np.array([(1, 2, 100, 1), (3, 0, 199, 0), (0, 0, 150, 0)], EVENT_DTYPE)
    f = bin_events(ev, 2, (4, 3))  # span [100, 200): bins [100,150) [150,200)
    assert f[0, 1, 2, 1] == 1 and f[1, 0, 0, 3] == 1 and f[1, 0, 0, 0] == 1 and f.sum() == 3
    assert bin_events(np.zeros(0, EVENT_DTYPE), 4, (4, 3)).sum() == 0
    with pytest.raises(InputError, match="T must be a positive integer"):
        bin_events(ev, 0, (4, 3))
    with pytest.raises(InputError, match="duration"):
        bin_events(ev, 2, (4, 3), duration=0)


def test_bin_batch_feeds_golden_model():
    rec = [random_events(400, 32, 32, seed=i) for i in range(2)]
    x = bin_batch(rec, 4, (32, 32))
    assert x.shape == (2, 4, 2, 32, 32)
    np.testing.assert_array_equal(x[1], bin_events(rec[1], 4, (32, 32)))
    m = random_model(builtin("scnn7-dvs"), density=0.07, seed=1)
    assert golden.run(m, x).logits.shape == (2, 11)
    with pytest.raises(InputError, match="list of event streams"):
        bin_batch(rec[0], 4, (32, 32))


# ---- generator ---------------------------------------------------------------------------------
def test_generator_events_are_physical():
    x = digits()
    evs = mnist_to_events(x, (32, 32), seed=3)
    assert len(evs) == len(x)
    for ev in evs:
        assert ev.dtype == EVENT_DTYPE and 500 < len(ev) < 20_000
        as_events(ev, (32, 32))  # inside the sensor
        assert set(np.unique(ev["p"])) == {0, 1}
        assert ev["t"].min() >= 0 and ev["t"].max() <= 300_000
        assert (np.diff(ev["t"]) >= 0).all()


def test_generator_deterministic_and_seeded():
    x = digits(4)
    a, b = mnist_to_events(x, seed=1), mnist_to_events(x, seed=1, batch=3)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    c = mnist_to_events(x, seed=2)
    assert not all(np.array_equal(u, v) for u, v in zip(a, c))


def test_generator_events_on_edges():
    x = digits(3)
    canvas = np.zeros((3, 32, 32))
    canvas[:, 2:30, 2:30] = x[:, 0]
    pad = np.pad(canvas, ((0, 0), (1, 1), (1, 1)))
    win = np.stack([pad[:, i:i + 32, j:j + 32] for i in range(3) for j in range(3)])
    edge = win.max(0) - win.min(0) > 0
    for _ in range(2):  # the motion reaches ~1.7 px around the rest position
        p = np.pad(edge, ((0, 0), (1, 1), (1, 1)))
        edge = np.stack([p[:, i:i + 32, j:j + 32] for i in range(3) for j in range(3)]).any(0)
    for k, ev in enumerate(mnist_to_events(x)):
        assert edge[k].mean() < 0.6
        assert edge[k][ev["y"], ev["x"]].mean() > 0.97
        flat = canvas[k][ev["y"], ev["x"]]
        assert (flat == 0).mean() < 0.8  # not only background either


def test_generator_polarity_follows_motion():
    # first saccade moves the image down-right: ON at the leading (lower) edge, OFF at the trailing
    img = np.zeros((1, 28, 28), np.uint8)
    img[0, 8:20, 8:20] = 255
    ev = mnist_to_events(img, threshold_sigma=0.0)[0]
    first = ev[ev["t"] < 100_000]
    on, off = first[first["p"] == 1], first[first["p"] == 0]
    assert on["y"].mean() > off["y"].mean() + 5 and on["x"].mean() > off["x"].mean()


def test_generator_bad_inputs():
    with pytest.raises(InputError, match="uint8 array"):
        mnist_to_events(np.zeros((2, 28, 28)))
    with pytest.raises(InputError, match="uint8 array"):
        mnist_to_events([[0]])
    with pytest.raises(InputError, match="do not fit the sensor"):
        mnist_to_events(np.zeros((1, 1, 28, 28), np.uint8), sensor_size=(16, 32))
    with pytest.raises(InputError, match="threshold > 0"):
        mnist_to_events(np.zeros((1, 28, 28), np.uint8), threshold=0)


# ---- AEDAT 3.1 ---------------------------------------------------------------------------------
def test_aedat_round_trip_with_overflow(tmp_path):
    ev = random_events(1000, 128, 128)
    ev["t"][500:] += (1 << 31) + 12345  # crosses a timestamp overflow
    path = tmp_path / "g.aedat"
    write_aedat(path, ev, packet_events=64, header=["Start-Time: test"])
    np.testing.assert_array_equal(read_aedat(path, (128, 128)), ev)
    hdr = read_aedat_header(path)
    assert hdr["version"] == "3.1" and hdr["lines"][-1] == "#!END-HEADER"
    assert "#Start-Time: test" in hdr["lines"]
    write_aedat(tmp_path / "e.aedat", np.zeros(0, EVENT_DTYPE))
    assert read_aedat(tmp_path / "e.aedat").size == 0


def hand_file(path, packets, header=b"#!AER-DAT3.1\r\n#!END-HEADER\r\n"):
    """An AEDAT file built from the spec by hand: packets = [(type, overflow, [(data, ts)])]."""
    with open(path, "wb") as f:
        f.write(header)
        for etype, ovf, evs in packets:
            n = len(evs)
            size = 8 if etype == 1 else 12
            f.write(struct.pack("<HHIIIIII", etype, 1, size, 4, ovf, n, n, n))
            for d, ts in evs:
                f.write(struct.pack("<II", d, ts) + b"\0" * (size - 8))


def test_aedat_reader_follows_the_bit_layout(tmp_path):
    def word(x, y, p, valid=1):
        return valid | p << 1 | y << 2 | x << 17
    path = tmp_path / "h.aedat"
    hand_file(path, [(1, 0, [(word(5, 7, 1), 10), (word(9, 9, 0, valid=0), 11)]),
                     (0, 0, [(123, 12)]),  # a special-event packet: skipped
                     (1, 2, [(word(127, 0, 0), 13)])])
    ev = read_aedat(path)
    assert ev.tolist() == [(5, 7, 10, 1), (127, 0, (2 << 31) | 13, 0)]
    # and the writer's bytes decode with the DVS Gesture README formulas
    write_aedat(path, ev)
    raw = open(path, "rb").read()
    body = raw[raw.index(b"#!END-HEADER\r\n") + 14:]
    assert struct.unpack_from("<HHIIIIII", body) == (1, 1, 8, 4, 0, 1, 1, 1)
    d, ts = struct.unpack_from("<II", body, 28)
    assert ((d >> 17) & 0x1FFF, (d >> 2) & 0x1FFF, (d >> 1) & 1, d & 1, ts) == (5, 7, 1, 1, 10)


def test_aedat_corrupt_files(tmp_path):
    good = tmp_path / "good.aedat"
    write_aedat(good, random_events(20, 16, 16), packet_events=10)
    raw = good.read_bytes()
    start = raw.index(b"#!END-HEADER\r\n") + 14
    cases = [
        (b"RIFF" + raw, AedatError, "not an AEDAT file"),
        (raw.replace(b"3.1", b"2.0", 1), AedatError, "version '2.0' is not supported"),
        (raw[:start - 5], TruncatedAedatError, "ends inside the text header"),
        (raw[:start + 10], TruncatedAedatError, f"packet 0 at byte {start}: .* 10 of the 28"),
        (raw[:-3], TruncatedAedatError, f"packet 1 at byte {start + 28 + 80}: announces 10 events "
                                        f"of 8 bytes \\(80 bytes\\), the file has 77 left"),
        (raw[:start] + struct.pack("<HHIIIIII", 1, 1, 8, 4, 0, 1, 2, 1) + b"\0" * 8, AedatError,
         "eventValid 1 <= eventNumber 2 <= eventCapacity 1"),
        (raw[:start] + struct.pack("<HHIIIIII", 1, 1, 12, 4, 0, 1, 1, 1) + b"\0" * 12, AedatError,
         "eventSize 12"),
        (raw[:start] + struct.pack("<HHIIIIIIII", 1, 1, 8, 4, 0, 1, 1, 1, 1, 1 << 31), AedatError,
         "bit 31"),
        (b"#!AER-DAT3.1\r\n\x01\x00", AedatError, "no '#!END-HEADER'"),
    ]
    for i, (data, err, match) in enumerate(cases):
        p = tmp_path / f"bad{i}.aedat"
        p.write_bytes(data)
        with pytest.raises(err, match=match):
            read_aedat(p)
    with pytest.raises(DataError, match="cannot read AEDAT"):
        read_aedat(tmp_path / "nope.aedat")
    with pytest.raises(EventRangeError, match="field 'x'"):
        read_aedat(good, sensor_size=(4, 4))
