"""dualspike: pruned, 4-bit spiking conv nets on a dual-side-sparse Zynq accelerator.

The ground floor (this package) needs numpy only: the model spec, the fixed-point contract, the
integer and golden models, the bitmap weight file, the cost model, data readers and the CLI.
"""
from .errors import DualspikeError
from .model import IntegerModel, LayerParams, random_model
from .spec import LayerSpec, ModelSpec, builtin

__version__ = "0.1.0"
__all__ = ["DualspikeError", "IntegerModel", "LayerParams", "LayerSpec", "ModelSpec", "builtin",
           "random_model", "__version__"]
