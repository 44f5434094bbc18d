"""AEDAT 3.1 polarity files (the DVS128 Gesture format): a reader and a writer.

Layout (little-endian; iniVation's AEDAT 3.1 specification, as libcaer writes it)::

    #!AER-DAT3.1\\r\\n              text header: lines starting with '#', ending with \\r\\n
    #Format: RAW\\r\\n
    #Source 1: DVS128\\r\\n
    #!END-HEADER\\r\\n              last header line; the binary packets follow
    packet*:
      28-byte header  u16 eventType (1 = polarity)   u16 eventSource   u32 eventSize (8)
                      u32 eventTSOffset (4)          u32 eventTSOverflow
                      u32 eventCapacity  u32 eventNumber  u32 eventValid
      eventCapacity * eventSize bytes of events; the first eventNumber are in use
    polarity event (8 bytes):
      u32 data       bit 0 valid | bit 1 polarity | bits 2-16 y | bits 17-31 x
      u32 timestamp  µs, 31 bits; full time = eventTSOverflow << 31 | timestamp

Packets of other event types (special, frame, IMU ...) are skipped; polarity events whose valid
bit is 0 are dropped. Corrupt or truncated files raise :class:`AedatError` naming the packet and
its byte offset.
"""
import struct

import numpy as np

from .errors import DataError
from .events import EVENT_DTYPE, as_events

__all__ = ["AedatError", "TruncatedAedatError", "read_aedat", "read_aedat_header", "write_aedat",
           "POLARITY_EVENT"]

POLARITY_EVENT = 1
_HEADER = struct.Struct("<HHIIIIII")
_END = b"#!END-HEADER\r\n"


class AedatError(DataError):
    """An AEDAT file is malformed; the message says what and at which byte."""


class TruncatedAedatError(AedatError):
    """An AEDAT file ends inside its header or inside a packet."""


def _read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise DataError(f"cannot read AEDAT file {path}: {exc}") from exc


def _parse_header(raw, path):
    """``(version, header lines, data start)`` of AEDAT bytes ``raw``."""
    if not raw.startswith(b"#!AER-DAT"):
        raise AedatError(f"{path} is not an AEDAT file: it starts with {raw[:12]!r}, "
                         f"not '#!AER-DAT'")
    lines, pos = [], 0
    while True:
        if raw[pos:pos + 1] != b"#":
            raise AedatError(f"{path}: header line at byte {pos} does not start with '#' and no "
                             f"'#!END-HEADER' line came before it")
        end = raw.find(b"\n", pos)
        if end < 0:
            raise TruncatedAedatError(f"{path}: the file ends inside the text header (at byte "
                                      f"{len(raw)}) before '#!END-HEADER'")
        line = raw[pos:end + 1]
        pos = end + 1
        lines.append(line.rstrip(b"\r\n").decode("latin-1"))
        if line == _END or line.rstrip(b"\r\n") == _END.rstrip():
            break
    version = lines[0][len("#!AER-DAT"):].strip()
    if not version.startswith("3."):
        raise AedatError(f"{path}: AEDAT version {version!r} is not supported; this reader reads "
                         f"AEDAT 3.x (polarity packets)")
    return version, lines, pos


def read_aedat_header(path):
    """``{"version": "3.1", "lines": [...], "data_start": byte}`` of an AEDAT 3.x file."""
    version, lines, start = _parse_header(_read_bytes(path), path)
    return {"version": version, "lines": lines, "data_start": start}


def read_aedat(path, sensor_size=None):
    """All valid polarity events of an AEDAT 3.1 file as an :data:`EVENT_DTYPE` array, in file
    order. With ``sensor_size`` (e.g. ``(128, 128)`` for DVS128) coordinates are checked."""
    raw = _read_bytes(path)
    _, _, pos = _parse_header(raw, path)
    chunks, k = [], 0
    while pos < len(raw):
        if len(raw) - pos < _HEADER.size:
            raise TruncatedAedatError(f"{path}: packet {k} at byte {pos}: the file ends after "
                                      f"{len(raw) - pos} of the 28 packet-header bytes")
        etype, _src, size, tsoff, ovf, cap, number, valid = _HEADER.unpack_from(raw, pos)
        where = f"{path}: packet {k} at byte {pos}"
        if number > cap or valid > number:
            raise AedatError(f"{where}: eventValid {valid} <= eventNumber {number} <= "
                             f"eventCapacity {cap} does not hold")
        if cap and size == 0:
            raise AedatError(f"{where}: eventSize is 0 for {cap} events")
        body = pos + _HEADER.size
        if len(raw) - body < cap * size:
            raise TruncatedAedatError(f"{where}: announces {cap} events of {size} bytes "
                                      f"({cap * size} bytes), the file has {len(raw) - body} left")
        if etype == POLARITY_EVENT:
            if size != 8 or tsoff != 4:
                raise AedatError(f"{where}: polarity packet with eventSize {size} and eventTSOffset "
                                 f"{tsoff}; AEDAT 3.1 polarity events are 8 bytes, timestamp at 4")
            words = np.frombuffer(raw, "<u4", 2 * number, body).reshape(number, 2)
            data, ts = words[:, 0], words[:, 1]
            if number and ts.max() >= 1 << 31:
                i = int(np.argmax(ts >= 1 << 31))
                raise AedatError(f"{where}: event {i} has timestamp {int(ts[i])} with bit 31 set "
                                 f"(timestamps are 31-bit)")
            ok = (data & 1).astype(bool)
            ev = np.empty(int(ok.sum()), EVENT_DTYPE)
            d = data[ok]
            ev["x"], ev["y"], ev["p"] = (d >> 17) & 0x7FFF, (d >> 2) & 0x7FFF, (d >> 1) & 1
            ev["t"] = (np.int64(ovf) << 31) | ts[ok].astype(np.int64)
            chunks.append(ev)
        pos = body + cap * size
        k += 1
    ev = np.concatenate(chunks) if chunks else np.zeros(0, EVENT_DTYPE)
    return as_events(ev, sensor_size) if sensor_size is not None else ev


def write_aedat(path, events, *, source="DVS128", packet_events=4096, header=()):
    """Write ``events`` as an AEDAT 3.1 polarity file (sorted by time, stable).

    Events go into packets of at most ``packet_events`` events; a new packet starts wherever
    ``t >> 31`` (the timestamp overflow) changes. Extra ``header`` lines are written after the
    standard ones (a leading ``#`` is added if missing).
    """
    ev = as_events(events)
    if ev.size and ev["t"].min() < 0:
        raise AedatError(f"{path}: AEDAT timestamps cannot be negative (t = {int(ev['t'].min())})")
    if not isinstance(packet_events, int) or packet_events < 1:
        raise ValueError(f"packet_events must be a positive integer, got {packet_events!r}")
    ev = ev[np.argsort(ev["t"], kind="stable")]
    lines = ["#!AER-DAT3.1", "#Format: RAW", f"#Source 1: {source}"]
    lines += [h if h.startswith("#") else "#" + h for h in header] + ["#!END-HEADER"]
    data = (1 | (ev["p"].astype(np.uint32) << 1) | (ev["y"].astype(np.uint32) << 2)
            | (ev["x"].astype(np.uint32) << 17))
    ovf = ev["t"] >> 31
    starts = sorted(set(np.flatnonzero(np.diff(ovf)) + 1) | set(range(0, ev.size, packet_events)))
    with open(path, "wb") as f:
        f.write("".join(line + "\r\n" for line in lines).encode("latin-1"))
        for a, b in zip(starts, starts[1:] + [ev.size]):
            n = b - a
            f.write(_HEADER.pack(POLARITY_EVENT, 1, 8, 4, int(ovf[a]), n, n, n))
            words = np.empty((n, 2), "<u4")
            words[:, 0] = data[a:b]
            words[:, 1] = ev["t"][a:b] & 0x7FFFFFFF
            f.write(words.tobytes())
