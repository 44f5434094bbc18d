"""Weight averaging for the end of a run: an exponential moving average (EMA, Polyak averaging) of
every parameter, taken after each optimizer step once the sparsity schedule has reached its target.

With 4-bit weights the last epochs keep flipping integer weights across rounding boundaries, so
the test accuracy of consecutive epochs moves by ±0.3 pp even at the smallest learning rate; the
averaged parameters sit in the middle of that walk. The average of a pruned weight that was
active in some steps is small but not zero, so :func:`prune_to` restores the target sparsity
(globally, by magnitude) before export::

    avg ← p                         (first update)
    avg ← d · avg + (1 − d) · p     (every later update; d = the recipe's ``ema_decay``)
"""
import math

import torch

from .gradr import over_channel_cap


class ParameterEMA:
    """EMA of a module's parameters (``named_parameters``), saved and restored with the checkpoint."""

    def __init__(self, decay):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema decay = {decay!r} must be in (0, 1)")
        self.decay = decay
        self.avg = {}

    @torch.no_grad()
    def update(self, net):
        for name, p in net.named_parameters():
            if name not in self.avg:
                self.avg[name] = p.detach().clone()
            else:
                self.avg[name].mul_(self.decay).add_(p.detach(), alpha=1.0 - self.decay)

    @torch.no_grad()
    def copy_to(self, net):
        """Load the averages into ``net`` (parameters never averaged are left as they are)."""
        for name, p in net.named_parameters():
            if name in self.avg:
                p.copy_(self.avg[name])

    def state_dict(self):
        return dict(decay=self.decay, avg=self.avg)

    def load_state_dict(self, state):
        self.decay, self.avg = state["decay"], {k: v.clone() for k, v in state["avg"].items()}


@torch.no_grad()
def prune_to(weights, sparsity, channel_cap=0.0):
    """Zero the smallest-magnitude entries of ``weights`` (a list of tensors, ranked together) so
    that at least ``sparsity`` of them are zero, then hold each tensor's output channels to
    ``channel_cap`` times its mean non-zeros (:func:`~.gradr.over_channel_cap`; 0: off); returns
    the fraction of zeros."""
    flat = torch.cat([w.detach().abs().reshape(-1) for w in weights])
    need = int(math.ceil(sparsity * flat.numel()))
    if need > 0:
        cut = torch.kthvalue(flat, need).values
        for w in weights:
            w[w.abs() <= cut] = 0.0
    for w in weights:
        if w.dim() >= 2:
            w[over_channel_cap(w.detach().abs(), channel_cap)] = 0.0
    return float(sum(int((w == 0).sum()) for w in weights)) / flat.numel()
