"""rtl.synth.path_depth on hand-made netlists (no yosys needed)."""
from dualspike.rtl.synth import logic_depth, path_depth


def _cell(kind, ins, outs):
    conns = {f"I{k}": [b] for k, b in enumerate(ins)}
    conns.update({f"O{k}": [b] for k, b in enumerate(outs)})
    dirs = {p: ("output" if p.startswith("O") else "input") for p in conns}
    return {"type": kind, "connections": conns, "port_directions": dirs}


def _chain():
    """FF(q=1) -> LUT6 -> MUXF7 -> CARRY4 -> LUT2 -> FF, and a short side path FF -> LUT3 -> FF."""
    return {"ff_a": _cell("FDRE", [9], [1]), "l1": _cell("LUT6", [1], [2]), "m": _cell("MUXF7", [2], [3]),
            "c": _cell("CARRY4", [3], [4]), "l2": _cell("LUT2", [4, 1], [5]), "ff_b": _cell("FDRE", [5], [6]),
            "side": _cell("LUT3", [6], [7]), "ff_c": _cell("FDRE", [7], [9])}


def test_weights_pick_what_counts():
    cells = _chain()
    assert path_depth(cells, lambda t: 1) == 4                                       # every cell
    assert path_depth(cells, lambda t: 0 if t.startswith("CARRY") else 1) == 3      # LUT + MUXF levels
    assert path_depth(cells, lambda t: int(t.startswith("LUT"))) == 2
    assert logic_depth({"modules": {"top": {"cells": cells}}}, "top") == 3          # MUXF 0, CARRY 1


def test_sequential_cells_cut_paths():
    cells = _chain()
    cells["l2"]["connections"]["I0"] = [1]            # the LUT2 now reads the FF, not the carry
    assert path_depth(cells, lambda t: 1) == 3        # LUT6 -> MUXF7 -> CARRY4 ends at a dead output
    assert path_depth({}, lambda t: 1) == 0
