"""Built dualspike overlays, one folder per board (``pynq-z2/dualspike.bit`` + ``.hwh`` + ``.json``).

Installed as ``dualspike.overlays`` and registered under PYNQ's ``pynq.overlays`` entry point so
PYNQ's tooling lists it; the driver picks the board's folder itself:
``dualspike.driver.load("pynq-z2")`` / ``dualspike.driver.overlay_dir("kv260")``.
"""
