"""``dualspike`` command line: the front door. Every command has ``--help``.

Ground-floor commands (numpy only): ``info``, ``run``, ``random``, ``dump``, ``order``. Track commands
(``train``, ``build``, ``demo``) are registered from their tracks lazily; when a track's extra is
missing, the command still appears and says which extra to install.
"""
import argparse
import importlib
import json
import sys

import numpy as np

from . import bitmap, golden
from .channel_order import SAMPLES as ORDER_SAMPLES
from .errors import DualspikeError, MissingExtraError
from .model import random_model
from .spec import BUILTIN, builtin

PRETRAINED = "scnn5-mnist"

# (command, module providing register(subparsers), extra that module needs)
TRACK_COMMANDS = [
    ("train", "dualspike.train.cli", "train"),
    ("build", "dualspike.rtl.cli", "rtl"),
    ("demo", "dualspike.demo", "all"),
]


def pretrained_path(name=PRETRAINED):
    """Path of a model file shipped in the package (``dualspike/pretrained/<name>.dsm``)."""
    import os
    return os.path.join(os.path.dirname(__file__), "pretrained", f"{name}.dsm")


def load_model(path_or_name):
    """A model from a ``.dsm`` path, or ``pretrained`` / ``random:<builtin>`` shorthands."""
    if path_or_name == "pretrained":
        return bitmap.load(pretrained_path())
    if path_or_name.startswith("random:"):
        return random_model(builtin(path_or_name.split(":", 1)[1]))
    return bitmap.load(path_or_name)


# ---- info ---------------------------------------------------------------------------------------
def cmd_info(args):
    model, meta = bitmap.load(args.file, with_meta=True)
    spec = model.spec
    print(f"{args.file}: {spec.name}, input {list(spec.input_shape)} {spec.encoding}, T={spec.T}, "
          f"readout {spec.readout}")
    print(f"{'layer':>5} {'kind':>4} {'in':>12} {'out':>12} {'weights':>8} {'non-zero':>8} {'sparsity':>8}")
    for i, ((ls, lp), (si, so)) in enumerate(zip(zip(spec.layers, model.layers), spec.layer_shapes())):
        print(f"{i:>5} {ls.kind:>4} {'x'.join(map(str, si)):>12} {'x'.join(map(str, so)):>12} "
              f"{lp.weight.size:>8} {np.count_nonzero(lp.weight):>8} {model.sparsity(i):>8.2%}")
    sz = bitmap.size_report(model)
    print(f"total sparsity {model.sparsity():.2%}; packed weights {sz['packed_bytes']} B vs dense "
          f"int{spec.layers[0].wbits} {sz['dense_bytes']} B ({sz['ratio']:.1%}); file {sz['file_bytes']} B")
    if meta:
        print("meta:", json.dumps(meta, sort_keys=True)[:400])
    return 0


# ---- run ----------------------------------------------------------------------------------------
def _inputs(args, spec):
    from . import data
    if args.npy:
        x = np.load(args.npy)
        y = np.load(args.labels) if args.labels else None
    elif args.idx:
        x, y = data.load_idx_pair(*args.idx)
    else:
        x, y = data.default_mnist("test")
    if args.limit:
        x = x[:args.limit]
        y = None if y is None else y[:args.limit]
    return x, y


def cmd_run(args):
    model = load_model(args.file)
    x, y = _inputs(args, model.spec)
    lanes = [int(v) for v in args.lanes.split(",")] if args.lanes else None
    logits, stats = [], []
    for a in range(0, len(x), args.batch):
        r = golden.run(model, x[a:a + args.batch], T=args.T, stats=args.json is not None or lanes is not None,
                       lanes=lanes)
        logits.append(r.logits)
        stats.append(r.stats)
    logits = np.concatenate(logits)
    classes = np.argmax(logits, axis=1)
    out = {"model": model.spec.name, "frames": int(len(x)), "classes": classes.tolist()}
    if y is not None:
        acc = float(np.mean(classes == y))
        out["accuracy"] = acc
        print(f"accuracy {acc:.2%} on {len(x)} frames")
    else:
        print(f"{len(x)} frames classified; first classes: {classes[:10].tolist()}")
    if stats[0] is not None:
        summaries = [s.summary() for s in stats]
        weights = [len(l) for l in np.array_split(np.arange(len(x)), len(stats))]
        out["stats"] = summaries[0] if len(summaries) == 1 else {"batches": summaries, "batch_sizes": weights}
        if lanes is not None:
            fc = np.mean([s["frame_cycles"] for s in summaries])
            print(f"cost model: {fc:.0f} cycles/frame with lanes {lanes}")
    if args.json:
        out["logits"] = logits.tolist()
        with open(args.json, "w") as f:
            json.dump(out, f)
        print(f"wrote {args.json}")
    return 0


# ---- random, dump -------------------------------------------------------------------------------
def cmd_random(args):
    model = random_model(builtin(args.model), density=args.density, seed=args.seed)
    n = bitmap.save(model, args.output, meta={"source": "random", "density": args.density, "seed": args.seed})
    print(f"wrote {args.output}: {model.spec.name}, sparsity {model.sparsity():.2%}, {n} bytes")
    return 0


def dump_arrays(model):
    """The integer model as plain arrays: ``spec_json`` and ``layer{i}_{weight,bias,threshold}``."""
    arrays = {"spec_json": np.array(model.spec.to_json())}
    for i, lp in enumerate(model.layers):
        arrays.update({f"layer{i}_weight": lp.weight, f"layer{i}_bias": lp.bias,
                       f"layer{i}_threshold": lp.threshold})
    return arrays


def cmd_dump(args):
    model = bitmap.load(args.file)
    np.savez(args.output, **dump_arrays(model))
    print(f"wrote {args.output}: keys spec_json, layer{{i}}_weight/_bias/_threshold for "
          f"{len(model.layers)} layers")
    return 0


def cmd_order(args):
    from .channel_order import order_for_scan
    from .data import sample_inputs
    model, meta = bitmap.load(args.file, with_meta=True)
    x = sample_inputs(model.spec, args.samples)
    ordered, report = order_for_scan(model, x, progress=True)
    meta = dict(meta or {}, channel_order=report)
    n = bitmap.save(ordered, args.output, meta=meta)
    for i, r in enumerate(report):
        print(f"layer {i} -> {i + 1}: window words {r['words_before']} -> {r['words_after']} on {len(x)} samples")
    print(f"wrote {args.output}: {n} bytes, same logits, hidden channels reordered")
    return 0


# ---- parser -------------------------------------------------------------------------------------
def _missing(extra, exc):
    def run(args):
        raise MissingExtraError(f"this command needs the [{extra}] extra: pip install 'dualspike[{extra}]' "
                                f"({exc})")
    return run


def plain(doc):
    """A docstring as ``--help`` text: without reStructuredText's double backquotes and ``::``."""
    return doc.replace("``", "").replace("::\n", ":\n")


def build_parser():
    p = argparse.ArgumentParser(prog="dualspike", description=plain(__doc__.split("\n")[0]),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="command")

    s = sub.add_parser("info", help="describe a .dsm model file: layers, sparsity, sizes")
    s.add_argument("file", help="a .dsm weight file")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("run", help="run the golden model; prints accuracy where labels exist",
                       description="Run the numpy golden model on an .npy array, IDX files, or (default) "
                                   "the 1,000 real MNIST test digits.")
    s.add_argument("file", help="a .dsm file, 'pretrained', or 'random:<model>'")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--npy", help="uint8 input array [N, C, H, W] (events: [N, T, 2, H, W])")
    g.add_argument("--idx", nargs=2, metavar=("IMAGES", "LABELS"), help="IDX image and label files")
    s.add_argument("--labels", help="int labels .npy for --npy")
    s.add_argument("--limit", type=int, default=0, help="use the first N frames only")
    s.add_argument("--batch", type=int, default=250, help="frames per golden-model batch")
    s.add_argument("--T", type=int, default=None, help="time steps (default: the spec's)")
    s.add_argument("--lanes", help="comma-separated lanes per layer: also report cost-model cycles")
    s.add_argument("--json", help="write logits, classes and statistics to this JSON file")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("random", help="write a seeded random model file")
    s.add_argument("--model", default="scnn5-mnist", choices=sorted(BUILTIN))
    s.add_argument("--density", type=float, default=0.06, help="fraction of non-zero weights")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("-o", "--output", required=True, help="output .dsm path")
    s.set_defaults(func=cmd_random)

    s = sub.add_parser("dump", help="write the integer model as a plain .npz of arrays")
    s.add_argument("file", help="a .dsm weight file")
    s.add_argument("-o", "--output", required=True, help="output .npz path")
    s.set_defaults(func=cmd_dump)

    s = sub.add_parser("order", help="reorder hidden channels so the accelerator's window scan reads fewer "
                                     "words (same logits)",
                       description="Reorder every hidden layer's output channels (and the next layer's inputs) "
                                   "so that the sparse engine's window scan finds fewer mask words with a spike "
                                   "(dualspike.channel_order); the logits do not change. dualspike train does "
                                   "this on export; use it for a model exported elsewhere.")
    s.add_argument("file", help="a .dsm weight file")
    s.add_argument("-o", "--output", required=True, help="output .dsm path")
    s.add_argument("--samples", type=int, default=ORDER_SAMPLES,
                   help="sample inputs the windows are measured on (MNIST test digits for an MNIST-shaped "
                        "model, else seeded random inputs)")
    s.set_defaults(func=cmd_order)

    for name, module, extra in TRACK_COMMANDS:
        try:
            importlib.import_module(module).register(sub)
        except ImportError as exc:
            s = sub.add_parser(name, help=f"(needs pip install 'dualspike[{extra}]')")
            s.set_defaults(func=_missing(extra, exc))
    for s in sub.choices.values():             # the tracks describe their commands by docstrings
        s.description = s.description and plain(s.description)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except DualspikeError as exc:
        print(f"dualspike {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
