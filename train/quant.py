"""Modified LSQ (Esser et al., ICLR 2020, with FireFly-S's change): one learnable positive scale per
output channel, shared by that channel's weights, bias and threshold.

For a layer with per-channel scale ``s_c`` and input gain ``g_in`` (``2^-B`` for a ``B``-bit
bitplane first layer fed ``x_int / 2^B``, else 1) the channel's integer *unit* is ``u_c = s_c·g_in``
and, with ``round`` = round-half-even (:data:`dualspike.fixedpoint.HALF_EVEN`)::

    w_q = clamp(round(w / s_c), -2^(wb-1), 2^(wb-1)-1)       fake-quant  ŵ = w_q · s_c
    b_q = clamp(round(b / u_c), -2^(bb-1), 2^(bb-1)-1)       fake-quant  b̂ = b_q · u_c
    θ_q = clamp(round(θ / u_c), 1, 2^(vb-1)-1)               fake-quant  θ̂ = θ_q · u_c

so the fake-quant current is ``u_c · (Σ w_q·x_int + b_q)`` and the comparison ``H ≥ θ̂`` is the
integer comparison scaled by ``u_c > 0``: the integer model never multiplies by a scale.
Rounding is straight-through; the gradient of a quantised value ``q = clamp(round(v/s)) · s``
w.r.t. ``s`` is the LSQ one::

    ∂q/∂s = round(v/s) - v/s   inside the range,   lo or hi   where v/s is clamped,

multiplied by the LSQ gradient scale ``g = 1 / sqrt(N_c · Q_p)`` (``N_c`` weights per channel,
``Q_p = 2^(wb-1) - 1``). The readout layer's argmax must not depend on the scales, so its scale is
shared by all classes (``per_channel=False``).
"""
import math

import torch
from torch import nn

from dualspike.fixedpoint import signed_range

ROUNDING = "HALF_EVEN"   # torch.round rounds half to even, as dualspike.fixedpoint.HALF_EVEN


def grad_scale(x, g):
    """Identity forward; the gradient is multiplied by ``g``."""
    return (x - x * g).detach() + x * g


def round_ste(x):
    """Round half to even forward, identity gradient."""
    return x + (torch.round(x) - x).detach()


def lsq(v, s, lo, hi):
    """Fake-quantise ``v`` with step ``s``: ``clamp(round(v/s), lo, hi) · s`` (STE, LSQ gradient)."""
    return round_ste(torch.clamp(v / s, lo, hi)) * s


def to_int(v, s, lo, hi):
    """The integers behind :func:`lsq` (int64, no gradient)."""
    with torch.no_grad():
        return torch.clamp(torch.round(v / s), lo, hi).to(torch.int64)


class Int4WeightBiasThresholdPerChannel(nn.Module):
    """The shared per-channel scale of one layer and the quantisers that use it.

    ``channels`` output channels, ``per_channel`` (False: one scale for all channels, used by the
    readout), ``n_per_channel`` weights per channel (for the LSQ gradient scale), widths ``wbits``,
    ``bbits``, ``vbits``. The scale is stored as ``s`` itself, as in LSQ, and kept positive by a
    floor of ``1e-6`` in :meth:`scale`.
    """

    def __init__(self, channels, n_per_channel, wbits=4, bbits=8, vbits=16, per_channel=True):
        super().__init__()
        self.channels, self.per_channel = channels, per_channel
        self.wrange, self.brange = signed_range(wbits), signed_range(bbits)
        self.vmax = signed_range(vbits)[1]
        self.s = nn.Parameter(torch.ones(channels if per_channel else 1))
        n = n_per_channel * (1 if per_channel else channels)
        self.g = 1.0 / math.sqrt(n * self.wrange[1])
        self.register_buffer("initialised", torch.zeros((), dtype=torch.bool))

    @torch.no_grad()
    def init_from(self, weight):
        """Initialise from float weights ``[Co, ...]``: per channel the step ``s = f · max|w| / Q_p``
        with ``f`` in ``[0.25, 1]`` minimising the squared quantisation error of the channel's
        non-zero weights (``max|w| / Q_p`` alone rounds most small surviving weights to zero);
        all-zero channels get the layer's mean."""
        w = weight.detach().reshape(weight.shape[0], -1).abs()
        if not self.per_channel:
            w = w.reshape(1, -1)
        m = w.amax(dim=1)
        fallback = m[m > 0].mean() if (m > 0).any() else torch.tensor(1.0)
        m = torch.where(m > 0, m, fallback)
        best, best_err = m / self.wrange[1], None
        for f in torch.linspace(0.25, 1.0, 16):
            s = (f * m / self.wrange[1]).unsqueeze(1)
            q = torch.clamp(torch.round(w / s), 0, self.wrange[1]) * s
            err = ((q - w) ** 2 * (w > 0)).sum(dim=1)
            if best_err is None:
                best_err = err
                continue
            better = err < best_err
            best = torch.where(better, s.squeeze(1), best)
            best_err = torch.where(better, err, best_err)
        self.s.copy_(best)
        self.initialised.fill_(True)

    def scale(self):
        """``[Co]`` positive scales (with the LSQ gradient scale applied)."""
        s = grad_scale(self.s.clamp_min(1e-6), self.g)
        return s if self.per_channel else s.expand(self.channels)

    def weight(self, w, s):
        shape = (-1,) + (1,) * (w.dim() - 1)
        return lsq(w, s.reshape(shape), *self.wrange)

    def bias(self, b, u):
        return lsq(b, u, *self.brange)

    def threshold(self, theta, u):
        return lsq(theta, u, 1, self.vmax)

    def integers(self, w, b, theta, in_gain):
        """``(w_q, b_q, θ_q)`` as int64 tensors for export."""
        s = self.scale().detach()
        u = s * in_gain
        shape = (-1,) + (1,) * (w.dim() - 1)
        return (to_int(w, s.reshape(shape), *self.wrange), to_int(b, u, *self.brange),
                to_int(theta.expand_as(u), u, 1, self.vmax))
