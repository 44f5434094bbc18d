"""Gradient rewiring (Chen et al., IJCAI 2021, "Pruning of deep spiking neural networks through
gradient rewiring"), as an optimizer.

Every rewired parameter ``w`` (conv/fc weights and biases) is reparametrised by a hidden ``θ`` and a
sign ``σ`` frozen at initialisation: ``w = σ · relu(θ)``; a connection is pruned while ``θ ≤ 0``.
The gradient of ``θ`` is *rewired* to ``σ · ∂L/∂w`` (the relu is passed straight through), so a
pruned connection keeps receiving gradient and grows back when the data asks for it. The Adam
moments are those of ``∂L/∂w``. ``θ`` carries a Laplace prior ``p(θ) ∝ exp(-|θ - μ| / b)``; its
location follows from the target sparsity ``p``: the prior puts mass ``p`` below 0 when
``μ = b · ln(2·(1 - p))`` (``b`` = mean ``|θ|`` at initialisation, per tensor). With weight decay
``λ`` on ``θ`` (FireFly-S) one step is, with Adam's bias-corrected moments of ``g = ∂L/∂w``::

    m ← β1·m + (1-β1)·g          v ← β2·v + (1-β2)·g²
    θ ← θ - η · ( σ · m̂ / (√v̂ + ε)  +  α · sign(θ - μ)  +  λ · θ )
    w ← σ · relu(θ)

``α`` is the prior strength (in units of Adam's step) and ``μ`` moves with the sparsity schedule
(``group["sparsity"]``). Parameter groups with ``rewire=False`` (e.g. biases, LSQ scales) get plain
Adam.

The training loop follows its sparsity schedule with a budget (:meth:`GradRewiring.enforce`): after
each step, if fewer weights than scheduled are pruned, the smallest positive ``θ`` (globally over the
layers) are set to 0. They stay rewired and grow back if the gradient asks for it. The prior strength
stays the recipe's small constant: adapting α to the schedule (×1.03 per step) overshot to 98.8 %
sparsity and chance accuracy when the schedule moved fast.
"""
import math

import torch
from torch.optim import Optimizer

from dualspike.errors import DualspikeError


class TrainError(DualspikeError, ValueError):
    """A training option or data set is invalid."""


def check_fraction(name, v, hint=""):
    """Validate option ``name``: a number in [0, 1) (``hint`` is appended to the message)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0.0 <= float(v) < 1.0) \
            or math.isnan(float(v)):
        raise TrainError(f"{name} = {v!r} must be a number in [0, 1){hint}")
    return float(v)


def check_sparsity(p):
    """Validate a target sparsity: a number in [0, 1)."""
    return check_fraction("target sparsity", p, " (0.94 prunes 94 % of the weights)")


def check_channel_cap(cap):
    """Validate a per-channel cap: 0 (off) or a number ≥ 1 (a multiple of the layer's mean)."""
    if isinstance(cap, bool) or not isinstance(cap, (int, float)) or math.isnan(float(cap)) \
            or not (float(cap) == 0.0 or float(cap) >= 1.0):
        raise TrainError(f"channel cap = {cap!r} must be 0 (off) or a number >= 1 (1.25 lets an output "
                         "channel keep at most 1.25x its layer's mean number of non-zero weights)")
    return float(cap)


def check_spike_penalty(v):
    """Validate a spike penalty: a finite number >= 0 (0: off)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= float(v) < math.inf:
        raise TrainError(f"spike_penalty = {v!r} must be a number >= 0 (0 = off)")
    return float(v)


@torch.no_grad()
def over_channel_cap(values, cap):
    """Of a weight tensor's non-negative ``values`` (``θ`` or ``|w|``, output channels first), the
    entries to prune so that no output channel keeps more than ``ceil(cap · mean)`` positive
    entries (``mean``: positive entries per output channel over the tensor); the smallest go first.
    Balances the matched pairs over a layer's output channels, which the hardware's lanes share
    (a channel with twice the mean non-zeros sets its layer's pace). ``cap = 0``: nothing."""
    rows = values.reshape(values.shape[0], -1)
    excess = torch.zeros_like(rows, dtype=torch.bool)
    pos = rows > 0
    counts = pos.sum(dim=1)
    if not cap or int(counts.sum()) == 0:
        return excess.reshape(values.shape)
    keep = int(math.ceil(cap * float(counts.sum()) / rows.shape[0]))
    for c in torch.nonzero(counts > keep).flatten().tolist():
        ranked = torch.argsort(torch.where(pos[c], rows[c], torch.full_like(rows[c], float("inf"))),
                               stable=True)
        excess[c, ranked[:int(counts[c]) - keep]] = True
    return excess.reshape(values.shape)


def laplace_location(b, sparsity):
    """``μ = b · ln(2(1 - p))``: the location for which a Laplace(μ, b) has mass ``p`` below 0
    (``μ ≤ 0`` for ``p ≥ 0.5``; for ``p < 0.5`` the formula gives ``μ > 0``)."""
    return b * math.log(2.0 * (1.0 - check_sparsity(sparsity)))


class GradRewiring(Optimizer):
    """Adam with gradient rewiring for the groups with ``rewire=True``.

    Group options: ``lr``, ``betas``, ``eps``, ``rewire`` (bool), ``sparsity`` (the current
    scheduled sparsity p, sets μ), ``prior`` (α), ``weight_decay`` (λ, on θ for rewired groups,
    L2 added to the gradient otherwise). The hidden ``θ``, ``σ`` and ``b`` live in the optimizer
    state (so they are saved with :meth:`state_dict`) and the parameter always holds ``σ·relu(θ)``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, rewire=True, sparsity=0.0,
                 prior=0.0, weight_decay=0.0):
        check_sparsity(sparsity)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, rewire=rewire, sparsity=sparsity,
                                      prior=prior, weight_decay=weight_decay))
        for group in self.param_groups:
            if group["rewire"]:
                for p in group["params"]:
                    self._init_hidden(p)

    @torch.no_grad()
    def _init_hidden(self, p):
        st = self.state[p]
        st["sign"] = torch.where(p >= 0, 1.0, -1.0).to(p)
        st["theta"] = p.abs().clone()
        b = float(p.abs().mean())
        st["b"] = b if b > 0 else 1e-3

    def hidden(self, p):
        """``(θ, σ)`` of a rewired parameter."""
        return self.state[p]["theta"], self.state[p]["sign"]

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None and not group["rewire"]:
                    continue
                g = p.grad if p.grad is not None else torch.zeros_like(p)
                st = self.state[p]
                if "step" not in st:
                    st["step"] = 0
                if "m" not in st:
                    st["m"], st["v"] = torch.zeros_like(p), torch.zeros_like(p)
                if not group["rewire"] and group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                st["step"] += 1
                st["m"].mul_(b1).add_(g, alpha=1 - b1)
                st["v"].mul_(b2).addcmul_(g, g, value=1 - b2)
                mh = st["m"] / (1 - b1 ** st["step"])
                vh = st["v"] / (1 - b2 ** st["step"])
                adam = mh / (vh.sqrt() + group["eps"])
                if not group["rewire"]:
                    p.add_(adam, alpha=-group["lr"])
                    continue
                theta, sign = st["theta"], st["sign"]
                mu = laplace_location(st["b"], group["sparsity"])
                upd = sign * adam + group["prior"] * torch.sign(theta - mu) + group["weight_decay"] * theta
                theta.add_(upd, alpha=-group["lr"])
                p.copy_(sign * theta.clamp_min(0))
        return loss

    @torch.no_grad()
    def enforce(self, sparsity, channel_cap=0.0):
        """Hold the rewired *weights* (tensors with ≥ 2 dims) at a sparsity of at least
        ``sparsity``, globally over the layers: if fewer than that fraction have ``θ ≤ 0``, the
        connections with the smallest positive ``θ`` get ``θ = 0`` (pruned, ``w = 0``). They keep
        receiving the rewired gradient and grow back when the data asks for it (then the next
        smallest are pruned). This budget makes the run follow the sparsity schedule without
        raising the prior strength α, whose adaptation overshot (98.8 % sparsity, a collapse to
        chance) when the schedule moved quickly. ``channel_cap`` > 0 then also holds every output
        channel of a tensor to at most that multiple of the tensor's mean non-zeros
        (:func:`over_channel_cap`). Returns the number of connections pruned."""
        check_sparsity(sparsity)
        params = [p for g in self.param_groups if g["rewire"] for p in g["params"] if p.dim() >= 2]
        if not params or sparsity <= 0:
            return 0
        thetas = [self.state[p]["theta"] for p in params]
        flat = torch.cat([t.reshape(-1) for t in thetas])
        need = int(math.ceil(sparsity * flat.numel())) - int((flat <= 0).sum())
        cut = torch.kthvalue(flat[flat > 0], min(need, int((flat > 0).sum()))).values if need > 0 else None
        n = 0
        for p, t in zip(params, thetas):
            m = (t > 0) & (t <= cut) if cut is not None else torch.zeros_like(t, dtype=torch.bool)
            m |= over_channel_cap(torch.where(m, torch.zeros_like(t), t.clamp_min(0)), channel_cap)
            if m.any():
                n += int(m.sum())
                t[m] = 0.0
                p.copy_(self.state[p]["sign"] * t.clamp_min(0))
        return n

    def sparsity(self):
        """``(zeros, total)`` over the rewired parameters (θ ≤ 0)."""
        z = n = 0
        for group in self.param_groups:
            if group["rewire"]:
                for p in group["params"]:
                    z += int((self.state[p]["theta"] <= 0).sum())
                    n += p.numel()
        return z, n
