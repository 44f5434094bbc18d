"""Multi-step LIF neurons for training, with an integer mode bit-identical to the golden model.

The difference equation (DESIGN.md §2) for one neuron, ``t = 0 .. T-1``, ``V[-1] = 0``::

    H[t] = sat( V[t-1] - leak(V[t-1]) + I[t] )         charge
    S[t] = Θ( H[t] - θ )                               fire   (Θ: Heaviside, Θ(0) = 1)
    V[t] = H[t] - θ·S[t]          (reset = "subtract")  reset
         = H[t] · (1 - S[t])      (reset = "zero")

Symbols: ``I`` synaptic current (bias included), ``H`` membrane before firing, ``V`` after reset,
``θ`` threshold, ``k`` leak shift. ``leak(V)`` and ``sat`` depend on the mode:

============  ==========================================  ==============================
mode          leak(V)                                      sat
============  ==========================================  ==============================
``float``     ``V · 2^-k`` (``β = 1 - 2^-k``)               none
``quant``     ``u · floor(V / (u·2^k))`` (straight-through) clamp to ``u · [-2^(vb-1), 2^(vb-1)-1]``
``int``       ``V >> k`` (arithmetic shift, int64)          clamp to the signed ``vbits`` range
============  ==========================================  ==============================

``k = 0`` means no leak (IF). ``u`` is the per-channel integer unit of the quantised layer (see
:mod:`dualspike.train.quant`): in ``quant`` mode the membrane is ``u`` times the integer membrane,
so the float forward follows the integer one. The backward pass of Θ is the ATan surrogate
``∂S/∂H = α / (2 · (1 + (π/2 · α · (H - θ))²))``.

Shapes: ``current`` ``[T, N, ...]`` -> spikes ``[T, N, ...]`` (same dtype as the current in
``float``/``quant`` mode, int64 in ``int`` mode). ``threshold`` and ``unit`` broadcast against one
time step ``[N, ...]``.

State is explicit and has **one reset point**: :func:`lif_multistep` starts every call from
``V = 0`` and returns; nothing is kept between calls, so there is no ``reset_net`` to forget.
"""
import math
from typing import NamedTuple

import torch

from dualspike.fixedpoint import signed_range

MODES = ("float", "quant", "int")


class LIFConfig(NamedTuple):
    """Per-layer neuron options: leak shift ``leak`` (k), ``reset`` zero|subtract, ``vbits``,
    surrogate sharpness ``alpha``."""

    leak: int = 1
    reset: str = "subtract"
    vbits: int = 16
    alpha: float = 2.0


class ATanSpike(torch.autograd.Function):
    """Heaviside ``x >= 0`` forward; ATan surrogate gradient backward."""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        a = ctx.alpha
        return grad * (a / 2) / (1 + (math.pi / 2 * a * x) ** 2), None


def atan_spike(x, alpha=2.0):
    return ATanSpike.apply(x, alpha)


def _round_ste(x):
    return x + (torch.round(x) - x).detach()


def _floor_ste(x):
    return x + (torch.floor(x) - x).detach()


def charge(v, i, cfg, mode, unit=None):
    """``H = sat(V - leak(V) + I)`` for one time step (see the module table for each mode)."""
    k = cfg.leak
    lo, hi = signed_range(cfg.vbits)
    if mode == "int":
        h = v - (torch.div(v, 1 << k, rounding_mode="floor") if k > 0 else 0) + i
        return h.clamp(lo, hi)
    if mode == "quant":   # keep H on the grid u·Z, so float rounding cannot flip a floor or a compare
        n = _round_ste(v / unit)
        h = unit * _round_ste(n - (_floor_ste(n / (1 << k)) if k > 0 else 0) + i / unit)
        return torch.maximum(torch.minimum(h, hi * unit), lo * unit)
    return (v - v / (1 << k) if k > 0 else v) + i


class _quant_charge:
    """:func:`charge` in ``quant`` mode for every step of ``current``, without a graph (the forward of
    :class:`_MultiStepLIF`): the same operations on the same values, so the same floats, with
    ``I / u`` and the saturation bounds computed once and the straight-through estimators'
    ``x + (r - x)`` (which equals ``r`` exactly) left out."""

    def __init__(self, current, unit, cfg):
        lo, hi = signed_range(cfg.vbits)
        self.iu, self.unit, self.k = current / unit, unit, cfg.leak
        self.lo, self.hi = lo * unit, hi * unit

    def __call__(self, v, t):
        n = torch.round(v / self.unit)
        if self.k > 0:
            n = n - torch.floor(n / (1 << self.k))
        h = self.unit * torch.round(n + self.iu[t])
        return torch.maximum(torch.minimum(h, self.hi), self.lo)


def fire(h, threshold, cfg, mode, unit=None):
    """``S = H >= θ`` (surrogate gradient unless ``int``; in ``quant`` mode ``H - θ`` is snapped
    to the grid ``u·Z`` in the forward pass)."""
    if mode == "int":
        return (h >= threshold).to(torch.int64)
    x = h - threshold
    if mode == "quant":
        x = unit * _round_ste(x / unit)
    return atan_spike(x, cfg.alpha)


def reset(h, s, threshold, cfg):
    """Membrane after the step: subtract ``θ`` or set to 0 where a spike fired."""
    if cfg.reset == "zero":
        return h * (1 - s)
    return h - s * threshold


def lif_reference(current, threshold, cfg, mode="float", unit=None):
    """The LIF loop written with autograd (reset detached, as :func:`lif_multistep`'s backward);
    :func:`lif_multistep` must equal it in value and gradient. Used by tests."""
    v = torch.zeros_like(current[0])
    out = []
    for t in range(current.shape[0]):
        h = charge(v, current[t], cfg, mode, unit)
        s = fire(h, threshold, cfg, mode, unit)
        v = reset(h, s if mode == "int" else s.detach(), threshold, cfg)
        out.append(s)
    return torch.stack(out)


class _MultiStepLIF(torch.autograd.Function):
    """Forward: the step functions above without a graph. Backward: BPTT by hand, with the
    surrogate ``∂S/∂H``, ``∂V[t]/∂H[t] = 1`` (subtract) or ``1 - S[t]`` (zero) — the reset is
    detached — ``∂H[t+1]/∂V[t] = β = 1 - 2^-k`` (floor passed straight through) and 0 where ``H``
    saturated."""

    @staticmethod
    def forward(ctx, current, threshold, unit, cfg, mode):
        quant = mode == "quant"
        xs, spikes = (torch.empty_like(current, memory_format=torch.contiguous_format) for _ in range(2))
        inside = torch.empty_like(current, dtype=torch.bool, memory_format=torch.contiguous_format) if quant else None
        step = _quant_charge(current, unit, cfg) if quant else None
        v = torch.zeros_like(current[0])
        for t in range(current.shape[0]):
            h = step(v, t) if quant else charge(v, current[t], cfg, mode)
            x = h - threshold
            if quant:
                torch.logical_and(h > step.lo, h < step.hi, out=inside[t])
                x = unit * torch.round(x / unit)
            torch.ge(x, 0, out=spikes[t])
            v = reset(h, spikes[t], threshold, cfg)
            xs[t] = x
        ctx.cfg, ctx.quant = cfg, quant
        ctx.theta_shape = threshold.shape
        ctx.theta_grad = threshold.requires_grad
        ctx.save_for_backward(xs, spikes, *(inside,) if quant else ())
        return spikes

    @staticmethod
    def backward(ctx, g_s):
        x, s = ctx.saved_tensors[:2]
        inside = ctx.saved_tensors[2] if ctx.quant else None
        cfg = ctx.cfg
        a = cfg.alpha
        sg = (a / 2) / (1 + (math.pi / 2 * a * x) ** 2)
        beta = 1.0 - (2.0 ** -cfg.leak if cfg.leak > 0 else 0.0)
        g_i = torch.empty_like(g_s)
        g_th = torch.zeros_like(g_s[0]) if ctx.theta_grad else None
        eps = torch.zeros_like(g_s[0])              # dL/dV[t]
        for t in reversed(range(g_s.shape[0])):
            direct = g_s[t] * sg[t]
            gh = direct + (eps if cfg.reset == "subtract" else eps * (1 - s[t]))
            if g_th is not None:
                g_th -= direct + (eps * s[t] if cfg.reset == "subtract" else 0)
            if inside is not None:
                gh = gh * inside[t]
            g_i[t] = gh
            eps = gh * beta
        if g_th is not None:
            g_th = g_th.sum_to_size(ctx.theta_shape)
        return g_i, g_th, None, None, None


def lif_multistep(current, threshold, cfg, mode="float", unit=None):
    """Run the LIF neuron over ``T`` steps of ``current`` ``[T, N, ...]``; returns spikes ``[T, N, ...]``.

    The membrane starts at 0 (the only reset point). In ``int`` mode ``current`` and ``threshold``
    must be int64 and the result equals :func:`dualspike.golden.lif.lif_run` exactly. In the other
    modes the backward pass is BPTT with the ATan surrogate and a detached reset.
    """
    if mode not in MODES:
        raise ValueError(f"mode = {mode!r}; use one of {', '.join(MODES)}")
    if mode == "quant" and unit is None:
        raise ValueError("quant mode needs the integer unit u of the layer")
    if mode == "int":
        return lif_reference(current, threshold, cfg, mode)
    threshold = torch.as_tensor(threshold, dtype=current.dtype, device=current.device)
    return _MultiStepLIF.apply(current, threshold, unit, cfg, mode)
