"""The generator's resource estimate and ``auto`` lane allocation (no Verilog is written)."""
import itertools

import pytest

from dualspike.accel import BOARDS
from dualspike.errors import SpecError
from dualspike.model import random_model
from dualspike.rtl.chain import FIFO_MIN_DEPTH, frame_fifo_depth
from dualspike.data import sample_inputs
from dualspike.rtl.allocation import auto_lanes, lane_choices
from dualspike.rtl.generate import generate, plan_build
from dualspike.rtl.resources import (FLAT_LUT_FACTOR, LANE_CTRL_LUTS, LANE_LUTS, LUT_BUDGET, LUT_MARGIN, STATIC_LANE_SAVING,
                                     default_capacities, estimate_resources, fits, layer_fifo_rams, lutram_luts,
                                     memory_bram36, parse_fifo_ram)
from dualspike.spec import builtin

SPEC = builtin("scnn5-mnist")
CAPS = default_capacities(SPEC, "pynq-z2")


def flat(luts):
    """LUTs of the cores' model in the whole top synthesized flat, as the estimate counts them (to
    the LUT it rounds to)."""
    return pytest.approx(FLAT_LUT_FACTOR * luts, abs=1)


def test_estimate_grows_with_lanes_and_word_width():
    base = estimate_resources(SPEC, [1] * 5, CAPS, 4, 32)
    more = estimate_resources(SPEC, [1, 2, 1, 1, 1], CAPS, 4, 32)
    assert more["luts"] - base["luts"] == flat(LANE_LUTS[32]["conv"] + LANE_CTRL_LUTS)    # same pixel buffers
    first = estimate_resources(SPEC, [2, 1, 1, 1, 1], CAPS, 4, 32)     # a static first layer's lane
    assert first["luts"] - base["luts"] == flat(LANE_LUTS[32]["conv"] - STATIC_LANE_SAVING + LANE_CTRL_LUTS)
    wide = estimate_resources(SPEC, [1, 2, 1, 1, 1], CAPS, 4, 64)
    conv_lanes, fc_lanes = 5, 1                     # only the lanes depend on the word width
    assert wide["luts"] - more["luts"] == flat(conv_lanes * (LANE_LUTS[64]["conv"] - LANE_LUTS[32]["conv"]) +
                                               fc_lanes * (LANE_LUTS[64]["fc"] - LANE_LUTS[32]["fc"]))
    with pytest.raises(SpecError, match="mask word width"):
        estimate_resources(SPEC, [1] * 5, CAPS, 4, 48)


@pytest.mark.parametrize("board", ["pynq-z2", "kv260"])
def test_auto_lanes_fit_the_board_and_balance_the_layers(board):
    model = random_model(SPEC, 0.06, 0)
    lanes, words, prof, fifo_ram = auto_lanes(model, board, word=32)
    assert words == (32,) * 5
    caps, family = default_capacities(SPEC, board), BOARDS[board]["family"]
    est = estimate_resources(SPEC, lanes, caps, SPEC.T, 32, fifo_ram, family)
    assert fits(board, est) and est["luts"] * LUT_MARGIN <= LUT_BUDGET * BOARDS[board]["luts"]
    assert lanes != [1] * 5
    # every layer uses one of its lane choices, and the slowest layer's next count that would make it
    # faster (the only way to a shorter interval) does not fit, wherever the FIFOs go
    assert all(L in lane_choices(ls.out_channels) for L, ls in zip(lanes, SPEC.layers))
    slow = max(range(5), key=lambda i: prof.engine_cycles(i, lanes[i]))
    now = prof.engine_cycles(slow, lanes[slow])
    more = [L for L in lane_choices(SPEC.layers[slow].out_channels)
            if L > lanes[slow] and prof.engine_cycles(slow, L) < now]
    if more:
        trial = list(lanes)
        trial[slow] = more[0]
        for styles in itertools.product((None, "distributed"), repeat=5):
            assert not fits(board, estimate_resources(SPEC, trial, caps, SPEC.T, 32, styles, family))


def test_per_layer_word_widths_in_the_estimate():
    mixed = estimate_resources(SPEC, [2, 1, 1, 3, 1], CAPS, 4, [32, 32, 32, 64, 64])
    narrow = estimate_resources(SPEC, [2, 1, 1, 3, 1], CAPS, 4, 32)
    assert mixed["luts"] - narrow["luts"] == flat(3 * (LANE_LUTS[64]["conv"] - LANE_LUTS[32]["conv"]) +
                                                  (LANE_LUTS[64]["fc"] - LANE_LUTS[32]["fc"]))
    with pytest.raises(SpecError, match="one per layer"):
        estimate_resources(SPEC, [1] * 5, CAPS, 4, [32, 64])


def test_auto_word_widths_beat_any_single_width():
    """``word="auto"`` chooses a width per layer from a superset of the single-width options, so its
    interval is never longer than the best single width's, and it fits the board."""
    model = random_model(SPEC, 0.06, 0)
    x = sample_inputs(SPEC, 8)
    auto = auto_lanes(model, "pynq-z2", x, word="auto")
    assert set(auto.words) <= set(LANE_LUTS)
    assert fits("pynq-z2", estimate_resources(SPEC, auto.lanes, default_capacities(SPEC), SPEC.T, auto.words))
    best_single = min(auto.profile.frame_cycles(*auto_lanes(model, "pynq-z2", x, word=w)[:2]) for w in LANE_LUTS)
    assert auto.profile.frame_cycles(auto.lanes, auto.words) <= best_single


def test_a_target_interval_takes_the_smallest_build_within_it():
    """``target_cycles`` (FINN's ``target_fps``): each layer takes its fewest lane LUTs within the
    target, so the build is within it and no larger than the fastest one; a target under the fastest
    interval that fits gives the fastest build; a target that is not a positive number is refused."""
    model = random_model(SPEC, 0.06, 0)
    x = sample_inputs(SPEC, 2)
    fast = auto_lanes(model, "pynq-z2", x, word=32)
    prof = fast.profile
    t_fast = prof.frame_cycles(fast.lanes, fast.words)
    target = int(2.5 * t_fast)
    small = auto_lanes(model, "pynq-z2", x, word=32, target_cycles=target)
    assert prof.frame_cycles(small.lanes, small.words) <= target
    assert sum(small.lanes) < sum(fast.lanes) and all(a <= b for a, b in zip(small.lanes, fast.lanes))
    for i, L in enumerate(small.lanes):          # one lane fewer in any layer misses the target
        assert L == 1 or prof.engine_cycles(i, L - 1, 32) > target
    assert plan_build(SPEC, "pynq-z2", "auto", model, x, word=32, target_cycles=t_fast // 2).lanes == fast.lanes
    with pytest.raises(SpecError, match="target_cycles = 0: give a frame interval in cycles"):
        auto_lanes(model, "pynq-z2", x, word=32, target_cycles=0)


def test_lane_choices_are_every_lane_count():
    assert lane_choices(10) == list(range(1, 11))
    assert lane_choices(1) == [1]


def test_a_lane_count_between_group_boundaries_isolates_a_heavy_channel():
    """32 channels, one of them 3x the others' pairs: 16 lanes (two channels each) put it beside
    another channel, 17 give it a lane of its own, with the same two groups, so 17 is faster."""
    import numpy as np
    from dualspike.golden.cost import channel_work, lane_order, layer_cycles
    rng = np.random.default_rng(0)
    pairs = rng.integers(1, 4, (2, 4, 6, 6, 32))          # [T, frames, H, W, C]
    pairs[..., 5] *= 3
    scan = np.ones((4, 36), dtype=np.int64)               # one window word per pixel: the pops bound
    cyc = {L: float(layer_cycles(pairs, L, 2, False, scan, lane_order(channel_work(pairs), L)).mean())
           for L in (16, 17)}
    assert 17 in lane_choices(32) and cyc[17] < cyc[16]


def test_generate_refuses_an_unsupported_word_width(tmp_path):
    with pytest.raises(SpecError, match="mask word width"):
        generate(SPEC, str(tmp_path), lanes=[1] * 5, word=48)


def test_frame_fifos_fill_a_block_ram_and_hold_a_frame():
    """At least FIFO_MIN_DEPTH beats (a shallower memory maps to LUT RAM and saves no block RAM),
    at least a frame (layer 0's 28x28 map), at most ``fifo_max``."""
    assert [frame_fifo_depth(SPEC, i) for i in range(4)] == [784, FIFO_MIN_DEPTH, FIFO_MIN_DEPTH, FIFO_MIN_DEPTH]
    assert frame_fifo_depth(SPEC, 0, fifo_max=64) == 64
    base = estimate_resources(SPEC, [1] * 5, CAPS, 4, 32)["bram36"]
    assert base >= sum(-(-(4 * ls.out_channels + 1) // 36) / 2 for ls in SPEC.layers[:4])    # FIFO BRAMs counted


@pytest.mark.parametrize("depth,width,bram36", [
    (256, 79, 1.5),     # a 32-bit lane's entry FIFO: three 512 x 36 blocks
    (128, 142, 2.0),    # a 64-bit lane's: four
    (72, 42, 0.0),      # a mask RAM of 3,024 bits: LUT RAM
    (64, 200, 0.0),     # at most 64 deep: LUT RAM
    (144, 42, 1.0),     # two 512 x 36 blocks
    (558, 42, 1.5),     # three 1K x 18
    (8928, 4, 1.5),     # three 4K x 4
    (1152, 4, 0.5),     # one 4K x 4
])
def test_memory_bram36_counts_18kb_blocks_of_one_shape(depth, width, bram36):
    """The shapes of scnn5-mnist's lane memories whose block RAMs yosys reported (pynq-z2, kv260)."""
    assert memory_bram36(depth, width) == bram36


def test_fifos_in_lut_ram_trade_block_ram_for_luts():
    from dualspike.rtl.blocks.sparsity_lane import lane_memories
    from dualspike.rtl.weight_image import core_geometry
    lanes, words = [8, 32, 11, 5, 1], [32, 32, 64, 64, 32]
    tool = estimate_resources(SPEC, lanes, CAPS, 4, words, None, "xcup")
    moved = estimate_resources(SPEC, lanes, CAPS, 4, words, [None, "distributed", None, None, None], "xcup")
    depth, width, _ = lane_memories(core_geometry(SPEC, 1, 32, word=32, tmax=4))[0]
    assert (depth, width) == (256, 78)
    assert tool["bram36"] - moved["bram36"] == 32 * memory_bram36(depth, width) == 48
    assert moved["luts"] - tool["luts"] == flat(32 * lutram_luts(depth, width, "xcup")) and \
        lutram_luts(depth, width, "xcup") == 466
    assert lutram_luts(256, 78, "xc7") == 498          # 104 RAM64M, 78 read multiplexers, 4 write decoders
    assert lutram_luts(32, 75, "xc7") == 4 * 13 + 1     # 32 deep: RAM32M, 6 bits each
    block = estimate_resources(SPEC, lanes, CAPS, 4, words, "block", "xcup")   # layer 0's 32-deep FIFOs too
    assert block["luts"] == tool["luts"] and block["bram36"] - tool["bram36"] == 8 * memory_bram36(32, 75, "block") == 12


def test_fifo_placement_options():
    assert layer_fifo_rams(None, 3) == (None,) * 3
    assert layer_fifo_rams("auto", 3) == (None,) * 3                       # no allocation chosen: the tool's
    assert layer_fifo_rams("auto", 2, ("block", None)) == ("block", None)  # auto_lanes' choice
    assert layer_fifo_rams(["block", None, "distributed"], 3) == ("block", None, "distributed")
    assert parse_fifo_ram("auto") == "auto" and parse_fifo_ram("distributed") == "distributed"
    assert parse_fifo_ram("tool,distributed") == [None, "distributed"]
    with pytest.raises(SpecError, match="one per layer"):
        layer_fifo_rams(["block"], 3)
    with pytest.raises(SpecError, match="--fifo-ram lut"):
        parse_fifo_ram("lut")


def test_kv260_auto_moves_fifos_to_lut_ram_for_more_lanes():
    """The KV260 has LUTs to spare and runs out of block RAM first: auto puts some layers' lane
    FIFOs in LUT RAM and reaches a shorter interval than with every FIFO in block RAM."""
    from dualspike import bitmap
    from dualspike.cli import pretrained_path
    from dualspike.data import default_mnist, spread
    model = bitmap.load(pretrained_path())
    x = spread(default_mnist("test")[0], 32)
    lanes, words, prof, fifo_ram = auto_lanes(model, "kv260", x)
    assert "distributed" in fifo_ram
    caps = default_capacities(model.spec, "kv260")
    assert fits("kv260", estimate_resources(model.spec, lanes, caps, 4, words, fifo_ram, "xcup"))
    assert not fits("kv260", estimate_resources(model.spec, lanes, caps, 4, words, None, "xcup"))
    assert prof.frame_cycles(lanes, words) < 16000


def test_plan_build_resolves_auto_as_auto_lanes_does():
    """``plan_build`` (what generate, ``dualspike build`` and accel_report use) takes auto_lanes'
    lanes, widths, FIFO placement and balanced channel orders; explicit lanes keep the model's
    order and the tool's placement unless told; bad options are refused before any Verilog."""
    model = random_model(SPEC, 0.06, 3)
    x = sample_inputs(SPEC, 8)
    lanes, words, prof, fifo_ram = auto_lanes(model, "kv260", x)
    plan = plan_build(SPEC, "kv260", "auto", model, x)
    assert (plan.lanes, plan.words, plan.fifo_ram) == (lanes, words, fifo_ram)
    assert plan.order == tuple(tuple(o) for o in prof.orders(lanes))
    assert plan.capacities == default_capacities(SPEC, "kv260") and plan.t_max == SPEC.T
    fixed = plan_build(SPEC, "pynq-z2", [2, 4, 4, 2, 1], word=32, fifo_ram="distributed")
    assert fixed.order == (None,) * 5 and fixed.words == (32,) * 5 and fixed.fifo_ram == ("distributed",) * 5
    assert plan_build(SPEC, "pynq-z2", [2, 4, 4, 2, 1], model, x, order="balance").order != fixed.order
    with pytest.raises(SpecError, match="not one of"):
        plan_build(SPEC, "zedboard", [1] * 5)
    with pytest.raises(SpecError, match="one per layer"):
        plan_build(SPEC, "pynq-z2", [1] * 4)
    with pytest.raises(SpecError, match="over capacity"):
        plan_build(SPEC, "pynq-z2", [1] * 5, model, capacities=[16] * 5)
