"""LIF unit vs golden.lif.lif_run: random currents, thresholds, leaks, resets; input gaps and
clock-enable (consumer ready) stalls; conversion."""
import random

import numpy as np
import pytest
from myhdl import Signal, block, intbv

from dualspike.golden.lif import LIFParams, lif_run
from dualspike.rtl.blocks.lif_unit import lif_unit
from dualspike.rtl.interfaces import Global

from rtl_harness import ce_driver, clock, convert_and_lint, reset_pulse, run_sim


def lif_ports(cur_w, vbits):
    return (Signal(bool(1)), Signal(bool(0)), Signal(intbv(0, min=-(1 << (cur_w - 1)), max=1 << (cur_w - 1))),
            Signal(bool(0)), Signal(intbv(1)[vbits - 1:]), Signal(bool(0)), Signal(bool(0)),
            Signal(intbv(0, min=-(1 << (vbits - 1)), max=1 << (vbits - 1))))


@block
def bench(seq, got, vbits, leak, reset, cur_w, seed, gap, stall):
    glbl = Global()
    ce, iv, ic, ifirst, ith, ov, osp, ovv = lif_ports(cur_w, vbits)
    dut = lif_unit(glbl, ce, iv, ic, ifirst, ith, ov, osp, ovv, vbits=vbits, leak=leak, reset=reset,
                   cur_w=cur_w)

    def put(item):
        ic.next, ifirst.next, ith.next = item

    def take():
        got.append((int(osp), int(ovv)))

    drive = ce_driver(glbl, ce, iv, ov, seq, put, take, random.Random(seed), gap, stall)
    return clock(glbl.clk), reset_pulse(glbl), dut, drive


@pytest.mark.parametrize("vbits,leak,reset,gap,stall", [(16, 1, "subtract", 0.0, 0.0), (8, 0, "zero", 0.3, 0.4),
                                                        (6, 3, "subtract", 0.5, 0.2), (12, 2, "zero", 0.1, 0.6)])
def test_lif_unit_golden(vbits, leak, reset, gap, stall):
    rng = np.random.default_rng(vbits)
    T, n, cur_w = 5, 40, vbits + 2
    cur = rng.integers(-(1 << (cur_w - 2)), 1 << (cur_w - 2), (T, n))
    th = rng.integers(1, 1 << (vbits - 2), n)
    seq = [(int(cur[t, k]), t == 0, int(th[k])) for k in range(n) for t in range(T)]
    got = []
    run_sim(bench(seq, got, vbits, leak, reset, cur_w, vbits, gap, stall), 30 * len(seq) + 100)
    assert len(got) == len(seq)
    ref = lif_run(cur.astype(np.int64), LIFParams(th.astype(np.int64), leak, reset, vbits))
    hw = np.array([s for s, _ in got]).reshape(n, T).T
    bad = np.argwhere(hw != ref)
    assert bad.size == 0, f"first mismatch at (t, neuron) = {tuple(bad[0])}"


def test_lif_unit_converts():
    glbl = Global()
    convert_and_lint(lif_unit(glbl, *lif_ports(18, 16), vbits=16, leak=2, reset="subtract", cur_w=18),
                     "lif_unit")
