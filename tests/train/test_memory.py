"""Training keeps freed memory in the heap on Linux/glibc (the settings apply, in a fresh process).
Its effect on a whole run is measured in ``benchmarks/results/train_report.md`` (page faults of the
default recipe 271 M -> 4 M, wall time 33 min 8 s -> 22 min 45 s on 2 cores)."""
import platform
import subprocess
import sys

import pytest


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_keep_freed_memory_applies_on_glibc():
    probe = "from dualspike.train.loop import keep_freed_memory; print(keep_freed_memory())"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "True"
