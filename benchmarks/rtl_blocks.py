"""Per-block resources and logic depth (yosys ``synth_xilinx -family xc7``) and the sparsity lane's
utilization at scnn5-mnist-like densities; writes ``benchmarks/results/rtl_blocks.md``.

    python benchmarks/rtl_blocks.py [--quick]

Depth is measured on the synthesized netlist (JSON): the longest register-to-register path,
counted in LUTs ("LUT levels", MUXF7/8 count as a level too) and in all combinational cells
(LUT + CARRY4 + MUXF, what ``ltp -noff`` counts). Block RAM outputs and flip-flops start and
end paths. Converted Verilog goes to ``build/rtl_blocks/`` (git-ignored).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict

import numpy as np
from myhdl import Signal, block, intbv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "rtl"))

from dualspike.golden.cost import layer_cycles, scan_cycles                    # noqa: E402
from dualspike.model import random_model                                        # noqa: E402
from dualspike.rtl.blocks.conv_core import conv_core, conv_core_for            # noqa: E402
from dualspike.rtl.blocks.fc_core import fc_core, fc_core_for                  # noqa: E402
from dualspike.rtl.blocks.lif_unit import lif_unit                              # noqa: E402
from dualspike.rtl.blocks.line_buffer import line_buffer                        # noqa: E402
from dualspike.rtl.blocks.pool import pool                                      # noqa: E402
from dualspike.rtl.blocks.popcount import popcount                              # noqa: E402
from dualspike.rtl.blocks.readout import readout                                # noqa: E402
from dualspike.rtl.blocks.sparsity_lane import sparsity_lane                    # noqa: E402
from dualspike.rtl.resources import WORD_DEFAULT                                 # noqa: E402
from dualspike.rtl.interfaces import Global, Stream                             # noqa: E402
from dualspike.rtl.synth import path_depth                                      # noqa: E402
from dualspike.rtl.weight_image import core_geometry                           # noqa: E402
from dualspike.spec import LayerSpec, ModelSpec, builtin                        # noqa: E402

BUILD = os.path.join(ROOT, "build", "rtl_blocks")
OUT = os.path.join(ROOT, "benchmarks", "results", "rtl_blocks.md")


def blocks(quick):
    """(name, description, instance factory) for every block, at scnn5-mnist sizes."""
    from test_lif_unit import lif_ports
    from test_readout import ports as ro_ports
    from test_sparsity_lane import lane_signals
    spec = builtin("scnn5-mnist")
    model = random_model(spec, density=0.06, seed=0)
    geo3 = core_geometry(spec, 3, 8)
    geo32 = core_geometry(spec, 3, 8, word=32)
    out = [
        ("sparsity_lane", "1 lane, c64 layer: 576-bit window, 9 words of 64, 8 groups",
         lambda: sparsity_lane(Global(), *lane_signals(geo3), geo=geo3)),
        ("sparsity_lane (WORD 32)", "the same lane with 18 words of 32 bits",
         lambda: sparsity_lane(Global(), *lane_signals(geo32), geo=geo32)),
        ("popcount", "64 bits, 4 stages", lambda: popcount(Global().clk, Signal(bool(0)), Signal(intbv(0)[64:]),
                                                           Signal(intbv(0, min=0, max=65)), 64)),
        ("lif_unit", "vbits 16, I 16 bits, subtract reset, k=1",
         lambda: lif_unit(Global(), *lif_ports(geo3.cur_w, 16), vbits=16, leak=1, reset="subtract",
                          cur_w=geo3.cur_w)),
        ("readout", "membrane sum, int32", lambda: _readout(ro_ports)),
        ("pool", "28x28, T=4 x 32 ch", lambda: pool(Global(), Stream(128), Stream(128), width=28, height=28,
                                                    pixel_w=128)),
        ("line_buffer", "14x14 map, T=4 x 32 ch (2W+3 = 31 pixels)",
         lambda: line_buffer(Global(), Stream(128), Stream(9 * 128 + 9), width=14, height=14, pixel_w=128)),
    ]
    if not quick:
        c3 = conv_core_for(spec, 3, 4, model=model, word=WORD_DEFAULT)
        c0 = conv_core_for(spec, 0, 4, model=model, word=WORD_DEFAULT)
        f4 = fc_core_for(spec, 4, 2, model=model, word=WORD_DEFAULT)
        c3w = conv_core_for(spec, 3, 4, model=model, word=64)
        out += [
            ("conv_core", f"scnn5 layer 3 (c64 on 7x7, R=576), 4 lanes, {WORD_DEFAULT}-bit words (the default)",
             lambda: conv_core(*c3.ports, geo=c3.geo, images=c3.images)),
            ("conv_core (WORD 64)", "the same core with 64-bit words",
             lambda: conv_core(*c3w.ports, geo=c3w.geo, images=c3w.images)),
            ("conv_core (bitplane)", f"scnn5 layer 0 (1 ch 28x28, {spec.input_bits} planes), 4 lanes, {WORD_DEFAULT}-bit words",
             lambda: conv_core(*c0.ports, geo=c0.geo, images=c0.images)),
            ("fc_core", f"scnn5 readout (576 -> 10, membrane), 2 lanes, {WORD_DEFAULT}-bit words",
             lambda: fc_core(*f4.ports, geo=f4.geo, images=f4.images)),
        ]
    return out


@block
def _readout_top(glbl, ce, iv, ic, ifirst, ov, osum):
    return readout(glbl, ce, iv, ic, None, ifirst, ov, osum, mode="membrane", cur_w=len(ic))


def _readout(ro_ports):
    ce, iv, ic, _, ifirst, ov, osum = ro_ports(16)
    return _readout_top(Global(), ce, iv, ic, ifirst, ov, osum)


def synth(name, inst):
    mod = re.sub(r"\W", "_", name)
    inst.convert(hdl="Verilog", path=BUILD, name=mod, testbench=False)
    v = os.path.join(BUILD, mod + ".v")
    figures = {}
    for suffix, opts in (("", ""), ("_lutonly", " -nowidelut")):
        js = os.path.join(BUILD, mod + suffix + ".json")
        script = f"read_verilog {v}; synth_xilinx -family xc7 -top {mod}{opts}; stat; write_json {js}"
        r = subprocess.run(["yosys", "-q", "-p", script, "-l", os.path.join(BUILD, mod + suffix + ".log")],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"yosys failed on {mod}: {r.stderr[-2000:]}")
        figures[suffix] = netlist_figures(json.load(open(js))["modules"][mod])
    f = figures[""]
    f["lut_lutonly"], f["levels_lutonly"] = figures["_lutonly"]["lut"], figures["_lutonly"]["lut_levels"]
    return f


def netlist_figures(m):
    cells = m["cells"]
    count = defaultdict(int)
    for c in cells.values():
        count[c["type"]] += 1
    luts = sum(n for t, n in count.items() if t.startswith("LUT"))
    lutram = sum(n for t, n in count.items() if t.startswith("RAM") and not t.startswith("RAMB"))
    ffs = sum(n for t, n in count.items() if t.startswith("FD"))
    bram = count["RAMB36E1"] + count["RAMB18E1"] / 2
    dsp = sum(n for t, n in count.items() if t.startswith("DSP"))
    lut_depth = path_depth(cells, lambda t: 0 if t.startswith("CARRY") else 1)
    cell_depth = path_depth(cells, lambda t: 1)
    return dict(lut=luts, lutram=lutram, ff=ffs, bram=bram, dsp=dsp, carry=count["CARRY4"],
                lut_levels=lut_depth, cells=cell_depth)


def utilization(quick):
    """A c64-on-7x7 layer (R = 576) at 6 % weights, 15 % spikes: matched pairs per lane-cycle,
    from the cost model and from the RTL simulation (the two agree exactly, tests check this)."""
    from test_conv_core import bench as conv_bench
    from rtl_harness import pack_spikes
    from dualspike.golden.cost import pair_counts
    from dualspike.golden.layers import receptive_field_matrix
    layers = (LayerSpec("conv", 64), LayerSpec("conv", 64), LayerSpec("fc", 10))
    spec = ModelSpec(name="u", input_shape=(2, 7, 7), encoding="events", T=4, layers=layers)
    model = random_model(spec, density=0.06, seed=3)
    s = (np.random.default_rng(3).random((4, 64, 7, 7)) < 0.15).astype(np.uint8)     # [T, C, H, W]
    frames = np.ascontiguousarray(s.transpose(0, 2, 3, 1))                          # [T, H, W, C]
    wmat = receptive_field_matrix(spec, 1, model.layers[1].weight)
    pairs = pair_counts(spec, 1, frames, False, wmat, 4, 1)
    total = int(pairs.sum())
    S = scan_cycles(spec, 1, frames, False, 4, 1)
    rows, sim_s = [], 0.0
    for lanes in ([8] if quick else [1, 4, 8, 16]):
        ideal = int(layer_cycles(pairs, lanes, 4, False)[0])
        rtl = int(layer_cycles(pairs, lanes, 4, False, scan=S)[0])
        sim = None
        if lanes == 8:
            t0 = time.time()
            cfg = conv_core_for(spec, 1, lanes, model=model)
            beats = pack_spikes(s)
            got, errors, busy = [], [], [0]
            tb = conv_bench(cfg, beats, [False] * 48 + [True], got, errors, busy, 0, 0.0, 0.0)
            tb.run_sim(10 * (3 * rtl + 500), quiet=1)
            tb.quit_sim()
            assert len(got) == 49 and not errors
            sim, sim_s = busy[0], time.time() - t0
        rows.append((lanes, total, ideal, rtl, sim, total / (lanes * ideal), total / (lanes * rtl)))
    return rows, sim_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the whole-core syntheses")
    a = ap.parse_args()
    os.makedirs(BUILD, exist_ok=True)
    res = []
    for name, desc, make in blocks(a.quick):
        t0 = time.time()
        f = synth(name, make())
        f["secs"] = time.time() - t0
        res.append((name, desc, f))
        print(name, f, flush=True)
    util, sim_s = utilization(a.quick)
    lines = ["# RTL blocks: resources, depth, lane utilization", "",
             "Generated by `python benchmarks/rtl_blocks.py` (yosys `synth_xilinx -family xc7`, "
             "MyHDL 0.11.52). LUT = logic LUTs (LUTRAM separate), BRAM in RAMB36 equivalents. "
             "Depth = longest register-to-register path in LUT levels (MUXF7/8 count, CARRY4 does "
             "not) and in all combinational cells (LUT + CARRY4 + MUXF, as `ltp -noff`). The last two "
             "columns synthesize the same Verilog with `-nowidelut` (no MUXF7/8 wide-LUT mapping, so "
             "every level is a LUT6 or smaller): LUTs and LUT levels of that mapping.", "",
             "Targets for the sparsity lane (issue 5): ≤ 400 LUTs for a 576-bit window, ≤ 8 LUT "
             "levels, masks and values in block RAM, DSP = 0 everywhere.", "",
             "| block | configuration | LUT | LUTRAM | FF | CARRY4 | BRAM36 | DSP | LUT levels | cells on path "
             "| LUT (LUT-only) | LUT levels (LUT-only) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, desc, f in res:
        lines.append(f"| {name} | {desc} | {f['lut']} | {f['lutram']} | {f['ff']} | {f['carry']} | "
                     f"{f['bram']:g} | {f['dsp']} | {f['lut_levels']} | {f['cells']} | {f['lut_lutonly']} | "
                     f"{f['levels_lutonly']} |")
    lines += ["", "## Lane utilization at scnn5-mnist-like densities", "",
              "c64 → c64 conv on a 7×7 map (R = 576, 9 words of 64), T = 4, 6 % non-zero weights, "
              "15 % input spikes (random), one frame. Utilization = matched pairs / (lanes × cycles). *ideal* = "
              "DESIGN.md §3 cost model (no scan term, lanes in step); *RTL* = the engine schedule "
              "(`layer_cycles(..., scan=R)`: R = the pixel's non-zero window words, at most 4·9 = 36, read "
              "once per group; each lane pops its own units, up to 4 units in flight), which the RTL "
              "simulation matches cycle for cycle.", "",
              "| lanes | matched pairs | cycles ideal | cycles RTL model | cycles RTL sim | util. ideal | util. RTL |",
              "|---|---|---|---|---|---|---|"]
    for lanes, total, ideal, rtl, sim, ui, ur in util:
        lines.append(f"| {lanes} | {total} | {ideal} | {rtl} | {'-' if sim is None else sim} | "
                     f"{ui:.1%} | {ur:.1%} |")
    lines += ["", f"(RTL simulation of the 8-lane core in MyHDL: {sim_s:.0f} s.)", ""]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
