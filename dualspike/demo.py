"""The main job: train → pack → build → run on the simulated board → one report.

``dualspike demo`` (the README's first command) trains scnn5-mnist on the 5,000 real MNIST digits
with the ``short`` recipe (``--full``: the full ``default`` recipe; ``--pretrained``: start from the
shipped model instead of training), exports and packs the bitmap file, generates the accelerator
for a board (``pynq-z2``), runs test digits through the driver on the ``rtl-sim`` backend
(Verilator), checks every result against the golden model, predicts the board build's cycles with
the cost model (``--synth`` also runs yosys on the simulated build), and writes ``report.md``,
``report.json`` and PNG plots into ``--out``.

Each step is one function; :func:`run_demo` chains them and returns the report dict.
"""
import json
import os
import time

import numpy as np

from . import bitmap, golden
from .accel import BOARDS
from .data import default_mnist, spread, spread_index

# ---- steps -------------------------------------------------------------------------------------
def step_train(out, full=False, pretrained=False, epochs=None, log=print):
    """``(model, training report)`` from training (or the shipped pretrained model)."""
    if pretrained:
        from .cli import pretrained_path
        path = pretrained_path()
        rep_path = path.replace(".dsm", ".report.json")
        report = json.load(open(rep_path)) if os.path.exists(rep_path) else {}
        log(f"using the pretrained model {path}")
        return bitmap.load(path), report, path
    from .train import loop, recipes
    recipe = recipes.get("default" if full else "short")
    if epochs:
        recipe = recipe.replace(epochs=epochs, fp_epochs=min(recipe.fp_epochs, max(0, epochs - 1)))
    tdir = os.path.join(out, "train")
    report = loop.train(recipe, tdir, log=log)
    path = os.path.join(tdir, "model.dsm")
    return bitmap.load(path), report, path


def sim_lanes(spec):
    """A small lane allocation for a quick simulated build: one lane per 16 output channels (it
    compiles in about a minute; the pynq-z2 ``auto`` allocation has 3x more lanes, takes about two
    minutes and simulates a frame about twice as fast)."""
    return [max(1, -(-ls.out_channels // 16)) for ls in spec.layers]


def step_build(model, out, board, lanes, x=None):
    """Generate the accelerator (Verilog + description) for ``board``; returns the description."""
    from .rtl.generate import generate
    return generate(model.spec, os.path.join(out, "build"), board=board, lanes=lanes, model=model, sample=x)


def step_board_allocation(model, board, x, word=None):
    """Lanes, mask word widths, lane-FIFO placement and channel orders the generator's ``auto``
    picks for ``board`` (``word``: fixed widths, default the generator's per-layer choice) and its
    area estimate (no build): ``(lanes, words, fifo_ram, estimate, orders)``."""
    from .accel import BOARDS
    from .rtl.allocation import auto_lanes
    from .rtl.resources import WORD_AUTO, default_capacities, estimate_resources
    lanes, words, prof, fifo_ram = auto_lanes(model, board, x, word=word or WORD_AUTO)
    return lanes, words, fifo_ram, estimate_resources(model.spec, lanes, default_capacities(model.spec, board),
                                                      model.spec.T, words, fifo_ram,
                                                      BOARDS[board]["family"]), prof.orders(lanes)


def step_rtl_sim(model, desc, out, x, batch=100, log=print):
    """Run ``x`` through the driver on ``rtl-sim``; returns (logits, hardware counters, seconds)."""
    from . import driver
    acc = driver.load(desc.board, backend="rtl-sim", model=model, sim=os.path.join(out, "build"),
                      batch_size=batch, timeout=600.0)
    t0 = time.perf_counter()
    logits = []
    try:
        from tqdm import tqdm
        chunks = tqdm(range(0, len(x), batch), desc="rtl-sim frames", unit="batch")
    except ImportError:
        chunks = range(0, len(x), batch)
    for a in chunks:
        logits.append(acc.run(x[a:a + batch]))
    seconds = time.perf_counter() - t0
    counters = acc.counters()
    layers = acc.layer_counters()
    return np.concatenate(logits), dict(counters, layers=layers), seconds


def step_synth(desc, out, family="xc7"):
    """yosys ``synth_xilinx`` resources of the generated Verilog (None when yosys is missing)."""
    import shutil
    if not shutil.which("yosys"):
        return None
    from .rtl.synth import synth
    return synth(os.path.join(out, "build", "dualspike_top.v"), family=family)


# ---- report ------------------------------------------------------------------------------------
def plots(report, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = []
    hist = report.get("training", {}).get("history") or []
    if hist:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ep = [h["epoch"] for h in hist]
        ax.plot(ep, [100 * h["test_acc"] for h in hist], "o-", label="test accuracy")
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy [%]")
        ax2 = ax.twinx()
        ax2.plot(ep, [100 * h["weight_sparsity"] for h in hist], "s-", color="tab:red")
        ax2.set_ylabel("weight sparsity [%]", color="tab:red")
        fig.tight_layout()
        files.append(_save(fig, out, "accuracy_sparsity.png"))
    layers = report["layers"]
    idx = np.arange(len(layers))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(idx, [100 * (l["spike_density"] or 0) for l in layers])
    ax.set_xticks(idx, [f"L{i} {l['kind']}" for i, l in enumerate(layers)])
    ax.set_ylabel("output spike density [%]")
    fig.tight_layout()
    files.append(_save(fig, out, "spike_density.png"))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(idx - 0.2, [l["cycles"] for l in layers], 0.4, label="cost-model cycles per frame")
    ax.bar(idx + 0.2, [l["pairs"] / l["lanes"] for l in layers], 0.4, label="pair bound (pairs / lanes)")
    ax.set_xticks(idx, [f"L{i} ({l['lanes']} lanes)" for i, l in enumerate(layers)])
    ax.set_ylabel("cycles")
    ax.legend()
    fig.tight_layout()
    files.append(_save(fig, out, "cycles_per_layer.png"))
    return files


def _save(fig, out, name):
    import matplotlib.pyplot as plt
    path = os.path.join(out, name)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return name


def markdown(r):
    hw, res, ba = r["hardware"], r.get("resources"), r["board_allocation"]
    board = BOARDS[r["board"]]
    lines = [f"# dualspike demo report ({r['model']}, {r['board']})", "",
             "| figure | value | source |", "|---|---|---|",
             f"| float test accuracy | {_pct(r.get('float_accuracy'))} | torch, float mode, {r['test_frames']} digits |",
             f"| int4 test accuracy | {_pct(r['int_accuracy'])} | golden model, {r['test_frames']} digits |",
             f"| rtl-sim accuracy | {_pct(r['rtl_accuracy'])} | Verilator via the driver, {r['rtl_frames']} digits, "
             f"bit-exact with golden: {r['bit_exact']} |",
             f"| weight sparsity | {_pct(r['weight_sparsity'])} | model file |",
             f"| packed weights | {r['packed_bytes']} B vs {r['dense_bytes']} B dense int4 | bitmap format |",
             f"| simulated build: lanes | {r['lanes']} | one lane per 16 channels (fast to compile) |",
             f"| simulated build: cycles of the last frame | {hw['interval_cycles']} measured, "
             f"{hw['predicted_last_frame_cycles']:.0f} predicted | INTERVAL_CYCLES register (includes the driver's "
             f"per-frame DMA gaps); golden cost model (scan-aware) |",
             f"| simulated build: mean cycles per frame | {r['cost_model']['frame_cycles']:.0f} | golden cost model, "
             f"{r['test_frames']} digits |",
             f"| simulated build: pair bound, utilization | {r['cost_model']['pair_bound']:.0f}, "
             f"{r['cost_model']['utilization']:.2f} | golden statistics |",
             f"| board build (`auto`): lanes, mask word bits, lane FIFOs | {ba['lanes']}, {ba['word']}, "
             f"{[st or 'tool' for st in ba.get('fifo_ram', [None] * len(ba['lanes']))]} | "
             f"rtl.allocation.auto_lanes for {r['board']} |",
             f"| board build: cycles per frame, utilization | {ba['frame_cycles']:.0f}, {ba['utilization']:.2f} | "
             f"cost model (checked against the simulated build above) |",
             f"| board build: FPS at {r['fclk_mhz']:.0f} MHz | {ba['fps_at_fclk']:.0f} | cycles × board clock |",
             f"| board build: LUT / BRAM36 estimate | {ba['resources_estimate']['luts']} "
             f"({ba['resources_estimate']['luts'] / board['luts']:.0%}) / {ba['resources_estimate']['bram36']:.0f} "
             f"({ba['resources_estimate']['bram36'] / board['bram36']:.0%}) | rtl.resources.estimate_resources "
             f"(fitted to per-core yosys: benchmarks/accel_resources.py) |"]
    if res:
        lines.append(f"| LUT / FF / BRAM36 / DSP | {res['luts']} ({res['luts'] / board['luts']:.0%}) / {res['ffs']} / "
                     f"{res['bram36']} ({res['bram36'] / board['bram36']:.0%}) / {res['dsp']} | yosys synth_xilinx "
                     f"-family xc7 on the simulated build vs {board['part']} |")
    lines += [f"| FPS/W | on the board: `throughput_test()` | {r['power_note']} |", "",
              "| layer | kind | lanes | spike density | pairs/frame | cost-model cycles |",
              "|---|---|---:|---:|---:|---:|"]
    for i, l in enumerate(r["layers"]):
        sd = "—" if l["spike_density"] is None else f"{100 * l['spike_density']:.1f} %"
        lines.append(f"| {i} | {l['kind']} | {l['lanes']} | {sd} | {l['pairs']:.0f} | {l['cycles']:.0f} |")
    lines += [""] + [f"![{p}]({p})" for p in r["plots"]] + [""]
    return "\n".join(lines)


def _pct(v):
    return "—" if v is None else f"{100 * v:.2f} %"


def run_demo(out="demo-out", board="pynq-z2", full=False, pretrained=False, epochs=None, frames=1000,
             rtl_frames=100, synth=False, log=print):
    """The whole main job; returns the report dict (also written as report.json / report.md)."""
    os.makedirs(out, exist_ok=True)
    t0 = time.perf_counter()
    model, treport, model_path = step_train(out, full, pretrained, epochs, log)
    x, y = default_mnist("test")
    keep = spread_index(len(x), frames)
    x, y = x[keep], y[keep]
    log("building the accelerator for simulation …")
    desc = step_build(model, out, board, sim_lanes(model.spec), x=spread(x, 64))
    g = golden.run(model, x, lanes=list(desc.lanes), word=desc.word)
    board_lanes, board_words, board_fifo_ram, estimate, board_orders = step_board_allocation(model, board,
                                                                                            spread(x, 64))
    gb = golden.run(model, spread(x, 200), lanes=board_lanes, word=board_words, order=board_orders).stats.summary()
    log(f"running {rtl_frames} digits on rtl-sim …")
    pick = spread_index(len(x), rtl_frames)
    logits, counters, sim_s = step_rtl_sim(model, desc, out, x[pick], log=log)
    bit_exact = bool(np.array_equal(logits, g.logits[pick]))
    res = None
    if synth:
        log("synthesising with yosys …")
        res = step_synth(desc, out)
    summary = g.stats.summary()
    sizes = bitmap.size_report(model)
    interval = int(counters["INTERVAL_CYCLES"])
    report = {
        "model": model.spec.name, "board": board, "model_file": model_path, "fclk_mhz": desc.fclk_mhz,
        "test_frames": int(len(x)), "rtl_frames": int(rtl_frames),
        "float_accuracy": (treport.get("float") or {}).get("test_acc"),
        "int_accuracy": float(np.mean(g.classes == y)),
        "rtl_accuracy": float(np.mean(np.argmax(logits, 1) == y[pick])), "bit_exact": bit_exact,
        "weight_sparsity": model.sparsity(), "packed_bytes": sizes["packed_bytes"], "dense_bytes": sizes["dense_bytes"],
        "lanes": list(desc.lanes),
        "layers": [dict(kind=ls.kind, lanes=L, spike_density=l["spike_density"], pairs=l["pairs"], cycles=l["cycles"])
                   for ls, L, l in zip(model.spec.layers, desc.lanes, summary["layers"])],
        "cost_model": {k: summary[k] for k in ("frame_cycles", "pair_bound", "utilization")},
        "board_allocation": {"lanes": board_lanes, "word": list(board_words), "fifo_ram": list(board_fifo_ram),
                             "frame_cycles": gb["frame_cycles"],
                             "pair_bound": gb["pair_bound"], "utilization": gb["utilization"],
                             "fps_at_fclk": desc.fclk_mhz * 1e6 / gb["frame_cycles"],
                             "resources_estimate": estimate},
        "hardware": {"interval_cycles": interval, "latency_cycles": int(counters["LATENCY_CYCLES"]),
                     "predicted_last_frame_cycles": float(g.stats.frame_cycles[pick[-1]]),
                     "fps_at_fclk": desc.fclk_mhz * 1e6 / interval if interval else 0.0,
                     "sim_frames_per_s": rtl_frames / sim_s, "layer_counters_last_frame": counters["layers"]},
        "resources": res,
        "power_note": ("no power sensors off the board: on a ZCU104 throughput_test() reads pynq.get_rails(); "
                       "on PYNQ-Z2/KV260 pass an external meter reading (power=watts or a callable)"),
        "training": {k: treport.get(k) for k in ("history", "train_time_s", "float", "int")},
        "seconds": None,
    }
    report["plots"] = plots(report, out)
    report["seconds"] = time.perf_counter() - t0
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f, indent=1, default=_jsonable)
    text = markdown(report)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    log(text)
    log(f"wrote {out}/report.md, report.json and {len(report['plots'])} plots in {report['seconds']:.0f} s")
    return report


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


# ---- CLI ---------------------------------------------------------------------------------------
def register(subparsers):
    p = subparsers.add_parser("demo", help="the main job: train, pack, build, run on rtl-sim, report",
                              description=__doc__.split("\n\n")[1])
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    p.add_argument("--board", default="pynq-z2", choices=sorted(BOARDS))
    g = p.add_mutually_exclusive_group()
    g.add_argument("--pretrained", action="store_true",
                   help="start from the shipped scnn5-mnist instead of training the short recipe")
    g.add_argument("--full", action="store_true", help="train the full default recipe (about 25 min) "
                   "instead of the short one")
    p.add_argument("--epochs", type=int, default=None, help="override the number of training epochs")
    p.add_argument("--frames", type=int, default=1000, help="test digits for the golden model (default 1000)")
    p.add_argument("--rtl-frames", type=int, default=100,
                   help="test digits through rtl-sim (default 100, about 1.5 s each)")
    p.add_argument("--synth", action="store_true", help="also run yosys synth_xilinx on the simulated build")
    p.set_defaults(func=lambda a: run_demo(a.out, a.board, a.full, a.pretrained, a.epochs, a.frames,
                                           a.rtl_frames, a.synth) and 0)
