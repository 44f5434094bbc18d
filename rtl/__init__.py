"""Hardware track (MyHDL): blocks and the accelerator generator. Install dualspike[rtl]."""
