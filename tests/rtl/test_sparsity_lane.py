"""Sparsity lane: every (pixel, group, t) current of every lane equals the golden current
(bias included), across weight/spike densities 2-40 % and word widths that split the window
into several words (word skipping, multi-word popping); the lane converts on its own."""
import pytest
from myhdl import Signal, intbv

from dualspike import golden
from dualspike.golden.cost import scan_cycles
from dualspike.golden.encode import encode
from dualspike.rtl.blocks.sparsity_lane import TAG_BITS, sparsity_lane, _bits
from dualspike.rtl.interfaces import Global
from dualspike.rtl.weight_image import core_geometry

from rtl_harness import convert_and_lint
from test_conv_core import make_case, simulate, small_spec


@pytest.mark.parametrize("wd,sd,word,lanes", [(0.02, 0.4, 8, 2), (0.4, 0.02, 16, 3), (0.15, 0.15, 8, 1),
                                              (0.4, 0.4, 5, 4)])
def test_lane_currents(wd, sd, word, lanes):
    spec = small_spec(encoding="events", c=2, co=4, T=2)
    model, x = make_case(spec, wd, sd, seed=int(wd * 100) + word)
    probe = []
    got, errors, busy = simulate(spec, model, x, lanes, word=word, probe=probe)
    assert not errors
    cur = golden.run(model, x, trace=True).traces[0].current[0]          # [T, Co, H, W]
    c, h, w = spec.input_shape
    groups = -(-4 // lanes)
    frames, static, _ = encode(spec, x, spec.T)
    blank = scan_cycles(spec, 0, frames, static, spec.T, 1, word)[0] == 0
    computed = [p for p in range(h * w) if not (blank[p] and blank[:p].any())]   # others: emitted
    exp = {}
    for p in computed:
        for g in range(groups):
            for l in range(lanes):
                if g * lanes + l < 4:
                    exp[(p, g, l)] = [int(cur[t, g * lanes + l, p // w, p % w]) for t in range(spec.T)]
    seen = {}
    for lane, g, t, v in (e for e in probe if e[0] != "c"):
        seen.setdefault((g, lane), []).append(v)
    for (g, l), vals in seen.items():
        if g * lanes + l >= 4:
            continue
        ref = [v for p in computed for v in exp[(p, g, l)]]
        assert vals == ref, f"lane {l} group {g}: first mismatch at step {next(k for k, (a, b) in enumerate(zip(vals, ref)) if a != b)}"


def lane_signals(geo):
    W, PB, TB, GB = geo.word, _bits(geo.npass), _bits(geo.tmax), _bits(geo.groups)
    aw = max(geo.groups * geo.nw, geo.value_depth, geo.groups, 2).bit_length()
    cw = geo.cur_w
    b = lambda: Signal(bool(0))                                     # noqa: E731
    u = lambda n: Signal(intbv(0)[n:])                              # noqa: E731
    return (b(), b(), u(2), u(aw), u(W + geo.base_w), b(), Signal(intbv(0, min=0, max=geo.groups * geo.nw)),
            b(), u(W), u(PB), u(TAG_BITS), b(), u(TB), u(TAG_BITS), u(GB), b(), b(),
            Signal(intbv(0, min=-(1 << (cw - 1)), max=1 << (cw - 1))), u(TB), u(geo.vbits - 1), u(GB))


def test_lane_converts():
    from dualspike.spec import builtin
    spec = builtin("scnn5-mnist")
    geo = core_geometry(spec, 3, 8)                      # c64 layer: a 576-bit window, 9 words
    convert_and_lint(sparsity_lane(Global(), *lane_signals(geo), geo=geo), "sparsity_lane")
