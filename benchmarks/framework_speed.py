"""Golden model frames/s against snntorch and spikingjelly CPU inference of the same network.

snntorch and spikingjelly are not dependencies; run this in the benchmark's own environment::

    python -m venv --system-site-packages .bench
    .bench/bin/pip install "torch==2.13.0" snntorch spikingjelly
    .bench/bin/python benchmarks/framework_speed.py            # writes benchmarks/results/framework_speed.{md,csv}

All three run scnn5-mnist (c32 c32 P c64 P c64 P fc10, T = 4) with the same integer weights
(6 % density, as floats in the frameworks), LIF with β = 1 − 2^-k, subtract reset, on the same real
MNIST test digits, in one process, best of ``--repeats`` after a warm-up. The frameworks use their
multi-step modes on the CPU; a framework that is not installed is reported as such.
"""
import argparse
import csv
import os
import platform
import time

import numpy as np

from dualspike import golden
from dualspike.data import default_mnist
from dualspike.model import random_model
from dualspike.spec import builtin


def _best(fn, x, repeats):
    fn(x[:2])
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn(x)
        best = min(best, time.perf_counter() - t)
    return len(x) / best


def _torch_layers(model, neuron):
    """``nn.Sequential`` pieces for a framework, given ``neuron(ls, lp) -> module``."""
    import torch.nn as nn
    import torch
    mods = []
    for ls, lp in zip(model.spec.layers, model.layers):
        if ls.kind == "conv":
            m = nn.Conv2d(lp.weight.shape[1], lp.weight.shape[0], 3, padding=1)
        else:
            mods.append(nn.Flatten())
            m = nn.Linear(lp.weight.shape[1], lp.weight.shape[0])
        with torch.no_grad():
            m.weight.copy_(torch.tensor(lp.weight, dtype=torch.float32))
            m.bias.copy_(torch.tensor(lp.bias, dtype=torch.float32))
        mods.append(m)
        if ls is not model.spec.layers[-1]:
            mods.append(neuron(ls, lp))
            if ls.pool:
                mods.append(nn.MaxPool2d(2))
    return mods


def snntorch_fn(model):
    import snntorch as snn
    import torch
    import torch.nn as nn

    def neuron(ls, lp):
        return snn.Leaky(beta=1 - 2.0 ** -ls.leak, threshold=float(lp.threshold.mean()), init_hidden=True,
                         reset_mechanism="subtract")
    net = nn.Sequential(*_torch_layers(model, neuron)).eval()
    T = model.spec.T

    @torch.no_grad()
    def run(x):
        from snntorch import utils
        utils.reset(net)
        xt = torch.from_numpy(x.astype(np.float32))
        return sum(net(xt) for _ in range(T)).argmax(1)
    return run


def spikingjelly_fn(model):
    import torch
    import torch.nn as nn
    from spikingjelly.activation_based import functional, layer, neuron as sjn

    def neuron(ls, lp):
        return sjn.LIFNode(tau=2.0 ** ls.leak if ls.leak else 1e9, decay_input=False, v_reset=None,
                           v_threshold=float(lp.threshold.mean()), step_mode="m")
    mods = [layer.SeqToANNContainer(m) if isinstance(m, (nn.Conv2d, nn.Linear, nn.MaxPool2d, nn.Flatten)) else m
            for m in _torch_layers(model, neuron)]
    net = nn.Sequential(*mods).eval()
    T = model.spec.T

    @torch.no_grad()
    def run(x):
        functional.reset_net(net)
        xt = torch.from_numpy(x.astype(np.float32)).unsqueeze(0).repeat(T, 1, 1, 1, 1)
        return net(xt).sum(0).argmax(1)
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "framework_speed"))
    args = ap.parse_args(argv)
    model = random_model(builtin("scnn5-mnist"), density=0.06, seed=0)
    x = np.ascontiguousarray(default_mnist("test")[0][:args.batch])
    rows = [("dualspike golden (numpy, integer)", _best(lambda b: golden.run(model, b), x, args.repeats))]
    for name, make in (("snntorch", snntorch_fn), ("spikingjelly", spikingjelly_fn)):
        try:
            rows.append((f"{name} (torch float, CPU)", _best(make(model), x, args.repeats)))
        except ImportError as exc:
            rows.append((f"{name}: not installed ({exc.name})", float("nan")))
    import torch
    g = rows[0][1]
    lines = [f"# Golden model vs SNN frameworks (scnn5-mnist, batch {args.batch}, T = 4)", "",
             f"`{' '.join(['python', 'benchmarks/framework_speed.py'])}` on {platform.machine()}, {os.cpu_count()} "
             f"cores, torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}; "
             f"best of {args.repeats}.", "", "| implementation | frames/s | golden / this |", "|---|---:|---:|"]
    lines += [f"| {n} | {f:.1f} | {g / f:.2f}x |" for n, f in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".md", "w") as f:
        f.write(text)
    with open(args.out + ".csv", "w", newline="") as f:
        csv.writer(f).writerows([("implementation", "frames_per_s")] + [(n, f"{v:.2f}") for n, v in rows])


if __name__ == "__main__":
    main()
