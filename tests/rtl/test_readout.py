"""Readout vs golden: Σ_t I[t] (membrane) and Σ_t S[t] (count), with gaps and stalls; conversion."""
import random

import numpy as np
import pytest
from myhdl import Signal, block, intbv

from dualspike.rtl.blocks.readout import readout
from dualspike.rtl.interfaces import Global

from rtl_harness import ce_driver, clock, convert_and_lint, reset_pulse, run_sim


def ports(cur_w):
    return (Signal(bool(1)), Signal(bool(0)), Signal(intbv(0, min=-(1 << (cur_w - 1)), max=1 << (cur_w - 1))),
            Signal(bool(0)), Signal(bool(0)), Signal(bool(0)), Signal(intbv(0, min=-(1 << 31), max=1 << 31)))


@block
def bench(seq, got, mode, cur_w, seed, gap, stall):
    glbl = Global()
    ce, iv, ic, isp, ifirst, ov, osum = ports(cur_w)
    dut = readout(glbl, ce, iv, ic, isp, ifirst, ov, osum, mode=mode, cur_w=cur_w)

    def put(item):
        ic.next, isp.next, ifirst.next = item

    def take():
        got.append(int(osum))

    drive = ce_driver(glbl, ce, iv, ov, seq, put, take, random.Random(seed), gap, stall)
    return clock(glbl.clk), reset_pulse(glbl), dut, drive


@pytest.mark.parametrize("mode,gap,stall", [("membrane", 0.0, 0.0), ("membrane", 0.4, 0.5), ("count", 0.3, 0.3)])
def test_readout_golden(mode, gap, stall):
    rng = np.random.default_rng(1)
    T, n, cw = 4, 30, 20
    cur = rng.integers(-(1 << 18), 1 << 18, (T, n))
    spk = rng.integers(0, 2, (T, n))
    seq = [(int(cur[t, k]), int(spk[t, k]), t == 0) for k in range(n) for t in range(T)]
    got = []
    run_sim(bench(seq, got, mode, cw, 2, gap, stall), 30 * len(seq) + 100)
    sums = np.array(got).reshape(n, T)[:, -1]
    ref = cur.sum(axis=0) if mode == "membrane" else spk.sum(axis=0)
    np.testing.assert_array_equal(sums, ref)


def test_readout_converts():
    ce, iv, ic, isp, ifirst, ov, osum = ports(20)
    convert_and_lint(readout(Global(), ce, iv, ic, None, ifirst, ov, osum, mode="membrane", cur_w=20),
                     "readout")
