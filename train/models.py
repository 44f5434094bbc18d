"""A spiking conv net built from a :class:`~dualspike.spec.ModelSpec`, trainable in float, with
fake quantisation, and runnable in an integer mode that equals the golden model bit for bit.

Modes of :meth:`SpikingNet.forward`:

- ``float``: float weights, LIF with ``β = 1 - 2^-k`` (the dense/pruned float networks);
- ``quant``: fake-quantised weights, bias and threshold (modified LSQ, :mod:`.quant`), LIF in
  integer units (floor leak, saturation) — what the integer model computes, times a scale;
- ``int``: the integers of ``quant`` run through :func:`int_forward` in float64/int64 arithmetic,
  exact, returning the golden model's int logits.

Input: uint8 images ``[N, C, H, W]`` (``binary``/``bitplane``) or 0/1 frames ``[N, T, 2, H, W]``
(``events``), as :func:`dualspike.golden.run` takes them.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from dualspike.spec import ModelSpec
from .neurons import LIFConfig, lif_multistep
from .quant import Int4WeightBiasThresholdPerChannel


def encode(spec, x, T, dtype=torch.float32):
    """``(frames, static)``: ``[N, C, H, W]`` integer-valued input of the first layer (static, the
    same every t) or ``[T, N, 2, H, W]`` event frames. bitplane gives ``x >> (8 - input_bits)``."""
    if spec.encoding == "events":
        return x.permute(1, 0, 2, 3, 4).to(dtype), False
    if spec.encoding == "binary":
        return (x >= spec.input_threshold).to(dtype), True
    return (x.to(torch.int64) >> (8 - spec.input_bits)).to(dtype), True


def input_gain(spec, i):
    """The float input of layer ``i`` is ``gain · integer input`` (``2^-B`` for a bitplane first layer)."""
    return 2.0 ** -spec.input_bits if (i == 0 and spec.encoding == "bitplane") else 1.0


def _linear(kind, x, w):
    return F.conv2d(x, w, padding=1) if kind == "conv" else F.linear(x.flatten(1), w)


def _current(kind, x, w, b, T, static):
    """Current ``[T, N, Co, H, W]`` (conv) or ``[T, N, Co]`` (fc) for input ``[T, N, ...]`` or a
    static ``[N, ...]`` (computed once, repeated over T)."""
    if static:
        c = _linear(kind, x, w)
        c = c + b.reshape((1, -1) + (1,) * (c.dim() - 2))
        return c.unsqueeze(0).expand(T, *c.shape)
    t, n = x.shape[:2]
    c = _linear(kind, x.reshape(t * n, *x.shape[2:]), w)
    c = c + b.reshape((1, -1) + (1,) * (c.dim() - 2))
    return c.reshape(t, n, *c.shape[1:])


def _pool(s):
    t, n = s.shape[:2]
    return F.max_pool2d(s.reshape(t * n, *s.shape[2:]), 2).reshape(t, n, s.shape[2], s.shape[3] // 2,
                                                                    s.shape[4] // 2)


def _bshape(v, like):
    """``[Co]`` -> broadcastable against one time step of ``like`` ``[N, Co, ...]``."""
    return v.reshape((1, -1) + (1,) * (like.dim() - 2))


class SpikingLayer(nn.Module):
    """One spec layer: conv3×3/p1 (+ OR-pool) or fc, then LIF (or the membrane readout)."""

    def __init__(self, spec, i, alpha=2.0, init_gain=1.0):
        super().__init__()
        ls = spec.layers[i]
        self.kind, self.pool = ls.kind, ls.pool
        self.readout = spec.readout if i == len(spec.layers) - 1 else None
        self.cfg = LIFConfig(ls.leak, ls.reset, ls.vbits, alpha)
        self.in_gain = input_gain(spec, i)
        shape = spec.weight_shape(i)
        fan_in = math.prod(shape[1:])
        self.weight = nn.Parameter(torch.randn(shape) * init_gain * math.sqrt(2.0 / fan_in))
        self.bias = nn.Parameter((torch.rand(shape[0]) * 2 - 1) * 0.02)
        self.register_buffer("theta", torch.ones(()))
        self.quant = Int4WeightBiasThresholdPerChannel(
            shape[0], fan_in, ls.wbits, ls.bbits, ls.vbits, per_channel=self.readout is None)

    def forward(self, x, T, static, mode):
        """``(out, density)``: spikes ``[T, N, ...]`` after pooling and the spike density before
        pooling (a scalar tensor with its surrogate gradient, for a spike penalty), or
        ``(logits [N, Co], None)`` for the readout."""
        if mode == "quant":
            s = self.quant.scale()
            u = s * self.in_gain
            w, b, th = self.quant.weight(self.weight, s), self.quant.bias(self.bias, u), \
                self.quant.threshold(self.theta, u)
        else:
            w, b, th, u = self.weight, self.bias, self.theta, None
        cur = _current(self.kind, x, w, b, T, static)
        if self.readout == "membrane":
            return cur.sum(0), None
        step = cur[0]
        if mode == "quant":
            th, u = _bshape(th, step), _bshape(u, step)
        s = lif_multistep(cur, th, self.cfg, mode, u)
        if self.readout == "count":
            return s.sum(0), None
        return (_pool(s) if self.pool else s), s.mean()


class SpikingNet(nn.Module):
    """The trainable network of ``spec``. ``forward(x, mode)`` -> logits ``[N, classes]``;
    ``record=True`` also returns the per-layer spike densities (means over batch, neurons, t)."""

    def __init__(self, spec, alpha=2.0, init_gain=1.0):
        super().__init__()
        if not isinstance(spec, ModelSpec):
            raise TypeError(f"spec must be a ModelSpec, got {type(spec).__name__}")
        self.spec = spec
        self.layers = nn.ModuleList(SpikingLayer(spec, i, alpha, init_gain) for i in range(len(spec.layers)))

    def forward(self, x, mode="float", record=False):
        spec = self.spec
        if mode == "int":
            return int_forward(spec, self.integer_params(), x, record=record)
        h, static = encode(spec, x, spec.T)
        if static:
            h = h * self.layers[0].in_gain
        densities = []
        for layer in self.layers:
            h, dens = layer(h, spec.T, static, mode)
            static = False
            if dens is not None:
                densities.append(dens)
        return (h, densities) if record else h

    @torch.no_grad()
    def init_quant(self):
        """Initialise every layer's LSQ scale from its current float weights."""
        for layer in self.layers:
            layer.quant.init_from(layer.weight)

    @torch.no_grad()
    def integer_params(self):
        """``[(w_q, b_q, θ_q), ...]`` int64 tensors, the integer model of the ``quant`` mode."""
        return [layer.quant.integers(layer.weight, layer.bias, layer.theta, layer.in_gain)
                for layer in self.layers]

    def rewired_parameters(self):
        """The weights (pruned by gradient rewiring)."""
        return [layer.weight for layer in self.layers]

    def bias_parameters(self):
        """The biases: trained by plain Adam (a rewired bias could never change its sign)."""
        return [layer.bias for layer in self.layers]

    def scale_parameters(self):
        return [layer.quant.s for layer in self.layers]


@torch.no_grad()
def int_forward(spec, params, x, record=False):
    """Integer forward of ``spec`` with int ``params`` ``[(w, b, θ), ...]`` (torch layouts) on
    uint8 ``x``: int64 logits ``[N, classes]``, equal to ``dualspike.golden.run(...).logits``.

    Currents are exact: float64 GEMMs over small integers (|sums| < 2^53), rounded to int64.
    """
    h, static = encode(spec, x, spec.T, torch.float64)
    densities = []
    for i, (ls, (w, b, th)) in enumerate(zip(spec.layers, params)):
        w = torch.as_tensor(w).to(torch.float64)
        cur = _current(ls.kind, h, w, torch.zeros(w.shape[0], dtype=torch.float64), spec.T, static)
        cur = torch.round(cur).to(torch.int64) + _bshape(torch.as_tensor(b).to(torch.int64), cur[0])
        static = False
        last = i == len(spec.layers) - 1
        if last and spec.readout == "membrane":
            out = cur.sum(0)
            break
        cfg = LIFConfig(ls.leak, ls.reset, ls.vbits)
        s = lif_multistep(cur, _bshape(torch.as_tensor(th).to(torch.int64), cur[0]), cfg, "int")
        if last:
            out = s.sum(0)
            break
        densities.append(s.to(torch.float64).mean())
        h = s.to(torch.float64)
        if ls.pool:
            h = _pool(h)
    return (out, densities) if record else out
