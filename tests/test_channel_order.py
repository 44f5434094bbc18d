"""Hidden-channel order for the window scan (dualspike/channel_order.py) and
IntegerModel.select_channels: reordering keeps every logit, the window words it counts are the
cost model's, and the chosen order never reads more words than the trained one."""
import numpy as np
import pytest

from dualspike import golden
from dualspike.channel_order import WIDTHS, best_order, layer_windows, order_for_scan, scan_words
from dualspike.errors import ModelError
from dualspike.model import random_model
from dualspike.rtl.allocation import PairProfile
from dualspike.spec import LayerSpec, ModelSpec

from small_models import random_input, random_params, random_small_spec


def _spec():
    """conv -> conv (pool) -> fc: both kinds of boundary, channel counts that leave partial words."""
    return ModelSpec(name="order", input_shape=(1, 8, 8), encoding="bitplane", T=3, input_bits=4,
                     layers=[LayerSpec("conv", 11), LayerSpec("conv", 9, pool=True), LayerSpec("fc", 4)])


def _inputs(n, seed):
    return np.random.default_rng(seed).integers(0, 256, (n, 1, 8, 8), dtype=np.uint8)


def test_a_permutation_keeps_every_logit_and_a_subset_drops_the_inputs_it_feeds():
    model = random_model(_spec(), density=0.3, seed=1)
    x = _inputs(16, 2)
    ref = golden.run(model, x).logits
    rng = np.random.default_rng(3)
    for i in (0, 1):                                     # conv -> conv, conv -> fc
        perm = rng.permutation(model.spec.layers[i].out_channels)
        moved = model.select_channels(i, perm)
        assert moved.spec == model.spec
        assert np.array_equal(golden.run(moved, x).logits, ref)
        assert np.array_equal(moved.layers[i].weight, model.layers[i].weight[perm])
    sub = model.select_channels(1, [0, 2, 5])
    assert sub.spec.layers[1].out_channels == 3
    (c, h, w), _ = model.spec.layer_shapes()[2]
    want = model.layers[2].weight.reshape(4, c, h, w)[:, [0, 2, 5]].reshape(4, -1)
    assert np.array_equal(sub.layers[2].weight, want)


@pytest.mark.parametrize("i, keep, words", [(2, [0], "readout"), (0, [0, 0], "distinct"), (0, [11], "0..10"),
                                            (0, [], "distinct")])
def test_select_channels_refuses_the_readout_and_bad_indices(i, keep, words):
    with pytest.raises(ModelError, match=words):
        random_model(_spec(), seed=0).select_channels(i, keep)


def test_the_words_counted_are_the_cost_models_window_words():
    """scan_words on layer_windows equals golden.cost.scan_cycles (what the RTL scan reads) summed,
    before and after reordering, at each width."""
    model = random_model(_spec(), density=0.3, seed=4)
    x = _inputs(12, 5)
    ordered, report = order_for_scan(model, x)
    for m, key in ((model, "words_before"), (ordered, "words_after")):
        prof = PairProfile(m, x)
        wins = layer_windows(m, x)
        for i, win in enumerate(wins):
            for w in WIDTHS:
                assert scan_words(win, widths=(w,)) == int(prof.scan[w][i + 1].sum())
            assert scan_words(win) == report[i][key]


def test_the_order_never_reads_more_words_and_keeps_the_logits_on_other_inputs():
    rng = np.random.default_rng(6)
    for seed in range(4):
        spec = random_small_spec(rng)
        model = random_params(spec, rng)
        x = random_input(spec, rng, 8)
        ordered, report = order_for_scan(model, x)
        y = random_input(spec, rng, 8)
        assert np.array_equal(golden.run(ordered, y).logits, golden.run(model, y).logits), seed
        for r, ls in zip(report, spec.layers):
            assert r["words_after"] <= r["words_before"]
            assert sorted(r["order"]) == list(range(ls.out_channels))


def test_a_quiet_channel_moves_out_of_the_partial_last_word():
    """Windows of 3 taps × 11 channels at 32-bit words: bit 32 (tap 2, the last channel) is a word
    of its own. A busy last channel costs that word in every window; the best order puts a quiet
    channel there."""
    rng = np.random.default_rng(7)
    win = rng.random((400, 3, 11)) < 0.05
    win[:, :, 10] = True                                  # channel 10 spikes everywhere
    win[:, :, 3] = False                                  # channel 3 never
    order = best_order(win, widths=(32,))
    assert order[10] != 10
    assert scan_words(win, order, (32,)) < scan_words(win, None, (32,))
    assert not win[:, 2, order[10]].any()                # a channel silent at tap 2 holds bit 32
