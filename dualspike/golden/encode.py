"""Input encodings (DESIGN.md §2): what the first layer sees.

=========  ===================================  ============================================
encoding   input array                           first-layer input
=========  ===================================  ============================================
binary     uint8 ``[N, C, H, W]``                ``x >= input_threshold``, the same every t
bitplane   uint8 ``[N, C, H, W]``                ``x >> (8 - input_bits)``: Σ_b 2^b·bit_b, same every t
events     uint8/bool ``[N, T, 2, H, W]`` (0/1)  a binary ON/OFF frame per t
=========  ===================================  ============================================
"""
import numpy as np

from ..errors import InputError


def check_input(spec, x):
    """Validate ``x`` for ``spec``; return it as a numpy array. Raises :class:`InputError`."""
    if not isinstance(x, np.ndarray):
        raise InputError(f"input must be a numpy array, got {type(x).__name__}")
    c, h, w = spec.input_shape
    if spec.encoding == "events":
        if x.ndim != 5 or x.shape[2:] != (c, h, w):
            raise InputError(f"events input must have shape [N, T, {c}, {h}, {w}] (binned frames), "
                             f"got {list(x.shape)}; bin raw events with dualspike.events.bin_events")
        if x.dtype not in (np.uint8, np.bool_):
            raise InputError(f"events frames must be uint8 or bool 0/1, got dtype {x.dtype}")
        if x.size and x.max() > 1:
            raise InputError(f"events frames must be 0/1, found the value {int(x.max())}")
        return x.astype(np.uint8, copy=False)
    if x.ndim != 4 or x.shape[1:] != (c, h, w):
        raise InputError(f"{spec.name} takes images of shape [N, {c}, {h}, {w}], got {list(x.shape)}")
    if x.dtype != np.uint8:
        raise InputError(f"images must be uint8 (0..255), got dtype {x.dtype}")
    return x


def encode(spec, x, T):
    """First-layer input as channels-last ints: ``(frames, static, x_max)``.

    ``static`` frames are ``[N, H, W, C]`` (the same every t); otherwise ``[T*N, H, W, C]``
    (t-major). ``x_max`` bounds the values (1 for spikes).
    """
    x = check_input(spec, x)
    if spec.encoding == "events":
        if x.shape[1] != T:
            raise InputError(f"events input has {x.shape[1]} time bins, the run asks for T = {T}")
        n = x.shape[0]
        frames = x.transpose(1, 0, 3, 4, 2).reshape(T * n, *x.shape[3:], x.shape[2])
        return np.ascontiguousarray(frames), False, 1
    chl = x.transpose(0, 2, 3, 1)
    if spec.encoding == "binary":
        return (chl >= spec.input_threshold).astype(np.uint8), True, 1
    return (chl >> (8 - spec.input_bits)).astype(np.uint8), True, (1 << spec.input_bits) - 1
