"""RTL building blocks, one module per generated Verilog module."""
