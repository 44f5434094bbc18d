"""Write the ``.hwh`` Vivado produces for the dualspike block design (minimal, but parsed by PYNQ's
own metadata reader exactly as on the board): the PS with its PL clock, the AXI DMA with its
simple-mode parameters and PG021 registers, the accelerator as a module reference, the two AXI4-Stream
links and the address map of :mod:`dualspike.driver.blockdesign`.
"""
from xml.etree import ElementTree as ET

from . import blockdesign as bd
from .dma import PG021_REGISTERS


def _sub(parent, tag, **attrs):
    return ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})


def _params(mod, params):
    ps = _sub(mod, "PARAMETERS")
    for k, v in params.items():
        _sub(ps, "PARAMETER", NAME=k, VALUE=v)


def _port(ports, name, direction, signame, conns, left=None, sigis=None):
    attrs = dict(DIR=direction, NAME=name, SIGNAME=signame)
    if left is not None:
        attrs.update(LEFT=left, RIGHT=0)
    if sigis:
        attrs["SIGIS"] = sigis
    p = _sub(ports, "PORT", **attrs)
    cs = _sub(p, "CONNECTIONS")
    for inst, port in conns:
        _sub(cs, "CONNECTION", INSTANCE=inst, PORT=port)


def _bus(buses, name, kind, vlnv, portmaps, params=None):
    b = _sub(buses, "BUSINTERFACE", NAME=name, TYPE=kind, VLNV=vlnv, BUSNAME=f"{name}_bus")
    _params(b, params or {})
    pm = _sub(b, "PORTMAPS")
    for logical, physical in portmaps:
        _sub(pm, "PORTMAP", LOGICAL=logical, PHYSICAL=physical)


AXIMM, AXIS = "xilinx.com:interface:aximm:1.0", "xilinx.com:interface:axis:1.0"


def hwh_text(board_name, fclk_mhz=100.0, design="dualspike"):
    """The ``.hwh`` XML for ``board_name`` as a string."""
    b = bd.board(board_name)
    ps, dma, acc = b["instance"], bd.DMA_INSTANCE, bd.ACCEL_INSTANCE
    root = ET.Element("EDKSYSTEM", EDWVERSION="1.2", VIVADOVERSION="2022.2")
    _sub(root, "SYSTEMINFO", ARCH=b["arch"], DEVICE=b["part"], NAME=design, PACKAGE="", SPEEDGRADE="")
    _sub(root, "EXTERNALPORTS")
    _sub(root, "EXTERNALINTERFACES")
    mods = _sub(root, "MODULES")
    clk_sig, rst_sig = f"{ps}_{b['clock']}", f"{ps}_{b['resetn']}"

    # ---- processing system -----------------------------------------------------------------------
    m = _sub(mods, "MODULE", FULLNAME=f"/{ps}", INSTANCE=ps, IS_PL="FALSE", MODTYPE=b["modtype"], VLNV=b["vlnv"])
    if b["arch"] == "zynq":
        clkp = {"PCW_FPGA_FCLK0_ENABLE": 1, "PCW_FCLK0_PERIPHERAL_DIVISOR0": round(1000 / fclk_mhz),
                "PCW_FCLK0_PERIPHERAL_DIVISOR1": 1, "PCW_FCLK0_PERIPHERAL_CLKSRC": "IO PLL",
                "PCW_FPGA0_PERIPHERAL_FREQMHZ": fclk_mhz}
        for i in (1, 2, 3):
            clkp.update({f"PCW_FPGA_FCLK{i}_ENABLE": 0, f"PCW_FCLK{i}_PERIPHERAL_DIVISOR0": 1,
                         f"PCW_FCLK{i}_PERIPHERAL_DIVISOR1": 1, f"PCW_FCLK{i}_PERIPHERAL_CLKSRC": "IO PLL"})
    else:
        clkp = {"PSU__FPGA_PL0_ENABLE": 1, "PSU__CRL_APB__PL0_REF_CTRL__DIVISOR0": round(1500 / fclk_mhz),
                "PSU__CRL_APB__PL0_REF_CTRL__DIVISOR1": 1, "PSU__CRL_APB__PL0_REF_CTRL__SRCSEL": "IOPLL",
                "PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ": fclk_mhz}
        for i in (1, 2, 3):
            clkp.update({f"PSU__FPGA_PL{i}_ENABLE": 0, f"PSU__CRL_APB__PL{i}_REF_CTRL__DIVISOR0": 1,
                         f"PSU__CRL_APB__PL{i}_REF_CTRL__DIVISOR1": 1,
                         f"PSU__CRL_APB__PL{i}_REF_CTRL__SRCSEL": "IOPLL"})
    _params(m, clkp)
    ports = _sub(m, "PORTS")
    _port(ports, b["clock"], "O", clk_sig, [(dma, "s_axi_lite_aclk"), (acc, bd.CLOCK)], sigis="clk")
    _port(ports, b["resetn"], "O", rst_sig, [(dma, "axi_resetn"), (acc, bd.RESETN)], sigis="rst")
    buses = _sub(m, "BUSINTERFACES")
    _bus(buses, b["master"], "MASTER", AXIMM, [], {"PROTOCOL": "AXI4", "HAS_QOS": 0})
    _bus(buses, b["slave"], "SLAVE", AXIMM, [], {"PROTOCOL": "AXI4"})
    mm = _sub(m, "MEMORYMAP")
    for inst, base, size, itf in ((dma, b["dma_base"], bd.ADDR_RANGE, "S_AXI_LITE"),
                                  (acc, b["ctrl_base"], bd.CTRL_RANGE, bd.AXIL)):
        _sub(mm, "MEMRANGE", ADDRESSBLOCK="Reg", BASENAME="C_BASEADDR", BASEVALUE=f"0x{base:08X}",
             HIGHNAME="C_HIGHADDR", HIGHVALUE=f"0x{base + size - 1:08X}", INSTANCE=inst,
             IS_DATA="TRUE", IS_INSTRUCTION="TRUE", MASTERBUSINTERFACE=b["master"], MEMTYPE="REGISTER",
             SLAVEBUSINTERFACE=itf)

    # ---- AXI DMA --------------------------------------------------------------------------------
    m = _sub(mods, "MODULE", FULLNAME=f"/{dma}", INSTANCE=dma, IPTYPE="PERIPHERAL", MODCLASS="PERIPHERAL",
             MODTYPE="axi_dma", VLNV=bd.DMA_VLNV)
    blocks = _sub(m, "ADDRESSBLOCKS")
    ab = _sub(blocks, "ADDRESSBLOCK", ACCESS="read-write", INTERFACE="S_AXI_LITE", NAME="Reg", RANGE=4096,
              USAGE="register")
    regs = _sub(ab, "REGISTERS")
    for name, off in PG021_REGISTERS.items():
        r = _sub(regs, "REGISTER", NAME=name)
        for k, v in (("DESCRIPTION", name), ("ADDRESS_OFFSET", hex(off)), ("SIZE", 32),
                     ("ACCESS", "read-write"), ("IS_ENABLED", "true"), ("RESET_VALUE", 0)):
            _sub(r, "PROPERTY", NAME=k, VALUE=v)
    dma_params = dict(bd.DMA_PARAMETERS, C_ADDR_WIDTH=b["addr_width"])
    # Vivado writes each HDL generic twice: C_* and the user parameter c_* (PYNQ reads the latter).
    _params(m, dict(dma_params, C_BASEADDR=f"0x{b['dma_base']:08X}",
                    C_HIGHADDR=f"0x{b['dma_base'] + bd.ADDR_RANGE - 1:08X}",
                    **{k.lower(): v for k, v in dma_params.items()}))
    ports = _sub(m, "PORTS")
    _port(ports, "s_axi_lite_aclk", "I", clk_sig, [(ps, b["clock"])], sigis="clk")
    _port(ports, "axi_resetn", "I", rst_sig, [(ps, b["resetn"])], sigis="rst")
    for sig, direction, left, peer in (("tdata", "O", bd.IN_WIDTH - 1, "I"), ("tvalid", "O", None, "I"),
                                       ("tready", "I", None, "O"), ("tlast", "O", None, "I")):
        _port(ports, f"m_axis_mm2s_{sig}", direction, f"{dma}_M_AXIS_MM2S_{sig.upper()}",
              [(acc, f"{bd.S_AXIS}_{sig}")], left=left)
    for sig, direction, left in (("tdata", "I", bd.OUT_WIDTH - 1), ("tvalid", "I", None),
                                 ("tready", "O", None), ("tlast", "I", None)):
        _port(ports, f"s_axis_s2mm_{sig}", direction, f"{acc}_M_AXIS_{sig.upper()}",
              [(acc, f"{bd.M_AXIS}_{sig}")], left=left)
    buses = _sub(m, "BUSINTERFACES")
    _bus(buses, "S_AXI_LITE", "SLAVE", AXIMM, [], {"PROTOCOL": "AXI4LITE", "DATA_WIDTH": 32})
    _bus(buses, "M_AXI_MM2S", "MASTER", AXIMM, [], {"PROTOCOL": "AXI4", "DATA_WIDTH": 64})
    _bus(buses, "M_AXI_S2MM", "MASTER", AXIMM, [], {"PROTOCOL": "AXI4", "DATA_WIDTH": 32})
    _bus(buses, "M_AXIS_MM2S", "MASTER", AXIS, [(s.upper(), f"m_axis_mm2s_{s}") for s in
                                                 ("tdata", "tvalid", "tready", "tlast")],
         {"TDATA_NUM_BYTES": bd.IN_WIDTH // 8, "HAS_TLAST": 1})
    _bus(buses, "S_AXIS_S2MM", "SLAVE", AXIS, [(s.upper(), f"s_axis_s2mm_{s}") for s in
                                                ("tdata", "tvalid", "tready", "tlast")],
         {"TDATA_NUM_BYTES": bd.OUT_WIDTH // 8, "HAS_TLAST": 1})
    mm = _sub(m, "MEMORYMAP")
    for master in ("M_AXI_MM2S", "M_AXI_S2MM"):
        _sub(mm, "MEMRANGE", ADDRESSBLOCK="HP0_DDR_LOW", BASENAME="C_BASEADDR", BASEVALUE="0x00000000",
             HIGHNAME="C_HIGHADDR", HIGHVALUE="0x3FFFFFFF", INSTANCE=ps, IS_DATA="TRUE",
             IS_INSTRUCTION="TRUE", MASTERBUSINTERFACE=master, MEMTYPE="MEMORY", SLAVEBUSINTERFACE=b["slave"])

    # ---- accelerator (module reference) ------------------------------------------------------------
    m = _sub(mods, "MODULE", BDTYPE="", FULLNAME=f"/{acc}", INSTANCE=acc, IPTYPE="PERIPHERAL",
             MODCLASS="PERIPHERAL", MODTYPE=bd.TOP_MODULE, VLNV=bd.ACCEL_VLNV)
    _params(m, {"Component_Name": f"{design}_{acc}_0"})
    ports = _sub(m, "PORTS")
    _port(ports, bd.CLOCK, "I", clk_sig, [(ps, b["clock"])], sigis="clk")
    _port(ports, bd.RESETN, "I", rst_sig, [(ps, b["resetn"])], sigis="rst")
    for sig, direction, left in (("tdata", "I", bd.IN_WIDTH - 1), ("tvalid", "I", None),
                                 ("tready", "O", None), ("tlast", "I", None)):
        _port(ports, f"{bd.S_AXIS}_{sig}", direction, f"{dma}_M_AXIS_MM2S_{sig.upper()}",
              [(dma, f"m_axis_mm2s_{sig}")], left=left)
    for sig, direction, left in (("tdata", "O", bd.OUT_WIDTH - 1), ("tvalid", "O", None),
                                 ("tready", "I", None), ("tlast", "O", None)):
        _port(ports, f"{bd.M_AXIS}_{sig}", direction, f"{acc}_M_AXIS_{sig.upper()}",
              [(dma, f"s_axis_s2mm_{sig}")], left=left)
    buses = _sub(m, "BUSINTERFACES")
    _bus(buses, bd.AXIL, "SLAVE", AXIMM, [], {"PROTOCOL": "AXI4LITE", "DATA_WIDTH": 32})
    _bus(buses, bd.S_AXIS, "SLAVE", AXIS, [(s.upper(), f"{bd.S_AXIS}_{s}") for s in
                                           ("tdata", "tvalid", "tready", "tlast")],
         {"TDATA_NUM_BYTES": bd.IN_WIDTH // 8, "HAS_TLAST": 1})
    _bus(buses, bd.M_AXIS, "MASTER", AXIS, [(s.upper(), f"{bd.M_AXIS}_{s}") for s in
                                            ("tdata", "tvalid", "tready", "tlast")],
         {"TDATA_NUM_BYTES": bd.OUT_WIDTH // 8, "HAS_TLAST": 1})
    ET.indent(root) if hasattr(ET, "indent") else None
    return '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n' + ET.tostring(root, encoding="unicode")


def write_overlay_stub(directory, board_name, desc=None, stem="dualspike", fclk_mhz=None):
    """Write ``<stem>.hwh``, an empty ``<stem>.bit`` placeholder and (if given) ``<stem>.json``
    into ``directory``; returns the ``.bit`` path (what ``pynq.Overlay`` takes)."""
    import os

    os.makedirs(directory, exist_ok=True)
    fclk = fclk_mhz or (desc.fclk_mhz if desc is not None else 100.0)
    with open(os.path.join(directory, stem + ".hwh"), "w") as f:
        f.write(hwh_text(board_name, fclk, stem))
    bit = os.path.join(directory, stem + ".bit")
    with open(bit, "wb") as f:
        f.write(b"")
    if desc is not None:
        desc.save(os.path.join(directory, stem + ".json"))
    return bit
