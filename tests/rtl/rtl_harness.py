"""Shared scoreboard pieces for the RTL tests: seeded stream driver and monitor, clock/reset,
MyHDL simulation runner, Verilog conversion + lint + iverilog compile, pixel packing helpers."""
import os
import random
import shutil
import subprocess
import tempfile

import numpy as np
from myhdl import Signal, always, block, delay, instance, intbv

# ---- packing -----------------------------------------------------------------------------------


def pack_spikes(s):
    """[T, C, H, W] 0/1 -> list of H*W ints, bit t*C + c (raster order)."""
    t, c, h, w = s.shape
    bits = s.transpose(2, 3, 0, 1).reshape(h * w, t * c).astype(object)
    weights = np.array([1 << k for k in range(t * c)], dtype=object)
    return [int((row * weights).sum()) for row in bits]


def pack_values(x, b):
    """[C, H, W] B-bit values -> list of H*W ints, channel c at bits [c*B, (c+1)*B)."""
    c, h, w = x.shape
    return [sum(int(x[ci, yy, xx]) << (ci * b) for ci in range(c)) for yy in range(h) for xx in range(w)]


def unpack_spikes(beats, tmax, co, h, w):
    """list of ints (bit t*Co + co) -> [Tmax, Co, H, W]."""
    out = np.zeros((tmax, co, h * w), dtype=np.uint8)
    for p, v in enumerate(beats):
        for t in range(tmax):
            for c in range(co):
                out[t, c, p] = (v >> (t * co + c)) & 1
    return out.reshape(tmax, co, h, w)


def unpack_int32(beat, n):
    vals = [(beat >> (32 * k)) & 0xFFFFFFFF for k in range(n)]
    return np.array([v - (1 << 32) if v >> 31 else v for v in vals], dtype=np.int64)


# ---- stream driver / monitor -------------------------------------------------------------------
RESET_CYCLES = 3


@block
def reset_pulse(glbl):
    """Hold ``glbl.rst`` for RESET_CYCLES clock edges."""
    @instance
    def run():
        glbl.rst.next = 1
        for _ in range(RESET_CYCLES):
            yield glbl.clk.posedge
        glbl.rst.next = 0
    return run


@block
def driver(clk, stream, beats, lasts, rng, p_gap):
    """Drive ``beats`` with seeded random valid gaps (probability ``p_gap`` per cycle)."""

    @instance
    def run():
        k = 0
        stream.valid.next = 0
        for _ in range(RESET_CYCLES + 2):        # never drive during reset
            yield clk.posedge
        while True:
            yield clk.posedge
            if stream.valid and stream.ready:
                k += 1
            if k < len(beats) and rng.random() >= p_gap:
                stream.valid.next = 1
                stream.data.next = beats[k]
                stream.last.next = lasts[k]
            elif not (stream.valid and not stream.ready):
                stream.valid.next = 0
    return run


@block
def monitor(clk, stream, got, rng, p_stall, errors):
    """Collect beats (data, last) with seeded random ready stalls; check the transfer rules."""
    prev = {}

    @instance
    def run():
        while True:
            yield clk.posedge
            if prev.get("pending") is not None:
                if not stream.valid or int(stream.data) != prev["pending"]:
                    errors.append("payload changed or valid dropped while stalled")
            if stream.valid and stream.ready:
                got.append((int(stream.data), bool(stream.last)))
            prev["pending"] = int(stream.data) if (stream.valid and not stream.ready) else None
            stream.ready.next = rng.random() >= p_stall
    return run


@block
def clock(clk, period=10):
    @always(delay(period // 2))
    def gen():
        clk.next = not clk
    return gen


def run_sim(top, cycles):
    """Simulate ``top`` for at most ``cycles`` clock periods (10 time units each)."""
    top.run_sim(cycles * 10, quiet=1)
    top.quit_sim()


# ---- conversion --------------------------------------------------------------------------------
def convert_and_lint(inst, name, keep_dir=None):
    """Convert to Verilog in a temp dir (or ``keep_dir``), lint with verilator -Wall (WIDTH waived),
    compile with iverilog; return the path of the .v file. Raises AssertionError with the log."""
    d = keep_dir or tempfile.mkdtemp(prefix="dualspike_rtl_")
    inst.convert(hdl="Verilog", path=d, name=name, testbench=False)
    v = os.path.join(d, name + ".v")
    r = subprocess.run(["verilator", "--lint-only", "-Wall", "-Wno-WIDTH", "-Wno-DECLFILENAME",
                        "--top-module", name, v], capture_output=True, text=True)
    assert r.returncode == 0, f"verilator lint of {name}:\n{r.stderr[-4000:]}"
    r = subprocess.run(["iverilog", "-g2005", "-o", os.path.join(d, name + ".vvp"), v],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"iverilog compile of {name}:\n{r.stderr[-4000:]}"
    return v
