"""The accelerator generator: spec + board + lanes → ``dualspike_top.v`` + accelerator description JSON.

>>> from dualspike.spec import builtin
>>> desc = generate(builtin("scnn5-mnist"), "build/scnn5", lanes=[4, 16, 16, 8, 2])   # doctest: +SKIP

``lanes`` is a list (one per layer) or ``"auto"``: :func:`auto_lanes` measures the model's matched
pairs and window words on sample inputs with the golden model and picks the lanes with the
shortest engine frame interval whose resource estimate (:func:`estimate_resources`) stays within
the board's LUT and BRAM budget, and (``word="auto"``, the default) each core's mask word width,
32 or 64 bits; a fixed ``word`` is one width or one per layer.
``capacities`` (non-zero weights per layer the value memories hold) default to the dense count
when it fits the board, so any retrained model of the same shape loads at run time.
"""
import itertools
import os
import subprocess
import tempfile
from typing import List, NamedTuple, Optional, Tuple

import numpy as np

from dualspike import golden
from dualspike.accel import BOARDS, AcceleratorDescription, channel_orders
from dualspike.errors import SpecError
from dualspike.golden.cost import (channel_work, lane_order, layer_bounds, layer_cycles, layer_words, pair_counts,
                                   scan_cycles)
from dualspike.golden.encode import encode
from dualspike.golden.layers import receptive_field_matrix

from .weight_image import RAM_STYLES, core_geometry

MODULE = "dualspike_top"
LUT_BUDGET, BRAM_BUDGET = 0.70, 0.80


# ---- resources (an estimate, calibrated against yosys in benchmarks/accel_resources.py) -------
def to_verilog(inst, outdir, name):
    """Convert a MyHDL instance to ``outdir/name.v`` (memories initialised, all-zero ones skipped)
    and return the path; MyHDL's global converter options are restored afterwards."""
    import warnings
    from myhdl.conversion._toVerilog import toVerilog
    saved = toVerilog.initial_values        # convert() stores its options on the global converter
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inst.convert(hdl="Verilog", path=outdir, name=name, initial_values="skip_zero_mem_init",
                         testbench=False)
    finally:
        toVerilog.initial_values = saved
    return os.path.join(outdir, name + ".v")


# LUT model fitted to per-core yosys synth_xilinx (xc7) of the generated cores and glue
# (benchmarks/accel_resources.py, results in benchmarks/results/accel_resources_<model>_<board>.md):
# core = CORE_LUTS + WINDOW_LUTS_PER_BIT * (window bits: R, times T unless a static first layer)
#        + lanes * (LANE_LUTS[word][kind] + LANE_CTRL_LUTS), less STATIC_LANE_SAVING a lane in a
#          first layer with a static input
#        + BUFFER_LUTS_PER_BIT * (output bits) when the core has more than one pixel buffer
#        + BLANK_LUTS for a conv core (blank windows answered from a cache),
#          + BLANK_LUTS_PER_BIT * (output bits) when it has more than two pixel buffers.
GLUE_LUTS = 3100               # AXI-Lite registers, adapters, status, weight loader, serializer
LINK_LUTS, LINK_LUTS_PER_BIT, POOL_LUTS_PER_BIT = 50, 1.4, 1.1   # between cores, per T·Co stream bit:
                               # spike counter + frame FIFO control, + the 2×2 pool when the layer pools
CORE_LUTS = 350                # scan controller and output assembly
LANE_CTRL_LUTS = 45            # a lane's own walk through its units (step, unit, group, pixel tag)
BUFFER_LUTS_PER_BIT = 1.0      # pixel buffers: the slot write enables and the output multiplexer
BLANK_LUTS, BLANK_LUTS_PER_BIT = 30, 1.4   # a conv core's blank-window cache: control, and its input to
                               # the output register (free beside a 2:1 buffer multiplexer, not a 4:1)
WINDOW_LUTS_PER_BIT = 0.6      # line buffer / window registers, per window bit
LANE_LUTS = {64: {"conv": 830, "fc": 940},   # per mask word width: detector, value RAM port,
             32: {"conv": 590, "fc": 840}}   # accumulator, LIF or readout (the largest per-lane cost
                                             # of scnn5's cores synthesized whole at the auto lanes)
STATIC_LANE_SAVING = 115   # a static first layer's lane (one small window word, a narrow current)

FIFO_CHOICES = 6   # auto_lanes tries LUT RAM for the lane FIFOs of up to this many layers (2^6 placements)

WORD_DEFAULT = 32   # the width of every layer unless chosen per layer: a lane ~40 % smaller than at 64
WORD_AUTO = "auto"  # auto_lanes chooses each layer's width with its lanes

# Block RAM model: each memory as yosys synth_xilinx maps it (it gives the BRAM of every core
# benchmarks/accel_resources.py synthesized for pynq-z2 and kv260 exactly, but one it overestimates)
RAMB18_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))   # depth x width
LUTRAM_MAX_BITS = 4096         # smaller memories, and any up to 64 deep, go to LUT RAM
GLUE_BRAM36 = 2.0              # the weight loader


# LUT RAM as yosys maps a simple dual-port memory: per family, (bits per primitive at 32 and at 64
# deep, LUTs per primitive): xc7 RAM32M / RAM64M (4 LUTs), xcup RAM32M16 / RAM64M8 (8 LUTs)
LUTRAM_PRIMITIVES = {"xc7": ((6, 3), 4), "xcup": ((14, 7), 8)}


def memory_bram36(depth, width, style=None):
    """36 Kb block RAMs (an 18 Kb one counts 0.5) of a ``depth`` x ``width`` memory: none in LUT
    RAM (``style`` ``"distributed"``, or the tool's choice for a small one: :data:`LUTRAM_MAX_BITS`),
    else the fewest 18 Kb blocks of one shape."""
    if style == "distributed" or (style is None and (depth <= 64 or depth * width <= LUTRAM_MAX_BITS)):
        return 0.0
    return min(-(-depth // d) * -(-width // w) for d, w in RAMB18_SHAPES) / 2


def lutram_luts(depth, width, family="xc7"):
    """LUTs of a ``depth`` x ``width`` memory placed in LUT RAM (``style="distributed"``): 64-deep
    primitives (32-deep when it is that shallow), a read multiplexer of one LUT per bit for every
    3 primitives after the first in depth, and one write decoder per primitive row."""
    (bits32, bits64), luts = LUTRAM_PRIMITIVES[family]
    rows = -(-depth // 64)
    cols = -(-width // (bits32 if depth <= 32 else bits64))
    return rows * cols * luts + width * -(-(rows - 1) // 3) + rows


def lane_luts(kind, word, static=False):
    """LUTs of one ``kind`` lane at mask word width ``word`` (a width :data:`LANE_LUTS` has);
    ``static``: the lane of a first layer with a static input (:data:`STATIC_LANE_SAVING`)."""
    if word not in LANE_LUTS:
        raise SpecError(f"word = {word!r}: builds use a mask word width of {' or '.join(map(str, sorted(LANE_LUTS)))}")
    return LANE_LUTS[word][kind] - (STATIC_LANE_SAVING if static else 0)


def build_words(spec, word):
    """The mask word width of each layer's core: ``word`` is a width of :data:`LANE_LUTS` for every
    layer, one per layer, or :data:`WORD_AUTO` (left unresolved by an ``auto`` allocation:
    :data:`WORD_DEFAULT` for every layer)."""
    words = layer_words(WORD_DEFAULT if word == WORD_AUTO else word, len(spec.layers))
    for w in words:
        lane_luts("conv", w)
    return words


def parse_word(text):
    """A ``--word`` option: ``'auto'``, one width, or comma-separated widths per layer."""
    if text == WORD_AUTO:
        return text
    try:
        ws = [int(v) for v in text.split(",")]
    except ValueError:
        raise SpecError(f"--word {text}: give 'auto', 32, 64 or one width per layer (e.g. 32,32,32,64,64)")
    return ws[0] if len(ws) == 1 else ws


def layer_fifo_rams(fifo_ram, n):
    """The lanes' entry-FIFO placement per layer as a tuple of ``n`` styles
    (:data:`~dualspike.rtl.weight_image.RAM_STYLES`): one for every layer or one per layer."""
    styles = (fifo_ram,) * n if fifo_ram in RAM_STYLES else fifo_ram
    if not isinstance(styles, (list, tuple)) or len(styles) != n or any(st not in RAM_STYLES for st in styles):
        raise SpecError(f"fifo_ram = {fifo_ram!r}: give one of {', '.join(map(repr, RAM_STYLES))} or one per "
                        f"layer ({n} layers)")
    return tuple(styles)


def parse_fifo_ram(text):
    """A ``--fifo-ram`` option: ``'auto'``, or one placement (``tool``, ``block``, ``distributed``)
    for every layer or comma-separated ones per layer."""
    if text == "auto":
        return text
    names = {"tool": None, "block": "block", "distributed": "distributed"}
    try:
        styles = [names[v] for v in text.split(",")]
    except KeyError:
        raise SpecError(f"--fifo-ram {text}: give 'auto' or {', '.join(names)} (one, or one per layer)") from None
    return styles[0] if len(styles) == 1 else styles


def estimate_resources(spec, lanes, capacities, t_max, word=WORD_DEFAULT, fifo_ram=None, family="xc7"):
    """``{"luts", "bram36"}`` estimate of a build (``word``: one width or one per layer; ``fifo_ram``:
    the lanes' entry-FIFO placement, one or one per layer; ``family`` of the device). LUTs: the
    model above, fitted to per-core yosys figures (the largest per-lane cost measured, so the
    estimate errs high: 1.02x the yosys figure of scnn5-mnist's pynq-z2 ``auto`` build), plus
    :func:`lutram_luts` of every memory placed in LUT RAM; BRAM: every lane's memories
    (:func:`~dualspike.rtl.blocks.sparsity_lane.lane_memories`) and the frame FIFOs by
    :func:`memory_bram36`, and the weight loader."""
    from .blocks.pixel_buffers import pixel_buffers
    from .blocks.sparsity_lane import lane_memories
    from .chain import frame_fifo_depth
    luts, bram = GLUE_LUTS, GLUE_BRAM36
    styles = layer_fifo_rams(fifo_ram, len(spec.layers))
    for i, (ls, L, cap, w) in enumerate(zip(spec.layers, lanes, capacities, build_words(spec, word))):
        geo = core_geometry(spec, i, L, word=w, tmax=t_max, value_depth=max(1, -(-cap // L)),
                            fifo_ram=styles[i])
        window_bits = geo.r * (1 if geo.static else geo.tmax)
        luts += CORE_LUTS + WINDOW_LUTS_PER_BIT * window_bits + L * (lane_luts(ls.kind, w, geo.static) + LANE_CTRL_LUTS)
        out_bits = ls.out_channels * (32 if geo.readout else t_max)
        nb = pixel_buffers(-(-ls.out_channels // L), ls.kind == "conv")
        if nb > 1:
            luts += BUFFER_LUTS_PER_BIT * out_bits
        if ls.kind == "conv":
            luts += BLANK_LUTS + (BLANK_LUTS_PER_BIT * out_bits if nb > 2 else 0)
        if i + 1 < len(spec.layers):
            luts += LINK_LUTS + t_max * ls.out_channels * (LINK_LUTS_PER_BIT + (POOL_LUTS_PER_BIT if ls.pool else 0))
            bram += memory_bram36(frame_fifo_depth(spec, i), t_max * ls.out_channels + 1)   # T·Co data bits + last
        mems = lane_memories(geo)
        bram += L * sum(memory_bram36(*m) for m in mems)
        luts += L * sum(lutram_luts(d, wd, family) for d, wd, st in mems if st == "distributed")
    return {"luts": int(luts), "bram36": float(bram)}


def fits(board, res):
    b = BOARDS[board]
    return res["luts"] <= LUT_BUDGET * b["luts"] and res["bram36"] <= BRAM_BUDGET * b["bram36"]


def default_capacities(spec, board="pynq-z2"):
    """Dense capacities when the value memories fit half the board's BRAM, else 25 % density."""
    dense = [spec.fan_in(i) * ls.out_channels for i, ls in enumerate(spec.layers)]
    bits = sum(d * ls.wbits for d, ls in zip(dense, spec.layers))
    if bits <= 0.5 * BOARDS[board]["bram36"] * 36864:
        return dense
    return [max(16, -(-d // 4)) for d in dense]


# ---- lanes ------------------------------------------------------------------------------------
class PairProfile:
    """Matched pairs per (t, frame, pixel, channel) and non-zero window words (at each width of
    :data:`LANE_LUTS`) of every layer on sample inputs ``x``: the cost model for any allocation of
    lanes and word widths without re-running the network."""

    def __init__(self, model, x, T=None):
        spec = model.spec
        self.spec, self.T = spec, spec.T if T is None else T
        r = golden.run(model, x, T=self.T, trace=True)
        frames, static, _ = encode(spec, x, self.T)
        n = x.shape[0]
        self.pairs, self.static, self.scan = [], [], {w: [] for w in LANE_LUTS}
        for i, lp in enumerate(model.layers):
            wmat = receptive_field_matrix(spec, i, lp.weight)
            self.pairs.append(pair_counts(spec, i, frames, static, wmat, self.T, n))
            self.static.append(static)
            for w in LANE_LUTS:
                self.scan[w].append(scan_cycles(spec, i, frames, static, self.T, n, w))
            if i + 1 < len(model.layers):
                o = r.traces[i].out                               # [N, T, C, H, W]
                frames = np.ascontiguousarray(o.transpose(1, 0, 3, 4, 2)).reshape(-1, *o.shape[3:], o.shape[2])
                static = False
        self.work = [channel_work(p) for p in self.pairs]       # pop cycles per channel, for orders

    def cycles(self, i, lanes):
        """Golden cost model (DESIGN.md §3): pair cycles only."""
        return float(layer_cycles(self.pairs[i], lanes, self.T, self.static[i]).mean())

    def order(self, i, lanes):
        """Layer ``i``'s channel order for ``lanes`` lanes that balances their loads (:func:`lane_order`)."""
        return lane_order(self.work[i], lanes)

    def orders(self, lanes):
        """:meth:`order` of every layer for a lanes-per-layer allocation."""
        return [self.order(i, L) for i, L in enumerate(lanes)]

    def engine_cycles(self, i, lanes, word=WORD_DEFAULT):
        """The issue-5 engine with ``word``-bit mask words: the golden cost model with the window
        scan (``scan_cycles``), with the channels in the order :meth:`order` gives."""
        return float(layer_cycles(self.pairs[i], lanes, self.T, self.static[i], self.scan[word][i],
                                  self.order(i, lanes)).mean())

    def bounds(self, i, lanes, word=WORD_DEFAULT, order=None):
        """What bounds layer ``i``'s engine cycles (:func:`~dualspike.golden.cost.layer_bounds`) with
        its channels in ``order`` (None: the model's), as means per frame
        ``{"pairs", "pops", "scan"}``."""
        b = layer_bounds(self.pairs[i], lanes, self.T, self.static[i], self.scan[word][i], order)
        return {k: float(v.mean()) for k, v in b._asdict().items()}

    def frame_cycles(self, lanes, word=WORD_DEFAULT, engine=True):
        words = layer_words(word, len(lanes))
        return max(self.engine_cycles(i, L, words[i]) if engine else self.cycles(i, L)
                   for i, L in enumerate(lanes))


def lane_choices(co):
    """Lane counts for ``co`` output channels that each give a different number of channel groups
    (fewer lanes with the same groups only idle lanes), ascending from 1 to ``co``."""
    return sorted({-(-co // g) for g in range(1, co + 1)})


class Allocation(NamedTuple):
    """What :func:`auto_lanes` chose: lanes, mask word width and lane-FIFO placement per layer, and
    the profile."""

    lanes: List[int]
    words: Tuple[int, ...]
    profile: PairProfile
    fifo_ram: Tuple[Optional[str], ...]


def auto_lanes(model, board="pynq-z2", x=None, capacities=None, t_max=None, word=WORD_AUTO):
    """Lanes (and, for ``word="auto"``, mask word widths) per layer minimising the engine's frame
    interval under the board budget.

    Every layer's options are (lanes of :func:`lane_choices`, a width of :data:`LANE_LUTS`, or the
    layer's fixed ``word``) with their cycles (:meth:`PairProfile.engine_cycles` on ``x``). For a
    target interval ``C`` each layer takes, of the options within ``C``, the one with the fewest
    lane LUTs; the smallest ``C`` (of the cycle counts the options reach) whose allocation
    :func:`fits` the board (:func:`estimate_resources`) wins. Each allocation takes the placement of
    the lanes' entry FIFOs (block RAM, or LUT RAM for some of the layers whose FIFOs hold the most
    block RAM) with the fewest LUTs that fits: a board with LUTs to spare, such as the KV260, trades
    them for block RAM and takes more lanes. ``x``: sample inputs (default: 32 of the spec's shape). If even one lane per layer does not
    fit, that is returned.
    """
    spec = model.spec
    if x is None:
        x = _sample_inputs(spec, 32)
    caps = capacities or default_capacities(spec, board)
    t_max = t_max or spec.T
    widths = [sorted(LANE_LUTS)] * len(spec.layers) if word == WORD_AUTO else \
        [[w] for w in build_words(spec, word)]
    prof = PairProfile(model, x)
    table = [[(L * lane_luts(ls.kind, w, prof.static[i]), prof.engine_cycles(i, L, w), L, w)
              for w in widths[i] for L in lane_choices(ls.out_channels)]
             for i, ls in enumerate(spec.layers)]

    from .blocks.sparsity_lane import lane_memories
    family = BOARDS[board]["family"]

    def placement(lanes, words):
        """The lane-FIFO placement with the fewest LUTs that fits, or None: every choice of LUT RAM
        for the (at most :data:`FIFO_CHOICES`) layers whose FIFOs hold the most block RAM."""
        if estimate_resources(spec, lanes, caps, t_max, words)["luts"] > LUT_BUDGET * BOARDS[board]["luts"]:
            return None                                   # LUT RAM only adds LUTs
        fifo_bram = [lanes[i] * memory_bram36(*lane_memories(core_geometry(
            spec, i, lanes[i], word=words[i], tmax=t_max))[0]) for i in range(n)]
        movable = sorted((i for i in range(n) if fifo_bram[i]), key=lambda i: -fifo_bram[i])[:FIFO_CHOICES]
        best = None
        for k in range(len(movable) + 1):
            for moved in itertools.combinations(movable, k):
                styles = tuple("distributed" if i in moved else None for i in range(n))
                est = estimate_resources(spec, lanes, caps, t_max, words, styles, family)
                if fits(board, est) and (best is None or est["luts"] < best[0]):
                    best = (est["luts"], styles)
        return best and best[1]

    def allocation(limit):
        picks = [min((o for o in options if o[1] <= limit), default=None) for options in table]
        if any(p is None for p in picks):
            return None
        lanes, words = [p[2] for p in picks], tuple(p[3] for p in picks)
        styles = placement(lanes, words)
        return None if styles is None else (lanes, words, styles)

    n = len(spec.layers)
    for limit in sorted({o[1] for options in table for o in options}):
        found = allocation(limit)
        if found is not None:
            return Allocation(found[0], found[1], prof, found[2])
    return Allocation([1] * n, tuple(min(w) for w in widths), prof, (None,) * n)


def _sample_inputs(spec, n, seed=0):
    rng = np.random.default_rng(seed)
    c, h, w = spec.input_shape
    if spec.encoding == "events":
        return (rng.random((n, spec.T, c, h, w)) < 0.1).astype(np.uint8)
    if spec.input_shape == (1, 28, 28):
        try:
            from dualspike.data import default_mnist, spread
            return spread(default_mnist("test")[0], n)
        except Exception:                                      # noqa: BLE001 - fall back to noise
            pass
    return rng.integers(0, 256, (n, c, h, w), dtype=np.uint8)


# ---- generation -------------------------------------------------------------------------------
def _git_sha():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=os.path.dirname(os.path.abspath(__file__)), timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def resolve_chain(chain):
    if callable(chain):
        return chain
    if chain == "passthrough":
        from .passthrough import passthrough_cores
        return passthrough_cores
    if chain == "cores":
        from .chain import core_chain
        return core_chain
    raise ValueError(f"chain = {chain!r}: use 'cores', 'passthrough' or a block factory")


def generate(spec, outdir, board="pynq-z2", lanes="auto", model=None, bake=False, t_max=None,
             capacities=None, fclk_mhz=None, chain="cores", sample=None, fifos=True, word=WORD_AUTO,
             order="auto", fifo_ram="auto"):
    """Write ``outdir/dualspike_top.v`` and ``outdir/dualspike_top.json``; return the description.

    ``model``: an :class:`~dualspike.model.IntegerModel` of ``spec`` — used by ``lanes="auto"``
    (pair statistics) and, with ``bake=True``, stored as the weight RAMs' initial contents.
    ``fifos``: a frame FIFO between consecutive cores (decouples them; a few block RAMs).
    ``word``: mask word width of the cores, 32 or 64 for every layer, one per layer, or ``"auto"``
    (the default: chosen per layer with ``lanes="auto"``, else 32). A 32-bit lane is ~40 % smaller
    (its pop logic is word-wide), so more lanes fit, while a scan reads up to twice as many words.
    ``order``: the cores' channel order per layer (:attr:`AcceleratorDescription.order`; None: the
    model's), ``"balance"``: :meth:`PairProfile.orders` of the model (or the statistics model) on
    ``sample``, or ``"auto"`` (the default): ``"balance"`` when ``lanes="auto"``, else None.
    ``fifo_ram``: where the lanes' entry FIFOs go, one style of
    :data:`~dualspike.rtl.weight_image.RAM_STYLES` or one per layer, or ``"auto"`` (the default):
    what :func:`auto_lanes` chose when ``lanes="auto"``, else the tool's choice (None).
    """
    from myhdl import Signal

    from .axil_regs import AxiLite
    from .top import AxiStream, TopConfig, accelerator_top

    if board not in BOARDS:
        raise SpecError(f"board = {board!r} is not one of {', '.join(BOARDS)}")
    if model is not None and model.spec != spec:
        raise SpecError(f"the model's spec ({model.spec.name}) differs from the spec to build ({spec.name})")
    if bake and model is None:
        raise SpecError("bake=True needs a model whose weights become the initial RAM contents")
    t_max = spec.T if t_max is None else int(t_max)
    build_words(spec, word)                                    # widths the build supports
    caps = list(capacities) if capacities is not None else default_capacities(spec, board)
    if model is not None:
        over = [(i, n, c) for i, (n, c) in enumerate(zip(model.nonzeros(), caps)) if n > c]
        if over:
            raise SpecError("model over capacity: " + ", ".join(f"layer {i} has {n} non-zeros > {c}"
                                                                for i, n, c in over))
    if order == "auto":
        order = "balance" if lanes == "auto" else None

    def stats_model():
        from dualspike.model import random_model
        return model if model is not None else random_model(spec, 0.06, 0)

    prof = None
    if isinstance(lanes, str):
        if lanes != "auto":
            raise SpecError(f"lanes = {lanes!r}: give a list of ints or 'auto'")
        lanes, word, prof, chosen = auto_lanes(stats_model(), board, sample, caps, t_max, word=word)
        fifo_ram = chosen if fifo_ram == "auto" else fifo_ram
    fifo_ram = layer_fifo_rams(None if fifo_ram == "auto" else fifo_ram, len(spec.layers))
    words = build_words(spec, word)
    lanes = [int(v) for v in lanes]
    if len(lanes) != len(spec.layers) or any(not 1 <= L <= ls.out_channels for L, ls in zip(lanes, spec.layers)):
        raise SpecError(f"lanes = {lanes}: one per layer, each in 1..out_channels "
                        f"({[ls.out_channels for ls in spec.layers]})")
    if isinstance(order, str):
        if order != "balance":
            raise SpecError(f"order = {order!r}: give one channel order per layer or 'balance'")
        prof = prof or PairProfile(stats_model(), sample if sample is not None else _sample_inputs(spec, 32))
        order = prof.orders(lanes)
    order = channel_orders(spec, order)
    cfg = TopConfig(spec, tuple(lanes), tuple(caps), t_max, resolve_chain(chain),
                    model if bake else None, word=words, extra={"fifo": bool(fifos)}, order=order,
                    fifo_ram=fifo_ram)
    os.makedirs(outdir, exist_ok=True)
    top = accelerator_top(Signal(bool(0)), Signal(bool(0)), AxiStream(64), AxiStream(32), AxiLite(12), cfg)
    with tempfile.TemporaryDirectory() as tmp:
        with open(to_verilog(top, tmp, MODULE)) as f:
            verilog = f.read()
    with open(os.path.join(outdir, MODULE + ".v"), "w") as f:
        f.write(verilog)
    import myhdl
    desc = AcceleratorDescription.for_spec(
        spec, lanes, caps, t_max, board=board,
        fclk_mhz=float(fclk_mhz or BOARDS[board]["fclk_mhz"]), weights_built_in=bool(bake), word=words, order=order,
        build={"generator": "dualspike.rtl.generate", "chain": chain if isinstance(chain, str) else "custom",
               "git": _git_sha(), "myhdl": myhdl.__version__, "module": MODULE, "frame_fifos": bool(fifos),
               "lane_fifo_ram": list(fifo_ram),
               "resources_estimate": estimate_resources(spec, lanes, caps, t_max, words, fifo_ram,
                                                        BOARDS[board]["family"]),
               "ports": {"clock": "ap_clk", "reset": "ap_rst_n (active low)", "in": "s_axis",
                         "out": "m_axis", "control": "s_axi_control"}})
    desc.save(os.path.join(outdir, MODULE + ".json"))
    return desc
