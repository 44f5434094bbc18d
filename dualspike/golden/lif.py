"""The LIF neuron as pure integer step functions (DESIGN.md §2).

Difference equations, per neuron, for ``t = 0 .. T-1`` with ``V[-1] = 0``::

    H[t] = sat_vbits( V[t-1] - (V[t-1] >> k) + I[t] )      charge   (k = 0: no leak)
    S[t] = H[t] >= θ                                       fire
    V[t] = 0           if S[t] and reset == "zero"         reset
         = H[t] - θ    if S[t] and reset == "subtract"
         = H[t]        otherwise

Each function matches one stage of the hardware LIF unit and works elementwise on integer arrays.
"""
from typing import NamedTuple

import numpy as np

from ..fixedpoint import leak, saturate


class LIFParams(NamedTuple):
    threshold: np.ndarray     # θ, broadcastable to the state
    leak: int                 # k
    reset: str                # "zero" | "subtract"
    vbits: int


class LIFState(NamedTuple):
    v: np.ndarray


def charge(i, state, p):
    """``H = sat(V - (V >> k) + I)``."""
    return saturate(state.v - leak(state.v, p.leak) + i, p.vbits)


def fire(h, p):
    """``S = H >= θ``."""
    return h >= p.threshold


def reset(h, s, p):
    """The membrane after a step: zero or subtract reset where a spike fired."""
    if p.reset == "zero":
        return LIFState(np.where(s, 0, h))
    return LIFState(h - s * p.threshold)


def lif_step(i, state, p):
    """One time step: ``(S, new_state)``."""
    h = charge(i, state, p)
    s = fire(h, p)
    return s, reset(h, s, p)


def lif_run(currents, p, dtype=np.int64):
    """Run ``T`` steps over integer ``currents`` ``[T, ...]``; return spikes ``[T, ...]`` as uint8.

    ``dtype`` holds the membrane and ``H``; the caller picks int32 when ``|V| + |V >> k| + |I|``
    cannot overflow it (it is exact either way)."""
    state = LIFState(np.zeros(currents.shape[1:], dtype=dtype))
    currents = currents.astype(dtype, copy=False)
    spikes = np.empty(currents.shape, dtype=np.uint8)
    for t in range(currents.shape[0]):
        s, state = lif_step(currents[t], state, p)
        spikes[t] = s
    return spikes
