"""sdp_ram: the MyHDL simulation and its hand-written Verilog (Icarus) read the same words, read
first, under random writes and reads; yosys places it as ``style`` says, with the block RAMs and
LUTs that rtl.resources' model counts."""
import random
import subprocess

import pytest
from myhdl import Signal, always, block, instance, intbv

from dualspike.rtl.blocks.sdp_ram import sdp_ram
from dualspike.rtl.generate import to_verilog
from dualspike.rtl.resources import lutram_luts, memory_bram36
from dualspike.rtl.synth import synth

from rtl_harness import clock, run_sim


def stimulus(depth, width, n, seed):
    """Cycles of (we, waddr, din, re, raddr): every address written once (the memory starts
    undefined), then ``n`` random cycles, the first a read; a quarter read the address being written."""
    rng = random.Random(seed)
    out = [(1, a, rng.getrandbits(width), 0, 0) for a in range(depth)]
    for k in range(n):
        wa = rng.randrange(depth)
        ra = wa if rng.random() < 0.25 else rng.randrange(depth)
        out.append((int(rng.random() < 0.6), wa, rng.getrandbits(width), int(k == 0 or rng.random() < 0.7), ra))
    return out


def ports(depth, width):
    a = max(1, (depth - 1).bit_length())
    return (Signal(bool(0)), Signal(bool(0)), Signal(intbv(0)[a:]), Signal(intbv(0)[width:]), Signal(bool(0)),
            Signal(intbv(0)[a:]), Signal(intbv(0)[width:]))


def myhdl_reads(depth, width, stim, style):
    clk, we, wa, din, re, ra, dout = ports(depth, width)
    got = []

    @block
    def bench():
        dut = sdp_ram(clk, we, wa, din, re, ra, dout, depth, style)

        @instance
        def drive():
            for v in stim:
                we.next, wa.next, din.next, re.next, ra.next = v
                yield clk.negedge
            yield clk.negedge

        @always(clk.posedge)
        def sample():
            got.append(int(dout))
        return dut, drive, sample, clock(clk)

    run_sim(bench(), len(stim) + 4)
    return got[1:len(stim) + 1]          # dout after each stimulus cycle's rising edge


def icarus_reads(depth, width, stim, style, tmp):
    clk, we, wa, din, re, ra, dout = ports(depth, width)
    v = to_verilog(sdp_ram(clk, we, wa, din, re, ra, dout, depth, style), str(tmp), "ram")
    text = open(v).read()
    assert (f'(* ram_style = "{style}" *)' in text) == bool(style)
    a = len(wa)
    with open(tmp / "stim.hex", "w") as f:
        for e, wa_, d, r, ra_ in stim:
            f.write(f"{(((e << a | wa_) << width | d) << 1 | r) << a | ra_:x}\n")
    tb = f"""module tb;
reg clk = 0; reg we = 0, re = 0; reg [{a - 1}:0] wa = 0, ra = 0; reg [{width - 1}:0] din = 0;
wire [{width - 1}:0] dout; reg [{2 * a + width + 1}:0] s [0:{len(stim) - 1}]; integer k, fo;
ram dut(.clk(clk), .we(we), .waddr(wa), .din(din), .re(re), .raddr(ra), .dout(dout));
initial begin
  $readmemh("{tmp}/stim.hex", s); fo = $fopen("{tmp}/out.txt");
  for (k = 0; k < {len(stim)}; k = k + 1) begin
    {{we, wa, din, re, ra}} = s[k]; #5 clk = 1; #1 $fdisplay(fo, "%0d", dout); #4 clk = 0;
  end
  $fclose(fo); $finish;
end
endmodule
"""
    (tmp / "tb.v").write_text(tb)
    exe = str(tmp / "tb.vvp")
    r = subprocess.run(["iverilog", "-g2005", "-o", exe, str(tmp / "tb.v"), v], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    subprocess.run(["vvp", "-n", exe], check=True, capture_output=True)
    return [None if "x" in t else int(t) for t in (tmp / "out.txt").read_text().split()]


@pytest.mark.parametrize("depth,width,style", [(16, 9, None), (40, 13, "distributed"), (64, 5, "block")])
def test_verilog_reads_what_the_model_reads(depth, width, style, tmp_path):
    stim = stimulus(depth, width, 400, seed=depth)
    want = myhdl_reads(depth, width, stim, style)[depth:]        # dout is defined from the first read on
    assert len(want) == 400 and len(set(want)) > min(50, 1 << width) // 2   # the reads do vary
    assert icarus_reads(depth, width, stim, style, tmp_path)[depth:] == want


def test_rejects_unknown_style():
    with pytest.raises(ValueError, match="ram style 'ultra'"):
        sdp_ram(*ports(4, 2), 4, "ultra")


@pytest.mark.parametrize("family,style", [("xc7", "distributed"), ("xcup", "distributed"), ("xc7", None),
                                          ("xcup", "block")])
def test_yosys_places_it_as_the_model_counts(family, style, tmp_path):
    depth, width = 256, 78                       # a 32-bit lane's entry FIFO in scnn5-mnist's layers 1-2
    v = to_verilog(sdp_ram(*ports(depth, width), depth, style), str(tmp_path), "ram")
    r = synth(v, family=family, top="ram")
    assert r["bram36"] == memory_bram36(depth, width, style)
    if style == "distributed":
        assert r["lutram_luts"] > 0 and r["luts"] == lutram_luts(depth, width, family)
    else:
        assert r["bram36"] == 1.5 and r["lutram_luts"] == 0
