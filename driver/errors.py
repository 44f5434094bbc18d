"""Driver errors: each names what is wrong and what to do about it (subclasses of DualspikeError)."""
from dualspike.errors import DualspikeError, InputError


class DriverError(DualspikeError, RuntimeError):
    """Base class of the errors the board driver raises."""


class OverlayMismatchError(DriverError):
    """The bitstream's ID / SPEC_HASH / T_MAX / NUM_LAYERS do not match the accelerator description
    or the model: the overlay was built from a different spec."""


class CapacityError(DriverError, ValueError):
    """A layer of the model has more non-zero weights than the accelerator's weight memory holds."""


class WeightLoadError(DriverError):
    """The accelerator rejected or mis-received the weight stream (ERROR_CODE set or CRC mismatch)."""


class DMAError(DriverError):
    """An AXI DMA channel reports an error bit (internal, slave or decode error)."""


class DMATimeoutError(DriverError, TimeoutError):
    """A DMA channel or the accelerator did not finish in time."""


class AcceleratorError(DriverError):
    """The accelerator's STATUS.ERROR is set; the message carries ERROR_CODE."""


class SensorRangeError(InputError):
    """Events fall outside the model's sensor (its input H × W)."""


class PowerSourceError(DriverError, ValueError):
    """A power source was given that cannot be used (wrong type, missing rail)."""
