"""The accelerator top level: input adapter → layer cores → output adapter, with AXI interfaces.

Port convention (Vivado HLS style, inferred by the IP packager and the block design)::

    ap_clk, ap_rst_n                         clock, active-low synchronous reset
    s_axis_tdata[63:0] tvalid tready tlast   frames (CTRL.RUN) or weights (CTRL.LOAD_WEIGHTS)
    m_axis_tdata[31:0] tvalid tready tlast   one int32 per class, TLAST on a frame's last class
    s_axi_control_*                          AXI4-Lite, the registers of dualspike.regmap

Data path::

    s_axis ─┬─ LOAD_WEIGHTS ─► weight_loader ──(write bus)──► core RAMs
            └─ RUN ──────────► input_adapter ─► core 0 ─► … ─► core L-1 ─► output_adapter ─► m_axis

``CTRL.SOFT_RESET`` resets the data path, the counters and the error code for one cycle; the
control registers and the weight memories keep their contents. ``ERROR_CODE`` holds the last error
(1 over capacity, 2 malformed weight stream, 3 T out of range, 4 frame length mismatch).

Usage::

    top = accelerator_top(ap_clk, ap_rst_n, s_axis, m_axis, s_axi_control, cfg=TopConfig(...))
    top.convert(hdl="Verilog", name="dualspike_top", initial_values="skip_zero_mem_init")
"""
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

from myhdl import ResetSignal, Signal, always, always_comb, block, intbv, modbv

from dualspike import regmap
from dualspike.spec import ModelSpec

from .axil_regs import CtrlOut, axil_regs
from .input_adapter import input_adapter, pixel_width
from .output_adapter import output_adapter
from .interfaces import Global, Stream
from .weight_loader import LoaderBus, weight_loader


class AxiStream:
    """AXI4-Stream port signals; an argument ``s_axis`` flattens to ``s_axis_tdata`` …"""

    def __init__(self, width):
        self.tdata = Signal(intbv(0)[width:])
        self.tvalid, self.tready, self.tlast = Signal(bool(0)), Signal(bool(0)), Signal(bool(0))


@dataclass
class TopConfig:
    """What the top is built from. ``chain(glbl, pix, out, t, bus, spikes, pairs, busy, cfg)``
    builds the layer cores (``pix``: pixel stream in, ``out``: 32-bit class stream, ``spikes``/``pairs``:
    per-layer 32-bit counters of the last frame, ``busy``: per-layer flags, high on the cycles a core
    works; the top counts them); ``model`` is baked in as initial RAM contents."""

    spec: ModelSpec
    lanes: Tuple[int, ...]
    capacities: Tuple[int, ...]
    t_max: int
    chain: Callable
    model: Optional[object] = None
    word: object = 64               # mask word width of the cores and of the weight stream's masks:
                                    # one int, or one per layer
    extra: dict = field(default_factory=dict)
    order: Optional[tuple] = None   # per layer: the cores' channel order (AcceleratorDescription.order)
    fifo_ram: Optional[tuple] = None  # per layer: where the lanes' entry FIFOs go (None: the tool's choice)


@block
def cycle_counter(clk, rst, clear, en, count):
    """``count`` (32 bits, wraps) += 1 on every cycle with ``en`` high; zeroed by ``rst`` or ``clear``."""
    acc = Signal(modbv(0)[32:])

    @always(clk.posedge)
    def seq():
        if rst or clear:
            acc.next = 0
        elif en:
            acc.next = acc + 1

    @always_comb
    def out():
        count.next = acc
    return seq, out


@block
def _error_reg(clk, rst, wl_stb, wl_code, t_err, frame_err, code):
    @always(clk.posedge)
    def seq():
        if rst:
            code.next = 0
        elif wl_stb:
            code.next = wl_code
        elif t_err:
            code.next = 3
        elif frame_err:
            code.next = 4
    return seq


@block
def accelerator_top(ap_clk, ap_rst_n, s_axis, m_axis, s_axi_control, cfg):
    spec, nl = cfg.spec, len(cfg.spec.layers)
    if len(s_axis.tdata) != 64 or len(m_axis.tdata) != 32:
        raise ValueError(f"top: s_axis must be 64 bits and m_axis 32, got {len(s_axis.tdata)}, {len(m_axis.tdata)}")
    if not 1 <= cfg.t_max <= 255:
        raise ValueError(f"top: t_max = {cfg.t_max} must be in 1..255")
    rst = ResetSignal(1, active=1, isasync=False)
    glbl = Global()
    glbl.clk, glbl.rst = ap_clk, rst
    ctrl = CtrlOut(cfg.t_max)

    # # # counters and status
    status = {r.name: Signal(intbv(0)[32:]) for r in regmap.registers(nl)
              if r.name not in ("ID", "VERSION", "SPEC_HASH", "T_MAX", "NUM_LAYERS", "CTRL", "T")}
    spikes = [status[f"LAYER{i}_SPIKES"] for i in range(nl)]
    pairs = [status[f"LAYER{i}_PAIRS"] for i in range(nl)]
    busy = [Signal(bool(0)) for _ in range(nl)]
    bus_rst = ResetSignal(0, active=1, isasync=False)
    regs = axil_regs(ap_clk, bus_rst, s_axi_control, ctrl, status, nl, spec.hash32(), cfg.t_max)

    # # # input routing
    wl_s, ia_s = AxiStream(64), AxiStream(64)
    pix, out = Stream(pixel_width(spec, cfg.t_max)), Stream(32)
    wbus = LoaderBus(nl, max(cfg.lanes))
    wl_busy, loaded = Signal(bool(0)), Signal(bool(cfg.model is not None))
    wl_err, wl_stb = Signal(intbv(0)[2:]), Signal(bool(0))
    crc = Signal(intbv(0)[32:])
    frame_err, first = Signal(bool(0)), Signal(bool(0))
    inflight = Signal(intbv(0)[32:])
    code = Signal(intbv(0)[3:])

    @always_comb
    def route():
        bus_rst.next = not ap_rst_n
        rst.next = (not ap_rst_n) or ctrl.soft_reset
        wl_s.tdata.next = s_axis.tdata
        wl_s.tlast.next = s_axis.tlast
        ia_s.tdata.next = s_axis.tdata
        ia_s.tlast.next = s_axis.tlast
        wl_s.tvalid.next = s_axis.tvalid and ctrl.load_weights
        ia_s.tvalid.next = s_axis.tvalid and ctrl.run and not ctrl.load_weights
        if ctrl.load_weights:
            s_axis.tready.next = wl_s.tready
        elif ctrl.run:
            s_axis.tready.next = ia_s.tready
        else:
            s_axis.tready.next = 0

    loader = weight_loader(ap_clk, rst, wl_s, wbus, wl_busy, loaded, wl_err, wl_stb, crc, spec, cfg.lanes,
                           cfg.capacities, word=cfg.word)
    adapter = input_adapter(ap_clk, rst, ia_s, pix, frame_err, first, spec, cfg.t_max)
    chain = cfg.chain(glbl, pix, out, ctrl.t, wbus, spikes, pairs, busy, cfg)
    busy_counters = [cycle_counter(ap_clk, rst, ctrl.clear_counters, busy[i], status[f"LAYER{i}_BUSY"])
                     for i in range(nl)]
    oadapt = output_adapter(ap_clk, rst, ctrl.clear_counters, out, m_axis, first, status["FRAMES"],
                            status["LATENCY_CYCLES"], status["INTERVAL_CYCLES"], status["STALL_CYCLES"], inflight)
    errs = _error_reg(ap_clk, rst, wl_stb, wl_err, ctrl.t_error, frame_err, code)

    st_reg, ec_reg, crc_reg = status["STATUS"], status["ERROR_CODE"], status["WEIGHT_CRC"]
    frames = status["FRAMES"]
    bit = {f.name: f.bit for f in regmap.STATUS_FIELDS}
    b_busy, b_done, b_err, b_loaded = bit["BUSY"], bit["DONE"], bit["ERROR"], bit["WEIGHTS_LOADED"]

    @always_comb
    def status_word():
        v = intbv(0)[32:]
        v[b_busy] = inflight != 0 or wl_busy
        v[b_done] = frames != 0
        v[b_err] = code != 0
        v[b_loaded] = loaded
        st_reg.next = v
        ec_reg.next = code
        crc_reg.next = crc

    return regs, route, loader, adapter, chain, busy_counters, oadapt, errs, status_word
