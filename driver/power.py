"""Where watts come from, for ``throughput_test``: board power rails, a user's meter, or nowhere.

- **rails** (``pynq.get_rails()`` on boards with PMBus/INA sensors, e.g. ZCU104 ``12V`` and ``INT``):
  a ``pynq.DataRecorder`` samples the rails' power sensors while idle (the baseline) and while the
  accelerator runs; ``power[W]`` is the mean of the first named rail during the run.
- **external**: a number (watts read off a meter during the run) or a callable returning watts,
  called right after the run.
- **unavailable**: no sensors and nothing given; no watts are reported, never an estimate.

Sensors are injectable: pass a dict ``{name: rail}`` where ``rail.power`` has ``name``,
``get_value(parents)`` and ``parents`` (the pynq sensor interface) instead of ``pynq.get_rails()``.
"""
import time

from .errors import PowerSourceError

BOARD_RAILS = {"zcu104": ("12V", "INT"), "ultra96": ("INT", "PSINT_FP"), "kv260": ("12V", "INT"),
               "pynq-z2": ()}
UNAVAILABLE = "unavailable"


class NoPower:
    source = UNAVAILABLE

    def measure(self, fn, idle_seconds=0.0):
        return fn(), {}


class ExternalPower:
    """A meter reading (float, W) or a callable returning W, supplied by the user."""

    def __init__(self, reading):
        if callable(reading):
            self.read, self.source = reading, "external (callable)"
        elif isinstance(reading, (int, float)) and not isinstance(reading, bool) and reading > 0:
            self.read, self.source = (lambda: float(reading)), "external (meter reading)"
        else:
            raise PowerSourceError(f"power must be watts > 0, a callable returning watts, a dict of "
                                   f"rails or None; got {reading!r}")

    def measure(self, fn, idle_seconds=0.0):
        out = fn()
        watts = float(self.read())
        if not watts > 0:
            raise PowerSourceError(f"the external power callable returned {watts!r}; it must return watts > 0")
        return out, {"power[W]": watts}


class RailPower:
    """Mean power of named rails via ``pynq.DataRecorder``, with an idle baseline."""

    def __init__(self, rails, names, interval=0.05, recorder=None):
        missing = [n for n in names if n not in rails or getattr(rails[n], "power", None) is None]
        if not names or missing:
            raise PowerSourceError(f"rail(s) {', '.join(missing) or '(none named)'} not found among "
                                   f"{', '.join(sorted(rails)) or 'no rails'}")
        self.names, self.interval = list(names), interval
        self.sensors = [rails[n].power for n in names]
        self.recorder = recorder
        self.source = "rails:" + ",".join(self.names)

    def _record(self, seconds=None, fn=None):
        if self.recorder is None:
            from pynq import DataRecorder as recorder
        else:
            recorder = self.recorder
        rec = recorder(*self.sensors)
        with rec.record(self.interval):
            out = fn() if fn is not None else time.sleep(seconds)
            time.sleep(self.interval)      # at least one sample after the work started
        frame = rec.frame
        means = {n: float(frame[s.name].astype(float).mean()) for n, s in zip(self.names, self.sensors)}
        return out, means, len(frame)

    def measure(self, fn, idle_seconds=1.0):
        _, idle, _ = self._record(seconds=idle_seconds)
        out, active, samples = self._record(fn=fn)
        primary = self.names[0]
        return out, {"power[W]": active[primary], "power_idle[W]": idle[primary],
                     "power_dynamic[W]": active[primary] - idle[primary],
                     "rails[W]": {n: {"active": active[n], "idle": idle[n]} for n in self.names},
                     "power_samples": samples}


def power_source(power=None, board=None, rails=None, interval=0.05, recorder=None):
    """Pick the power source for ``throughput_test(power=...)``.

    ``power``: None (the board's rails if it has sensors, else unavailable), ``False``
    (unavailable), watts or a callable (external), or a dict of rails (injected sensors).
    ``rails``: the rail names to record (default: per board, see ``BOARD_RAILS``).
    """
    if power is False:
        return NoPower()
    if isinstance(power, dict):
        names = (rails or BOARD_RAILS.get(board) or [n for n in ("12V", "INT") if n in power]
                 or tuple(power)[:1])
        return RailPower(power, names, interval, recorder)
    if power is not None:
        return ExternalPower(power)
    names = rails or BOARD_RAILS.get(board, ())
    if not names:
        return NoPower()
    try:
        import pynq
        found = pynq.get_rails()
    except Exception:           # no sensors library or not on a board
        return NoPower()
    if not all(n in found and getattr(found[n], "power", None) is not None for n in names):
        return NoPower()
    return RailPower(found, names, interval, recorder)
