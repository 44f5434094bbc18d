"""Per-channel cap: what holding every output channel to a multiple of its layer's mean non-zero
weights (``dualspike train --channel-cap``) does to int4 accuracy and to the accelerator's frame
interval and utilization, over trained runs.

A conv core's lanes each own whole output channels, so the channel with the most matched pairs sets
its layer's pace: in the shipped scnn5-mnist, layer 1's heaviest channel has 50 non-zero weights
against a mean of 26 and 2.3x the mean pairs. The cap trims such channels during Grad-R pruning and
at the export of the parameter average (``train/gradr.py: over_channel_cap``).

    python -m dualspike train -o runs/cap125 --channel-cap 1.25     # the default recipe with a cap
    python -m dualspike train -o runs/cap150 --channel-cap 1.5      # (seed 0, 2 torch threads, ~25 min each)
    python benchmarks/channel_cap.py --run shipped=dualspike/pretrained/scnn5-mnist.dsm \\
        --run cap1.25=runs/cap125 --run cap1.5=runs/cap150

Each ``--run`` is ``label=path``: a training output folder (``model.dsm`` and ``report.json``) or a
``.dsm`` file with its ``.report.json`` beside it. For every board the ``auto`` build is chosen on
64 MNIST test digits (as ``accel_report.py`` and the demo choose it) and costed with the engine
model (``PairProfile.engine_cycles``, the model the Verilator runs match) on ``--frames`` digits.
Writes ``benchmarks/results/channel_cap_<model>.md``.
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load_run(path):
    """``(model, report)`` of a training output folder or of a ``.dsm`` with its report beside it."""
    from dualspike import bitmap
    dsm = os.path.join(path, "model.dsm") if os.path.isdir(path) else path
    rep = os.path.join(path, "report.json") if os.path.isdir(path) else dsm[:-len(".dsm")] + ".report.json"
    with open(rep) as f:
        return bitmap.load(dsm), json.load(f)


def nonzeros_per_channel(model):
    """Per layer ``(max, mean)`` non-zero weights of an output channel."""
    out = []
    for lp in model.layers:
        nz = (lp.weight != 0).reshape(lp.weight.shape[0], -1).sum(axis=1)
        out.append((int(nz.max()), float(nz.mean())))
    return out


def board_figures(model, board, x, x_alloc):
    """The ``auto`` build's lanes, engine-model interval and utilization on ``x``."""
    from dualspike.demo import step_board_allocation
    from dualspike.rtl.allocation import PairProfile
    lanes, words, _, _, _ = step_board_allocation(model, board, x_alloc)
    prof = PairProfile(model, x)
    cycles = [prof.engine_cycles(i, L, w) for i, (L, w) in enumerate(zip(lanes, words))]
    pairs = sum(float(p.sum(axis=(0, 2, 3, 4)).mean()) for p in prof.pairs)
    busiest = prof.pairs[1].sum(axis=(0, 2, 3)).mean(axis=0).max() if len(prof.pairs) > 1 else np.nan
    return dict(lanes=lanes, interval=max(cycles), utilization=pairs / sum(lanes) / max(cycles),
                busiest=float(busiest))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", action="append", required=True, metavar="LABEL=PATH",
                    help="a trained run: an output folder or a .dsm with its .report.json (repeat)")
    ap.add_argument("--boards", default="pynq-z2,kv260")
    ap.add_argument("--frames", type=int, default=256, help="MNIST test digits for the engine model")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    a = ap.parse_args(argv)
    sys.path.insert(0, HERE)
    from accel_report import inputs
    from tables import markdown_table, publish
    boards = a.boards.split(",")
    rows, name = [], None
    for spec in a.run:
        label, _, path = spec.partition("=")
        if not path:
            ap.error(f"--run {spec!r}: give LABEL=PATH")
        model, rep = load_run(path)
        name = name or rep["recipe"]["model"]
        x, _ = inputs(model.spec, a.frames)
        x_alloc = inputs(model.spec, 64)[0]
        fin = rep.get("int") or rep["float"]
        nz = nonzeros_per_channel(model)
        row = [label, f"{rep['recipe'].get('channel_cap', 0.0):g}", f"{100 * fin['test_acc']:.1f} %",
               f"{100 * fin['weight_sparsity_before_removal']:.2f} %",
               " / ".join(f"{m}/{mean:.0f}" for m, mean in nz[:-1])]
        for board in boards:
            f = board_figures(model, board, x, x_alloc)
            if board == boards[0]:
                row.append(f"{f['busiest']:,.0f}")
            row += [",".join(map(str, f["lanes"])), f"{f['interval']:,.0f}", f"{f['utilization']:.2f}"]
        rows.append(row)
        print(row, flush=True)
    head = ["run", "cap:", "int4 accuracy:", "sparsity:", "nz per channel, max/mean (conv layers)",
            "layer-1 busiest channel, pairs/frame:"]
    for board in boards:
        head += [f"{board} lanes", f"{board} interval:", f"{board} utilization:"]
    lines = [f"# Per-channel cap: {name}", "",
             "Generated by `python benchmarks/channel_cap.py " + " ".join(f"--run {r}" for r in a.run) +
             f" --frames {a.frames}` (engine model on {a.frames} MNIST test digits; `auto` builds chosen on 64). Accuracy and "
             "sparsity from each run's report (int4, 1,000 held-out digits; sparsity before removing "
             "silent channels). Intervals in cycles per frame; utilization = (Σ pairs / Σ lanes) / interval.",
             ""] + markdown_table(head, rows) + [""]
    publish(lines, os.path.join(a.out, f"channel_cap_{name}.md"))


if __name__ == "__main__":
    main()
