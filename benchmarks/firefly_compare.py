"""Comparison with FireFly-S's published MNIST figures (DESIGN.md §6), from a demo report.

    dualspike demo --pretrained --out demo-out
    python benchmarks/firefly_compare.py demo-out/report.json    # -> benchmarks/results/firefly_compare.md

FireFly-S's figures are from the paper (KV260 at 333 MHz; its watts are a Vivado power estimate).
Ours are simulated: cycles come from Verilator (the small-lane build) and from the golden cost
model checked against it (the board's `auto` build); FPS = clock / cycles. No watts are claimed:
off a board there is no power measurement, and FPS/W waits for `throughput_test()` on a board.
"""
import argparse
import json
import os

from tables import markdown_table, publish

ENGINE_MODEL = ("engine cost model; Verilator matches it within 2 % on the shipped model's pynq-z2 and kv260 "
                "`auto` builds over the 1,000 test digits (benchmarks/results/accel_scnn5-mnist_<board>.md)")
FIREFLY = {"sparsity": 0.9382, "fps": 10047, "watts": 1.301, "fps_per_w": 7723, "clock_mhz": 333,
           "cycles": 333e6 / 10047}


def same_board(model_file, base):
    """``auto`` lanes for FireFly-S's board (kv260) and their cost-model frame interval, for the
    demo's model on 64 MNIST test digits (as the demo does for its own board)."""
    from dualspike import bitmap
    from dualspike.data import default_mnist, spread
    from dualspike.rtl.allocation import auto_lanes
    path = model_file if os.path.isabs(model_file) or os.path.exists(model_file) else \
        os.path.join(base, os.path.relpath(model_file, os.path.basename(base)))
    model = bitmap.load(path)
    lanes, words, prof, _ = auto_lanes(model, "kv260", spread(default_mnist("test")[0], 64))
    return lanes, prof.frame_cycles(lanes, words)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report", nargs="?", default="demo-out/report.json")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "firefly_compare.md"))
    args = ap.parse_args(argv)
    r = json.load(open(args.report))
    ba = r["board_allocation"]
    hw = r["hardware"]
    kv_lanes, kv_cycles = same_board(r["model_file"], os.path.dirname(os.path.abspath(args.report)))
    rows = [
        ("weight sparsity", f"{100 * FIREFLY['sparsity']:.2f} %", f"{100 * r['weight_sparsity']:.2f} %", "model file"),
        ("int4 accuracy", "not compared (their network differs)", f"{100 * r['int_accuracy']:.2f} %", "golden, 1,000 digits"),
        ("cycles per frame", f"{FIREFLY['cycles']:.0f} (10,047 FPS at 333 MHz)",
         f"{ba['frame_cycles']:.0f} (board `auto` lanes {ba['lanes']})", ENGINE_MODEL),
        ("cycles per frame on their board (kv260)", f"{FIREFLY['cycles']:.0f}",
         f"{kv_cycles:.0f} (`auto` lanes {kv_lanes} for kv260)", ENGINE_MODEL),
        ("cycles per frame, simulated", "—", f"{hw['interval_cycles']} (lanes {r['lanes']})", "Verilator"),
        ("FPS at 333 MHz", f"{FIREFLY['fps']}", f"{333e6 / kv_cycles:.0f} (kv260 build; pynq-z2 build "
         f"{333e6 / ba['frame_cycles']:.0f})", "clock / cycles"),
        ("FPS at the board clock", "—", f"{ba['fps_at_fclk']:.0f} at {r['fclk_mhz']:.0f} MHz ({r['board']})", "clock / cycles"),
        ("power", f"{FIREFLY['watts']} W (Vivado estimate)", "not measured (no board here)", "—"),
        ("FPS/W", f"{FIREFLY['fps_per_w']} (estimate)", "on a board: throughput_test()", "—"),
    ]
    lines = ["# dualspike vs FireFly-S on MNIST", "",
             f"From `{args.report}` by `python benchmarks/firefly_compare.py`. FireFly-S: Li et al., IEEE TCAS-I "
             "72(8), 2025, Table VI (KV260, 333 MHz, Vivado power estimate).", ""]
    lines += markdown_table(["figure", "FireFly-S (published)", "dualspike (this run)", "ours from"], rows)
    publish(lines, args.out)


if __name__ == "__main__":
    main()
