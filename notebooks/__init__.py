"""The Jupyter notebooks, installed for pynq.notebooks (``pynq get-notebooks dualspike``)."""
