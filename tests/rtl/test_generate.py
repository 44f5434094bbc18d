"""The generator's resource estimate and ``auto`` lane allocation (no Verilog is written)."""
import pytest

from dualspike.accel import BOARDS
from dualspike.errors import SpecError
from dualspike.model import random_model
from dualspike.rtl.generate import (LANE_LUTS, LUT_BUDGET, _next_lanes, auto_lanes, default_capacities,
                                    estimate_resources, fits, generate)
from dualspike.spec import builtin

SPEC = builtin("scnn5-mnist")
CAPS = default_capacities(SPEC, "pynq-z2")


def test_estimate_grows_with_lanes_and_word_width():
    base = estimate_resources(SPEC, [1] * 5, CAPS, 4, 32)
    more = estimate_resources(SPEC, [2, 1, 1, 1, 1], CAPS, 4, 32)
    assert more["luts"] - base["luts"] == LANE_LUTS[32]["conv"]
    wide = estimate_resources(SPEC, [2, 1, 1, 1, 1], CAPS, 4, 64)
    conv_lanes, fc_lanes = 5, 1                     # only the lanes depend on the word width
    assert wide["luts"] - more["luts"] == conv_lanes * (LANE_LUTS[64]["conv"] - LANE_LUTS[32]["conv"]) + \
        fc_lanes * (LANE_LUTS[64]["fc"] - LANE_LUTS[32]["fc"])
    with pytest.raises(SpecError, match="mask word width"):
        estimate_resources(SPEC, [1] * 5, CAPS, 4, 48)


@pytest.mark.parametrize("board", ["pynq-z2", "kv260"])
def test_auto_lanes_fit_the_board_and_balance_the_layers(board):
    model = random_model(SPEC, 0.06, 0)
    lanes, prof = auto_lanes(model, board, word=32)
    caps = default_capacities(SPEC, board)
    est = estimate_resources(SPEC, lanes, caps, SPEC.T, 32)
    assert fits(board, est) and est["luts"] <= LUT_BUDGET * BOARDS[board]["luts"]
    assert lanes != [1] * 5
    # the greedy stopped: the slowest layer's next lane count (one channel group fewer) does not fit
    slow = max(range(5), key=lambda i: prof.engine_cycles(i, lanes[i]))
    nxt = _next_lanes(SPEC.layers[slow].out_channels, lanes[slow])
    if nxt is not None:
        trial = list(lanes)
        trial[slow] = nxt
        assert not fits(board, estimate_resources(SPEC, trial, caps, SPEC.T, 32))


def test_generate_refuses_an_unsupported_word_width(tmp_path):
    with pytest.raises(SpecError, match="mask word width"):
        generate(SPEC, str(tmp_path), lanes=[1] * 5, word=48)
