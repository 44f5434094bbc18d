"""Faster MyHDL elaboration: a frame-only ``inspect.stack`` for MyHDL's call-info helpers.

MyHDL 0.11 finds the caller of every ``@block``, ``@always``, ``@always_comb`` and ``instances()``
with ``inspect.stack()`` / ``inspect.getouterframes()``, which also look up the source file and
read the source line of *every* frame on the stack. Only the frame objects and function names are
used, so that is almost all of the elaboration time (about 90 % of generating a small
accelerator, measured with cProfile). :func:`install` gives those MyHDL modules an ``inspect``
whose ``stack`` and ``getouterframes`` return the same records without the source look-ups
(``filename``, ``lineno`` and ``function`` are filled; ``code_context`` and ``index`` are None).
Everything else is the real :mod:`inspect`. Idempotent; a MyHDL without these modules is left
as it is.
"""
import inspect
import sys
import types


def _records(frame):
    out = []
    while frame is not None:
        code = frame.f_code
        out.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name, None, None))
        frame = frame.f_back
    return out


class _FrameOnlyInspect(types.ModuleType):
    """:mod:`inspect` with source-free ``stack`` and ``getouterframes``."""

    def __getattr__(self, name):
        return getattr(inspect, name)

    @staticmethod
    def stack(context=1):
        return _records(sys._getframe(1))

    @staticmethod
    def getouterframes(frame, context=1):
        return _records(frame)


def install():
    """Patch MyHDL's ``_block``, ``_instance`` and ``_misc`` modules (the call-info users)."""
    fast = _FrameOnlyInspect("inspect")
    for name in ("myhdl._block", "myhdl._instance", "myhdl._misc"):
        try:
            mod = __import__(name, fromlist=["inspect"])
        except ImportError:
            continue
        if getattr(mod, "inspect", None) is inspect:
            mod.inspect = fast
