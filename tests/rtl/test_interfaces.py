"""Interfaces: stream width checks, and pipeline_ctrl driving a 2-stage datapath under gaps and
stalls (results unchanged, none lost, payload stable while stalled); conversion."""
import random

import pytest
from myhdl import Signal, always, block

from dualspike.rtl.interfaces import Global, Stream, pipeline_ctrl

from rtl_harness import clock, convert_and_lint, driver, monitor, reset_pulse, run_sim


@block
def plus3_twice(glbl, s, m):
    """Datapath only: two registered +3 stages; the handshake comes from pipeline_ctrl."""
    ce = Signal(bool(0))
    a = Signal(s.data.val)

    @always(glbl.clk.posedge)
    def dp():
        if ce:
            a.next = (s.data + 3) % (1 << s.data_w)
            m.data.next = (a + 3) % (1 << s.data_w)

    return pipeline_ctrl(glbl, s, m, ce, latency=2), dp


@block
def bench(beats, got, errors, gap, stall):
    glbl = Global()
    s, m = Stream(12), Stream(12)
    return (clock(glbl.clk), reset_pulse(glbl), plus3_twice(glbl, s, m),
            driver(glbl.clk, s, beats, [False] * (len(beats) - 1) + [True], random.Random(1), gap),
            monitor(glbl.clk, m, got, random.Random(2), stall, errors))


@pytest.mark.parametrize("gap,stall", [(0, 0), (0.4, 0.6), (0.7, 0.2)])
def test_pipeline_ctrl(gap, stall):
    beats = [random.Random(5).getrandbits(12) for _ in range(200)]
    beats = [(b * 7 + k) % 4096 for k, b in enumerate(beats)]
    got, errors = [], []
    run_sim(bench(beats, got, errors, gap, stall), 4000)
    assert not errors
    assert [d for d, _ in got] == [(b + 6) % 4096 for b in beats]
    assert [l for _, l in got] == [False] * 199 + [True]


def test_stream_width_check():
    with pytest.raises(ValueError, match="width 8 does not match the block's 9"):
        Stream(8).check(9, "x")
    with pytest.raises(ValueError, match="positive int"):
        Stream(0)


def test_pipeline_ctrl_converts():
    convert_and_lint(plus3_twice(Global(), Stream(12), Stream(12)), "plus3_twice")
