"""Pipelined popcount: exhaustive at 8 bits, random at 64 and odd widths, latency as documented."""
import random

import pytest
from myhdl import Signal, always, block, intbv

from dualspike.rtl.blocks.popcount import popcount, popcount_latency
from dualspike.rtl.interfaces import Global

from rtl_harness import clock, convert_and_lint, run_sim


@block
def bench(width, values, got):
    glbl = Global()
    ce, x, y = Signal(bool(1)), Signal(intbv(0)[width:]), Signal(intbv(0, min=0, max=width + 1))
    dut = popcount(glbl.clk, ce, x, y, width)
    st = {"k": 0}

    @always(glbl.clk.posedge)
    def drive():
        got.append(int(y))
        if st["k"] < len(values):
            x.next = values[st["k"]]
        st["k"] += 1

    return clock(glbl.clk), dut, drive


@pytest.mark.parametrize("width", [8, 9, 64, 23])
def test_popcount(width):
    rng = random.Random(width)
    values = list(range(256)) if width == 8 else [rng.getrandbits(width) for _ in range(300)]
    got = []
    run_sim(bench(width, values, got), len(values) + 10)
    lat = popcount_latency(width)
    # x is set after edge k, so its count appears at sample k + 1 + lat
    assert got[1 + lat:1 + lat + len(values)] == [bin(v).count("1") for v in values]


def test_popcount_converts():
    glbl = Global()
    convert_and_lint(popcount(glbl.clk, Signal(bool(0)), Signal(intbv(0)[64:]), Signal(intbv(0, min=0, max=65)), 64),
                     "popcount")
