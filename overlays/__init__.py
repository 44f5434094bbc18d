"""Built dualspike overlays, one folder per board (``pynq-z2/dualspike.bit`` + ``.hwh`` + ``.json``).

Installed as ``dualspike.overlays`` and registered under PYNQ's ``pynq.overlays`` entry point, so
``pynq.Overlay("dualspike.bit")`` and ``dualspike.driver.overlay_dir(board)`` find them.
"""
