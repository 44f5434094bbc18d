"""Pipelined popcount: exhaustive at 8 bits, random at 64 and odd widths, latency as documented."""
import random

import pytest
from myhdl import Signal, always, block, intbv, modbv

from dualspike.rtl.blocks.popcount import frame_popcount, popcount, popcount_latency
from dualspike.rtl.interfaces import Global

from rtl_harness import clock, convert_and_lint, reset_pulse, run_sim


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


@block
def frame_bench(width, cycles, totals):
    """Drive (en, bits, last) per cycle; record every new value of ``total``."""
    glbl = Global()
    en, last = Signal(bool(0)), Signal(bool(0))
    bits, total = Signal(intbv(0)[width:]), Signal(modbv(0)[32:])
    dut = frame_popcount(glbl, en, bits, last, total, width)
    st = {"k": 0}

    @always(glbl.clk.posedge)
    def drive():
        if st["k"] < len(cycles):
            en.next, bits.next, last.next = cycles[st["k"]]
        else:
            en.next = 0
        st["k"] += 1

    @always(total)
    def record():
        totals.append(int(total))

    return clock(glbl.clk), reset_pulse(glbl), dut, drive, record


@pytest.mark.parametrize("width", [1, 5, 64])
def test_frame_popcount_sums_each_frame(width):
    """Random enables and frame ends: the sequence of values ``total`` takes equals the Python sums
    of the frames' enabled words (a frame whose sum equals the previous one shows no change)."""
    rng = random.Random(7 + width)
    cycles, expect, acc = [(0, 0, 0)] * 4, [], 0
    while len(expect) < 40:
        en, bits = rng.random() < 0.7, rng.getrandbits(width)
        last = en and rng.random() < 0.15
        cycles.append((en, bits, last))
        if en:
            acc += bin(bits).count("1")
            if last:
                expect.append(acc)
                acc = 0
    totals = []
    run_sim(frame_bench(width, cycles, totals), len(cycles) + 20)
    changes = [v for i, v in enumerate(expect) if i == 0 and v != 0 or i > 0 and v != expect[i - 1]]
    assert totals == changes


def test_frame_popcount_converts():
    glbl = Global()
    convert_and_lint(frame_popcount(glbl, Signal(bool(0)), Signal(intbv(0)[40:]), Signal(bool(0)),
                                    Signal(modbv(0)[32:]), 40), "frame_popcount")
