"""DVS-like events end to end: train a scnn7-dvs-shaped model on MNIST digits turned into event
streams, export it, build its accelerator, run the test events through the driver's events path on
``rtl-sim`` and check every result against the golden model.

    python benchmarks/dvs_report.py [--epochs 3] [--train 2000] [--frames 200] [--out build/dvs]

Writes ``benchmarks/results/dvs_report.md`` and ``.json`` (accuracy, sparsity, spike density,
cycles per frame, bit-exactness) and, with ``--ship``, ``dualspike/pretrained/scnn7-dvs.dsm``.
The 11th class of scnn7-dvs (DVS Gesture has 11) is unused by the 10 digits.
"""
import argparse
import json
import os
import shutil
import time

import numpy as np

from dualspike import bitmap, golden
from dualspike.events import mnist_events

HERE = os.path.dirname(os.path.abspath(__file__))


def train_model(out, epochs, n_train, seed=0):
    from dualspike.train import loop, recipes
    xtr, ytr = mnist_events("train", n=None)
    xte, yte = mnist_events("test")
    recipe = recipes.get("default", model="scnn7-dvs", shift=0, epochs=epochs, fp_epochs=max(0, epochs // 3),
                         train_subset=n_train, seed=seed, prune_start=0.0, prune_end=0.6)
    report = loop.train(recipe, out, data=((xtr, ytr), (xte, yte)))
    return bitmap.load(os.path.join(out, "model.dsm")), report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--train", type=int, default=2000, help="training recordings (of 4,000)")
    ap.add_argument("--frames", type=int, default=200, help="test recordings through rtl-sim")
    ap.add_argument("--out", default="build/dvs")
    ap.add_argument("--model", default=None, help="skip training: use this .dsm")
    ap.add_argument("--ship", action="store_true", help="copy the model into dualspike/pretrained/")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.model:
        model, treport = bitmap.load(args.model), {}
    else:
        model, treport = train_model(os.path.join(args.out, "train"), args.epochs, args.train)
    xte, yte = mnist_events("test")
    g = golden.run(model, xte, stats=True)
    from dualspike import driver
    from dualspike.rtl.generate import generate
    desc = generate(model.spec, os.path.join(args.out, "build"), board="pynq-z2", lanes="auto", model=model,
                    sample=xte[:32])
    g_lanes = golden.run(model, xte[:args.frames], lanes=list(desc.lanes), word=desc.word)
    acc = driver.load("pynq-z2", backend="rtl-sim", model=model, sim=os.path.join(args.out, "build"),
                      batch_size=50, timeout=600.0)
    logits = acc.run(xte[:args.frames])
    counters = acc.counters()
    summ = g_lanes.stats.summary()
    rep = {"model": model.spec.name, "events": "mnist_to_events (N-MNIST-like saccades), 32x32, T=4",
           "test_accuracy_golden": float(np.mean(g.classes == yte)), "test_frames": int(len(yte)),
           "float_accuracy": (treport.get("float") or {}).get("test_acc"),
           "weight_sparsity": model.sparsity(), "nonzeros": model.nonzeros(),
           "spike_density": [l["spike_density"] for l in g.stats.summary()["layers"]],
           "rtl_frames": int(args.frames), "rtl_bit_exact": bool(np.array_equal(logits, g.logits[:args.frames])),
           "lanes": list(desc.lanes), "interval_cycles_simulated": int(counters["INTERVAL_CYCLES"]),
           "frame_cycles_cost_model": summ["frame_cycles"], "pair_bound": summ["pair_bound"],
           "utilization": summ["utilization"], "train_time_s": treport.get("train_time_s"),
           "seconds": time.perf_counter() - t0}
    how = f"--model {args.model}" if args.model else f"--epochs {args.epochs} --train {args.train}"
    lines = ["# DVS-like events end to end (scnn7-dvs shape)", "",
             f"`python benchmarks/dvs_report.py {how} --frames {args.frames}`", "",
             "| figure | value |", "|---|---|"]
    lines += [f"| {k} | {v if not isinstance(v, float) else round(v, 4)} |" for k, v in rep.items()]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "dvs_report.md"), "w") as f:
        f.write(text)
    with open(os.path.join(HERE, "results", "dvs_report.json"), "w") as f:
        json.dump(rep, f, indent=1)
    if args.ship and not args.model:
        dst = os.path.join(os.path.dirname(HERE), "dualspike", "pretrained", "scnn7-dvs.dsm")
        shutil.copy(os.path.join(args.out, "train", "model.dsm"), dst)
        print("shipped", dst)


if __name__ == "__main__":
    main()
