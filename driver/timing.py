"""One timing helper (``time.perf_counter``) for stage timings, throughput and timeouts."""
import time
from contextlib import contextmanager


class Deadline:
    """``Deadline(seconds).expired()`` turns True once ``seconds`` have passed (None: never)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.start = time.perf_counter()

    def elapsed(self):
        return time.perf_counter() - self.start

    def expired(self):
        return self.seconds is not None and self.elapsed() > self.seconds


class StageTimer:
    """Accumulates wall time per named stage: ``with timer("copy_in"): ...``; ``timer.ms()``."""

    def __init__(self):
        self.seconds = {}
        self.calls = {}

    @contextmanager
    def __call__(self, stage):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - t0
            self.calls[stage] = self.calls.get(stage, 0) + 1

    def reset(self):
        self.seconds.clear()
        self.calls.clear()

    def ms(self):
        """``{stage: total milliseconds}``."""
        return {k: 1e3 * v for k, v in self.seconds.items()}
