"""Pool block vs golden.layers.pool (OR 2x2, odd row/col dropped), with gaps and stalls."""
import random

import numpy as np
import pytest
from myhdl import block

from dualspike.golden.layers import pool as golden_pool
from dualspike.rtl.blocks.pool import pool
from dualspike.rtl.interfaces import Global, Stream

from rtl_harness import (clock, convert_and_lint, driver, monitor, pack_spikes, reset_pulse,
                         run_sim, unpack_spikes)


@block
def bench(h, w, p, beats, lasts, got, errors, seed, gap, stall):
    glbl = Global()
    s, m = Stream(p), Stream(p)
    return (clock(glbl.clk), reset_pulse(glbl), pool(glbl, s, m, width=w, height=h, pixel_w=p),
            driver(glbl.clk, s, beats, lasts, random.Random(seed), gap),
            monitor(glbl.clk, m, got, random.Random(seed + 1), stall, errors))


@pytest.mark.parametrize("h,w,t,c,dens,gap,stall", [(4, 6, 2, 3, 0.1, 0.0, 0.0), (5, 7, 3, 2, 0.3, 0.3, 0.5),
                                                     (7, 4, 1, 4, 0.02, 0.5, 0.7), (2, 3, 4, 1, 0.4, 0.2, 0.2),
                                                     (6, 10, 2, 3, 0.2, 0.3, 0.4), (9, 9, 1, 2, 0.5, 0.0, 0.6)])
def test_pool_golden(h, w, t, c, dens, gap, stall):
    rng = np.random.default_rng(h * w)
    x = (rng.random((3, t, c, h, w)) < dens).astype(np.uint8)
    beats = [b for f in range(3) for b in pack_spikes(x[f])]
    lasts = [(k % (h * w)) == h * w - 1 for k in range(len(beats))]
    got, errors = [], []
    run_sim(bench(h, w, t * c, beats, lasts, got, errors, 3, gap, stall), 20 * len(beats) + 100)
    assert not errors, errors[:3]
    n = (h // 2) * (w // 2)
    assert len(got) == 3 * n
    for f in range(3):
        fr = got[f * n:(f + 1) * n]
        assert [l for _, l in fr] == [False] * (n - 1) + [True]
        ref = golden_pool(x[f].transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)      # [T, C, H/2, W/2]
        np.testing.assert_array_equal(unpack_spikes([d for d, _ in fr], t, c, h // 2, w // 2), ref)


def test_pool_converts():
    glbl = Global()
    convert_and_lint(pool(glbl, Stream(12), Stream(12), width=7, height=5, pixel_w=12), "pool")
