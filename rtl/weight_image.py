"""Core geometry and the lane-local weight memory images of a compute core (no MyHDL here).

A compute core with ``L`` lanes serves hardware channel ``h`` in lane ``h % L`` at group
``g = h // L``; hardware channel ``h`` computes the model's output channel ``order[h]`` (the
geometry's ``order``, None: ``h``), and the core's output puts it back at ``order[h]``. Per lane (receptive field ``R`` bits in receptive-field order, ``NW = ceil(R/WORD)``
words)::

    mask RAM   addr g*NW + wi   [ base (BW bits) | mask word (WORD bits, bit j%WORD = position j) ]
    value RAM  addr k           k-th non-zero weight of the lane in (g, j) order, signed wbits
    bias RAM   addr g           signed bbits          threshold RAM  addr g   vbits (θ >= 1)

``base`` of a mask word = number of non-zero weights of the lane before that word, so the value
address of position ``j`` is ``base + popcount(mask & ((1 << j%WORD) - 1))``.
"""
from typing import NamedTuple, Optional

import numpy as np

from dualspike.accel import layer_order
from dualspike.golden.layers import receptive_field_matrix

RAM_STYLES = (None, "block", "distributed")   # memory placement: the tool's choice, block RAM, LUT RAM


def check_style(style):
    """``style`` if it is one of :data:`RAM_STYLES`, else ``ValueError``."""
    if style not in RAM_STYLES:
        raise ValueError(f"ram style {style!r}: use one of {', '.join(map(repr, RAM_STYLES))}")
    return style


class CoreGeometry(NamedTuple):
    kind: str            # conv | fc
    in_shape: tuple      # (C, H, W) of the input map
    co: int              # output channels
    lanes: int
    groups: int          # G = ceil(Co / L)
    r: int               # receptive-field bits per pass
    word: int            # WORD
    nw: int              # words per pass
    tmax: int            # time steps the hardware holds
    static: bool         # first layer with a binary/bitplane input
    planes: int          # B: bit planes of a static input (1 for binary); 1 otherwise
    wbits: int
    bbits: int
    vbits: int
    leak: int
    reset: str
    readout: Optional[str]   # None (spikes out), "membrane" or "count"
    value_depth: int
    base_w: int
    cur_w: int           # signed width of the current I
    pool: bool
    order: Optional[tuple] = None   # model channel of each hardware channel (None: the same)
    fifo_ram: Optional[str] = None  # where the lanes' entry FIFOs go (sdp_ram style; None: the tool's choice)

    @property
    def npass(self):
        """Scan passes per unit at Tmax (planes for a static input, else T)."""
        return self.planes if self.static else self.tmax


def core_geometry(spec, i, lanes, word=64, tmax=None, value_depth=None, order=None, fifo_ram=None):
    """Geometry of layer ``i``'s core; raises ``ValueError`` on impossible parameters."""
    check_style(fifo_ram)
    if not isinstance(lanes, int) or lanes < 1:
        raise ValueError(f"lanes must be a positive int, not {lanes!r}")
    if word < 1 or word > 64:
        raise ValueError(f"word width must be in [1, 64], not {word}")
    ls = spec.layers[i]
    (c, h, w), _ = spec.layer_shapes()[i]
    co = ls.out_channels
    if lanes > co:
        raise ValueError(f"layer {i}: {lanes} lanes for {co} output channels")
    order = layer_order(spec, i, order)
    static = i == 0 and spec.encoding in ("binary", "bitplane")
    planes = spec.input_bits if (static and spec.encoding == "bitplane") else 1
    r = spec.fan_in(i)
    nw = -(-r // word)
    groups = -(-co // lanes)
    vd = value_depth or groups * r
    xmax = (1 << planes) - 1
    cur = r * (1 << (ls.wbits - 1)) * xmax + (1 << (ls.bbits - 1))
    last = i == len(spec.layers) - 1
    return CoreGeometry(ls.kind, (c, h, w), co, lanes, groups, r, word, nw, tmax or spec.T, static,
                        planes, ls.wbits, ls.bbits, ls.vbits, ls.leak, ls.reset,
                        spec.readout if last else None, vd, max(1, (groups * r).bit_length()),
                        cur.bit_length() + 1, ls.pool, order, fifo_ram)


def lane_images(spec, i, geo, model=None):
    """Per-lane RAM contents ``[(masks, values, bias, thresholds), ...]`` as Python int lists
    (masks include the base field; values/bias signed). Zero weights when ``model`` is None."""
    L, G, nw, word = geo.lanes, geo.groups, geo.nw, geo.word
    if model is None:
        wmat = np.zeros((geo.r, geo.co), dtype=np.int64)
        bias = np.zeros(geo.co, dtype=np.int64)
        thr = np.ones(geo.co, dtype=np.int64)
    else:
        lp = model.layers[i]
        wmat = receptive_field_matrix(spec, i, lp.weight).astype(np.int64)
        bias, thr = lp.bias.astype(np.int64), lp.threshold.astype(np.int64)
    out = []
    for lane in range(L):
        masks, values, b, t = [], [], [], []
        for g in range(G):
            h = g * L + lane
            co = h if geo.order is None or h >= geo.co else geo.order[h]
            col = wmat[:, co] if co < geo.co else np.zeros(geo.r, dtype=np.int64)
            b.append(int(bias[co]) if co < geo.co else 0)
            t.append(int(thr[co]) if co < geo.co else 1)
            for wi in range(nw):
                seg = col[wi * word:(wi + 1) * word]
                m = 0
                for j, v in enumerate(seg):
                    if v != 0:
                        m |= 1 << j
                        values.append(int(v))
                base = len(values) - bin(m).count("1")
                masks.append(m | (base << word))
        if len(values) > geo.value_depth:
            raise ValueError(f"lane {lane} holds {len(values)} non-zero weights, the value RAM "
                             f"has {geo.value_depth}")
        out.append((masks, values, b, t))
    return out
