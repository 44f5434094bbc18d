"""Hidden-channel order for a short window scan.

The sparse engine reads a pixel's window one mask word per cycle and skips the words that hold
no spike (DESIGN.md §3, scan correction; :func:`dualspike.golden.cost.scan_cycles`). A window is
laid out tap by tap, ``C`` channels each (position ``tap·C + c``), and cut into words of the
build's width, so the order of a hidden layer's output channels decides which spikes share a
word. Reordering those channels, with the next layer's input channels
(:meth:`~dualspike.model.IntegerModel.select_channels`), changes no logit but changes how many
words a window's spikes fall into: putting the quietest channels where the window's last,
partial word begins, or the busiest channels of a tap next to each other, saves scan cycles.

:func:`order_for_scan` measures every hidden layer's windows on sample inputs and takes, for each,
the order with the fewest non-zero words (summed over the word widths the generator builds,
:data:`WIDTHS`): the best of the trained order and the channels sorted by firing rate either way,
then improved by swapping pairs of channels while a swap saves words::

    model, report = order_for_scan(model, x_sample)      # same logits, fewer window words

It works on the numpy golden model only (no torch), so it runs wherever a model is exported.
"""
import numpy as np

from . import golden
from .golden.layers import windows

WIDTHS = (32, 64)    # the mask word widths the accelerator generator builds (rtl.resources.LANE_LUTS)
SAMPLES = 64         # sample inputs the windows are measured on (export, ``dualspike order``)


def layer_windows(model, x, T=None):
    """For every hidden layer ``i`` (every layer but the readout): the input windows of layer
    ``i + 1`` that hold at least one spike, as bool ``[K, taps, C]`` (``C`` = layer ``i``'s output
    channels, in the model's order; ``taps`` = 9 for a conv layer, ``H·W`` for an fc one, whose
    input is laid out pixel by pixel). One window per (pass, sample, pixel)."""
    spec = model.spec
    T = spec.T if T is None else T
    traces = golden.run(model, x, T=T, trace=True).traces
    out = []
    for i in range(len(spec.layers) - 1):
        o = traces[i].out                                              # [N, T, C, H, W]
        c = o.shape[2]
        f = o.transpose(1, 0, 3, 4, 2).reshape(-1, o.shape[3], o.shape[4], c) != 0   # [T·N, H, W, C]
        if spec.layers[i + 1].kind == "conv":
            w = windows(f).reshape(-1, 9, c)
        else:
            w = f.reshape(f.shape[0], -1, c)
        out.append(w[w.any(axis=(1, 2))])
    return out


def _word_counts(win, order, word):
    """Spikes per ``word``-bit word of each window ``[K, NW]`` with the channels in ``order``."""
    k, taps, c = win.shape
    flat = win[:, :, order].reshape(k, taps * c)
    nw = -(-flat.shape[1] // word)
    padded = np.zeros((k, nw * word), dtype=np.int16)
    padded[:, :flat.shape[1]] = flat
    return padded.reshape(k, nw, word).sum(axis=2, dtype=np.int16)


def scan_words(win, order=None, widths=WIDTHS):
    """Non-zero words of the windows ``win`` (``[K, taps, C]``) with the channels in ``order``
    (default: as they are), summed over ``widths``."""
    order = np.arange(win.shape[2]) if order is None else np.asarray(order)
    return int(sum(np.count_nonzero(_word_counts(win, order, w)) for w in widths))


def _swap(cnt, d, a, b, c, word):
    """Swapping the channels at positions ``a`` and ``b`` (``d`` = the window bits of ``b``'s channel
    less ``a``'s, ``[K, taps]``), for the spikes per ``word``-bit word ``cnt`` (``[K, NW]``): the
    affected word columns, their new counts and the words saved."""
    moves = [((t * c + a) // word, (t * c + b) // word, t) for t in range(d.shape[1])]
    moves = [m for m in moves if m[0] != m[1]]
    cols = sorted({m[0] for m in moves} | {m[1] for m in moves})
    at = {col: j for j, col in enumerate(cols)}
    sub = cnt[:, cols].copy()
    for wa, wb, t in moves:
        sub[:, at[wa]] += d[:, t]
        sub[:, at[wb]] -= d[:, t]
    return cols, sub, np.count_nonzero(cnt[:, cols]) - np.count_nonzero(sub)


def best_order(win, widths=WIDTHS, sweeps=2):
    """The channel order of ``win`` (``[K, taps, C]``) with the fewest :func:`scan_words`: the
    best of the given order and the channels sorted by firing rate (ascending, descending), then
    up to ``sweeps`` passes over every pair of positions, keeping each swap that saves words.
    Deterministic; returns ``order`` (``order[k]`` = the channel at position ``k``)."""
    k, taps, c = win.shape
    rate = win.sum(axis=(0, 1))
    candidates = [np.arange(c), np.argsort(rate, kind="stable"), np.argsort(-rate, kind="stable")]
    order = min(candidates, key=lambda o: scan_words(win, o, widths)).copy()
    counts = [_word_counts(win, order, w) for w in widths]
    for _ in range(sweeps):
        improved = False
        for a in range(c - 1):
            for b in range(a + 1, c):
                d = win[:, :, order[b]].astype(np.int16) - win[:, :, order[a]]     # [K, taps]
                trials = [_swap(cnt, d, a, b, c, w) for cnt, w in zip(counts, widths)]
                if sum(gain for _, _, gain in trials) > 0:
                    for cnt, (cols, sub, _) in zip(counts, trials):
                        cnt[:, cols] = sub
                    order[a], order[b] = order[b], order[a]
                    improved = True
        if not improved:
            break
    return order


def order_for_scan(model, x, widths=WIDTHS, sweeps=2, progress=False):
    """``model`` with every hidden layer's output channels in :func:`best_order` for the windows
    measured on the sample inputs ``x`` (a few dozen frames suffice). Returns ``(model, report)``:
    the reordered model (same logits on every input) and, per hidden layer, ``{"order": [...],
    "words_before": n, "words_after": n}`` on ``x`` (``order[k]``: the original channel now at
    ``k``)."""
    wins = layer_windows(model, x)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(wins), desc="channel order", leave=False)
    report = []
    for i, win in enumerate(wins):
        order = best_order(win, widths, sweeps)
        report.append({"order": [int(v) for v in order], "words_before": scan_words(win, None, widths),
                       "words_after": scan_words(win, order, widths)})
        model = model.select_channels(i, order)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return model, report
