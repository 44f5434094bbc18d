"""One error hierarchy for the whole project.

Every failure a user can cause raises a subclass of :class:`DualspikeError` whose message says what
is wrong, where, and what to do about it. Callers catch the base class; tests check the subclass.
"""


class DualspikeError(Exception):
    """Base class of every error dualspike raises on purpose."""


# ---- model description -----------------------------------------------------------------------
class SpecError(DualspikeError, ValueError):
    """A model spec is malformed: unknown key, wrong type, inconsistent shape."""


class ModelError(DualspikeError, ValueError):
    """Integer arrays do not match their spec (shape, dtype, value range)."""


# ---- weight file -------------------------------------------------------------------------------
class FormatError(DualspikeError, ValueError):
    """A bitmap weight file is not what it claims to be."""


class TruncatedFileError(FormatError):
    """The file ends before a section it announces."""


class BadMagicError(FormatError):
    """The file does not start with the dualspike magic bytes."""


class UnsupportedVersionError(FormatError):
    """The file's format version is newer or older than this reader supports."""


class ChecksumError(FormatError):
    """A section's CRC32 does not match its contents."""


class MaskMismatchError(FormatError):
    """A channel's mask popcount differs from its number of stored non-zero values."""


# ---- running ------------------------------------------------------------------------------------
class InputError(DualspikeError, ValueError):
    """Input data has the wrong shape, dtype or range for the model."""


class DataError(DualspikeError, OSError):
    """A data set cannot be found or read."""


class MissingExtraError(DualspikeError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def require(module, extra):
    """Import ``module`` or raise :class:`MissingExtraError` naming ``pip install dualspike[extra]``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{module} is not installed: run  pip install 'dualspike[{extra}]'  ({exc})") from exc
