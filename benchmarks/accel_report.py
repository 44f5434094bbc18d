"""Accelerator report: cycles per frame (whole, per layer), pair bound, utilization, dense cycles and
speed-up, FPS at 100/150/200/333 MHz, Verilator bit-exactness and speed, yosys resources per family.

    python benchmarks/accel_report.py                          # scnn5-mnist, lanes 16,32,16,8,2
    python benchmarks/accel_report.py --lanes auto --frames 1000 --synth xc7,xcup
    python benchmarks/accel_report.py --model scnn9-cifar --density 0.14 --lanes auto --frames 0 --synth ''
    python benchmarks/accel_report.py --weights runs/sp15/model.dsm --name scnn5-mnist-sp15 --lanes auto

Writes ``benchmarks/results/accel_<name>_<board>.md`` and ``.csv`` (``name``: the model's unless
``--name``). The model is ``--weights`` (a trained ``.dsm`` of it), else the trained
``dualspike/pretrained/<model>.dsm`` when it exists, else ``random_model(spec, --density, seed=1)``
on random inputs. With ``--frames 0`` and no ``--synth`` nothing is generated: cost model only.
"""
import argparse
import csv
import os
import sys
import time

import numpy as np

from dualspike import bitmap, golden
from dualspike.accel import BOARDS
from dualspike.data import sample_inputs, spread
from dualspike.model import random_model
from dualspike.spec import builtin

HERE = os.path.dirname(os.path.abspath(__file__))
CLOCKS = (100, 150, 200, 333)
FAMILY_BOARD = {"xc7": "pynq-z2", "xcup": "kv260"}


def load(name, density=0.06, weights=None):
    """``(model, origin)``: the trained model in ``weights`` (a ``.dsm`` of ``name``), else the
    shipped trained model of ``name`` if there is one, else a seeded random one of that weight
    ``density``."""
    path = weights or os.path.join(os.path.dirname(HERE), "dualspike", "pretrained", f"{name}.dsm")
    if weights or os.path.exists(path):
        model = bitmap.load(path)
        if model.spec.name != name:
            raise SystemExit(f"--weights {path} holds a {model.spec.name}, not a {name} (give --model {model.spec.name})")
        return model, f"trained ({path if weights else os.path.basename(path)})"
    return random_model(builtin(name), density, 1), f"random_model(density {density}, seed 1)"


def inputs(spec, n):
    return sample_inputs(spec, n), "MNIST test digits" if spec.input_shape == (1, 28, 28) else "random inputs"


def limit_rows(prof, lanes, word, order, rows):
    """Per layer: what bounds its engine cycles (:meth:`PairProfile.bounds`) and what the next
    lane count that saves a channel group would give."""
    from dualspike.rtl.resources import lane_luts
    spec, out = prof.spec, []
    for i, (ls, L, w) in enumerate(zip(spec.layers, lanes, word)):
        b = prof.bounds(i, L, w, None if order is None else order[i])
        groups = -(-ls.out_channels // L)
        nl = -(-ls.out_channels // (groups - 1)) if groups > 1 else None     # the fewest lanes for a group less
        out.append(dict(layer=i, lanes=L, groups=groups, word=w, **b,
                        engine=rows[i]["engine_cycles"], bound="scan" if b["scan"] > b["pops"] else "pops",
                        next_lanes=nl, next_engine=prof.engine_cycles(i, nl, w) if nl else None,
                        next_luts=(nl - L) * lane_luts(ls.kind, w, prof.static[i]) if nl else None))
    return out


def cycle_budget_lines(limits, rows):
    """Markdown: where every lane's cycles of a frame go (engine model, means per frame). Each lane
    has the frame interval ``F`` (the slowest layer's engine cycles); they split into matched pairs,
    bubbles (steps without a pair, and a static layer's repeat steps), waiting inside the layer's own
    cycles and slack (``F`` minus the layer's cycles, when another layer is slower). Waiting is
    either imbalance (a lane's pops short of the busiest lane's) or the scan (the layer's cycles
    beyond its busiest lane's pops, on every lane: window reads, fill and drain).
    Utilization = pairs / all."""
    interval = max(r["engine_cycles"] for r in rows)
    keys = ("pairs", "bubbles", "imbalance", "scan", "slack")
    table, tot = [], dict.fromkeys(("all",) + keys, 0.0)
    for r, lim in zip(rows, limits):
        L, c = r["lanes"], r["engine_cycles"]
        part = dict(all=L * interval, pairs=r["pairs"], bubbles=lim["all_pops"] - r["pairs"],
                    imbalance=L * lim["pops"] - lim["all_pops"], scan=L * (c - lim["pops"]),
                    slack=L * (interval - c))
        table.append((r["layer"], L, part))
        for k in tot:
            tot[k] += part[k]
    out = ["Where the lanes' cycles go (engine model, means per frame): every lane has the frame interval "
           f"({interval:.0f} cycles, the slowest layer's engine cycles); they split into matched pairs, "
           "bubbles (a step without a pair, or a static layer's repeat step, costs one cycle), waiting "
           "inside the layer's own cycles, either for the busiest lane (`imbalance`: a lane's pops short of "
           "the busiest lane's) or beyond the busiest lane's pops (`scan`: the window scan, fill and drain), "
           "and slack (the layer is faster than the slowest). Utilization = pairs / lane cycles.", "",
           "| layer | lanes | lane cycles | pairs | bubbles | imbalance | scan | slack | utilization |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for layer, L, p in table + [("all", sum(r["lanes"] for r in rows), tot)]:
        share = " | ".join(f"{p[k]:,.0f} ({p[k] / p['all']:.0%})" for k in keys)
        out.append(f"| {layer} | {L} | {p['all']:,.0f} | {share} | {p['pairs'] / p['all']:.3f} |")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="scnn5-mnist")
    ap.add_argument("--weights", default=None, help="a trained .dsm of the model (default: the shipped one)")
    ap.add_argument("--name", default=None, help="report name (default: the model's)")
    ap.add_argument("--lanes", default="16,32,16,8,2", help="'auto' or comma-separated lanes per layer")
    ap.add_argument("--target-cycles", type=int, default=None,
                    help="with --lanes auto: the smallest build within this frame interval (default: the fastest)")
    ap.add_argument("--board", default="pynq-z2")
    ap.add_argument("--density", type=float, default=0.06,
                    help="weight density of the random model used when no trained one ships (default 0.06)")
    ap.add_argument("--word", default="auto",
                    help="mask word width: 'auto' (chosen per layer with --lanes auto, else 32), one width, "
                         "or comma-separated widths per layer")
    ap.add_argument("--fifo-ram", default="auto",
                    help="lane FIFO placement: 'auto' (chosen with --lanes auto, else the tool's), tool, block, "
                         "distributed, or comma-separated per layer")
    ap.add_argument("--frames", type=int, default=200, help="frames through Verilator (0: skip)")
    ap.add_argument("--stats-frames", type=int, default=1000, help="frames for the golden cost model")
    ap.add_argument("--synth", default="xc7,xcup", help="yosys families, '' to skip")
    ap.add_argument("--build", default=None, help="build directory (default build/report_<model>)")
    ap.add_argument("--reuse", action="store_true", help="reuse an existing build directory")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args(argv)

    from dualspike.rtl.allocation import PairProfile
    from dualspike.rtl.generate import generate, plan_build
    from dualspike.rtl.resources import default_capacities, estimate_resources, parse_fifo_ram, parse_word
    model, origin = load(args.model, args.density, args.weights)
    name = args.name or args.model
    spec = model.spec
    # lanes "auto": chosen on 64 of the inputs (as the demo does), with the channel orders it balances
    lanes = args.lanes if args.lanes == "auto" else [int(v) for v in args.lanes.split(",")]
    plan = plan_build(spec, args.board, lanes, model, inputs(spec, 64)[0], word=parse_word(args.word),
                      fifo_ram=parse_fifo_ram(args.fifo_ram), target_cycles=args.target_cycles)
    lanes, word, order, fifo_ram = plan.lanes, plan.words, plan.order, plan.fifo_ram
    bdir = args.build or os.path.join(os.path.dirname(HERE), "build", f"report_{name}")
    need_build = args.frames or [f for f in args.synth.split(",") if f]
    if need_build and not (args.reuse and os.path.exists(os.path.join(bdir, "dualspike_top.v"))):
        t0 = time.time()
        generate(spec, bdir, board=args.board, lanes=lanes, word=word, order=order, fifo_ram=fifo_ram)
        print(f"generated {bdir} in {time.time() - t0:.0f} s", flush=True)

    # ---- cost model ------------------------------------------------------------------------------
    x, xsrc = inputs(spec, max(args.stats_frames, args.frames))
    xs = x[:args.stats_frames]
    st = golden.run(model, xs, lanes=lanes, order=order).stats
    ge = golden.run(model, xs, lanes=lanes, word=word, order=order)
    se = ge.stats
    rows = []
    for i, (ls, l) in enumerate(zip(spec.layers, st.layers)):
        rows.append({"layer": i, "kind": ls.kind, "out": ls.out_channels, "lanes": lanes[i],
                     "pairs": l.pairs.mean(), "cost_cycles": l.cycles.mean(),
                     "engine_cycles": se.layers[i].cycles.mean(), "dense_cycles": l.dense_cycles,
                     "sim_cycles": ""})
    limits = limit_rows(PairProfile(model, xs), lanes, word, order, rows)
    frame_cost = float(st.frame_cycles.mean())
    frame_engine = float(se.frame_cycles.mean())
    bound = float(st.pair_bound.mean())
    dense = max(r["dense_cycles"] for r in rows)

    # ---- simulation -----------------------------------------------------------------------------
    sim_res = {}
    if args.frames:
        from dualspike.rtl.sim import AccelSim
        t0 = time.time()
        with AccelSim(bdir) as sim:
            build_s = time.time() - t0
            sim.load_weights(model)
            xf = spread(x, args.frames)
            ref = golden.run(model, xf, lanes=lanes, word=word, order=order)
            t0, c0 = time.time(), sim.cycles
            busy0 = [sim.read(f"LAYER{i}_BUSY") for i in range(len(lanes))]
            got = sim.run_frames(xf)
            wall = time.time() - t0
            sim.step(100000)
            busy = [((sim.read(f"LAYER{i}_BUSY") - b) % (1 << 32)) / len(xf) for i, b in enumerate(busy0)]
            for r, b in zip(rows, busy):
                r["sim_cycles"] = b
            sim_res = {"frames": len(xf), "bit_exact": bool(np.array_equal(got, ref.logits)),
                       "interval": sim.interval, "engine": float(ref.stats.frame_cycles.mean()),
                       "latency": sim.read("LATENCY_CYCLES"), "wall_s": wall,
                       "fps": len(xf) / wall, "cycles_per_s": (sim.cycles - c0) / wall, "build_s": build_s,
                       "pairs_last": [sim.read(f"LAYER{i}_PAIRS") for i in range(len(lanes))]}
        print("sim:", sim_res, flush=True)

    # ---- synthesis ------------------------------------------------------------------------------
    synth_res = {}
    for fam in [f for f in args.synth.split(",") if f]:
        from dualspike.rtl.synth import synth
        t0 = time.time()
        try:
            synth_res[fam] = synth(os.path.join(bdir, "dualspike_top.v"), fam)
        except Exception as exc:                          # noqa: BLE001 - reported, not fatal
            synth_res[fam] = {"error": str(exc)[:300]}
        print(f"synth {fam}: {synth_res[fam]} ({time.time() - t0:.0f} s)", flush=True)

    # ---- write ----------------------------------------------------------------------------------
    os.makedirs(args.out, exist_ok=True)
    interval = sim_res.get("interval") or frame_engine
    source = "measured" if sim_res.get("interval") else "engine-model"
    lines = [f"# Accelerator report: {name}", "",
             f"Model: {origin}; inputs: {xsrc}; lanes {lanes}{f' (the smallest auto build within {args.target_cycles:,} cycles)' if args.target_cycles else ''}; mask word bits {list(word)}; lane FIFOs in {[st or 'tool' for st in fifo_ram]}; board {args.board}. "
             f"Generated by `python benchmarks/accel_report.py` (cost model over {len(xs)} frames).", "",
             "| layer | kind | Co | lanes | pairs/frame | cost-model cycles | engine cycles (scan-aware) | "
             "Verilator busy cycles | dense cycles |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        measured = f"{r['sim_cycles']:.0f}" if r["sim_cycles"] != "" else "–"
        lines.append(f"| {r['layer']} | {r['kind']} | {r['out']} | {r['lanes']} | {r['pairs']:.0f} | "
                     f"{r['cost_cycles']:.0f} | {r['engine_cycles']:.0f} | {measured} | {r['dense_cycles']} |")
    lines += ["", "| figure | value |", "|---|---|",
              f"| frame interval, golden cost model (DESIGN.md §3) | {frame_cost:.0f} cycles |",
              f"| frame interval, engine model (max(scan, pops) per unit) | {frame_engine:.0f} cycles |"]
    if sim_res:
        lines += [f"| frame interval, engine model on the {sim_res['frames']} simulated frames | "
                  f"{sim_res['engine']:.0f} cycles |",
                  f"| frame interval, Verilator (mean, {sim_res['frames']} frames) | {sim_res['interval']:.0f} cycles |",
                  f"| latency (last frame) | {sim_res['latency']} cycles |",
                  f"| bit-exact vs golden | {sim_res['bit_exact']} ({sim_res['frames']} frames) |",
                  f"| simulation speed | {sim_res['fps']:.2f} frames/s, {sim_res['cycles_per_s'] / 1e3:.0f} kcycles/s |"]
    lines += [f"| pair bound Σpairs/Σlanes | {bound:.0f} cycles |",
              f"| utilization vs cost model | {bound / frame_cost:.3f} |",
              f"| utilization vs {source} interval | {bound / interval:.3f} |",
              f"| dense cycles (same lanes, no skipping) | {dense} |",
              f"| speed-up over dense | {dense / interval:.1f}× |"]
    lines += ["", "What limits each layer (engine model, means per frame): the busiest lane's matched pairs and "
              "its pops (pairs plus one bubble cycle for each step without a pair), and the window scan "
              "(every group of a pixel re-reads the window's non-zero words; a pixel's last group takes at least the 2 cycles the next window needs). "
              "The engine needs at least the larger of the two; more lanes shorten the pops, and the scan only where they leave fewer groups. "
              "`next lanes`: the next lane count that saves a group, its engine cycles (channels balanced) "
              "and the LUTs it adds (`lane_luts`).", "",
              "| layer | lanes | groups | word | pairs (busiest lane) | pops (busiest lane) | scan | engine | "
              "bound by | next lanes: engine, +LUT |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in limits:
        nxt = f"{r['next_lanes']}: {r['next_engine']:.0f}, +{r['next_luts']}" if r["next_lanes"] else "–"
        lines.append(f"| {r['layer']} | {r['lanes']} | {r['groups']} | {r['word']} | {r['pairs']:.0f} | "
                     f"{r['pops']:.0f} | {r['scan']:.0f} | {r['engine']:.0f} | {r['bound']} | {nxt} |")
    lines += ["", *cycle_budget_lines(limits, rows)]
    lines += ["", f"| clock | FPS ({source} interval) |", "|---|---|"]
    lines += [f"| {mhz} MHz | {mhz * 1e6 / interval:,.0f} |" for mhz in CLOCKS]
    est = estimate_resources(spec, lanes, default_capacities(spec, args.board), spec.T, word, fifo_ram,
                             BOARDS[args.board]["family"])
    if synth_res:
        lines += ["", "| yosys synth_xilinx | LUT | FF | BRAM36 | DSP | LUT levels | device | LUT % | BRAM % |",
                  "|---|---|---|---|---|---|---|---|---|"]
    else:
        per_core = f"accel_resources_{name}_{args.board}.md"
        where = (f"the per-core synthesis is in `{per_core}`" if os.path.exists(os.path.join(args.out, per_core))
                 else "no per-core synthesis either")
        lines += ["", f"yosys on the whole top: not run for this report (`--synth ''`); {where} "
                  "(`benchmarks/accel_resources.py`)."]
    for fam, r in synth_res.items():
        if "error" in r:
            lines.append(f"| -family {fam} | failed: {r['error']} | | | | | | | |")
            continue
        b = BOARDS[FAMILY_BOARD[fam]]
        lines.append(f"| -family {fam} | {r['luts']} | {r['ffs']} | {r['bram36']} | {r['dsp']} | {r['depth']} | "
                     f"{b['part']} | {100 * r['luts'] / b['luts']:.1f} | {100 * r['bram36'] / b['bram36']:.1f} |")
    dev = BOARDS[args.board]
    lines += ["", f"Generator's own estimate (`estimate_resources`, default capacities): {est['luts']} LUT "
              f"({est['luts'] / dev['luts']:.0%} of {args.board}), {est['bram36']:.1f} BRAM36 "
              f"({est['bram36'] / dev['bram36']:.0%}).", ""]
    md = os.path.join(args.out, f"accel_{name}_{args.board}.md")
    with open(md, "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(args.out, f"accel_{name}_{args.board}.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()})
    print("\n".join(lines))
    print(f"wrote {md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
