"""Engine variants: what the frame interval would be if the sparse engine's scan or lanes changed,
projected with the engine cost model (``dualspike.golden.cost``) on the shipped model's measured
pairs and window words. Nothing here is built or simulated: it ranks the next RTL changes.

    python benchmarks/engine_variants.py                      # scnn5-mnist, pynq-z2 and kv260
    python benchmarks/engine_variants.py --frames 64 --target 16000

Variants (each changes one thing of today's engine, ``rtl/blocks/sparse_engine.py``):

``today``        the built engine: every group of a pixel re-scans the window, one word per cycle
``dual-scan``    the scan reads two window words per cycle (every lane ANDs and queues both)
``fold``         one scan per pixel serves every group: each lane ANDs a word with the masks of all
                 its channels and pops the pixel's groups one after the other
``static-pipe``  a static first layer's ``T - 1`` repeat steps leave the lane (a LIF pipeline
                 repeats the current), so a unit costs only its pairs

For each board's ``auto`` build (lanes and mask word widths of ``rtl.allocation.auto_lanes`` on 64 test
digits, as ``accel_report.py`` builds it) the
report gives every layer's cycles per variant, then the fewest lanes per layer that reach
``--target`` cycles and their lane LUTs at today's per-lane cost (``rtl.resources.lane_luts``), a
lower bound: the variants' lanes cost more. Writes ``benchmarks/results/engine_variants_<model>.md``.
"""
import argparse
import os
import sys

import numpy as np

from dualspike.golden.cost import engine_schedule, lane_units, layer_cycles

HERE = os.path.dirname(os.path.abspath(__file__))
VARIANTS = ("today", "dual-scan", "fold", "static-pipe")


def variant_cycles(prof, i, lanes, word, variant):
    """Mean engine cycles per frame of layer ``i`` of profile ``prof`` with ``lanes`` lanes and
    ``word``-bit mask words under ``variant`` (module docstring); ``today`` is
    :meth:`~dualspike.rtl.allocation.PairProfile.engine_cycles` itself."""
    if variant == "today":
        return prof.engine_cycles(i, lanes, word)
    T, static, order = prof.T, prof.static[i], prof.order(i, lanes)
    words = np.asarray(prof.scan[word][i], dtype=np.int64)
    if variant == "dual-scan":
        return float(layer_cycles(prof.pairs[i], lanes, T, static, (words + 1) // 2, order).mean())
    p, groups, lane = lane_units(prof.pairs[i], lanes, T, static, order)
    words = words.reshape(p.shape[1], -1)
    if variant == "static-pipe":
        lane = lane - (T - 1) * static
        return float(engine_schedule(lane, np.repeat(np.maximum(words, 1), groups, axis=1), groups,
                                     words == 0).mean())
    per_pixel = lane.reshape(p.shape[1], -1, groups, lanes).sum(axis=2)            # fold
    return float(engine_schedule(per_pixel, np.maximum(words, 1), 1, words == 0).mean())


def lane_lut_total(prof, lanes, words):
    """Lane LUTs of a build at today's per-lane cost (``rtl.resources.lane_luts``)."""
    from dualspike.rtl.resources import lane_luts
    return sum(L * lane_luts(ls.kind, w, prof.static[i])
               for i, (ls, L, w) in enumerate(zip(prof.spec.layers, lanes, words)))


def lanes_for(prof, i, word, variant, target):
    """The fewest lanes (of ``lane_choices``) with which layer ``i`` reaches ``target`` cycles under
    ``variant``, and those cycles; ``(None, best cycles)`` when no lane count does."""
    from dualspike.rtl.allocation import lane_choices
    best = None
    for L in lane_choices(prof.spec.layers[i].out_channels):
        c = variant_cycles(prof, i, L, word, variant)
        if c <= target:
            return L, c
        best = c if best is None else min(best, c)
    return None, best


def board_section(model, board, prof, x_alloc, target):
    """The report section of one board: the ``auto`` build chosen on ``x_alloc`` (as the generator and
    the accelerator report choose it), costed per variant by the profile ``prof``."""
    from dualspike.demo import step_board_allocation
    from tables import markdown_table
    lanes, words, _, _, _ = step_board_allocation(model, board, x_alloc)
    spec = model.spec
    pairs = prof.frame_pairs()
    cyc = {v: [variant_cycles(prof, i, L, w, v) for i, (L, w) in enumerate(zip(lanes, words))] for v in VARIANTS}
    out = [f"## {board}: auto build, lanes {lanes}, mask words {list(words)}", ""]
    rows = [[i, ls.kind, L, w] + [f"{cyc[v][i]:,.0f}" for v in VARIANTS] for i, (ls, L, w) in
            enumerate(zip(spec.layers, lanes, words))]
    rows.append(["interval", "", sum(lanes), ""] + [f"**{max(cyc[v]):,.0f}**" for v in VARIANTS])
    rows.append(["utilization", "", "", ""] + [f"{pairs / sum(lanes) / max(cyc[v]):.2f}" for v in VARIANTS])
    out += markdown_table(["layer", "kind", "lanes:", "word:"] + [f"{v}:" for v in VARIANTS], rows)
    out += ["", f"Fewest lanes per layer for {target:,} cycles (same word widths); `LUT` = the lanes at "
            "today's per-lane cost (a lower bound for the variant), against the auto build's "
            f"{lane_lut_total(prof, lanes, words):,}.", ""]
    rows = []
    for v in VARIANTS:
        need = [lanes_for(prof, i, w, v, target) for i, w in enumerate(words)]
        ok = all(L is not None for L, _ in need)
        luts = lane_lut_total(prof, [L for L, _ in need], words) if ok else None
        interval = max(c for _, c in need)
        rows.append([v, " / ".join("—" if L is None else str(L) for L, _ in need),
                     f"{interval:,.0f}", f"{pairs / sum(L for L, _ in need) / interval:.2f}" if ok else "—",
                     f"{luts:,}" if ok else "not reachable"])
    out += markdown_table(["variant", "lanes per layer", "interval:", "utilization:", "lane LUT:"], rows)
    return out + [""]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="scnn5-mnist")
    ap.add_argument("--boards", default="pynq-z2,kv260")
    ap.add_argument("--frames", type=int, default=256, help="inputs for the pair and word statistics")
    ap.add_argument("--target", type=int, default=16000, help="frame interval to reach, cycles")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    a = ap.parse_args(argv)
    sys.path.insert(0, HERE)
    from accel_report import inputs, load
    from tables import publish
    from dualspike.rtl.allocation import PairProfile
    model, what = load(a.model)
    x, data = inputs(model.spec, a.frames)
    x_alloc = inputs(model.spec, 64)[0]          # the auto build of accel_report.py and the demo
    lines = [f"# Engine variants: {a.model}", "",
             f"Model: {what}; statistics on {a.frames} {data}. Generated by "
             f"`python benchmarks/engine_variants.py --model {a.model} --frames {a.frames} --target {a.target}`. "
             "Cost-model projections, not measurements: today's column is the model the Verilator runs "
             "match (`accel_<model>_<board>.md`); the others change the scan or the lanes as the module "
             "docstring says. Utilization = pair bound (Σ pairs / Σ lanes) / interval.", ""]
    prof = PairProfile(model, x)                   # the model's pairs and window words, for every board
    for board in a.boards.split(","):
        lines += board_section(model, board, prof, x_alloc, a.target)
    publish(lines, os.path.join(a.out, f"engine_variants_{a.model}.md"))


if __name__ == "__main__":
    main()
