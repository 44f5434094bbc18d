"""Board driver (pynq on the board; rtl-sim and golden backends off it). Never imports torch or myhdl."""
