"""A simulated ``pynq.Device``: the Xilinx AXI DMA (simple mode) and the accelerator's AXI-Lite
block over a simulated, **non-coherent** memory, so the stock ``pynq.MMIO``, ``pynq.allocate`` and
``pynq.lib.dma.DMA`` run unmodified off the board.

Memory: every ``allocate`` returns a ``pynq.buffer.PynqBuffer`` whose numpy data is the *CPU view*;
the DMA engine reads and writes a separate *device view*. ``flush`` copies CPU → device and
``invalidate`` device → CPU, exactly the two cache operations a Zynq needs, so a missing flush sends
stale data and a missing invalidate reads stale results.

The accelerator is any object with this stream interface (``rtl-sim``: the Verilator harness via
:class:`dualspike.driver.rtlsim.AccelSimAdapter`; tests: a behavioural model)::

    read_reg(offset) -> int          write_reg(offset, value)          cycle -> int
    exchange(words_u64, last, out_room, cycles) -> (taken, out_u32, out_last)
        # run up to `cycles` clock cycles offering `words` on the input stream (TLAST on the last
        # one iff `last`) and taking at most `out_room` output beats (output not ready beyond that,
        # and while out_room == 0); may stop early once the input is taken and out_room beats are out

Time advances when the host polls a DMA status register, ``cycles_per_poll`` cycles per poll.
Output beats after a TLAST wait in the DMA's store-and-forward FIFO for the next receive.
"""
import bisect
from pathlib import Path

import numpy as np
import pynq
from pynq.buffer import PynqBuffer

from .dma import DMACR_BITS, DMASR_BITS, PG021_REGISTERS

HALTED, IDLE = 1 << DMASR_BITS["Halted"], 1 << DMASR_BITS["Idle"]
INT_ERR, DEC_ERR = 1 << DMASR_BITS["DMAIntErr"], 1 << DMASR_BITS["DMADecErr"]
IOC_IRQ, ERR_IRQ = 1 << DMASR_BITS["IOC_Irq"], 1 << DMASR_BITS["Err_Irq"]
RS, RESET = 1 << DMACR_BITS["RS"], 1 << DMACR_BITS["Reset"]


class SimMemory:
    """Buffers with separate CPU and device views; physical addresses from ``base`` upwards."""

    def __init__(self, base=0x1000_0000, size=256 << 20):
        self.base, self.size = base, size
        self.next = base
        self.cpu, self.dev = {}, {}          # bo (= physical base address) -> uint8 array
        self.starts = []

    def allocate(self, shape, dtype, device):
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        addr = self.next
        if addr + nbytes > self.base + self.size:
            raise MemoryError(f"simulated memory full: {nbytes} bytes requested, "
                              f"{self.base + self.size - addr} left")
        self.next = addr + max(4096, -(-nbytes // 4096) * 4096)
        self.cpu[addr] = np.zeros(max(nbytes, 1), np.uint8)
        self.dev[addr] = np.zeros(max(nbytes, 1), np.uint8)
        bisect.insort(self.starts, addr)
        return PynqBuffer(shape, dtype, buffer=self.cpu[addr], device=device, device_address=addr,
                          bo=addr, coherent=False)

    def flush(self, bo, offset, nbytes):
        self.dev[bo][offset:offset + nbytes] = self.cpu[bo][offset:offset + nbytes]

    def invalidate(self, bo, offset, nbytes):
        self.cpu[bo][offset:offset + nbytes] = self.dev[bo][offset:offset + nbytes]

    def _locate(self, addr, nbytes):
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0:
            return None
        bo = self.starts[i]
        off = addr - bo
        return (bo, off) if off + nbytes <= len(self.dev[bo]) else None

    def read(self, addr, nbytes):
        """Device view bytes, or None for an unmapped range (a DMA decode error)."""
        loc = self._locate(addr, nbytes)
        return None if loc is None else self.dev[loc[0]][loc[1]:loc[1] + nbytes].copy()

    def write(self, addr, data):
        loc = self._locate(addr, len(data))
        if loc is None:
            return False
        self.dev[loc[0]][loc[1]:loc[1] + len(data)] = data
        return True


class _Channel:
    def __init__(self):
        self.reset()

    def reset(self):
        self.cr, self.sr, self.addr, self.length = 0, HALTED, 0, 0
        self.active, self.words, self.pos, self.received = False, None, 0, []


class AxiDmaModel:
    """PG021 direct-register-mode behaviour: MM2S streams ``LENGTH`` bytes as 64-bit beats with TLAST
    on the last; S2MM writes 32-bit beats into a buffer of ``LENGTH`` bytes until TLAST and then
    reports the bytes received in ``S2MM_LENGTH``. Errors: length 0 or a packet longer than the
    buffer → DMAIntErr; an unmapped address → DMADecErr. Both halt the channel."""

    def __init__(self, memory, accel, in_bytes=8, out_bytes=4):
        self.memory, self.accel = memory, accel
        self.in_bytes, self.out_bytes = in_bytes, out_bytes
        self.mm2s, self.s2mm = _Channel(), _Channel()
        self.fifo = []                        # S2MM store-and-forward: beats taken, not yet written
        self.names = {v: k for k, v in PG021_REGISTERS.items()}

    def _chan(self, name):
        return self.mm2s if name.startswith("MM2S") else self.s2mm

    def read(self, off):
        name = self.names.get(off)
        if name is None:
            return 0
        ch, reg = self._chan(name), name.split("_", 1)[1]
        return {"DMACR": ch.cr, "DMASR": ch.sr, "SA": ch.addr & 0xFFFFFFFF, "DA": ch.addr & 0xFFFFFFFF,
                "SA_MSB": ch.addr >> 32, "DA_MSB": ch.addr >> 32, "LENGTH": ch.length}[reg]

    def write(self, off, value):
        name = self.names.get(off)
        if name is None:
            return
        ch, reg = self._chan(name), name.split("_", 1)[1]
        if reg == "DMACR":
            if value & RESET:
                self.mm2s.reset()
                self.s2mm.reset()
                self.fifo = []
                return
            ch.cr = value
            if value & RS:
                ch.sr &= ~HALTED
            elif not ch.active:
                ch.sr |= HALTED
        elif reg == "DMASR":
            ch.sr &= ~(value & (IOC_IRQ | ERR_IRQ | (1 << DMASR_BITS["Dly_Irq"])))   # write 1 to clear
        elif reg in ("SA", "DA"):
            ch.addr = (ch.addr & ~0xFFFFFFFF) | value
        elif reg in ("SA_MSB", "DA_MSB"):
            ch.addr = (ch.addr & 0xFFFFFFFF) | (value << 32)
        elif reg == "LENGTH":
            self._start(ch, value)

    def _error(self, ch, bit):
        ch.sr = (ch.sr | bit | ERR_IRQ | HALTED) & ~IDLE
        ch.active = False

    def _start(self, ch, length):
        if not ch.cr & RS:
            return                                   # ignored while halted, as in hardware
        ch.length, ch.sr, ch.pos = length, ch.sr & ~IDLE, 0
        if length == 0:
            return self._error(ch, INT_ERR)
        if ch is self.mm2s:
            data = self.memory.read(ch.addr, length)
            if data is None:
                return self._error(ch, DEC_ERR)
            pad = (-length) % self.in_bytes
            ch.words = np.concatenate([data, np.zeros(pad, np.uint8)]).view("<u8").astype(np.uint64)
        else:
            if self.memory._locate(ch.addr, length) is None:
                return self._error(ch, DEC_ERR)
            ch.received = []
        ch.active = True

    def busy(self):
        return self.mm2s.active or self.s2mm.active

    def tick(self, cycles):
        """Let the stream beats flow for ``cycles`` accelerator cycles."""
        m, s = self.mm2s, self.s2mm
        words = m.words[m.pos:] if m.active else np.zeros(0, np.uint64)
        room = 0
        if s.active:
            room = max(0, s.length // self.out_bytes - sum(len(w) for w in s.received) - len(self.fifo))
        taken, out, olast = self.accel.exchange(words, m.active, room, cycles)
        if m.active:
            m.pos += int(taken)
            if m.pos >= len(m.words):
                m.active, m.sr = False, m.sr | IDLE | IOC_IRQ
        self.fifo.extend(zip(np.asarray(out, np.uint32).tolist(), np.asarray(olast).tolist()))
        if s.active and self.fifo:
            cap = s.length // self.out_bytes
            got, last = [], False
            have = sum(len(w) for w in s.received)
            while self.fifo and not last and have + len(got) < cap:
                w, last = self.fifo.pop(0)
                got.append(w)
            s.received.append(np.array(got, np.uint32))
            if last:
                nbytes = self._store(s)
                if nbytes is not None:
                    s.length = nbytes
                    s.active, s.sr = False, s.sr | IDLE | IOC_IRQ
            elif have + len(got) == cap:            # buffer full, no TLAST: the packet is too long
                self._store(s)
                self._error(s, INT_ERR)

    def _store(self, s):
        data = np.concatenate(s.received).astype("<u4").view(np.uint8) if s.received else \
            np.zeros(0, np.uint8)
        if not self.memory.write(s.addr, data):
            self._error(s, DEC_ERR)
            return None
        return len(data)


class SimDevice(pynq.Device):
    """A ``pynq.Device`` holding an AXI DMA at ``dma_base`` and the accelerator's registers at
    ``ctrl_base`` over :class:`SimMemory`. ``Overlay(bitfile, device=sim, download=False)`` parses
    the ``.hwh`` beside ``bitfile`` with the same parser PYNQ uses on the board."""

    def __init__(self, accel, *, dma_base=0x40400000, dma_range=0x10000, ctrl_base=0x43C00000,
                 ctrl_range=0x10000, cycles_per_poll=512, memory=None, tag="dualspike-sim"):
        super().__init__(tag)
        self.name = tag
        self.capabilities = {"REGISTER_RW": True}
        self.accel = accel
        self.memory = memory or SimMemory()
        self.dma = AxiDmaModel(self.memory, accel)
        self.windows = [(dma_base, dma_range, self.dma), (ctrl_base, ctrl_range, None)]
        self.ctrl_base = ctrl_base
        self.cycles_per_poll = cycles_per_poll
        self.status_offsets = {PG021_REGISTERS["MM2S_DMASR"], PG021_REGISTERS["S2MM_DMASR"]}
        self.timestamp = ""
        self.bitfile_name = None
        self.register_log = None            # a list to record (op, address, value), or None

    # ---- registers ------------------------------------------------------------------------------
    def _route(self, address):
        for base, size, target in self.windows:
            if base <= address < base + size:
                return target, address - base
        raise MemoryError(f"simulated device: no IP at address 0x{address:08X}")

    def read_registers(self, address, length):
        target, off = self._route(address)
        if target is self.dma:
            if off in self.status_offsets and self.dma.busy():
                self.dma.tick(self.cycles_per_poll)
            value = self.dma.read(off)
        else:
            value = self.accel.read_reg(off)
        if self.register_log is not None:
            self.register_log.append(("read", address, value))
        return int(value & 0xFFFFFFFF).to_bytes(4, "little")[:length]

    def write_registers(self, address, data):
        value = int.from_bytes(bytes(data[:4]), "little")
        if self.register_log is not None:
            self.register_log.append(("write", address, value))
        target, off = self._route(address)
        if target is self.dma:
            self.dma.write(off, value)
        else:
            self.accel.write_reg(off, value)

    # ---- memory -------------------------------------------------------------------------------
    def allocate(self, shape, dtype, **kwargs):
        return self.memory.allocate(shape if isinstance(shape, tuple) else (shape,), dtype, self)

    def flush(self, bo, offset, ptr, size):
        self.memory.flush(bo, offset, size)

    def invalidate(self, bo, offset, ptr, size):
        self.memory.invalidate(bo, offset, size)

    # ---- metadata (what pynq's embedded device does on the board) -------------------------------
    def get_bitfile_metadata(self, bitfile_name, partial=False):
        from pynqmetadata.frontends import Metadata
        from pynqmetadata.views.runtime import RuntimeMetadataParser

        hwh = Path(bitfile_name).with_suffix(".hwh")
        if not hwh.is_file():
            raise RuntimeError(f"no {hwh.name} beside {bitfile_name}: PYNQ needs the .hwh with the same stem")
        parser = RuntimeMetadataParser(Metadata(input=hwh))
        parser.refresh_hierarchy_dict()
        return parser
