"""Training report table: dense float, pruned float and pruned int4 scnn5-mnist.

Usage::

    python benchmarks/train_report.py --train            # runs the three recipes one after another
    python benchmarks/train_report.py --dense runs/dense --pruned runs/pruned-float --int runs/default \
        [--short runs/short] [--status status.md]

Each run folder holds the ``report.json`` written by ``dualspike train``. Writes
``benchmarks/results/train_report.md``; ``--status`` appends a hand-written status section (markdown).
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def _pct(v):
    return "–" if v is None else f"{100 * v:.2f}"


def _spec(spec_json):
    from dualspike.spec import ModelSpec
    return ModelSpec.from_json(json.dumps(spec_json))


def _n_weights(spec_json):
    """Weights of a spec (from its JSON dict), with the original channel counts."""
    spec = _spec(spec_json)
    return sum(int(np.prod(spec.weight_shape(i))) for i in range(len(spec.layers)))


def row(name, rep, key):
    r = rep[key]
    spec = _spec(rep["spec"])
    if spec.encoding == "bitplane":
        name += f" ({spec.input_bits} input planes)"
    layers = " / ".join(f"{100 * s:.1f}" for s in r["weight_sparsity_layers"])
    dens = " / ".join(f"{100 * d:.2f}" for d in r["spike_density"])
    return (f"| {name} | {_pct(r['test_acc'])} | {_pct(r['weight_sparsity'])} | {layers} | {dens} | "
            f"{rep['train_time_s'] / 60:.1f} |")


def table(dense, pruned, quant, short=None):
    lines = ["| network | test acc [%] | weight sparsity [%] | sparsity per layer [%] | "
             "spike density per LIF layer [%] | training [min] |",
             "|---|---|---|---|---|---|"]
    if dense:
        lines.append(row("dense float", dense, "float"))
    if pruned:
        lines.append(row("pruned float (Grad-R)", pruned, "float"))
    if quant:
        lines.append(row("pruned int4 (Grad-R + LSQ), float eval", quant, "float"))
        lines.append(row("**pruned int4, integer model (golden)**", quant, "int"))
    if short:
        lines.append(row(f"`short` recipe ({short['recipe']['epochs']} epochs), integer model", short, "int"))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dense"), ap.add_argument("--pruned"), ap.add_argument("--int", dest="quant")
    ap.add_argument("--short", help="run folder of the short recipe (optional row)")
    ap.add_argument("--status", help="markdown file appended as the status section")
    ap.add_argument("--train", action="store_true", help="train the three recipes into --runs")
    ap.add_argument("--runs", default=os.path.join(HERE, "runs"))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "train_report.md"))
    a = ap.parse_args(argv)
    if a.train:
        from dualspike.train import recipes
        from dualspike.train.loop import train
        for name in ("dense", "pruned-float", "default"):
            train(recipes.get(name), os.path.join(a.runs, name), progress=sys.stderr.isatty())
        a.dense, a.pruned, a.quant = (os.path.join(a.runs, n) for n in ("dense", "pruned-float", "default"))
    reps = []
    for d in (a.dense, a.pruned, a.quant, a.short):
        if d is None:
            reps.append(None)
            continue
        with open(os.path.join(d, "report.json")) as f:
            reps.append(json.load(f))
    quant = reps[2]
    text = ["# scnn5-mnist training report", "",
            "Data: the 4,000 / 1,000 real MNIST digits of `dualspike.data.default_mnist` (test = 1,000 "
            "held-out digits). T = 4, bitplane input (the planes of each row are named). Sparsity per layer in spec order "
            "(conv1 / conv2 / conv3 / conv4 / fc); spike densities are spikes / (neurons × T) before "
            "pooling for the four conv LIF layers, on the test set. Training time is wall time of the "
            "training epochs on the machine named below (2 shared CPU cores).", "",
            table(*reps), ""]
    short = reps[3]
    if quant:
        q = quant["int"]
        text += [f"Integer model: bit-exact torch integer mode == golden model on all {q['checked_samples']} "
                 f"test digits; {sum(map(len, q['removed_channels']))} silent channels removed "
                 f"(out_channels {q['out_channels']}); non-zero weights per layer {q['nonzeros']} "
                 f"({sum(q['nonzeros'])} of the original network's {_n_weights(quant['spec'])}: "
                 f"{100 * (1 - sum(q['nonzeros']) / _n_weights(quant['spec'])):.2f} % zero or removed; "
                 f"{100 * q['weight_sparsity_before_removal']:.2f} % zero before the removal).", ""]
        r = quant["recipe"]
        text += [f"Recipe (default): {r['epochs']} epochs ({r['fp_epochs']} float), batch {r['batch_size']}, "
                 f"Adam lr {r['lr']} cosine, LSQ scale lr {r['scale_lr']}, target sparsity "
                 f"{r['target_sparsity']} (cubic ramp from {r['prune_start']:g} to {r['prune_end']:g} of the "
                 f"run, Grad-R prior α {r['prior']} plus the magnitude budget), shifts ±{r['shift']} px, "
                 f"label smoothing {r.get('label_smoothing', 0):g}, "
                 + (f"spike penalty {r['spike_penalty']:g} × the mean spike density, " if r.get("spike_penalty") else "")
                 + (f"exported: the parameter average from the end of pruning (EMA decay {r['ema_decay']:g} per "
                    "step), pruned back to the target, " if r.get("ema_decay") else "")
                 + f"seed {r['seed']}; torch {quant['torch']} on {quant['device']}.", ""]
    if short:
        q, r = short["int"], short["recipe"]
        text += [f"Recipe `short` (`dualspike train --recipe short`): {r['epochs']} epochs ({r['fp_epochs']} "
                 f"float), target sparsity {r['target_sparsity']}; int4 {100 * q['test_acc']:.2f} % at "
                 f"{100 * q['weight_sparsity']:.2f} % ({100 * q['weight_sparsity_before_removal']:.2f} % before "
                 f"silent-channel removal), {short['train_time_s'] / 60:.1f} min of training.", ""]
    if a.status:
        with open(a.status) as f:
            text += [f.read().rstrip(), ""]
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
