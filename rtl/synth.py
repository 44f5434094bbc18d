"""Resource figures of a generated top from yosys ``synth_xilinx`` (xc7 or UltraScale+ ``xcup``).

:func:`synth` runs yosys on the Verilog, counts LUTs (LUTRAM included, as LUT sites), FFs, 36 Kb
BRAMs (an 18 Kb one counts 0.5), DSPs, and computes the logic depth: the longest path of LUT levels
between sequential elements (FF, BRAM, LUTRAM, ports); a CARRY4/CARRY8 chain segment counts as one
level per cell. Results are cached beside the Verilog keyed by its hash and the family.
"""
import collections
import hashlib
import json
import os
import subprocess
import tempfile

LUTRAM_SITES = {"RAM32X1S": 1, "RAM32X1D": 2, "RAM64X1S": 1, "RAM64X1D": 2, "RAM128X1S": 2, "RAM128X1D": 4,
                "RAM256X1S": 4, "RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "SRL16E": 1, "SRLC32E": 1}
COMB = ("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "CARRY4", "CARRY8", "MUXF7", "MUXF8", "MUXF9", "INV")


def _count(cells):
    c = collections.Counter(cells)
    luts = sum(v for k, v in c.items() if k.startswith("LUT")) + c.get("INV", 0)
    lutram = sum(LUTRAM_SITES.get(k, 0) * v for k, v in c.items())
    ffs = sum(v for k, v in c.items() if k.startswith("FD"))
    bram = sum(v for k, v in c.items() if k.startswith("RAMB36")) + 0.5 * sum(
        v for k, v in c.items() if k.startswith("RAMB18"))
    dsp = sum(v for k, v in c.items() if k.startswith("DSP"))
    return {"luts": luts + lutram, "lutram_luts": lutram, "ffs": ffs, "bram36": bram, "dsp": dsp,
            "carry": c.get("CARRY4", 0) + c.get("CARRY8", 0)}


def path_depth(cells, weight):
    """Longest path through combinational cells between sequential elements (FF, BRAM, LUTRAM,
    ports) of a yosys JSON module's ``cells``, each cell counting ``weight(cell type)``."""
    drivers, comb = {}, {n for n, c in cells.items() if c["type"] in COMB}
    for name, cell in cells.items():
        for port, bits in cell["connections"].items():
            if cell.get("port_directions", {}).get(port) == "output":
                drivers.update((b, name) for b in bits if not isinstance(b, str))
    preds = {n: {drivers.get(b) for port, bits in cells[n]["connections"].items()
                 if cells[n].get("port_directions", {}).get(port) != "output" for b in bits
                 if not isinstance(b, str)} & comb for n in comb}
    succ = collections.defaultdict(list)
    for n, ps in preds.items():
        for p in ps:
            succ[p].append(n)
    indeg = {n: len(preds[n]) for n in comb}
    ready, depth = [n for n in comb if indeg[n] == 0], {}
    while ready:                                   # topological order (Kahn)
        n = ready.pop()
        depth[n] = weight(cells[n]["type"]) + max((depth[p] for p in preds[n]), default=0)
        for s in succ[n]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    return max(depth.values(), default=0)


def logic_depth(netlist, module):
    """LUT levels of the longest register-to-register path (MUXF7/8/9 count 0, a CARRY cell 1)."""
    return path_depth(netlist["modules"][module]["cells"], lambda t: 0 if t.startswith("MUXF") else 1)


def synth(verilog, family="xc7", top="dualspike_top", timeout=3600):
    """``{"luts", "ffs", "bram36", "dsp", "lutram_luts", "carry", "depth", "seconds"}`` for ``verilog``."""
    with open(verilog, "rb") as f:     # MyHDL's "// File:" and "// Date:" header lines do not count
        body = b"\n".join(l for l in f.read().split(b"\n") if not l.startswith((b"// File:", b"// Date:")))
    key = hashlib.sha256(body + family.encode()).hexdigest()[:16]
    cache = os.path.join(os.path.dirname(os.path.abspath(verilog)), f"synth_{family}_{key}.json")
    if os.path.exists(cache):
        with open(cache) as f:
            return json.load(f)
    import time
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "net.json")
        script = (f"read_verilog {os.path.abspath(verilog)}; synth_xilinx -family {family} -top {top} -flatten; "
                  f"write_json {out}")
        r = subprocess.run(["yosys", "-q", "-p", script], capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"yosys synth_xilinx -family {family} failed: {r.stderr[-2000:]}")
        with open(out) as f:
            net = json.load(f)
    cells = [c["type"] for c in net["modules"][top]["cells"].values()]
    res = _count(cells)
    res["depth"] = logic_depth(net, top)
    res["seconds"] = round(time.time() - t0, 1)
    res["family"] = family
    with open(cache, "w") as f:
        json.dump(res, f)
    return res
