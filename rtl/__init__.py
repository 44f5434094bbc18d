"""Hardware track (MyHDL): blocks and the accelerator generator. Install dualspike[rtl]."""
try:                                    # the Verilator harness (dualspike.rtl.sim) needs no MyHDL
    from . import myhdl_speed as _myhdl_speed
    _myhdl_speed.install()
except ImportError:
    pass
