"""The committed notebooks are the ones tools/make_notebooks.py writes (they run in CI with
``DUALSPIKE_NB_QUICK=1 python -m pytest --nbmake notebooks``), and they stay thin."""
import json
import os
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))


def test_notebooks_are_current_and_stripped():
    pytest.importorskip("nbformat")
    import make_notebooks
    assert make_notebooks.main(check=True) == [], "run: python tools/make_notebooks.py"
    for name in make_notebooks.NOTEBOOKS:
        nb = json.load(open(os.path.join(ROOT, "notebooks", name)))
        for cell in nb["cells"]:
            src = "".join(cell["source"])
            assert not cell.get("outputs"), f"{name}: outputs must be stripped"
            assert "class " not in src and "def " not in src, f"{name}: logic belongs in the package"
            assert src.count("\n") < 8, f"{name}: keep cells to one step"
