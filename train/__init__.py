"""Training track (torch): LIF layers, gradient rewiring, LSQ, export. Install dualspike[train].

Public entry points::

    from dualspike.train import recipes, train
    report = train(recipes.get("quick"), "runs/quick")     # trains, exports, checks bit-exactness

Modules: :mod:`.neurons` (multi-step LIF, ATan surrogate, integer mode), :mod:`.quant` (modified
LSQ), :mod:`.gradr` (gradient rewiring), :mod:`.models` (network from a spec), :mod:`.export`
(integer model, silent-channel removal, bit-exact check), :mod:`.recipes`, :mod:`.loop`, :mod:`.cli`.
"""
from dualspike.errors import require as _require

_require("torch", "train")

from .export import ExportError, check_bit_exact, export, remove_silent  # noqa: E402
from .gradr import GradRewiring, TrainError  # noqa: E402
from .loop import CheckpointError, load_checkpoint, train  # noqa: E402
from .models import SpikingNet, int_forward  # noqa: E402
from .recipes import Recipe  # noqa: E402

__all__ = ["CheckpointError", "ExportError", "GradRewiring", "Recipe", "SpikingNet", "TrainError",
           "check_bit_exact", "export", "int_forward", "load_checkpoint", "remove_silent", "train"]
