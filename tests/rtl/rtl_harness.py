"""Shared scoreboard pieces for the RTL tests: seeded stream driver and monitor, clock/reset,
MyHDL simulation runner, Verilog conversion + lint + iverilog compile, pixel packing helpers."""
import os
import subprocess
import tempfile

import numpy as np
from myhdl import always, block, delay, instance

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
def ce_driver(glbl, ce, i_valid, o_valid, seq, put, take, rng, gap, stall):
    """Feed a clock-enabled pipeline (``ce`` = its consumer's ready): after reset, one item of
    ``seq`` per enabled cycle via ``put(item)`` (sets the input signals), with seeded valid gaps
    (probability ``gap``) and ``ce`` stalls (``stall``); inputs hold while stalled; ``take()`` is
    called on every enabled cycle with ``o_valid`` (to record the outputs)."""
    st = {"k": 0, "wait": 8}

    @always(glbl.clk.posedge)
    def drive():
        if st["wait"]:
            st["wait"] -= 1
            return
        if ce and o_valid:
            take()
        if ce and i_valid:
            st["k"] += 1
        if ce or not i_valid:
            if st["k"] < len(seq) and rng.random() >= gap:
                i_valid.next = 1
                put(seq[st["k"]])
            else:
                i_valid.next = 0
        ce.next = rng.random() >= stall
    return drive


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
    r = subprocess.run(["verilator", "--lint-only", "-Wall", "-Wno-WIDTH",
                        "--top-module", name, v], capture_output=True, text=True)
    assert r.returncode == 0, f"verilator lint of {name}:\n{r.stderr[-4000:]}"
    r = subprocess.run(["iverilog", "-g2005", "-o", os.path.join(d, name + ".vvp"), v],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"iverilog compile of {name}:\n{r.stderr[-4000:]}"
    return v


# ---- Verilog simulation (Icarus) of a converted stream core ------------------------------------
def weight_writes(geo, images):
    """The WeightPort write sequence that loads ``images`` (per-lane RAM contents):
    [(sel, lane, addr, data)], masks of each lane in ascending address order."""
    out = []
    for lane, (masks, values, bias, thr) in enumerate(images):
        out += [(0, lane, a, m & ((1 << geo.word) - 1)) for a, m in enumerate(masks)]
        out += [(1, lane, a, v & ((1 << geo.wbits) - 1)) for a, v in enumerate(values)]
        out += [(2, lane, a, v & ((1 << geo.bbits) - 1)) for a, v in enumerate(bias)]
        out += [(3, lane, a, v) for a, v in enumerate(thr)]
    return out


def icarus_stream_sim(vfile, name, ports, beats, lasts, n_out, writes=(), T=None, seed=1,
                      p_gap=0.0, p_stall=0.0, max_cycles=200000):
    """Simulate a converted core (ports named as CorePorts) with Icarus: load ``writes`` through
    the weight port, stream ``beats`` with seeded random gaps, collect ``n_out`` output beats
    under random stalls. Returns ``(outputs [(data, last)], busy_cycles)``."""
    d = os.path.dirname(vfile)
    iw, ow = ports.s.data_w, ports.m.data_w
    wp = ports.wport
    lw, aw, dw = len(wp.lane), wp.addr_w, wp.data_w
    with open(os.path.join(d, "in.hex"), "w") as f:
        for b, l in zip(beats, lasts):
            f.write(f"{(int(l) << iw) | b:x}\n")
    with open(os.path.join(d, "w.hex"), "w") as f:
        for sel, lane, addr, data in writes:
            f.write(f"{(((sel << lw | lane) << aw | addr) << dw) | data:x}\n")
    nwr = max(1, len(writes))
    tb = f"""
`timescale 1ns/10ps
module tb;
reg clk = 0; always #5 clk = ~clk;
reg rst = 1, go = 0;
reg [{iw - 1}:0] s_data = 0; reg s_valid = 0, s_last = 0; wire s_ready;
wire [{ow - 1}:0] m_data; wire m_valid, m_last; reg m_ready = 0;
reg [{len(ports.T) - 1}:0] T = {T or int(ports.T.val)};
reg we = 0; reg [1:0] sel = 0; reg [{lw - 1}:0] lane = 0; reg [{aw - 1}:0] addr = 0;
reg [{dw - 1}:0] wdata = 0; wire busy;
reg [{iw}:0] inmem [0:{len(beats) - 1}];
reg [{2 + lw + aw + dw - 1}:0] wmem [0:{nwr - 1}];
integer k = 0, i, fo, nout = 0, busy_n = 0, cyc = 0, seed = {seed}, seed2 = {seed + 7};
{name} dut(.T(T), .busy(busy), .glbl_clk(clk), .glbl_rst(rst), .s_data(s_data), .s_valid(s_valid),
  .s_ready(s_ready), .s_last(s_last), .m_data(m_data), .m_valid(m_valid), .m_ready(m_ready),
  .m_last(m_last), .wport_we(we), .wport_sel(sel), .wport_lane(lane), .wport_addr(addr),
  .wport_data(wdata));
initial begin
  $readmemh("in.hex", inmem);
  if ({len(writes)} > 0) $readmemh("w.hex", wmem);
  fo = $fopen("out.txt", "w");
  repeat (3) @(posedge clk);
  rst <= 0;
  for (i = 0; i < {len(writes)}; i = i + 1) begin
    @(posedge clk); we <= 1; {{sel, lane, addr, wdata}} <= wmem[i];
  end
  @(posedge clk); we <= 0;
  repeat (10) @(posedge clk);
  go <= 1;
end
always @(posedge clk) if (go) begin
  cyc = cyc + 1;
  if (busy) busy_n = busy_n + 1;
  if (m_valid && m_ready) begin $fwrite(fo, "%h %0d\\n", m_data, m_last); nout = nout + 1; end
  if (s_valid && s_ready) k = k + 1;
  if (!(s_valid && !s_ready)) begin
    if (k < {len(beats)} && ($unsigned($random(seed)) % 1000) >= {int(p_gap * 1000)}) begin
      s_valid <= 1; {{s_last, s_data}} <= inmem[k];
    end else s_valid <= 0;
  end
  m_ready <= ($unsigned($random(seed2)) % 1000) >= {int(p_stall * 1000)};
  if (nout == {n_out} || cyc > {max_cycles}) begin
    $fwrite(fo, "busy %0d\\n", busy_n); $fclose(fo); $finish;
  end
end
endmodule
"""
    with open(os.path.join(d, "tb.v"), "w") as f:
        f.write(tb)
    exe = os.path.join(d, "tb.vvp")
    r = subprocess.run(["iverilog", "-g2005", "-o", exe, os.path.join(d, "tb.v"), vfile],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    r = subprocess.run(["vvp", "-n", exe], cwd=d, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    outs, busy = [], None
    for line in open(os.path.join(d, "out.txt")):
        a, b = line.split()
        if a == "busy":
            busy = int(b)
        else:
            outs.append((int(a, 16), b == "1"))
    return outs, busy
