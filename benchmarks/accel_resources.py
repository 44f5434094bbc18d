"""Accelerator resources per core (issue 6): yosys ``synth_xilinx`` of each layer core alone, at
two lane counts (a linear fit in lanes) and at the lanes of the board's ``auto`` allocation, plus
the glue outside the cores, against the board's capacity.

    python benchmarks/accel_resources.py                      # scnn5-mnist on pynq-z2 (xc7)
    python benchmarks/accel_resources.py --model scnn5-mnist --board pynq-z2 --points 2,4 --fc-points 1,2

Why per core: each core is measured at several lane counts, which the estimate in
``rtl.resources`` (and so ``auto``) is fitted to, and a core takes minutes where the whole top takes
an hour or more on shared cores (the pynq-z2 ``auto`` top synthesized flat on 2026-12-07: 34,597 LUT,
8 min of CPU, 66 min wall at the lowest priority; ``benchmarks/accel_report.py --synth xc7``). So
this is *per-core yosys synth_xilinx plus the glue in pieces*, not a full-design synthesis:

1. every layer core is built as :func:`dualspike.rtl.chain.core_chain` builds it
   (``core_geometry(spec, i, L, word=W, tmax=T, value_depth=ceil(cap/L))``, ``W`` = the build's mask
   word width of the layer, a core per width a build uses, with the capacities
   of ``rtl.resources.default_capacities``, no baked weights, the pair counter on), converted alone
   to Verilog and synthesized with :func:`dualspike.rtl.synth.synth` at two lane counts
   (``--points`` for conv layers, ``--fc-points`` for fc layers); LUT, FF and BRAM36 are fitted as
   ``a + b*lanes`` through the two points (the cost of a lane, for the estimate in ``rtl.resources``);
2. the ``auto`` build (the lanes ``auto`` picks for the board: ``dualspike.demo.step_board_allocation``,
   the demo's own call of ``rtl.allocation.auto_lanes`` on 64 MNIST test digits spread over the
   classes) has every core synthesized whole at its lanes; ``--fit-only`` evaluates the fit there
   instead (an extrapolation: lanes of 2-4-lane cores hold more channel groups and values than
   those of cores with many lanes, and memories map to BRAM or LUTRAM by size). The simulated
   build (``dualspike.demo.sim_lanes``) has its lanes among the points;
3. the glue is synthesized in pieces: the top with the ``passthrough`` chain (AXI-Lite registers,
   input/output adapters, error/status logic; the weight loader's bus is unused there so yosys
   prunes most of it), the weight loader alone (at each build's lanes), and per layer the
   inter-core pieces of ``core_chain`` (spike counter, pool, frame FIFO; the serializer after the
   readout core). Not counted: the loader bus fan-out to the cores (pure wiring plus one
   comparator per layer), the passthrough chain's own accumulator is counted (a few dozen LUTs
   too many), and the loader's control is counted twice (standalone and inside the top);
4. the totals are compared with the device (``dualspike.accel.BOARDS``) and with
   ``rtl.resources.estimate_resources`` for the same builds.

Writes ``benchmarks/results/accel_resources_<model>_<board>.md`` and ``.csv``. Converted Verilog and the
yosys result cache (keyed by the Verilog's hash without MyHDL's date header; MyHDL's output
depends on Python's string hashing, so the script re-runs itself with ``PYTHONHASHSEED=0`` and a
rerun of unchanged cores is read from the cache) go to ``build/accel_resources/`` (git-ignored).
A full run synthesizes for about 20 minutes on 2 shared cores. Run it under ``nice``; yosys jobs
run one at a time.
"""
import argparse
import csv
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from tables import markdown_table, publish                                      # noqa: E402

KEYS = ("luts", "ffs", "bram36")


# ---- conversion --------------------------------------------------------------------------------
def convert(inst, outdir, name):
    """Convert a MyHDL instance as ``rtl.generate`` does (zero memories not initialised)."""
    from dualspike.rtl.generate import to_verilog
    os.makedirs(outdir, exist_ok=True)
    return undate(to_verilog(inst, outdir, name))


def undate(path):
    """Drop MyHDL's ``// Date:`` header line so the synthesis cache (keyed by the file's hash)
    survives a rerun."""
    with open(path) as f:
        text = f.read()
    stable = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("// Date:"))
    if stable != text:
        with open(path, "w") as f:
            f.write(stable)
    return path


def synth_file(path, top, family):
    from dualspike.rtl.synth import synth
    t0 = time.time()
    r = synth(path, family=family, top=top)
    print(f"  yosys {top}: {r['luts']} LUT {r['ffs']} FF {r['bram36']} BRAM36 {r['dsp']} DSP depth {r['depth']} "
          f"({r['seconds']} s synth, {time.time() - t0:.0f} s here)", flush=True)
    return r


def core_geo(spec, i, lanes, cap, tmax, word, fifo_ram=None):
    """Layer ``i``'s core geometry exactly as ``core_chain`` builds it."""
    from dualspike.rtl.weight_image import core_geometry
    return core_geometry(spec, i, lanes, word=word, tmax=tmax, value_depth=max(1, -(-cap // lanes)),
                         fifo_ram=fifo_ram)


def variant_name(word, fifo_ram):
    """A core variant as the tables show it: its mask word width, and its lane FIFOs' placement when set."""
    return f"{word}" + (f", FIFOs {fifo_ram}" if fifo_ram else "")


def synth_core(spec, i, lanes, cap, tmax, word, family, outdir, fifo_ram=None):
    from myhdl import Signal, block, intbv

    from dualspike.rtl.blocks.conv_core import conv_core, conv_core_for, core_ports
    from dualspike.rtl.blocks.fc_core import fc_core, fc_core_for
    kind = spec.layers[i].kind
    # the factory checks the layer kind; the build's value depth comes from the capacity
    (conv_core_for if kind == "conv" else fc_core_for)(spec, i, lanes, tmax=tmax)
    geo = core_geo(spec, i, lanes, cap, tmax, word, fifo_ram)
    core = conv_core if kind == "conv" else fc_core

    @block
    def layer_core(glbl, s, m, wport, T, busy, pairs):
        return core(glbl, s, m, wport, T, busy, geo=geo, images=None, pairs=pairs)

    name = f"core{i}_L{lanes}_W{word}" + (f"_{fifo_ram}" if fifo_ram else "")
    p = core_ports(geo)
    path = convert(layer_core(*p, Signal(intbv(0)[32:])), outdir, name)
    return synth_file(path, name, family)


def synth_layer_glue(spec, i, tmax, family, outdir, fifo_max=1024):
    """``core_chain``'s pieces after core ``i`` in one block: spike counter, pool, frame FIFO, or
    the serializer after the readout core. Returns ``[(description, figures)]``."""
    from myhdl import Signal, block, intbv

    from dualspike.rtl.blocks.pool import pool
    from dualspike.rtl.chain import frame_fifo_depth, serializer, spike_counter, stream_fifo
    from dualspike.rtl.interfaces import Global, Stream
    ls, nl = spec.layers[i], len(spec.layers)
    readout = i == nl - 1
    parts = []

    @block
    def layer_glue(glbl, m, out, total):
        insts, cur = [], m
        if readout:
            insts.append(serializer(glbl, m, out, total, ls.out_channels, spec.readout == "count"))
            return insts
        insts.append(spike_counter(glbl, m, total, tmax * ls.out_channels))
        if ls.pool:
            pooled = Stream(tmax * ls.out_channels)
            (_, hin, win), _ = spec.layer_shapes()[i]
            insts.append(pool(glbl, m, pooled, width=win, height=hin, pixel_w=tmax * ls.out_channels))
            cur = pooled
        depth = frame_fifo_depth(spec, i, fifo_max)
        if depth >= 2:
            insts.append(stream_fifo(glbl, cur, out, depth, tmax * ls.out_channels))
        else:
            raise NotImplementedError("layer without a FIFO")
        return insts

    if readout:
        parts.append("serializer")
        m, out = Stream(32 * ls.out_channels), Stream(32)
    else:
        parts.append("spike counter")
        if ls.pool:
            parts.append("pool")
        parts.append("frame FIFO")
        m, out = Stream(tmax * ls.out_channels), Stream(tmax * ls.out_channels)
    name = f"glue{i}"
    path = convert(layer_glue(Global(), m, out, Signal(intbv(0)[32:])), outdir, name)
    return [(f"after core {i}: " + " + ".join(parts), synth_file(path, name, family))]


def synth_loader(spec, lanes, caps, words, family, outdir):
    from myhdl import Signal, block, intbv

    from dualspike.rtl.top import AxiStream
    from dualspike.rtl.weight_loader import LoaderBus, weight_loader

    @block
    def loader(clk, rst, s, bus, busy, loaded, error, err_stb, crc):
        return weight_loader(clk, rst, s, bus, busy, loaded, error, err_stb, crc, spec, lanes, caps, word=words)

    name = "loader_" + "_".join(map(str, lanes)) + "_W" + "_".join(map(str, words))
    inst = loader(Signal(bool(0)), Signal(bool(0)), AxiStream(64), LoaderBus(len(spec.layers), max(lanes)),
                  Signal(bool(0)), Signal(bool(0)), Signal(intbv(0)[2:]), Signal(bool(0)), Signal(intbv(0)[32:]))
    return synth_file(convert(inst, outdir, name), name, family)


def synth_io(spec, board, lanes, caps, family, outdir):
    """The top with the ``passthrough`` chain: AXI-Lite registers, adapters, error/status."""
    from dualspike.rtl.generate import generate
    d = os.path.join(outdir, "io_" + "_".join(map(str, lanes)))
    generate(spec, d, board=board, lanes=lanes, capacities=caps, chain="passthrough")
    return synth_file(undate(os.path.join(d, "dualspike_top.v")), "dualspike_top", family)


# ---- fit ---------------------------------------------------------------------------------------
def fit(points):
    """``{(lanes): figures}`` with two entries -> ``{key: (a, b)}`` for ``a + b*lanes``."""
    (l1, r1), (l2, r2) = sorted(points.items())
    out = {}
    for k in KEYS + ("dsp",):
        b = (r2[k] - r1[k]) / (l2 - l1)
        out[k] = (r1[k] - b * l1, b)
    return out


def at(points, coef, lanes):
    """Figures at ``lanes``: the measurement when it is one of the points, else the fit."""
    if lanes in points:
        return {k: float(points[lanes][k]) for k in KEYS + ("dsp",)}, "measured"
    return {k: coef[k][0] + coef[k][1] * lanes for k in KEYS + ("dsp",)}, "fit"


def _f(v, nd=0):
    return f"{v:,.{nd}f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="scnn5-mnist", help="dualspike/pretrained/<model>.dsm")
    ap.add_argument("--board", default="pynq-z2")
    ap.add_argument("--family", default=None, help="yosys family (default: the board's)")
    ap.add_argument("--word", default="auto",
                    help="mask word widths of the auto build: 'auto' (the generator's choice per layer), one "
                         "width, or one per layer; the sim build uses the generator's default for its lanes")
    ap.add_argument("--points", default="2,4", help="two lane counts synthesized per conv core")
    ap.add_argument("--fc-points", default="1,2", help="two lane counts synthesized per fc core")
    ap.add_argument("--sim-lanes", default=None, help="simulated build lanes (default dualspike.demo.sim_lanes)")
    ap.add_argument("--auto-lanes", default=None, help="skip auto_lanes and use these (comma-separated)")
    ap.add_argument("--fifo-ram", default="tool",
                    help="with --auto-lanes: the lane FIFOs' placement (tool, block, distributed, or per layer)")
    ap.add_argument("--fit-only", action="store_true",
                    help="evaluate the fit at the auto lanes instead of synthesizing those cores whole")
    ap.add_argument("--no-glue", action="store_true", help="skip the glue syntheses")
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "accel_resources"))
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args(argv)
    if argv is None and os.environ.get("PYTHONHASHSEED") != "0":      # byte-stable Verilog: cache hits
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))

    from dualspike import bitmap
    from dualspike.accel import BOARDS
    from dualspike.demo import sim_lanes, step_board_allocation
    from dualspike.rtl.resources import (BRAM_BUDGET, FLAT_LUT_FACTOR, LUT_BUDGET, WORD_AUTO, build_words,
                                         default_capacities, estimate_resources, flat_top_luts, layer_fifo_rams,
                                         parse_fifo_ram, parse_word)
    word = parse_word(args.word)

    t_start = time.time()
    path = os.path.join(ROOT, "dualspike", "pretrained", f"{args.model}.dsm")
    model = bitmap.load(path)
    spec, board = model.spec, BOARDS[args.board]
    family = args.family or board["family"]
    tmax = spec.T
    caps = default_capacities(spec, args.board)
    nl = len(spec.layers)
    outdir = os.path.join(args.build, args.model)

    sim = [int(v) for v in args.sim_lanes.split(",")] if args.sim_lanes else sim_lanes(spec)
    if args.auto_lanes:
        auto = [int(v) for v in args.auto_lanes.split(",")]
        auto_words = build_words(spec, word)
        auto_fifo = layer_fifo_rams(parse_fifo_ram(args.fifo_ram), nl)
        auto_src = "given with --auto-lanes"
    else:
        from dualspike.data import default_mnist, spread
        x = spread(default_mnist("test")[0], 64) if spec.input_shape == (1, 28, 28) else None
        auto, auto_words, auto_fifo, _, _ = step_board_allocation(model, args.board, x, word)
        auto_src = (f"`dualspike.demo.step_board_allocation` (rtl.allocation.auto_lanes on "
                    f"{'64 MNIST test digits' if x is not None else 'random inputs'})")
    auto = [int(v) for v in auto]
    sim_words = build_words(spec, WORD_AUTO)             # generate() with explicit lanes
    words = {"auto": tuple(auto_words), "sim": sim_words}
    fifos = {"auto": tuple(auto_fifo), "sim": (None,) * nl}
    variants = {b: list(zip(words[b], fifos[b])) for b in words}
    print(f"{args.model} on {args.board} ({family}): capacities {caps}, auto lanes {auto} (mask words "
          f"{list(auto_words)}, lane FIFOs {list(auto_fifo)}), sim lanes {sim} ({list(sim_words)})", flush=True)

    # ---- cores: one per layer and mask word width a build uses ---------------------------------
    cores = []
    for i, ls in enumerate(spec.layers):
        pts = [int(v) for v in (args.points if ls.kind == "conv" else args.fc_points).split(",")]
        pts = sorted({min(p, ls.out_channels) for p in pts})
        if len(pts) != 2:
            raise SystemExit(f"layer {i}: need two distinct lane counts, got {pts}")
        for w, st in sorted({variants["auto"][i], variants["sim"][i]}, key=str):
            meas = {}
            for L in pts:
                print(f"layer {i} ({ls.kind}, Co {ls.out_channels}, cap {caps[i]}, {variant_name(w, st)}): "
                      f"{L} lanes", flush=True)
                meas[L] = synth_core(spec, i, L, caps[i], tmax, w, family, outdir, st)
            cores.append({"layer": i, "kind": ls.kind, "co": ls.out_channels, "cap": caps[i], "word": w,
                          "fifo_ram": st, "points": meas, "coef": fit(meas)})

    def core_of(build, i):
        return next(c for c in cores if c["layer"] == i and (c["word"], c["fifo_ram"]) == variants[build][i])

    # ---- the auto build's cores, synthesized whole at their lanes ---------------------------------
    if not args.fit_only:
        for i, La in enumerate(auto):
            c = core_of("auto", i)
            if La not in c["points"]:
                print(f"layer {i}: the auto build's core, {La} lanes", flush=True)
                c["points"][La] = synth_core(spec, i, La, c["cap"], tmax, c["word"], family, outdir, c["fifo_ram"])

    # ---- glue --------------------------------------------------------------------------------
    glue = {"auto": [], "sim": []}
    if not args.no_glue:
        shared = []
        for i in range(nl):
            print(f"glue after layer {i}", flush=True)
            shared += synth_layer_glue(spec, i, tmax, family, outdir)
        for build, lanes in (("auto", auto), ("sim", sim)):
            print(f"glue: top with the passthrough chain, lanes {lanes}", flush=True)
            io = synth_io(spec, args.board, lanes, caps, family, outdir)
            print(f"glue: weight loader, lanes {lanes}", flush=True)
            ld = synth_loader(spec, lanes, caps, words[build], family, outdir)
            glue[build] = [("top, passthrough chain (AXI-Lite regs, input/output adapters, status)", io),
                           ("weight loader (standalone)", ld)] + shared

    # ---- totals ------------------------------------------------------------------------------
    builds = {}
    names = [("auto", auto), ("sim", sim)]
    for build, lanes in names:
        per, tot = [], {k: 0.0 for k in KEYS + ("dsp",)}
        for i, L in enumerate(lanes):
            c = core_of(build, i)
            v, how = at(c["points"], c["coef"], L)
            per.append((v, how))
            for k in tot:
                tot[k] += v[k]
        gl = {k: float(sum(r[k] for _, r in glue[build])) for k in KEYS + ("dsp",)}
        total = {k: tot[k] + gl[k] for k in tot}
        est = estimate_resources(spec, lanes, caps, tmax, words[build], fifos[build], family)
        builds[build] = {"words": words[build], "lanes": lanes, "per": per, "cores": tot, "glue": gl, "total": total, "est": est}

    # ---- write -------------------------------------------------------------------------------
    B = board
    head = [f"# Accelerator resources per core: {args.model} on {args.board} ({board['part']})", "",
            "**Per-core yosys synth_xilinx** (each core synthesized whole; the glue in pieces) -- not a "
            "full-design synthesis: it measures each core at several lane counts, for the estimate in "
            "`rtl.resources` (the whole top synthesized flat, where it was run: `accel_<model>_<board>.md`). "
            f"Generated by `python benchmarks/accel_resources.py --model {args.model} --board {args.board} "
            f"--points {args.points} --fc-points {args.fc_points}{' --fit-only' if args.fit_only else ''}` "
            f"(yosys `synth_xilinx -family {family} "
            "-flatten` through `dualspike.rtl.synth.synth`; LUT includes LUTRAM sites, BRAM in RAMB36 "
            "equivalents, depth = LUT levels register to register).", "",
            f"Model `dualspike/pretrained/{args.model}.dsm`, T_max = {tmax}, capacities (default_capacities, "
            f"non-zero weights per layer) {caps}. Each core is built as `core_chain` builds it "
            "(`core_geometry(spec, i, L, word, tmax, value_depth=ceil(cap/L))`, runtime weights, pair "
            "counter) and synthesized alone at two lane counts (LUT/FF/BRAM = a + b·lanes through the "
            "two points) and at the auto build's lanes; a build's core is the measurement at its lanes, "
            "or the fit where there is none.", "",
            f"Builds: **auto** = lanes {auto}, mask words {list(auto_words)} bits, lane FIFOs "
            f"{[st or 'tool' for st in auto_fifo]} ({auto_src}); **sim** = "
            f"lanes {sim}, mask words {list(sim_words)} (`dualspike.demo.sim_lanes`, the simulated build).", "",
            "## Per layer: measured points and fit", ""]
    rows = []
    for c in cores:
        for L, r in sorted(c["points"].items()):
            rows.append((c["layer"], c["kind"], c["co"], c["cap"], variant_name(c["word"], c["fifo_ram"]), L,
                         r["luts"], r["lutram_luts"], r["ffs"],
                         _f(r["bram36"], 1), r["dsp"], r["depth"], r["seconds"]))
    lines = head + markdown_table(["layer", "kind", "Co", "capacity", "word:", "lanes:", "LUT:", "of which LUTRAM:",
                                   "FF:", "BRAM36:", "DSP:", "LUT levels:", "yosys s:"], rows)
    rows = []
    for c in cores:
        i, cf = c["layer"], c["coef"]
        va, ha = builds["auto"]["per"][i]
        vs = builds["sim"]["per"][i][0]
        var = (c["word"], c["fifo_ram"])
        in_auto, in_sim = var == variants["auto"][i], var == variants["sim"][i]
        rows.append((i, c["kind"], variant_name(*var), _f(cf["luts"][0]), _f(cf["luts"][1]), _f(cf["ffs"][0]),
                     _f(cf["ffs"][1]), _f(cf["bram36"][0], 2), _f(cf["bram36"][1], 2),
                     *((auto[i], f"{_f(va['luts'])} ({ha})", _f(va["bram36"], 1)) if in_auto else ("—",) * 3),
                     *((sim[i], _f(vs["luts"]), _f(vs["bram36"], 1)) if in_sim else ("—",) * 3)))
    lines += ["", "Fit a + b·lanes (b = cost per lane) and the core at each build's lanes:", ""]
    lines += markdown_table(["layer", "kind", "word:", "LUT a:", "LUT b/lane:", "FF a:", "FF b/lane:", "BRAM a:",
                             "BRAM b/lane:", "auto lanes:", "auto LUT:", "auto BRAM36:", "sim lanes:",
                             "sim LUT:", "sim BRAM36:"], rows)
    if glue["auto"]:
        lines += ["", "## Glue outside the cores (synthesized in pieces)", ""]
        rows = []
        for build in ("auto", "sim"):
            for what, r in glue[build]:
                rows.append((build, what, r["luts"], r["ffs"], _f(r["bram36"], 1), r["dsp"], r["depth"]))
        lines += markdown_table(["build", "piece", "LUT:", "FF:", "BRAM36:", "DSP:", "LUT levels:"], rows)
        lines += ["", "Not counted: the loader-bus fan-out to each core (`port_fanout`: wiring and one "
                  "layer-index comparator per core) and the runtime-T wires. Counted twice (conservative): "
                  "the weight loader's control, once standalone and once (bus logic pruned) inside the "
                  "passthrough top; the passthrough chain's own 32-bit accumulator is also included."]
    else:
        lines += ["", "Glue not synthesized (`--no-glue`): totals are cores only."]
    lines += ["", f"## Totals against {board['part']} ({B['luts']:,} LUT, {B['ffs']:,} FF, {B['bram36']} BRAM36, "
              f"{B['dsp']} DSP; issue 6 budget ≤ {LUT_BUDGET:.0%} LUT, ≤ {BRAM_BUDGET:.0%} BRAM, 0 DSP)", ""]
    rows = []
    for build in builds:
        b = builds[build]
        t, e = b["total"], b["est"]
        rows.append((build, ",".join(map(str, b["lanes"])), _f(b["cores"]["luts"]), _f(b["glue"]["luts"]),
                     f"**{_f(t['luts'])}**", f"**{100 * t['luts'] / B['luts']:.1f} %**", _f(t["ffs"]),
                     f"{100 * t['ffs'] / B['ffs']:.1f} %", f"**{_f(t['bram36'], 1)}**",
                     f"**{100 * t['bram36'] / B['bram36']:.1f} %**", _f(t["dsp"]),
                     f"{_f(e['luts'])} ({100 * e['luts'] / B['luts']:.1f} %)",
                     f"{_f(e['bram36'], 1)} ({100 * e['bram36'] / B['bram36']:.1f} %)"))
    lines += markdown_table(["build", "lanes", "cores LUT:", "glue LUT:", "total LUT:", "LUT %:", "FF:", "FF %:",
                             "BRAM36:", "BRAM %:", "DSP:", "estimate_resources LUT:",
                             "estimate_resources BRAM36:"], rows)
    lines += [""]
    for build in builds:
        a, e = builds[build]["total"], builds[build]["est"]
        flat = flat_top_luts(a["luts"])           # the budget holds for the whole top, synthesized flat
        ok_l, ok_b = flat <= LUT_BUDGET * B["luts"], a["bram36"] <= BRAM_BUDGET * B["bram36"]
        ok_d = a["dsp"] == 0
        lines.append(f"- **{build}** (lanes {','.join(map(str, builds[build]['lanes']))}): LUT "
                     f"{100 * a['luts'] / B['luts']:.1f} % as the sum of the pieces, {100 * flat / B['luts']:.1f} % "
                     f"projected for the whole top synthesized flat (x {FLAT_LUT_FACTOR}, `FLAT_LUT_FACTOR`; "
                     f"{'≤' if ok_l else '>'} {LUT_BUDGET:.0%}: {'met' if ok_l else 'not met'}), "
                     f"BRAM {100 * a['bram36'] / B['bram36']:.1f} % "
                     f"({'≤' if ok_b else '>'} {BRAM_BUDGET:.0%}: {'met' if ok_b else 'not met'}), DSP {_f(a['dsp'])} "
                     f"({'met' if ok_d else 'not met'}); `estimate_resources` / this figure: LUT "
                     f"{e['luts'] / a['luts']:.2f}×, BRAM {e['bram36'] / max(a['bram36'], 1e-9):.2f}×.")
    fitted = [f"{b} core {i}" for b in builds for i, (_, how) in enumerate(builds[b]["per"]) if how == "fit"]
    lines += ["", "Every core is measured at its build's lanes." if not fitted else
              "Extrapolated from the fit (not synthesized at those lanes): " + ", ".join(fitted) + "."]
    neg = [(b, i, k) for b in builds for i, (v, how) in enumerate(builds[b]["per"])
           for k in KEYS if how == "fit" and v[k] < 0]
    if neg:
        lines += ["", "Negative fitted values (the straight line through two points with different memory "
                  "mappings goes below zero; that fit is not usable there; run without --fit-only): "
                  + ", ".join(f"{b} layer {i} {k}" for b, i, k in neg) + "."]
    if glue["auto"]:
        best = "auto"
        counters = sum(r["luts"] for what, r in glue["auto"] if "spike counter" in what)
        cdepth = max((r["depth"] for what, r in glue["auto"] if "spike counter" in what), default=0)
        dsp = [f"{what} ({r['dsp']})" for what, r in glue["auto"] if r["dsp"]] + \
              [f"core {i} ({v['dsp']:g})" for i, (v, _) in enumerate(builds[best]["per"]) if v["dsp"]]
        t = builds[best]["total"]
        lines += ["", f"Where the LUTs go ({best} build, {_f(t['luts'])} LUT): cores {_f(builds[best]['cores']['luts'])}, "
                  f"per-layer spike counters {_f(counters)} (LUT levels up to {cdepth}), other glue "
                  f"{_f(builds[best]['glue']['luts'] - counters)}. DSPs: {', '.join(dsp) if dsp else 'none'}."]
    lines += ["", f"Wall time {time.time() - t_start:.0f} s (yosys jobs one at a time, under nice).", ""]
    stem = os.path.join(args.out, f"accel_resources_{args.model}_{args.board}")
    md = stem + ".md"
    publish(lines, md)
    with open(stem + ".csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "build", "layer", "kind", "lanes", "source", "luts", "ffs", "bram36", "dsp", "depth",
                    "word", "fifo_ram"])
        for c in cores:
            for L, r in sorted(c["points"].items()):
                w.writerow(["core", "", c["layer"], c["kind"], L, "yosys", r["luts"], r["ffs"], r["bram36"], r["dsp"],
                            r["depth"], c["word"], c["fifo_ram"] or ""])
            cf = c["coef"]
            w.writerow(["fit_a", "", c["layer"], c["kind"], "", "fit", *(round(cf[k][0], 2) for k in KEYS + ("dsp",)),
                        "", c["word"], c["fifo_ram"] or ""])
            w.writerow(["fit_b_per_lane", "", c["layer"], c["kind"], "", "fit",
                        *(round(cf[k][1], 2) for k in KEYS + ("dsp",)), "", c["word"], c["fifo_ram"] or ""])
        for build in builds:
            b = builds[build]
            for i, (L, (v, how)) in enumerate(zip(b["lanes"], b["per"])):
                w.writerow(["core_at_build", build, i, spec.layers[i].kind, L, how,
                            *(round(v[k], 1) for k in KEYS + ("dsp",)), "", b["words"][i], fifos[build][i] or ""])
            for what, r in glue[build]:
                w.writerow(["glue", build, "", what, "", "yosys", r["luts"], r["ffs"], r["bram36"], r["dsp"],
                            r["depth"]])
            t, e = b["total"], b["est"]
            w.writerow(["total", build, "", "", ",".join(map(str, b["lanes"])), "cores + glue",
                        *(round(t[k], 1) for k in KEYS + ("dsp",)), ""])
            w.writerow(["estimate_resources", build, "", "", ",".join(map(str, b["lanes"])), "rtl.resources",
                        e["luts"], "", e["bram36"], "", ""])
    print(f"wrote {md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
