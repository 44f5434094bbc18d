"""Shared test set-up: test helpers importable, board tests skipped without a board."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


def _on_board():
    return os.path.exists("/home/xilinx") or os.environ.get("DUALSPIKE_BOARD") == "1"


def pytest_collection_modifyitems(config, items):
    if _on_board():
        return
    skip = pytest.mark.skip(reason="needs a PYNQ board (set DUALSPIKE_BOARD=1 on one)")
    for item in items:
        if "board" in item.keywords:
            item.add_marker(skip)
