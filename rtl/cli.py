"""``dualspike build``: generate the accelerator Verilog and its description JSON.

Examples::

    dualspike build scnn5-mnist -o build/scnn5                      # spec only, lanes from a random model
    dualspike build model.dsm -o build/m --board kv260 --lanes auto --bake
    dualspike build model.dsm -o build/t --lanes auto --target-cycles 16000   # the smallest build within 16,000 cycles
    dualspike build scnn5-mnist -o build/s --lanes 4,16,16,8,2 --capacity 0.25
    dualspike build scnn5-mnist -o build/s --sim 10                 # + run 10 MNIST digits in Verilator
"""
import json
import os

import numpy as np


def _source(arg):
    """``(spec, model or None)`` from a builtin name, a spec .json, a .dsm, ``pretrained`` or ``random:<name>``."""
    from dualspike import bitmap
    from dualspike.cli import load_model
    from dualspike.spec import BUILTIN, ModelSpec, builtin
    if arg in BUILTIN:
        return builtin(arg), None
    if arg.endswith(".json"):
        with open(arg) as f:
            return ModelSpec.from_json(f.read()), None
    model = load_model(arg) if (arg == "pretrained" or arg.startswith("random:")) else bitmap.load(arg)
    return model.spec, model


def _capacities(text, spec, model):
    if text in (None, "dense"):
        return None
    if "," in text:
        return [int(v) for v in text.split(",")]
    frac = float(text)
    if not 0 < frac <= 1:
        raise ValueError(f"--capacity {text}: a density fraction must be in (0, 1]")
    return [max(16, int(np.ceil(frac * spec.fan_in(i) * ls.out_channels))) for i, ls in enumerate(spec.layers)]


def cmd_build(args):
    from dualspike.accel import BOARDS
    from dualspike.model import random_model

    from .generate import generate
    from .resources import default_capacities, parse_fifo_ram, parse_word
    spec, model = _source(args.source)
    if args.bake and model is None:
        raise SystemExit("--bake needs a model (.dsm, pretrained or random:<name>), not a bare spec")
    caps = _capacities(args.capacity, spec, model) or default_capacities(spec, args.board)
    lanes = args.lanes if args.lanes == "auto" else [int(v) for v in args.lanes.split(",")]
    # lanes "auto": lanes, mask word widths, FIFO placement and channel orders from the model's statistics
    desc = generate(spec, args.output, board=args.board, lanes=lanes, model=model, bake=args.bake,
                    t_max=args.t_max, capacities=caps, fclk_mhz=args.fclk or BOARDS[args.board]["fclk_mhz"],
                    chain=args.chain, word=parse_word(args.word), fifo_ram=parse_fifo_ram(args.fifo_ram),
                    target_cycles=args.target_cycles)
    v = os.path.join(args.output, "dualspike_top.v")
    print(f"wrote {v} ({os.path.getsize(v)} bytes) and {os.path.join(args.output, 'dualspike_top.json')}")
    print(json.dumps({"board": desc.board, "lanes": list(desc.lanes), "capacities": list(desc.capacities),
                      "t_max": desc.t_max, "word": list(desc.word), "weights_built_in": desc.weights_built_in,
                      "spec_hash": f"0x{desc.spec_hash:08X}"}))
    if args.sim:
        _simulate(args, desc, model or random_model(spec, 0.06, 0))   # the statistics model of a bare spec
    return 0


def _simulate(args, desc, model):
    from dualspike import golden
    from dualspike.data import sample_inputs

    from .sim import AccelSim
    spec = desc.spec
    x = sample_inputs(spec, args.sim)
    with AccelSim(args.output) as sim:
        if not desc.weights_built_in:
            sim.load_weights(model)
        c0 = sim.cycles
        got = sim.run_frames(x)
        cyc = (sim.cycles - c0) / len(x)
    ref = golden.run(model, x).logits
    ok = np.array_equal(got, ref)
    print(f"rtl-sim: {len(x)} frames, {'bit-exact' if ok else 'MISMATCH'} vs golden, {cyc:.0f} cycles/frame")
    if not ok:
        raise SystemExit(1)


def register(subparsers):
    from .resources import LANE_LUTS, WORD_AUTO, WORD_DEFAULT
    p = subparsers.add_parser("build", help="generate the accelerator Verilog + description JSON",
                              description=__doc__, formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("source", help="builtin spec name, spec .json, model .dsm, 'pretrained' or 'random:<name>'")
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument("--board", default="pynq-z2", help="pynq-z2 | kv260 | zcu104 (default pynq-z2)")
    p.add_argument("--lanes", default="auto", help="'auto' or comma-separated lanes per layer")
    p.add_argument("--target-cycles", type=int, default=None,
                   help="with --lanes auto: the smallest build whose frame interval is within this many cycles "
                        "(default: the fastest build that fits the board)")
    p.add_argument("--t-max", type=int, default=None, help="largest runtime T (default: the spec's T)")
    p.add_argument("--capacity", default=None,
                   help="'dense' (default if it fits), a density fraction, or comma-separated non-zeros per layer")
    p.add_argument("--bake", action="store_true", help="bake the model's weights in as initial RAM contents")
    widths = " or ".join(map(str, sorted(LANE_LUTS)))
    p.add_argument("--word", default=WORD_AUTO,
                   help=f"mask word width of the cores: 'auto' (default: chosen per layer with --lanes auto, "
                        f"else {WORD_DEFAULT}), {widths}, or comma-separated widths per layer "
                        "(32 = smaller lanes, longer scans)")
    p.add_argument("--fifo-ram", default="auto",
                   help="where the lanes' entry FIFOs go: 'auto' (default: chosen with --lanes auto, else the "
                        "tool's choice), tool, block, distributed (LUT RAM), or comma-separated per layer")
    p.add_argument("--fclk", type=float, default=None, help="fabric clock in MHz for the description")
    p.add_argument("--chain", default="cores", help=__import__("argparse").SUPPRESS)
    p.add_argument("--sim", type=int, default=0, metavar="N", help="then run N frames in Verilator vs golden")
    p.set_defaults(func=cmd_build)
    return p
