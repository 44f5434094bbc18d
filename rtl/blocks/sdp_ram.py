"""Simple dual-port RAM: one write port, one registered read port, an optional placement.

    always @(posedge clk): if (we) mem[waddr] <= din;  if (re) dout <= mem[raddr]   (read first)

``style`` sets where synthesis puts the memory: ``None`` leaves it to the tool (yosys and Vivado
put small memories in LUT RAM and large ones in block RAM), ``"block"`` or ``"distributed"`` (LUT
RAM) emit ``(* ram_style = ... *)`` on the memory, which yosys ``synth_xilinx`` and Vivado honour.
The Verilog is written out here (MyHDL user-defined code) because MyHDL cannot attach attributes;
the MyHDL simulation runs the same read-first behaviour. Contents start undefined (no initial
values): it holds the lanes' entry FIFOs, which are written before they are read.

Ports
    ``clk`` in, ``we`` in, ``waddr`` in, ``din`` in, ``re`` in, ``raddr`` in, ``dout`` out
    (registered, ``len(din)`` bits).
"""
from myhdl import always, block

from ..weight_image import check_style


@block
def sdp_ram(clk, we, waddr, din, re, raddr, dout, depth, style=None):
    check_style(style)
    if len(dout) != len(din):
        raise ValueError(f"sdp_ram: dout is {len(dout)} bits, din {len(din)}")
    attr = f'(* ram_style = "{style}" *)' if style else ""
    top, last = len(din) - 1, depth - 1
    store = [0] * depth          # a Python list, not Signals: the Verilog below declares the memory

    @always(clk.posedge)
    def access():
        if re:
            dout.next = store[int(raddr)]
        if we:
            store[int(waddr)] = int(din)

    dout.driven = "reg"
    for s in (we, waddr, din, re, raddr):
        s.read = True
    return access


sdp_ram.verilog_code = """
$attr
reg [$top:0] ${dout}_mem [0:$last];
always @(posedge $clk) begin
    if ($we) ${dout}_mem[$waddr] <= $din;
    if ($re) $dout <= ${dout}_mem[$raddr];
end
"""
