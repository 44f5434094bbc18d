"""Training options for the accelerator: what the per-channel cap (``dualspike train
--channel-cap``) and the spike penalty (``--spike-penalty``) do to int4 accuracy, to the matched pairs
and to the accelerator's frame interval and utilization, over trained runs.

A conv core's lanes each own whole output channels, so the channel with the most matched pairs sets
its layer's pace: in scnn5-mnist trained without either option, layer 1's heaviest channel has 50
non-zero weights against a mean of 26 and 2.3x the mean pairs. The cap trims such channels during
Grad-R pruning and at the export of the parameter average (``train/gradr.py: over_channel_cap``).
The spike penalty adds a multiple of the LIF layers' mean spike density to the loss: fewer spikes
give fewer matched pairs in the next layer and fewer window words for its scan.

    python -m dualspike train -o runs/cap125 --channel-cap 1.25     # the default recipe with a cap
    python -m dualspike train -o runs/sp15 --spike-penalty 1.5      # ... with a spike penalty (seed 0, ~25 min each)
    python benchmarks/training_options.py --run cap1.25=runs/cap125 --run penalty1.5=runs/sp15

Each ``--run`` is ``label=path``: a training output folder (``model.dsm`` and ``report.json``) or a
``.dsm`` file with its ``.report.json`` beside it. For every board the ``auto`` build is chosen on
64 MNIST test digits (as ``accel_report.py`` and the demo choose it) and costed with the engine
model (``PairProfile.engine_cycles``, the model the Verilator runs match) on ``--frames`` digits.
Writes ``benchmarks/results/training_options_<model>.md``.
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load_run(path):
    """``(model, report)`` of a training output folder or of a ``.dsm`` with its report beside it. A
    run exported before hidden channels were ordered for the scan (no ``channel_order`` in its
    report) is ordered here as the export does now, so that every run is costed alike."""
    from dualspike import bitmap
    from dualspike.channel_order import SAMPLES, order_for_scan
    from dualspike.data import sample_inputs
    dsm = os.path.join(path, "model.dsm") if os.path.isdir(path) else path
    rep = os.path.join(path, "report.json") if os.path.isdir(path) else dsm[:-len(".dsm")] + ".report.json"
    with open(rep) as f:
        model, report = bitmap.load(dsm), json.load(f)
    if "channel_order" not in report.get("int", {}):
        model, _ = order_for_scan(model, sample_inputs(model.spec, SAMPLES))
    return model, report


def nonzeros_per_channel(model):
    """Per layer ``(max, mean)`` non-zero weights of an output channel."""
    out = []
    for lp in model.layers:
        nz = (lp.weight != 0).reshape(lp.weight.shape[0], -1).sum(axis=1)
        out.append((int(nz.max()), float(nz.mean())))
    return out


def board_figures(model, board, prof, x_alloc):
    """The ``auto`` build's lanes (chosen on ``x_alloc``), and its engine-model interval and
    utilization by the profile ``prof``."""
    from dualspike.demo import step_board_allocation
    lanes, words, _, _, _ = step_board_allocation(model, board, x_alloc)
    interval = prof.frame_cycles(lanes, words)
    return dict(lanes=lanes, interval=interval, utilization=prof.frame_pairs() / sum(lanes) / interval)


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
    from dualspike.rtl.allocation import PairProfile
    boards = a.boards.split(",")
    rows, name = [], None
    for spec in a.run:
        label, _, path = spec.partition("=")
        if not path:
            ap.error(f"--run {spec!r}: give LABEL=PATH")
        model, rep = load_run(path)
        name = name or rep["recipe"]["model"]
        prof = PairProfile(model, inputs(model.spec, a.frames)[0])
        x_alloc = inputs(model.spec, 64)[0]
        busiest = prof.pairs[1].sum(axis=(0, 2, 3)).mean(axis=0).max() if len(prof.pairs) > 1 else np.nan
        fin = rep.get("int") or rep["float"]
        nz = nonzeros_per_channel(model)
        pairs = [float(p.sum(axis=(0, 2, 3, 4)).mean()) for p in prof.pairs]
        row = [label, f"{rep['recipe'].get('channel_cap', 0.0):g}", f"{rep['recipe'].get('spike_penalty', 0.0):g}",
               f"{100 * fin['test_acc']:.1f} %",
               f"{100 * fin['weight_sparsity_before_removal']:.2f} %",
               " / ".join(f"{m}/{mean:.0f}" for m, mean in nz[:-1]),
               " / ".join(f"{100 * d:.1f}" for d in fin.get("spike_density", [])),
               " / ".join(f"{p / 1000:.0f}k" for p in pairs)]
        for board in boards:
            f = board_figures(model, board, prof, x_alloc)
            if board == boards[0]:
                row.append(f"{busiest:,.0f}")
            row += [",".join(map(str, f["lanes"])), f"{f['interval']:,.0f}", f"{f['utilization']:.2f}"]
        rows.append(row)
        print(row, flush=True)
    head = ["run", "cap:", "spike penalty:", "int4 accuracy:", "sparsity:", "nz per channel, max/mean (conv layers)",
            "spike density % (LIF layers)", "pairs per frame (layers)",
            "layer-1 busiest channel, pairs/frame:"]
    for board in boards:
        head += [f"{board} lanes", f"{board} interval:", f"{board} utilization:"]
    lines = [f"# Training options for the accelerator: {name}", "",
             "Generated by `python benchmarks/training_options.py " + " ".join(f"--run {r}" for r in a.run) +
             f" --frames {a.frames}` (engine model on {a.frames} MNIST test digits; `auto` builds chosen on 64). Accuracy and "
             "sparsity from each run's report (int4, 1,000 held-out digits; sparsity before removing "
             "silent channels; spike density of the int4 model on them); pairs per frame on the engine model's digits. Intervals in cycles per frame; utilization = (Σ pairs / Σ lanes) / interval.",
             ""] + markdown_table(head, rows) + [""]
    publish(lines, os.path.join(a.out, f"training_options_{name}.md"))


if __name__ == "__main__":
    main()
