"""Line buffer vs golden.layers.windows: every window, tap mask and frame boundary."""
import random

import numpy as np
import pytest
from myhdl import block, instance

from dualspike.golden.layers import windows
from dualspike.rtl.blocks.line_buffer import line_buffer
from dualspike.rtl.interfaces import Global, Stream

from rtl_harness import clock, convert_and_lint, driver, monitor, run_sim


@block
def bench(h, w, p, beats, lasts, got, errors, seed, p_gap, p_stall):
    glbl = Global()
    s, m = Stream(p), Stream(9 * p + 9)
    dut = line_buffer(glbl, s, m, width=w, height=h, pixel_w=p)

    @instance
    def reset():
        glbl.rst.next = 1
        yield glbl.clk.posedge
        yield glbl.clk.posedge
        glbl.rst.next = 0

    return (clock(glbl.clk), reset, dut,
            driver(glbl.clk, s, beats, lasts, random.Random(seed), p_gap),
            monitor(glbl.clk, m, got, random.Random(seed + 1), p_stall, errors))


def window_ref(x):
    """[H, W, P] pixel ints -> per output pixel (9 pixel ints with zero padding, tap mask)."""
    h, w = x.shape
    pix = np.zeros((1, h, w, 1), dtype=object)
    pix[0, :, :, 0] = x
    win = windows(pix)[0].reshape(h * w, 9)
    ones = windows(np.ones((1, h, w, 1), dtype=np.int64))[0].reshape(h * w, 9)
    return [([int(v) for v in win[k]], sum(int(ones[k, j]) << j for j in range(9))) for k in range(h * w)]


@pytest.mark.parametrize("h,w,p,seed,gap,stall", [(4, 5, 6, 0, 0.0, 0.0), (5, 3, 4, 1, 0.3, 0.5),
                                                   (3, 7, 9, 2, 0.5, 0.3), (6, 4, 1, 3, 0.2, 0.7)])
def test_line_buffer_windows(h, w, p, seed, gap, stall):
    rng = np.random.default_rng(seed)
    frames = [rng.integers(0, 1 << p, (h, w)).astype(object) for _ in range(2)]
    beats = [int(v) for fr in frames for v in fr.ravel()]
    lasts = [(k % (h * w)) == h * w - 1 for k in range(len(beats))]
    got, errors = [], []
    run_sim(bench(h, w, p, beats, lasts, got, errors, seed, gap, stall), 60 * h * w + 200)
    assert not errors, errors[:3]
    assert len(got) == 2 * h * w, f"{len(got)} windows, expected {2 * h * w}"
    for f, fr in enumerate(frames):
        for k, (pix, tap) in enumerate(window_ref(fr)):
            data, last = got[f * h * w + k]
            hw_pix = [(data >> (j * p)) & ((1 << p) - 1) for j in range(9)]
            hw_tap = data >> (9 * p)
            assert hw_tap == tap, f"frame {f} pixel {k}: tap mask {hw_tap:09b} != {tap:09b}"
            assert [v if (tap >> j) & 1 else 0 for j, v in enumerate(hw_pix)] == pix, \
                f"frame {f} pixel {k}: window differs"
            assert last == (k == h * w - 1)


@pytest.mark.parametrize("p", [8, 1])
def test_line_buffer_converts(p):
    glbl = Global()
    convert_and_lint(line_buffer(glbl, Stream(p), Stream(9 * p + 9), width=6, height=5, pixel_w=p),
                     "line_buffer")
