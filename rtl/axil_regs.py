"""AXI4-Lite register block, generated from :func:`dualspike.regmap.registers` (no offsets here).

Every register of the map becomes one read term ``value if addr == offset else 0``; the terms are
OR-ed into ``rdata``. ``CTRL`` and ``T`` are the writable registers; constants (``ID``, ``VERSION``,
``SPEC_HASH``, ``T_MAX``, ``NUM_LAYERS``) come from the map's reset values or the build.

Parameters
    ``num_layers``, ``spec_hash``, ``t_max`` (elaboration).
Ports
    ``bus``: :class:`AxiLite` slave (``awaddr/awvalid/awready``, ``wdata/wstrb/wvalid/wready``,
    ``bresp/bvalid/bready``, ``araddr/arvalid/arready``, ``rdata/rresp/rvalid/rready``);
    ``ctrl``: :class:`CtrlOut` (run, load_weights levels; soft_reset, clear_counters one-cycle pulses;
    ``t`` the runtime T, ``t_error`` a pulse when a T outside 1..T_MAX was written and refused);
    ``status``: ``{register name: Signal}`` for every read-only register that is not a constant.
Timing
    a write completes in 2 cycles (AW and W taken together, then B); a read in 2 (AR, then R).
    ``wstrb`` is ignored: registers are written as whole 32-bit words (as PYNQ ``write`` does).

Usage::

    bus = AxiLite(addr_w=12); ctrl = CtrlOut(t_max=4)
    regs = axil_regs(clk, rst, bus, ctrl, status, num_layers=5, spec_hash=0x1234, t_max=4)
"""
from myhdl import Signal, always, always_comb, block, intbv

from dualspike import regmap

CONSTANT = ("ID", "VERSION", "SPEC_HASH", "T_MAX", "NUM_LAYERS")
WRITABLE = ("CTRL", "T")


class AxiLite:
    """AXI4-Lite slave signals; an argument named ``s_axi_control`` flattens to ``s_axi_control_*``."""

    def __init__(self, addr_w=12):
        self.addr_w = addr_w
        self.awaddr = Signal(intbv(0)[addr_w:])
        self.awvalid, self.awready = Signal(bool(0)), Signal(bool(0))
        self.wdata = Signal(intbv(0)[32:])
        self.wstrb = Signal(intbv(0)[4:])
        self.wvalid, self.wready = Signal(bool(0)), Signal(bool(0))
        self.bresp = Signal(intbv(0)[2:])
        self.bvalid, self.bready = Signal(bool(0)), Signal(bool(0))
        self.araddr = Signal(intbv(0)[addr_w:])
        self.arvalid, self.arready = Signal(bool(0)), Signal(bool(0))
        self.rdata = Signal(intbv(0)[32:])
        self.rresp = Signal(intbv(0)[2:])
        self.rvalid, self.rready = Signal(bool(0)), Signal(bool(0))


class CtrlOut:
    """What software sets: CTRL fields and T."""

    def __init__(self, t_max):
        self.run, self.load_weights = Signal(bool(0)), Signal(bool(0))
        self.soft_reset, self.clear_counters = Signal(bool(0)), Signal(bool(0))
        self.t = Signal(intbv(t_max, min=0, max=max(t_max + 1, 256)))
        self.t_error = Signal(bool(0))


def _field(fields, name):
    return next(f.bit for f in fields if f.name == name)


@block
def _term(addr, value, out, offset):
    """``out = value`` (a Signal or an int constant) when ``addr == offset``, else 0."""
    @always_comb
    def logic():
        if addr == offset:
            out.next = value
        else:
            out.next = 0
    return logic


@block
def _or2(a, b, o):
    @always_comb
    def logic():
        o.next = a | b
    return logic


@block
def axil_regs(clk, rst, bus, ctrl, status, num_layers, spec_hash, t_max):
    regs = regmap.registers(num_layers)
    names = {r.name for r in regs}
    ro = [r.name for r in regs if r.name not in CONSTANT and r.name not in WRITABLE]
    missing = sorted(set(ro) - set(status))
    extra = sorted(set(status) - set(ro))
    if missing or extra:
        raise ValueError(f"axil_regs: status signals missing for {missing}, unknown {extra}")
    if not 1 <= t_max <= 255:
        raise ValueError(f"axil_regs: t_max = {t_max} must be in 1..255")
    consts = {r.name: r.reset for r in regs}
    consts.update(SPEC_HASH=spec_hash, T_MAX=t_max)
    ctrl_fields = next(r.fields for r in regs if r.name == "CTRL")
    b_run, b_sr = _field(ctrl_fields, "RUN"), _field(ctrl_fields, "SOFT_RESET")
    b_lw, b_cc = _field(ctrl_fields, "LOAD_WEIGHTS"), _field(ctrl_fields, "CLEAR_COUNTERS")
    off = {r.name: r.offset for r in regs}
    off_ctrl, off_t = off["CTRL"], off["T"]
    assert names >= set(CONSTANT) | set(WRITABLE)

    # # # read side: one term per register, OR-ed together
    raddr = Signal(intbv(0)[bus.addr_w:])
    ctrl_rd = Signal(intbv(0)[32:])
    t_rd = Signal(intbv(0)[32:])
    terms, insts = [], []
    for r in regs:
        o = Signal(intbv(0)[32:])
        if r.name in CONSTANT:
            insts.append(_term(raddr, consts[r.name], o, r.offset))
        else:
            v = {"CTRL": ctrl_rd, "T": t_rd}.get(r.name, status.get(r.name))
            insts.append(_term(raddr, v, o, r.offset))
        terms.append(o)
    while len(terms) > 1:                     # balanced OR tree
        nxt = []
        for i in range(0, len(terms) - 1, 2):
            o = Signal(intbv(0)[32:])
            insts.append(_or2(terms[i], terms[i + 1], o))
            nxt.append(o)
        if len(terms) % 2:
            nxt.append(terms[-1])
        terms = nxt
    rmux = terms[0]

    @always_comb
    def readback():
        v = intbv(0)[32:]
        v[b_run] = ctrl.run
        v[b_lw] = ctrl.load_weights
        ctrl_rd.next = v
        t_rd.next = ctrl.t

    # # # handshakes
    wtake = Signal(bool(0))

    @always_comb
    def ready():
        wtake.next = bus.awvalid and bus.wvalid and not bus.bvalid
        bus.awready.next = bus.awvalid and bus.wvalid and not bus.bvalid
        bus.wready.next = bus.awvalid and bus.wvalid and not bus.bvalid
        bus.arready.next = not bus.rvalid
        raddr.next = bus.araddr

    @always(clk.posedge)
    def seq():
        ctrl.soft_reset.next = 0
        ctrl.clear_counters.next = 0
        ctrl.t_error.next = 0
        bus.bresp.next = 0
        bus.rresp.next = 0
        if rst:
            bus.bvalid.next = 0
            bus.rvalid.next = 0
            bus.rdata.next = 0
            ctrl.run.next = 0
            ctrl.load_weights.next = 0
            ctrl.t.next = t_max
        else:
            if wtake:
                bus.bvalid.next = 1
                if bus.awaddr == off_ctrl:
                    ctrl.run.next = bus.wdata[b_run]
                    ctrl.load_weights.next = bus.wdata[b_lw]
                    ctrl.soft_reset.next = bus.wdata[b_sr]
                    ctrl.clear_counters.next = bus.wdata[b_cc]
                elif bus.awaddr == off_t:
                    if bus.wdata >= 1 and bus.wdata <= t_max:
                        ctrl.t.next = bus.wdata[8:]
                    else:
                        ctrl.t_error.next = 1
            elif bus.bready:
                bus.bvalid.next = 0
            if bus.arvalid and not bus.rvalid:
                bus.rvalid.next = 1
                bus.rdata.next = rmux
            elif bus.rready:
                bus.rvalid.next = 0

    return insts, readback, ready, seq
