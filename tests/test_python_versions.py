"""Board images run Python 3.10: every package of the distribution (the driver and the golden model
run on the board) must parse and import there. vermin checks syntax, standard-library names and
their arguments against the oldest Python the package declares (``python_requires``)."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("dualspike", "driver", "train", "rtl", "overlays")   # setup.py's package_dir roots


def oldest_python():
    """The ``python_requires`` floor of setup.py as ``"3.N"``."""
    with open(os.path.join(ROOT, "setup.py")) as f:
        return re.search(r'python_requires=">=(3\.\d+)"', f.read()).group(1)


def vermin(*paths):
    """vermin's exit code and report for ``paths`` against :func:`oldest_python` (code 1: a file
    needs a newer Python)."""
    cmd = [sys.executable, "-c", "import sys, vermin; sys.exit(vermin.main())", f"--target={oldest_python()}-", "--violations", "--no-tips",
           "--eval-annotations", "--no-parse-comments", *paths]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    return r.returncode, r.stdout + r.stderr


def test_packages_run_on_the_board_python():
    assert oldest_python() == "3.10"                     # the PYNQ board images' Python
    code, report = vermin(*PACKAGES)
    assert code == 0, f"code that needs a Python newer than {oldest_python()}:\n{report}"


@pytest.mark.parametrize("source,rule", [("import tomllib\n", "'tomllib' module"),             # 3.11 module
                                         ("try:\n    pass\nexcept* ValueError:\n    pass\n", "`except*`"),
                                         ("from typing import Self\n", "'typing.Self' member")])   # 3.11 name
def test_the_check_catches_newer_python(tmp_path, source, rule):
    path = tmp_path / "newer.py"
    path.write_text(source)
    code, report = vermin(str(path))
    assert code == 1 and f"{rule} requires !2, 3.11" in report, report
