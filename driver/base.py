"""What every backend shares: input checks, events binning, batching, ``classify``, ``throughput_test``.

A backend subclass provides the staged pipeline::

    pack_input(x) -> packed        copy_in(packed)        execute_on_buffers(n)
    copy_out(n) -> raw             unpack_output(raw, n) -> int32 [n, classes]

plus ``T``/``set_T``, ``batch_size``, ``load_weights`` and ``layer_counters``.
"""
import numpy as np

from dualspike import events as ev
from dualspike.errors import InputError
from dualspike.golden.encode import check_input

from .errors import SensorRangeError
from .power import UNAVAILABLE, power_source
from .timing import StageTimer

STAGES = ("pack_input", "copy_in", "execute_on_buffers", "copy_out", "unpack_output")


class AcceleratorBase:
    """Common API of :class:`~dualspike.driver.SnnAccelerator` and
    :class:`~dualspike.driver.GoldenAccelerator`."""

    backend = "?"

    def __init__(self, desc):
        self.desc = desc
        self.spec = desc.spec
        self.timer = StageTimer()
        self._batch_size = 0

    # ---- inputs -------------------------------------------------------------------------------
    def prepare(self, x, duration=None):
        """Validate ``x`` and return what :func:`dualspike.streams.pack_frames` takes.

        Images: uint8 ``[N, C, H, W]``. Events: one structured array (fields x, y, t, p), a list of
        them (one per recording), or pre-binned uint8 ``[N, T, 2, H, W]`` frames. Recordings are
        binned into ``T`` slices (the current runtime T) on the model's ``H × W`` grid; ``duration``
        (µs) fixes the span of every recording (default: each recording's own span).
        """
        spec = self.spec
        c, h, w = spec.input_shape
        if spec.encoding != "events":
            if isinstance(x, np.ndarray) and x.dtype.names is not None:
                raise InputError(f"{spec.name} takes images (encoding {spec.encoding!r}), not events")
            if isinstance(x, np.ndarray) and x.dtype.kind == "f":
                raise InputError(f"images must be uint8 0..255, got {x.dtype}; for data in [0, 1] pass "
                                 f"(x * 255).round().astype(np.uint8)")
            if isinstance(x, np.ndarray) and x.ndim == 3 and x.shape == (c, h, w):
                raise InputError(f"one image of shape {list(x.shape)}: pass a batch, x[None]")
            return check_input(spec, x)
        if isinstance(x, np.ndarray) and x.dtype.names is not None:
            x = [x]
        if isinstance(x, (list, tuple)):
            T = self.T
            for i, rec in enumerate(x):
                r = ev.as_events(rec)
                for f, lim in (("x", w), ("y", h)):
                    if r.size and r[f].max() >= lim:
                        j = int(np.argmax(r[f] >= lim))
                        raise SensorRangeError(
                            f"recording {i}: event {j} has {f} = {int(r[f][j])}, outside the model's "
                            f"{w}×{h} sensor (W×H); crop the events or shrink them with "
                            f"dualspike.events.downscale(ev, factor)")
            return ev.bin_batch(list(x), T, (w, h), duration)
        x = check_input(spec, x)
        if x.shape[1] != self.T:
            raise InputError(f"binned events have {x.shape[1]} time bins; the accelerator runs T = {self.T} "
                             f"(call set_T({x.shape[1]}) or re-bin)")
        return x

    # ---- runtime T -----------------------------------------------------------------------------
    @property
    def T(self):
        """Runtime time steps (1..T_MAX)."""
        return self._T

    def _checked_T(self, T):
        """``T`` as an int, or :class:`InputError` if it is not one in 1..T_MAX."""
        if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or not 1 <= T <= self.desc.t_max:
            raise InputError(f"T = {T!r} must be an int in 1..T_MAX = {self.desc.t_max}")
        return int(T)

    # ---- running ------------------------------------------------------------------------------
    @property
    def batch_size(self):
        return self._batch_size

    @batch_size.setter
    def batch_size(self, n):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"batch_size must be a positive int, got {n!r}")
        self._allocate(int(n))
        self._batch_size = int(n)

    def _allocate(self, n):
        pass

    def execute(self, x):
        """One batch (at most ``batch_size`` frames) of prepared input → int32 ``[N, classes]``."""
        n = len(x)
        if n > self.batch_size:
            raise InputError(f"{n} frames do not fit batch_size = {self.batch_size}; use run() or "
                             f"set batch_size")
        t = self.timer
        with t("pack_input"):
            packed = self.pack_input(x)
        with t("copy_in"):
            self.copy_in(packed)
        with t("execute_on_buffers"):
            self.execute_on_buffers(n)
        with t("copy_out"):
            raw = self.copy_out(n)
        with t("unpack_output"):
            return self.unpack_output(raw, n)

    def run(self, x, duration=None):
        """Logits (int32 ``[N, classes]``: membrane sums or spike counts) for a batch of any size."""
        x = self.prepare(x, duration)
        if self.batch_size == 0:
            self.batch_size = min(len(x), 64) or 1
        out = [self.execute(x[i:i + self.batch_size]) for i in range(0, len(x), self.batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.spec.num_classes), np.int32)

    def classify(self, x, duration=None):
        """Class indices ``[N]`` (argmax of the logits, ties to the lowest index, as the golden model)."""
        return np.argmax(self.run(x, duration), axis=1)

    # ---- measuring ----------------------------------------------------------------------------
    def _random_input(self, n, seed=0):
        rng = np.random.default_rng(seed)
        c, h, w = self.spec.input_shape
        if self.spec.encoding == "events":
            return (rng.random((n, self.T, c, h, w)) < 0.1).astype(np.uint8)
        return rng.integers(0, 256, (n, c, h, w), dtype=np.uint8)

    def _hardware_figures(self):
        return {}

    def throughput_test(self, batches=1, x=None, power=None, rails=None, idle_seconds=1.0,
                        sample_interval=0.05, recorder=None):
        """Run ``batches`` batches of ``batch_size`` frames and report (units in the keys):

        ``runtime[ms]``, ``throughput[images/s]`` (host wall clock, all stages), ``batch_size``,
        ``frames``, ``fclk[mhz]``, per-stage host times ``<stage>[ms]``, and power:
        ``power[W]``, ``energy_per_frame[J]``, ``fps_per_watt`` with ``power_source`` saying where
        the watts came from (``"unavailable"`` and no watts when there is no source). ``power``:
        None (board rails if any), watts or a callable (external meter), a dict of rails
        (injected sensors), or False.
        """
        if self.batch_size == 0:
            self.batch_size = 1
        x = self._random_input(self.batch_size) if x is None else self.prepare(x)[:self.batch_size]
        src = power_source(power, self.desc.board, rails, sample_interval, recorder)
        self.timer.reset()

        def work():
            for _ in range(batches):
                self.execute(x)

        import time
        t0 = time.perf_counter()
        _, watts = src.measure(work, idle_seconds)
        seconds = time.perf_counter() - t0
        frames = batches * len(x)
        host_seconds = sum(self.timer.seconds.values())
        res = {"backend": self.backend, "batch_size": self.batch_size, "frames": frames, "T": self.T,
               "runtime[ms]": 1e3 * host_seconds, "throughput[images/s]": frames / host_seconds,
               "fclk[mhz]": self.fclk_mhz, "power_source": src.source}
        res.update({f"{k}[ms]": v for k, v in self.timer.ms().items()})
        res.update(self._hardware_figures())
        if src.source != UNAVAILABLE and watts.get("power[W]"):
            res.update(watts)
            p = watts["power[W]"]
            res["energy_per_frame[J]"] = p / res["throughput[images/s]"]
            res["fps_per_watt"] = res["throughput[images/s]"] / p
        res["wall[ms]"] = 1e3 * seconds
        return res
