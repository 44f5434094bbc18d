"""Register map: no overlaps, generated views agree, the committed doc is current."""
import os

import pytest

from dualspike import regmap


@pytest.mark.parametrize("n", [1, 5, 7, regmap.MAX_LAYERS])
def test_offsets_unique_aligned_and_in_range(n):
    regs = regmap.registers(n)
    offs = [r.offset for r in regs]
    assert len(set(offs)) == len(offs) and all(o % 4 == 0 for o in offs)
    assert max(offs) < regmap.address_range(n)
    assert len({r.name for r in regs}) == len(regs)


def test_views_agree():
    n = 5
    pd, js, offs = regmap.pynq_dict(n), regmap.to_json_list(n), regmap.offsets(n)
    assert set(pd) == set(offs) == {r["name"] for r in js}
    for r in js:
        assert pd[r["name"]]["address_offset"] == offs[r["name"]] == r["offset"]
    assert pd["CTRL"]["fields"]["LOAD_WEIGHTS"]["bit_offset"] == 2
    for r in regmap.registers(n):
        bits = [b for f in r.fields for b in range(f.bit, f.bit + f.width)]
        assert len(bits) == len(set(bits)) and all(b < 32 for b in bits)


def test_committed_doc_is_current():
    path = os.path.join(os.path.dirname(__file__), "..", "docs", "registers.md")
    with open(path) as f:
        assert f.read() == regmap.to_markdown(), "run: python -m dualspike.regmap > docs/registers.md"


def test_bad_layer_count():
    with pytest.raises(ValueError, match="num_layers"):
        regmap.registers(0)
