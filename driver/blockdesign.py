"""The overlay's block design, described once: instance names, ports, DMA parameters and the address
map per board. ``overlays/make_tcl.py`` turns it into Vivado Tcl; :mod:`dualspike.driver.hwh` into the
matching ``.hwh`` (what Vivado writes beside the ``.bit``) for ``rtl-sim`` and the board-less tests.
"""
TOP_MODULE = "dualspike_top"          # the generated Verilog's top module (a BD module reference)
ACCEL_INSTANCE = "dualspike_0"
DMA_INSTANCE = "axi_dma_0"
ACCEL_VLNV = f"xilinx.com:module_ref:{TOP_MODULE}:1.0"
DMA_VLNV = "xilinx.com:ip:axi_dma:7.1"
ADDR_RANGE = 0x10000                  # 64 KiB segment for the DMA
CTRL_RANGE = 0x1000                   # 4 KiB for the control block (12-bit AXI4-Lite address)

# Accelerator ports (module reference; Vivado infers the interfaces from the prefixes).
CLOCK, RESETN = "ap_clk", "ap_rst_n"           # as dualspike.rtl.top names them
AXIL = "s_axi_control"                # AXI4-Lite slave: registers of dualspike.regmap
S_AXIS, M_AXIS = "s_axis", "m_axis"    # input stream 64-bit, output stream 32-bit
IN_WIDTH, OUT_WIDTH = 64, 32

# AXI DMA (PG021) in simple mode; names as in Vivado's CONFIG.* (PYNQ lower-cases them).
DMA_PARAMETERS = {
    "C_INCLUDE_SG": 0, "C_SG_LENGTH_WIDTH": 26, "C_MICRO_DMA": 0,
    "C_INCLUDE_MM2S": 1, "C_M_AXI_MM2S_DATA_WIDTH": 64, "C_M_AXIS_MM2S_TDATA_WIDTH": IN_WIDTH,
    "C_MM2S_BURST_SIZE": 16, "C_INCLUDE_MM2S_DRE": 0,
    "C_INCLUDE_S2MM": 1, "C_M_AXI_S2MM_DATA_WIDTH": 32, "C_S_AXIS_S2MM_TDATA_WIDTH": OUT_WIDTH,
    "C_S2MM_BURST_SIZE": 16, "C_INCLUDE_S2MM_DRE": 0,
}

PS_ZYNQ = dict(arch="zynq", modtype="processing_system7", vlnv="xilinx.com:ip:processing_system7:5.5",
               instance="processing_system7_0", master="M_AXI_GP0", slave="S_AXI_HP0",
               clock="FCLK_CLK0", resetn="FCLK_RESET0_N", dma_base=0x40400000, ctrl_base=0x43C00000,
               addr_width=32)
PS_ZYNQMP = dict(arch="zynqmp", modtype="zynq_ultra_ps_e", vlnv="xilinx.com:ip:zynq_ultra_ps_e:3.4",
                 instance="zynq_ultra_ps_e_0", master="M_AXI_HPM0_FPD", slave="S_AXI_HP0_FPD",
                 clock="pl_clk0", resetn="pl_resetn0", dma_base=0xA0000000, ctrl_base=0xA0010000,
                 addr_width=40)

BOARDS = {
    # board: PS, Vivado board part (None: part only), platform notes
    "pynq-z2": dict(PS_ZYNQ, board_part="tul.com.tw:pynq-z2:part0:1.0", part="xc7z020clg400-1"),
    "kv260": dict(PS_ZYNQMP, board_part="xilinx.com:kv260_som:part0:1.4", part="xck26-sfvc784-2LV-c"),
    "zcu104": dict(PS_ZYNQMP, board_part="xilinx.com:zcu104:part0:1.1", part="xczu7ev-ffvc1156-2-e"),
}


def board(name):
    if name not in BOARDS:
        raise ValueError(f"board {name!r} has no block design; boards: {', '.join(BOARDS)}")
    return BOARDS[name]
