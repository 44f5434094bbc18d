"""Helpers shared by the driver tests (a module of its own: ``conftest`` names clash across folders)."""
from dualspike.accel import AcceleratorDescription


def description(model, board="pynq-z2", slack=16, **kw):
    """An accelerator description for ``model`` with two lanes per layer and ``slack`` spare capacity."""
    return AcceleratorDescription.for_spec(model.spec, [2] * len(model.spec.layers),
                                           [n + slack for n in model.nonzeros()], board=board, **kw)
