"""``dualspike train``: train a spiking conv net with Grad-R pruning and 4-bit LSQ, export it.

Wired into the front door by ``dualspike/cli.py`` through :func:`register`; also runnable as
``python -m dualspike.train.cli``. Writes into ``--output``: ``checkpoint.pt`` (every epoch; resume
with ``--resume``), ``report.json``, ``report.png`` and the integer model ``model.dsm``.
"""
import argparse
import sys

HELP = "train a spiking conv net (Grad-R pruning + 4-bit LSQ) and export it bit-exact"
DESCRIPTION = __doc__.split("\n\n")[0] + """

Examples:
  dualspike train -o runs/mnist                         # default recipe: scnn5-mnist, 94 % sparsity, 64 epochs (~25 min)
  dualspike train --recipe short -o runs/short          # 10 epochs, 90 % sparsity
  dualspike train --recipe quick -o runs/quick          # a 1-minute smoke run
  dualspike train --recipe dense -o runs/dense          # the float dense reference
  dualspike train -o runs/mnist --resume                # continue from runs/mnist/checkpoint.pt
  dualspike train -o runs/plain --label-smoothing 0 --ema-decay 0      # without smoothing and the parameter average
  dualspike train -o runs/cap --channel-cap 1.25        # no output channel above 1.25x its layer's mean non-zeros
  dualspike train -o runs/sparse --spike-penalty 2      # fewer spikes (the loss adds 2x the mean spike density)
"""


def add_arguments(p):
    p.add_argument("--model", default=None, help="built-in model name (default: the recipe's, scnn5-mnist)")
    p.add_argument("--recipe", default="default", help="default | dense | pruned-float | short | quick (default: default)")
    p.add_argument("--data", default="default",
                   help="'default' (4,000/1,000 real MNIST digits), a folder of MNIST IDX files, or an "
                        ".npz with x_train, y_train, x_test, y_test")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default: the recipe's)")
    p.add_argument("--target-sparsity", type=float, default=None,
                   help="fraction of weights to prune, in [0, 1) (default: the recipe's, 0.94)")
    p.add_argument("--input-bits", type=int, default=None, help="bitplane input bits (1..8)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    p.add_argument("--label-smoothing", type=float, default=None,
                   help="cross-entropy label smoothing in [0, 1) (default: the recipe's; default 0.1, short 0)")
    p.add_argument("--ema-decay", type=float, default=None,
                   help="export the moving average of the parameters over the run after pruning, with "
                        "this decay per step in [0, 1), e.g. 0.998 (default: the recipe's; default 0.998, short 0 = off)")
    p.add_argument("--channel-cap", type=float, default=None,
                   help="prune so that no output channel keeps more than this multiple of its layer's mean "
                        "non-zero weights, e.g. 1.25: balances the hardware lanes (default: the recipe's; 0 = off)")
    p.add_argument("--spike-penalty", type=float, default=None,
                   help="add this multiple of the LIF layers' mean spike density to the loss, e.g. 2: fewer "
                        "spikes, so fewer matched pairs and window words for the accelerator (default: the "
                        "recipe's, 0.5 in the default one; 0 = off)")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--resume", action="store_true", help="continue from OUTPUT/checkpoint.pt")
    p.add_argument("--device", default=None, help="cpu | cuda (default: cuda when present)")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bars")
    return p


def register(subparsers):
    """Add the ``train`` subcommand to an ``argparse`` subparsers object; sets ``func=main``."""
    p = subparsers.add_parser("train", help=HELP, description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    p.set_defaults(func=main)
    return p


add_parser = register


def main(args):
    """Run ``dualspike train`` with parsed ``args``; returns the exit code (0)."""
    from dualspike.errors import require
    require("torch", "train")
    from . import loop, recipes
    overrides = {}
    if args.input_bits is not None:
        overrides["spec_overrides"] = dict(recipes.RECIPES.get(args.recipe, recipes.Recipe()).spec_overrides,
                                           input_bits=args.input_bits)
    recipe = recipes.get(args.recipe, model=args.model, epochs=args.epochs,
                         target_sparsity=args.target_sparsity, seed=args.seed,
                         label_smoothing=args.label_smoothing, ema_decay=args.ema_decay,
                         channel_cap=args.channel_cap, spike_penalty=args.spike_penalty, **overrides)
    report = loop.train(recipe, args.output, data=args.data, resume=args.resume,
                        progress=not args.no_progress, device=args.device)
    fin = report.get("int") or report["float"]
    print(f"test accuracy {fin['test_acc']:.2%}, weight sparsity {fin['weight_sparsity']:.2%}; "
          f"report in {args.output}/report.json")
    return 0


def _standalone(argv=None):
    from dualspike.cli import plain
    from dualspike.errors import DualspikeError
    parser = argparse.ArgumentParser(prog="dualspike train", description=plain(DESCRIPTION),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return main(args)
    except DualspikeError as exc:
        print(f"dualspike train: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(_standalone())
