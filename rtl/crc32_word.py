"""CRC-32 (zlib / IEEE 802.3, reflected) of one 64-bit word per cycle, as plain XOR equations.

The CRC is linear over GF(2): ``next = A·crc ⊕ B·data`` for the 64 data bits taken LSB first, i.e.
the word's little-endian bytes in order. The matrices are computed here in Python and emitted as
one ``assign`` per output bit (MyHDL user-defined Verilog; the MyHDL simulation runs the same
function bit-serially). The register starts at ``0xFFFFFFFF``; software reads ``~crc``, which then
equals ``zlib.crc32`` of the words' bytes (checked in ``tests/rtl/test_regs.py``).

Ports
    ``crc`` in 32, ``data`` in 64, ``nxt`` out 32 (combinational).
"""
from myhdl import always_comb, block

POLY = 0xEDB88320


def crc_step(crc, data, nbits=64):
    """Reference: feed ``nbits`` of ``data`` (LSB first) into the reflected register ``crc``."""
    for i in range(nbits):
        bit = (data >> i) & 1
        crc = (crc >> 1) ^ (POLY if (crc ^ bit) & 1 else 0)
    return crc


def _matrix():
    """``rows[o] = (crc bits, data bits)`` feeding output bit ``o``."""
    rows = [([], []) for _ in range(32)]
    for j in range(32):
        v = crc_step(1 << j, 0)
        for o in range(32):
            if v >> o & 1:
                rows[o][0].append(j)
    for j in range(64):
        v = crc_step(0, 1 << j)
        for o in range(32):
            if v >> o & 1:
                rows[o][1].append(j)
    return rows


def _verilog():
    lines = []
    for o, (cs, ds) in enumerate(_matrix()):
        terms = [f"$crc[{j}]" for j in cs] + [f"$data[{j}]" for j in ds]
        lines.append(f"assign $nxt[{o}] = " + " ^ ".join(terms) + ";")
    return "\n".join(lines)


@block
def crc32_word(crc, data, nxt):
    @always_comb
    def logic():
        nxt.next = crc_step(int(crc), int(data))
    nxt.driven = "wire"
    return logic


crc32_word.verilog_code = _verilog()
