"""The arithmetic contract: integer widths, saturation, shifts and rounding modes.

This is the only place that defines them. The golden model, the torch integer mode and the RTL
generator's constants all import from here, so a change here changes every stage at once.

- Widths are *signed two's complement*: ``bits`` = 4 holds ``[-8, 7]``.
- ``shift_right`` is arithmetic (floor): ``-3 >> 1 == -2``, as Verilog ``>>>`` on a signed value.
- ``saturate`` clamps to the signed range of ``bits``.
- Rounding modes are named as in the QONNX rounding table. Quantisers use ``HALF_EVEN``
  (numpy's and torch's ``round``), never a mode chosen implicitly by a library.

>>> signed_range(4)
(-8, 7)
>>> int(saturate(40000, 16)), int(saturate(-40000, 16))
(32767, -32768)
>>> int(shift_right(-3, 1)), int(leak(-3, 1)), int(leak(5, 0))
(-2, -2, 0)
>>> [float(x) for x in round_half(np.array([0.5, 1.5, -0.5, -2.5]), HALF_EVEN)]
[0.0, 2.0, -0.0, -2.0]
"""
import numpy as np

HALF_EVEN = "HALF_EVEN"
HALF_UP = "HALF_UP"
FLOOR = "FLOOR"
CEIL = "CEIL"
DOWN = "DOWN"          # towards zero
ROUNDING_MODES = (HALF_EVEN, HALF_UP, FLOOR, CEIL, DOWN)


def signed_range(bits):
    """``(lo, hi)`` of a signed two's-complement integer of ``bits`` bits."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def unsigned_range(bits):
    return 0, (1 << bits) - 1


def saturate(x, bits):
    """Clamp ``x`` to the signed range of ``bits`` bits."""
    lo, hi = signed_range(bits)
    return np.clip(x, lo, hi)


def shift_right(x, k):
    """Arithmetic right shift (floor division by ``2**k``)."""
    return np.right_shift(x, k)


def leak(v, k):
    """The membrane decay term ``V >> k`` for leak shift ``k``; ``k = 0`` means no leak (IF), so 0."""
    return shift_right(v, k) if k > 0 else np.zeros_like(v)


def round_half(x, mode=HALF_EVEN):
    """Round a float array to integers with a named mode."""
    if mode == HALF_EVEN:
        return np.round(x)
    if mode == HALF_UP:
        return np.floor(x + 0.5)
    if mode == FLOOR:
        return np.floor(x)
    if mode == CEIL:
        return np.ceil(x)
    if mode == DOWN:
        return np.trunc(x)
    raise ValueError(f"unknown rounding mode {mode!r}; use one of {ROUNDING_MODES}")


def in_signed_range(x, bits):
    lo, hi = signed_range(bits)
    x = np.asarray(x)
    return bool(x.size == 0 or (x.min() >= lo and x.max() <= hi))
