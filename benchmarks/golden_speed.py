"""Golden-model frames/s for scnn5-mnist (6 % weight density) at batch 1 and 256, against float
inference of the same network in torch, measured in one run on this machine.

    python benchmarks/golden_speed.py [--repeats 3] [--out benchmarks/results/golden_speed.md]

The torch network is the same spec in float (conv3x3 p1, LIF with β = 1 - 2^-k, subtract reset,
OR-pool as max-pool, fc readout summed over T) with the integer weights as floats; it is dense, as
torch's conv kernels are. Timings are the best of ``--repeats`` runs after one warm-up.
"""
import argparse
import os
import platform
import time

import numpy as np

from dualspike import golden
from dualspike.data import default_mnist
from dualspike.model import random_model
from dualspike.spec import builtin
from tables import markdown_table, publish


def best_fps(fn, x, repeats):
    fn(x[:1])
    best = min(_timed(fn, x) for _ in range(repeats))
    return len(x) / best


def _timed(fn, x):
    t = time.perf_counter()
    fn(x)
    return time.perf_counter() - t


def torch_forward(model):
    import torch

    spec = model.spec
    layers = []
    for ls, lp in zip(spec.layers, model.layers):
        w = torch.tensor(lp.weight, dtype=torch.float32)
        layers.append((ls, w, torch.tensor(lp.bias, dtype=torch.float32),
                       torch.tensor(lp.threshold, dtype=torch.float32)))

    @torch.no_grad()
    def run(x):
        T, n = spec.T, x.shape[0]
        s = torch.from_numpy((x >> (8 - spec.input_bits)).astype(np.float32))
        static = True
        for i, (ls, w, b, th) in enumerate(layers):
            if ls.kind == "conv":
                cur = torch.nn.functional.conv2d(s, w, b, padding=1)
            else:
                cur = torch.nn.functional.linear(s.flatten(1), w, b)
            cur = cur.unsqueeze(0).expand(T, *cur.shape) if static else cur.view(T, n, *cur.shape[1:])
            if i == len(layers) - 1:
                return cur.sum(0).argmax(1)
            shape = (1, -1) + (1,) * (cur.dim() - 3)
            v, out = torch.zeros_like(cur[0]), []
            for t in range(T):
                h = v * (1 - 2.0 ** -ls.leak) + cur[t]
                sp = (h >= th.view(shape)).float()
                v = h - sp * th.view(shape)
                out.append(sp)
            s = torch.stack(out).flatten(0, 1)
            if ls.pool:
                s = torch.nn.functional.max_pool2d(s, 2)
            static = False
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "golden_speed.md"))
    args = ap.parse_args(argv)
    model = random_model(builtin("scnn5-mnist"), density=0.06, seed=0)
    x, _ = default_mnist("test")
    x = x[:256]
    rows = []
    golden_fn = lambda b: golden.run(model, b)       # noqa: E731
    try:
        torch_fn = torch_forward(model)
        import torch
        threads = torch.get_num_threads()
    except ImportError:
        torch_fn, threads = None, 0
    for batch in (1, 256):
        xb = np.ascontiguousarray(x[:batch] if batch > 1 else x[:1])
        reps = args.repeats if batch > 1 else 20 * args.repeats
        g = best_fps(golden_fn, xb, reps)
        t = best_fps(torch_fn, xb, reps) if torch_fn else float("nan")
        rows.append((batch, g, t, g / t if torch_fn else float("nan")))
    lines = ["# Golden model speed (scnn5-mnist, 6 % weight density, real MNIST digits)", "",
             f"Measured by `python benchmarks/golden_speed.py` on {platform.machine()} with "
             f"{os.cpu_count()} cores, numpy {np.__version__}, torch threads {threads}; best of "
             f"{args.repeats} runs.", ""]
    lines += markdown_table(["batch:", "golden (numpy int) frames/s:", "torch float frames/s:", "golden / torch:"],
                            [(b, f"{g:.1f}", f"{t:.1f}", f"{r:.2f}x") for b, g, t, r in rows])
    publish(lines, args.out)


if __name__ == "__main__":
    main()
