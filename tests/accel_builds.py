"""Generated accelerators for the RTL tests, cached in build/tests/<key> (key = what the build is from).

A second test run with unchanged inputs reuses the Verilog (no MyHDL conversion) and the compiled
Verilator library (cached by the Verilog's hash in ``rtl.sim``).
"""
import hashlib
import json
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "tests")
GEN_FILES = ("rtl/generate.py", "rtl/top.py", "rtl/axil_regs.py", "rtl/weight_loader.py", "rtl/input_adapter.py",
             "rtl/output_adapter.py", "rtl/passthrough.py", "rtl/chain.py", "rtl/crc32_word.py", "rtl/interfaces.py",
             "rtl/weight_image.py", "rtl/allocation.py", "rtl/resources.py")


def _sources_digest():
    h = hashlib.sha256()
    repo = os.path.dirname(os.path.dirname(ROOT))
    for f in GEN_FILES:
        p = os.path.join(repo, f)
        if os.path.exists(p):
            h.update(open(p, "rb").read())
    blocks = os.path.join(repo, "rtl", "blocks")
    for f in sorted(os.listdir(blocks)) if os.path.isdir(blocks) else []:
        if f.endswith(".py"):
            h.update(open(os.path.join(blocks, f), "rb").read())
    return h.hexdigest()


def build(spec, lanes, chain="cores", capacities=None, model=None, bake=False, t_max=None, word=None, order=None,
          fifo_ram=None):
    """Generate (or reuse) an accelerator; returns its directory."""
    pytest.importorskip("myhdl")
    from dualspike import bitmap
    from dualspike.rtl.generate import generate
    key = hashlib.sha256(json.dumps({
        "spec": spec.to_dict(), "lanes": list(lanes), "chain": chain, "caps": capacities, "t_max": t_max, "word": word, "order": order,
        "fifo_ram": fifo_ram, "model": hashlib.sha256(bitmap.dumps(model)).hexdigest() if (bake and model is not None) else None,
        "src": _sources_digest()}, sort_keys=True).encode()).hexdigest()[:16]
    out = os.path.join(ROOT, key)
    if not os.path.exists(os.path.join(out, "dualspike_top.json")):
        kw = {} if word is None else {"word": word}
        generate(spec, out, lanes=list(lanes), chain=chain, capacities=capacities, model=model, bake=bake,
                 t_max=t_max, order=order, fifo_ram=fifo_ram, **kw)
    return out
