"""RTL tests: make the shared harness importable and declare the ``slow`` marker."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
pytest.importorskip("myhdl")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long RTL simulations (still run in CI)")
