"""DVS event streams: the tonic-style event dtype, an N-MNIST-like generator, and binning to frames.

An event stream is a 1-D numpy structured array with the fields ``x``, ``y`` (pixel column and
row, from 0), ``t`` (microseconds) and ``p`` (polarity: 1 = ON, the log intensity rose; 0 = OFF,
it fell) — the field names and units tonic uses. :data:`EVENT_DTYPE` is our canonical layout;
:func:`as_events` accepts any integer/bool dtype with those four fields (in any order, e.g.
tonic's ``p: bool`` or ``int`` fields) and converts it.

``sensor_size`` follows tonic's order: ``(W, H)`` or ``(W, H, 2)`` — the x extent first. Frames
are channels-first ``[T, 2, H, W]`` with **channel index = polarity** (0 = OFF, 1 = ON), the
layout the ``events`` encoding of the golden model takes (``[N, T, 2, H, W]``, DESIGN.md §2).

>>> ev = mnist_to_events(np.pad(np.full((1, 10, 10), 255, np.uint8), ((0, 0), (9, 9), (9, 9))))
>>> ev[0].dtype == EVENT_DTYPE, bool(ev[0]["p"].min() == 0 and ev[0]["p"].max() == 1)
(True, True)
>>> bin_batch(ev, T=4, sensor_size=(32, 32), duration=300_000).shape
(1, 4, 2, 32, 32)
"""
import numpy as np

from .errors import InputError

__all__ = ["EVENT_DTYPE", "EventFormatError", "EventRangeError", "as_events", "sensor_hw",
           "load_npy", "save_npy", "downscale", "mnist_to_events", "bin_events", "bin_batch"]

EVENT_DTYPE = np.dtype([("x", "<i2"), ("y", "<i2"), ("t", "<i8"), ("p", "<i1")])
FIELDS = ("x", "y", "t", "p")


class EventFormatError(InputError):
    """An event array is not a structured array with integer fields x, y, t, p."""


class EventRangeError(EventFormatError):
    """An event has a coordinate outside the sensor or a polarity other than 0/1."""


# ---- validation -------------------------------------------------------------------------------
def sensor_hw(sensor_size):
    """``(H, W)`` from a tonic-order ``sensor_size`` ``(W, H)`` or ``(W, H, 2)``."""
    s = tuple(sensor_size) if isinstance(sensor_size, (tuple, list)) else None
    if s is None or len(s) not in (2, 3) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in s):
        raise InputError(f"sensor_size must be (W, H) or (W, H, 2) integers, got {sensor_size!r}")
    if len(s) == 3 and s[2] != 2:
        raise InputError(f"sensor_size {s}: the third entry counts polarities and must be 2")
    if not (1 <= s[0] <= 32767 and 1 <= s[1] <= 32767):
        raise InputError(f"sensor_size {s}: width and height must be in 1..32767")
    return int(s[1]), int(s[0])


def _bad(field, values, mask, why):
    i = int(np.flatnonzero(mask)[0])
    raise EventRangeError(f"field {field!r} has the value {int(values[i])} at event {i}: {why} "
                          f"({int(mask.sum())} such event(s))")


def as_events(events, sensor_size=None):
    """Validate ``events`` and return them as an :data:`EVENT_DTYPE` array (a copy if converted).

    Raises :class:`EventFormatError` for a non-structured array, a missing field or a non-integer
    field, and :class:`EventRangeError` (naming the field, the value and the event index) for
    negative coordinates, polarities other than 0/1, or coordinates outside ``sensor_size``.
    """
    if not isinstance(events, np.ndarray):
        raise EventFormatError(f"events must be a numpy structured array with fields x, y, t, p, "
                               f"got {type(events).__name__}")
    names = events.dtype.names
    if names is None:
        raise EventFormatError(f"events must be a structured array with fields x, y, t, p, got a "
                               f"plain {events.dtype} array of shape {list(events.shape)}")
    missing = [f for f in FIELDS if f not in names]
    if missing:
        raise EventFormatError(f"events array has no field {missing[0]!r} (it has {', '.join(names)}); "
                               f"events need the fields x, y, t (µs), p (0 = OFF, 1 = ON)")
    if events.ndim != 1:
        raise EventFormatError(f"events must be 1-D (one stream), got shape {list(events.shape)}")
    for f in FIELDS:
        if events.dtype[f].kind not in "biu":
            raise EventFormatError(f"field {f!r} has dtype {events.dtype[f]}; event fields must be "
                                   f"integers (t in whole microseconds)")
    for f in ("x", "y"):
        v = events[f]
        if v.size and v.dtype.kind == "i" and v.min() < 0:
            _bad(f, v, v < 0, "coordinates start at 0")
        if v.size and v.max() > 32767:
            _bad(f, v, v > 32767, "does not fit int16")
    t, p = events["t"], events["p"]
    if t.size and t.dtype.kind == "u" and t.max() > 2**63 - 1:
        _bad("t", t, t > 2**63 - 1, "does not fit int64")
    if p.size and p.dtype.kind != "b" and (p.min() < 0 or p.max() > 1):
        _bad("p", p, (p < 0) | (p > 1), "polarity must be 0 (OFF) or 1 (ON); "
             "for ±1 polarities pass p = (p > 0)")
    if events.dtype == EVENT_DTYPE:
        out = events
    else:
        out = np.empty(len(events), EVENT_DTYPE)
        for f in FIELDS:
            out[f] = events[f]
    if sensor_size is not None:
        h, w = sensor_hw(sensor_size)
        for f, lim, what in (("x", w, "width"), ("y", h, "height")):
            if out.size and out[f].max() >= lim:
                _bad(f, out[f], out[f] >= lim,
                     f"outside the sensor {what} {lim} (sensor_size={tuple(sensor_size)})")
    return out


# ---- .npy files (tonic-style structured arrays) ------------------------------------------------
def load_npy(path, sensor_size=None):
    """Read a ``.npy`` file holding a structured event array (tonic layout) as :data:`EVENT_DTYPE`."""
    from .errors import DataError

    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read events from {path}: {exc}") from exc
    try:
        return as_events(a, sensor_size)
    except EventFormatError as exc:
        raise type(exc)(f"{path}: {exc}") from exc


def save_npy(path, events):
    """Write ``events`` as a ``.npy`` file of :data:`EVENT_DTYPE`."""
    np.save(path, as_events(events), allow_pickle=False)


def downscale(events, factor):
    """Integer-divide coordinates by ``factor`` (e.g. DVS128 ``128×128`` → ``32×32`` with 4)."""
    ev = as_events(events).copy()
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 1:
        raise InputError(f"downscale factor must be a positive integer, got {factor!r}")
    ev["x"] //= factor
    ev["y"] //= factor
    return ev


# ---- binning ----------------------------------------------------------------------------------
def bin_events(events, T, sensor_size, duration=None, t_start=None):
    """Bin one stream into uint8 ``[T, 2, H, W]`` 0/1 frames: ``frame[k, p, y, x] = 1`` iff some
    event ``(x, y, t, p)`` has ``floor((t - t_start) * T / duration) == k``.

    ``t_start`` defaults to the first event's time and ``duration`` to the span
    ``t_last - t_start + 1``, so every event lands in a bin; events outside
    ``[t_start, t_start + duration)`` are dropped. Channel index = polarity (0 OFF, 1 ON).
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise InputError(f"T must be a positive integer, got {T!r}")
    h, w = sensor_hw(sensor_size)
    ev = as_events(events, sensor_size)
    frames = np.zeros((T, 2, h, w), np.uint8)
    if ev.size == 0:
        return frames
    t = ev["t"]
    t0 = int(t.min()) if t_start is None else int(t_start)
    d = int(t.max()) - t0 + 1 if duration is None else duration
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise InputError(f"duration must be a positive integer number of µs, got {duration!r}")
    dt = t - t0
    keep = (dt >= 0) & (dt < d)
    k = dt[keep] * T // d
    frames[k, ev["p"][keep], ev["y"][keep], ev["x"][keep]] = 1
    return frames


def bin_batch(recordings, T, sensor_size, duration=None, t_start=None):
    """Bin a list of streams into uint8 ``[N, T, 2, H, W]``, ready for ``golden.run`` on an
    ``events`` spec. Each stream gets its own span unless ``duration``/``t_start`` are given."""
    if isinstance(recordings, np.ndarray) and recordings.dtype.names is not None:
        raise InputError("bin_batch takes a list of event streams; for one stream use bin_events")
    h, w = sensor_hw(sensor_size)
    out = np.zeros((len(recordings), T, 2, h, w), np.uint8)
    for i, ev in enumerate(recordings):
        out[i] = bin_events(ev, T, sensor_size, duration, t_start)
    return out


# ---- N-MNIST-like generator -------------------------------------------------------------------
def saccade_path(amplitude=3.0):
    """The three saccade vertices ``[(dx, dy)] * 4`` (px): an equilateral triangle of side
    ``amplitude`` centred on the rest position, walked V0 → V1 → V2 → V0."""
    a = float(amplitude)
    v = np.array([(0.0, -a / np.sqrt(3)), (a / 2, a / (2 * np.sqrt(3))), (-a / 2, a / (2 * np.sqrt(3)))])
    return np.concatenate([v, v[:1]])


def _shift(padded, m, dx, dy, h, w):
    """Bilinear sample of ``padded[:, m:m+h, m:m+w]`` moved by ``(dx, dy)`` px (content moves +x/+y)."""
    fx, fy = int(np.floor(dx)), int(np.floor(dy))
    rx, ry = dx - fx, dy - fy

    def win(oy, ox):
        return padded[:, m - fy - oy:m - fy - oy + h, m - fx - ox:m - fx - ox + w]

    return ((1 - ry) * ((1 - rx) * win(0, 0) + rx * win(0, 1))
            + ry * ((1 - rx) * win(1, 0) + rx * win(1, 1)))


def mnist_to_events(images, sensor_size=(32, 32), *, threshold=0.25, threshold_sigma=0.03,
                    amplitude=3.0, saccade_us=100_000, steps=25, background=0.1, seed=0,
                    batch=500):
    """Turn digits into N-MNIST-like event streams (one :data:`EVENT_DTYPE` array per digit).

    Model (see ``docs/events.md``): the image (uint8, ``[N, 1, h, w]`` or ``[N, h, w]``) is
    centred on the sensor and moved along three straight saccades forming a triangle of side
    ``amplitude`` px, each lasting ``saccade_us`` µs (N-MNIST: ~3 px, 3 × ~100 ms), rendered with
    bilinear sub-pixel interpolation at ``steps`` points per saccade. Each pixel sees the log
    intensity ``L = log(I/255 + background)`` and keeps a reference ``R`` (initially the first
    frame). Whenever ``|L - R|`` reaches the pixel's contrast threshold ``C`` (``threshold`` with a
    fixed per-pixel mismatch of relative std ``threshold_sigma``) it emits one event — ON (p=1)
    when L rose, OFF (p=0) when it fell — and moves ``R`` by ``±C``; several crossings in one step
    give several events, timed by linear interpolation of L inside the step. Timestamps start at
    0 µs; the recording spans ``3 * saccade_us``. ``seed`` fixes the mismatch; digit ``i``'s events
    depend only on ``seed``, ``i`` and the parameters, not on ``batch``.
    """
    x = np.asarray(images) if isinstance(images, np.ndarray) else None
    if x is None or x.dtype != np.uint8 or x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[1] != 1):
        raise InputError("images must be a uint8 array [N, 1, h, w] or [N, h, w], got "
                         + (f"{x.dtype} {list(x.shape)}" if x is not None else type(images).__name__))
    x = x.reshape(len(x), *x.shape[-2:])
    H, W = sensor_hw(sensor_size)
    n, h, w = x.shape
    if h > H or w > W:
        raise InputError(f"images of {h}×{w} do not fit the sensor {W}×{H} (W×H)")
    if not (threshold > 0 and 0 <= threshold_sigma < 0.5 and background > 0 and steps >= 1
            and saccade_us >= steps):
        raise InputError(f"need threshold > 0, 0 <= threshold_sigma < 0.5, background > 0, "
                         f"steps >= 1, saccade_us >= steps; got {threshold}, {threshold_sigma}, "
                         f"{background}, {steps}, {saccade_us}")
    path = saccade_path(amplitude)
    pos = np.concatenate([path[s] + (path[s + 1] - path[s]) * np.arange(steps)[:, None] / steps
                          for s in range(3)] + [path[3:]])  # [3*steps + 1, 2] (dx, dy)
    times = np.round(np.arange(len(pos)) * (saccade_us / steps)).astype(np.int64)
    m = int(np.ceil(np.abs(path).max())) + 2
    oy, ox = (H - h) // 2, (W - w) // 2
    rng = np.random.default_rng(seed)
    cpix = (threshold * np.clip(1 + threshold_sigma * rng.standard_normal((n, H, W)), 0.5, 1.5)
            ).astype(np.float32)
    out = []
    for b0 in range(0, n, batch):
        xb = x[b0:b0 + batch]
        padded = np.zeros((len(xb), H + 2 * m, W + 2 * m), np.float32)
        padded[:, m + oy:m + oy + h, m + ox:m + ox + w] = xb / np.float32(255)
        out += _events_of_batch(padded, m, pos, times, cpix[b0:b0 + batch], np.float32(background), H, W)
    return out


def _events_of_batch(padded, m, pos, times, cpix, bg, H, W):
    nb = len(padded)
    prev = np.log(_shift(padded, m, *pos[0], H, W) + bg)
    ref = prev.copy()
    parts = []
    for s in range(1, len(pos)):
        cur = np.log(_shift(padded, m, *pos[s], H, W) + bg)
        diff = cur - ref
        cnt = np.floor(np.abs(diff) / cpix).astype(np.int64)
        idx = np.flatnonzero(cnt)
        if idx.size:
            c = cnt.ravel()[idx]
            sign = np.sign(diff.ravel()[idx])
            ref.ravel()[idx] += sign * c * cpix.ravel()[idx]
            rep = np.repeat(idx, c)
            k = np.arange(rep.size) - np.repeat(np.cumsum(c) - c, c) + 1
            lp, lc = prev.ravel()[rep], cur.ravel()[rep]
            level = (ref.ravel()[rep] - sign.repeat(c) * (c.repeat(c) - k) * cpix.ravel()[rep])
            den = lc - lp  # 0 only for a float-rounding leftover crossing: time it at the step end
            frac = np.clip((level - lp) / np.where(den == 0, 1, den), 0.0, 1.0)
            frac[den == 0] = 1.0
            t = times[s - 1] + np.round(frac * (times[s] - times[s - 1])).astype(np.int64)
            parts.append((rep, t, (sign.repeat(c) > 0).astype(np.int8)))
        prev = cur
    if not parts:
        return [np.zeros(0, EVENT_DTYPE) for _ in range(nb)]
    rep, t, p = (np.concatenate(a) for a in zip(*parts))
    b, rem = np.divmod(rep, H * W)
    order = np.lexsort((t, b))
    ev = np.empty(rep.size, EVENT_DTYPE)
    ev["x"], ev["y"], ev["t"], ev["p"] = rem[order] % W, rem[order] // W, t[order], p[order]
    return np.split(ev, np.searchsorted(b[order], np.arange(1, nb)))


def mnist_events(split="test", T=4, sensor_size=(32, 32), n=None, seed=0):
    """DVS-like MNIST: the fixed split of :func:`dualspike.data.default_mnist` turned into event
    streams by :func:`mnist_to_events` and binned into ``T`` slices over the 300 ms of the saccades.

    Returns uint8 frames ``[N, T, 2, H, W]`` (ready for an ``events`` spec) and int64 labels. Cached
    as ``.npz`` in the data cache folder, keyed by every argument.
    """
    import os

    from .data import cache_dir, default_mnist
    key = f"mnist_events_{split}_T{T}_{sensor_size[0]}x{sensor_size[1]}_n{n}_s{seed}.npz"
    path = os.path.join(cache_dir(), key)
    if os.path.exists(path):
        with np.load(path) as d:
            return d["x"], d["y"]
    x, y = default_mnist(split)
    if n is not None:
        x, y = x[:n], y[:n]
    recordings = mnist_to_events(x, sensor_size=sensor_size, seed=seed)
    frames = bin_batch(recordings, T, sensor_size, duration=3 * 100_000, t_start=0)
    os.makedirs(cache_dir(), exist_ok=True)
    np.savez_compressed(path, x=frames, y=y)
    return frames, y
