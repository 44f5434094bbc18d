"""The accelerator's AXI4-Lite register map, described once.

Everything else is generated from :func:`registers`: the RTL decoder (``dualspike.rtl``), the
driver's accessors and PYNQ-style ``register_map`` dict (:func:`pynq_dict`), the accelerator
description JSON (:func:`to_json_list`) and ``docs/registers.md`` (:func:`to_markdown`; a test fails
when the committed file is stale). All registers are 32 bits wide at byte offsets.

Frames flow whenever ``CTRL.RUN`` is set; ``CTRL.LOAD_WEIGHTS`` routes the input stream to the weight
memories instead (see :mod:`dualspike.streams`). Counters count since the last soft reset or
``CTRL.CLEAR_COUNTERS``; per-layer spike and pair counters hold the values of the last completed frame,
per-layer busy counters count on (read them before and after a batch: the difference over the frames
is each layer's mean busy cycles per frame, the per-layer figure of the cost model).
"""
from typing import NamedTuple, Tuple

ID_VALUE = 0x4453504B          # "DSPK"
VERSION_VALUE = 0x00010001     # major 1, minor 1 (1.1: per-layer busy counters)
LAYER_BASE = 0x40              # per-layer counter block
LAYER_STRIDE = 12              # bytes per layer: SPIKES, PAIRS, BUSY
MAX_LAYERS = 24

RO, RW = "ro", "rw"


class Field(NamedTuple):
    name: str
    bit: int
    width: int
    doc: str


class Register(NamedTuple):
    name: str
    offset: int
    access: str                    # "ro" | "rw"
    reset: int
    doc: str
    fields: Tuple[Field, ...] = ()


CTRL_FIELDS = (
    Field("RUN", 0, 1, "1: accept frames from the input stream"),
    Field("SOFT_RESET", 1, 1, "write 1: reset the datapath and counters (self-clearing; weights kept)"),
    Field("LOAD_WEIGHTS", 2, 1, "1: the input stream carries a weight stream into the weight memories"),
    Field("CLEAR_COUNTERS", 3, 1, "write 1: clear FRAMES, STALL_CYCLES and the layer counters (self-clearing)"),
)
STATUS_FIELDS = (
    Field("BUSY", 0, 1, "a frame is in flight"),
    Field("DONE", 1, 1, "at least one frame completed since the last clear"),
    Field("ERROR", 2, 1, "ERROR_CODE is non-zero"),
    Field("WEIGHTS_LOADED", 3, 1, "a complete weight stream has been loaded (or weights are built in)"),
)
ERROR_CODES = {0: "none", 1: "weight stream over a layer's capacity", 2: "malformed weight stream header",
               3: "T outside 1..T_MAX", 4: "input frame length mismatch (TLAST early or late)"}


def registers(num_layers):
    """The full register list for an accelerator with ``num_layers`` layers."""
    if not 1 <= num_layers <= MAX_LAYERS:
        raise ValueError(f"num_layers = {num_layers} must be in 1..{MAX_LAYERS}")
    regs = [
        Register("ID", 0x00, RO, ID_VALUE, "identification, reads 0x4453504B ('DSPK')"),
        Register("VERSION", 0x04, RO, VERSION_VALUE, "hardware version, major << 16 | minor"),
        Register("SPEC_HASH", 0x08, RO, 0, "first 32 bits of the SHA-256 of the built model spec"),
        Register("CTRL", 0x0C, RW, 0, "control", CTRL_FIELDS),
        Register("STATUS", 0x10, RO, 0, "status", STATUS_FIELDS),
        Register("ERROR_CODE", 0x14, RO, 0, "last error: " + "; ".join(f"{k} {v}" for k, v in ERROR_CODES.items())),
        Register("T", 0x18, RW, 0, "runtime time steps, 1..T_MAX (reset value: T_MAX)"),
        Register("T_MAX", 0x1C, RO, 0, "largest T the build supports"),
        Register("FRAMES", 0x20, RO, 0, "frames completed"),
        Register("LATENCY_CYCLES", 0x24, RO, 0, "cycles from the last frame's first input beat to its last output beat"),
        Register("INTERVAL_CYCLES", 0x28, RO, 0, "cycles between the last two frame completions"),
        Register("STALL_CYCLES", 0x2C, RO, 0, "cycles the output stream was valid but not ready"),
        Register("WEIGHT_CRC", 0x30, RO, 0, "CRC-32 (zlib) of the weight stream words loaded, little-endian bytes"),
        Register("NUM_LAYERS", 0x34, RO, num_layers, "number of layer cores"),
    ]
    for i in range(num_layers):
        base = LAYER_BASE + LAYER_STRIDE * i
        regs.append(Register(f"LAYER{i}_SPIKES", base, RO, 0,
                             f"output spikes of layer {i} in the last frame (membrane readout: 0)"))
        regs.append(Register(f"LAYER{i}_PAIRS", base + 4, RO, 0,
                             f"matched (spike, non-zero weight) pairs of layer {i} in the last frame"))
        regs.append(Register(f"LAYER{i}_BUSY", base + 8, RO, 0,
                             f"cycles layer {i}'s core was busy (scanning, popping, or holding a pixel for its "
                             f"output; not waiting for input) since the last clear; wraps at 2^32"))
    return regs


def address_range(num_layers):
    """Bytes of address space the register block decodes (a power of two, at least 4 KiB)."""
    end = LAYER_BASE + LAYER_STRIDE * num_layers
    size = 4096
    while size < end:
        size *= 2
    return size


def offsets(num_layers):
    """``{name: offset}``: what the driver uses to read and write registers by name."""
    return {r.name: r.offset for r in registers(num_layers)}


def pynq_dict(num_layers):
    """The register description in the shape PYNQ's ``RegisterMap`` builds from (as in ``ip_dict``)."""
    acc = {RO: "read-only", RW: "read-write"}
    return {r.name: {"address_offset": r.offset, "size": 32, "access": acc[r.access], "description": r.doc,
                     "fields": {f.name: {"bit_offset": f.bit, "bit_width": f.width, "access": acc[r.access],
                                         "description": f.doc} for f in r.fields}}
            for r in registers(num_layers)}


def to_json_list(num_layers):
    return [{"name": r.name, "offset": r.offset, "access": r.access, "reset": r.reset, "doc": r.doc,
             "fields": [f._asdict() for f in r.fields]} for r in registers(num_layers)]


def to_markdown(num_layers=2):
    """``docs/registers.md``: the table for a ``num_layers`` example (the per-layer pair repeats)."""
    lines = ["# Register map", "", "Generated by `python -m dualspike.regmap > docs/registers.md` from",
             "`dualspike/regmap.py`; do not edit by hand. 32-bit registers, byte offsets, AXI4-Lite.", "",
             "| offset | name | access | reset | description |", "|---|---|---|---|---|"]
    for r in registers(num_layers):
        lines.append(f"| 0x{r.offset:02X} | {r.name} | {r.access} | 0x{r.reset:X} | {r.doc} |")
        for f in r.fields:
            bits = f"{f.bit}" if f.width == 1 else f"{f.bit + f.width - 1}:{f.bit}"
            lines.append(f"| | `[{bits}]` {f.name} | | | {f.doc} |")
    lines += ["", f"Per-layer counters repeat every {LAYER_STRIDE} bytes from 0x{LAYER_BASE:02X} for each layer "
              f"(up to {MAX_LAYERS}).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(to_markdown(), end="")
