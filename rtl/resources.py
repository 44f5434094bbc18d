"""What a build costs: the resource model of the generator's build options (lanes, mask word
widths, lane-FIFO placement, capacities), calibrated against yosys ``synth_xilinx`` of the generated
cores in ``benchmarks/accel_resources.py``, and the board budget a build must fit.

>>> from dualspike.spec import builtin
>>> spec = builtin("scnn5-mnist")
>>> fits("pynq-z2", estimate_resources(spec, [6, 16, 11, 4, 1], default_capacities(spec), 4))   # doctest: +SKIP
True
"""
from dualspike.accel import BOARDS
from dualspike.errors import SpecError
from dualspike.golden.cost import layer_words

from .weight_image import RAM_STYLES, core_geometry

LUT_BUDGET, BRAM_BUDGET = 0.70, 0.80   # of the board's LUTs and 36 Kb block RAMs a build may use

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
LUT_MARGIN = 1.03          # the estimate has come within 3 % of yosys on the whole top of every auto build
                           # measured, once 1.7 % short (pynq-z2 9,15,8,5,1 with 32-bit words in layers 0-1:
                           # 37,335 LUT = 70.2 % against 36,701 estimated, 2026-12-08); the budget keeps this margin
FLAT_LUT_FACTOR = 0.96     # yosys on the whole top, flattened, trims about 4 % of the sum of its cores and
                           # glue synthesized apart (the auto builds: 34,561 / 35,964 LUT on pynq-z2 and
                           # 59,651 / 61,816 on kv260, accel_<model>_<board>.md against accel_resources_*)


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


def layer_fifo_rams(fifo_ram, n, chosen=None):
    """The lanes' entry-FIFO placement per layer as a tuple of ``n`` styles
    (:data:`~dualspike.rtl.weight_image.RAM_STYLES`): one for every layer, one per layer, or
    ``"auto"``: ``chosen`` (the placement :func:`auto_lanes` chose), else the tool's (None)."""
    if fifo_ram == "auto":
        fifo_ram = None if chosen is None else chosen
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
    model above, fitted to per-core yosys figures (the largest per-lane cost measured), plus
    :func:`lutram_luts` of every memory placed in LUT RAM, for the whole top synthesized flat
    (:func:`flat_top_luts`) (it errs high: 1.02x the whole-top yosys figure of scnn5-mnist's
    pynq-z2 ``auto`` build of 2026-12-07); BRAM: every lane's memories
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
    return {"luts": int(flat_top_luts(luts)), "bram36": float(bram)}


def flat_top_luts(luts):
    """LUTs of a design whose cores and glue, synthesized apart, take ``luts``, once yosys synthesizes
    the whole top flat (:data:`FLAT_LUT_FACTOR`): the figure the board's LUT budget holds for."""
    return FLAT_LUT_FACTOR * luts


def lut_limit(board):
    """The most LUTs an estimate may hold on ``board``: the budget (:data:`LUT_BUDGET`) less the
    estimate's margin (:data:`LUT_MARGIN`), so that yosys on the build stays within the budget."""
    return LUT_BUDGET * BOARDS[board]["luts"] / LUT_MARGIN


def fits(board, res):
    """Does an estimate ``res`` (:func:`estimate_resources`) fit ``board``'s budget?"""
    b = BOARDS[board]
    return res["luts"] <= lut_limit(board) and res["bram36"] <= BRAM_BUDGET * b["bram36"]


def default_capacities(spec, board="pynq-z2"):
    """Dense capacities when the value memories fit half the board's BRAM, else 25 % density."""
    dense = [spec.fan_in(i) * ls.out_channels for i, ls in enumerate(spec.layers)]
    bits = sum(d * ls.wbits for d, ls in zip(dense, spec.layers))
    if bits <= 0.5 * BOARDS[board]["bram36"] * 36864:
        return dense
    return [max(16, -(-d // 4)) for d in dense]

