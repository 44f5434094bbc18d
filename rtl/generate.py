"""The accelerator generator: spec + board + lanes → ``dualspike_top.v`` + accelerator description JSON.

>>> from dualspike.spec import builtin
>>> desc = generate(builtin("scnn5-mnist"), "build/scnn5", lanes=[4, 16, 16, 8, 2])   # doctest: +SKIP

``lanes`` is a list (one per layer) or ``"auto"``: :func:`~dualspike.rtl.allocation.auto_lanes` measures the model's matched
pairs and window words on sample inputs with the golden model and picks the lanes with the
shortest engine frame interval whose resource estimate
(:func:`~dualspike.rtl.resources.estimate_resources`) stays within
the board's LUT and BRAM budget, and (``word="auto"``, the default) each core's mask word width,
32 or 64 bits; a fixed ``word`` is one width or one per layer.
``capacities`` (non-zero weights per layer the value memories hold) default to the dense count
when it fits the board, so any retrained model of the same shape loads at run time.
:func:`plan_build` resolves and checks the options; :func:`generate` writes the build.
"""
import os
import subprocess
import tempfile
from typing import List, NamedTuple, Optional, Tuple

from dualspike.accel import BOARDS, AcceleratorDescription, channel_orders
from dualspike.data import sample_inputs
from dualspike.errors import SpecError

from .allocation import PairProfile, auto_lanes
from .resources import WORD_AUTO, build_words, default_capacities, estimate_resources, layer_fifo_rams

MODULE = "dualspike_top"


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


class BuildPlan(NamedTuple):
    """A build's parameters, resolved: lanes, mask word widths, channel order and lane-FIFO
    placement per layer, capacities and T_max."""

    lanes: List[int]
    words: Tuple[int, ...]
    order: tuple
    fifo_ram: Tuple[Optional[str], ...]
    capacities: List[int]
    t_max: int


def plan_build(spec, board="pynq-z2", lanes="auto", model=None, sample=None, capacities=None, t_max=None,
               word=WORD_AUTO, order="auto", fifo_ram="auto", target_cycles=None):
    """Resolve :func:`generate`'s build options (same meanings) into a :class:`BuildPlan`, checking
    them: ``lanes="auto"`` runs :func:`auto_lanes` on ``model`` (or a random model of 6 % density)
    and ``sample`` inputs (default: 32 of the spec's shape), toward ``target_cycles`` if given."""
    if board not in BOARDS:
        raise SpecError(f"board = {board!r} is not one of {', '.join(BOARDS)}")
    if model is not None and model.spec != spec:
        raise SpecError(f"the model's spec ({model.spec.name}) differs from the spec to build ({spec.name})")
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
    if (lanes == "auto" or order == "balance") and model is None:
        from dualspike.model import random_model
        model = random_model(spec, 0.06, 0)
    if (lanes == "auto" or order == "balance") and sample is None:
        sample = sample_inputs(spec, 32)
    prof, chosen = None, None
    if isinstance(lanes, str):
        if lanes != "auto":
            raise SpecError(f"lanes = {lanes!r}: give a list of ints or 'auto'")
        lanes, word, prof, chosen = auto_lanes(model, board, sample, caps, t_max, word=word,
                                               target_cycles=target_cycles)
    fifo_ram = layer_fifo_rams(fifo_ram, len(spec.layers), chosen)
    words = build_words(spec, word)
    lanes = [int(v) for v in lanes]
    if len(lanes) != len(spec.layers) or any(not 1 <= L <= ls.out_channels for L, ls in zip(lanes, spec.layers)):
        raise SpecError(f"lanes = {lanes}: one per layer, each in 1..out_channels "
                        f"({[ls.out_channels for ls in spec.layers]})")
    if isinstance(order, str):
        if order != "balance":
            raise SpecError(f"order = {order!r}: give one channel order per layer or 'balance'")
        order = (prof or PairProfile(model, sample)).orders(lanes)
    return BuildPlan(lanes, words, channel_orders(spec, order), fifo_ram, caps, t_max)


def generate(spec, outdir, board="pynq-z2", lanes="auto", model=None, bake=False, t_max=None,
             capacities=None, fclk_mhz=None, chain="cores", sample=None, fifos=True, word=WORD_AUTO,
             order="auto", fifo_ram="auto", target_cycles=None):
    """Write ``outdir/dualspike_top.v`` and ``outdir/dualspike_top.json``; return the description.

    ``model``: an :class:`~dualspike.model.IntegerModel` of ``spec`` — checked against the
    capacities, used by ``lanes="auto"`` (pair statistics) and, with ``bake=True``, stored as the
    weight RAMs' initial contents. The options are resolved by :func:`plan_build`.
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
    ``target_cycles``: with ``lanes="auto"``, the smallest build whose frame interval is within that
    many cycles (FINN's ``target_fps``) instead of the fastest that fits.
    """
    from myhdl import Signal

    from .axil_regs import AxiLite
    from .top import AxiStream, TopConfig, accelerator_top

    if bake and model is None:
        raise SpecError("bake=True needs a model whose weights become the initial RAM contents")
    p = plan_build(spec, board, lanes, model, sample, capacities, t_max, word, order, fifo_ram, target_cycles)
    cfg = TopConfig(spec, tuple(p.lanes), tuple(p.capacities), p.t_max, resolve_chain(chain),
                    model if bake else None, word=p.words, extra={"fifo": bool(fifos)}, order=p.order,
                    fifo_ram=p.fifo_ram)
    os.makedirs(outdir, exist_ok=True)
    top = accelerator_top(Signal(bool(0)), Signal(bool(0)), AxiStream(64), AxiStream(32), AxiLite(12), cfg)
    with tempfile.TemporaryDirectory() as tmp:
        with open(to_verilog(top, tmp, MODULE)) as f:
            verilog = f.read()
    with open(os.path.join(outdir, MODULE + ".v"), "w") as f:
        f.write(verilog)
    import myhdl
    desc = AcceleratorDescription.for_spec(
        spec, p.lanes, p.capacities, p.t_max, board=board,
        fclk_mhz=float(fclk_mhz or BOARDS[board]["fclk_mhz"]), weights_built_in=bool(bake), word=p.words, order=p.order,
        build={"generator": "dualspike.rtl.generate", "chain": chain if isinstance(chain, str) else "custom",
               "git": _git_sha(), "myhdl": myhdl.__version__, "module": MODULE, "frame_fifos": bool(fifos),
               "lane_fifo_ram": list(p.fifo_ram),
               "resources_estimate": estimate_resources(spec, p.lanes, p.capacities, p.t_max, p.words, p.fifo_ram,
                                                        BOARDS[board]["family"]),
               "ports": {"clock": "ap_clk", "reset": "ap_rst_n (active low)", "in": "s_axis",
                         "out": "m_axis", "control": "s_axi_control"}})
    desc.save(os.path.join(outdir, MODULE + ".json"))
    return desc
