"""The simulated device on its own: non-coherent memory and PG021 simple-mode DMA behaviour,
driven through the stock pynq.MMIO / pynq.allocate / pynq.lib.dma.DMA."""
import numpy as np
import pytest

pynq = pytest.importorskip("pynq")

from dualspike.driver.dma import DMASR_BITS, PG021_REGISTERS  # noqa: E402
from dualspike.driver.simdevice import SimDevice  # noqa: E402


class Echo:
    """Stream model: every input word comes back as two 32-bit words; TLAST passes through."""

    def __init__(self):
        self.out, self.cycle, self.regs = [], 0, {}

    def read_reg(self, off):
        return self.regs.get(off, 0)

    def write_reg(self, off, v):
        self.regs[off] = v

    def push(self, words, last):
        for i, w in enumerate(words):
            lo, hi = int(w) & 0xFFFFFFFF, int(w) >> 32
            self.out += [(lo, False), (hi, last and i == len(words) - 1)]
        return len(words)

    def pop(self, n):
        got, last = [], False
        while self.out and len(got) < n:
            w, last = self.out.pop(0)
            got.append(w)
            if last:
                break
        return np.array(got, np.uint32), last

    def exchange(self, words, last, room, cycles):
        self.push(words, last)
        self.cycle += cycles
        got, lasts = [], []
        while self.out and len(got) < room:
            w, l = self.out.pop(0)
            got.append(w)
            lasts.append(l)
        return len(words), np.array(got, np.uint32), np.array(lasts, np.uint8)


@pytest.fixture
def dev():
    return SimDevice(Echo())


def dma(dev):
    from pynq.lib.dma import DMA
    from dualspike.driver.blockdesign import DMA_PARAMETERS
    params = {k.lower(): str(v) for k, v in DMA_PARAMETERS.items()}
    return DMA({"phys_addr": 0x40400000, "addr_range": 0x10000, "device": dev, "parameters": params,
                "interrupts": {}})


def wait_idle(d, off, polls=100):
    for _ in range(polls):
        sr = d.mmio.read(off)
        if sr & 0x72:
            return sr
    return sr


def test_memory_is_not_coherent(dev):
    buf = pynq.allocate((4,), np.uint64, target=dev)
    assert isinstance(buf, pynq.buffer.PynqBuffer) and buf.physical_address
    buf[:] = [1, 2, 3, 4]
    assert dev.memory.read(buf.physical_address, 32).view("<u8").tolist() == [0, 0, 0, 0]  # not flushed
    buf[1:3].flush()
    assert dev.memory.read(buf.physical_address, 32).view("<u8").tolist() == [0, 2, 3, 0]
    dev.memory.write(buf.physical_address, np.full(32, 0xFF, np.uint8))
    assert buf.tolist() == [1, 2, 3, 4]                                                # not invalidated
    buf.invalidate()
    assert buf.tolist() == [2**64 - 1] * 4


def test_stock_dma_roundtrip_tlast_ends_receive(dev):
    d = dma(dev)
    src = pynq.allocate((3,), np.uint64, target=dev)
    dst = pynq.allocate((16,), np.uint32, target=dev)
    src[:] = [0x0000000200000001, 0x0000000400000003, 0x0000000600000005]
    d.recvchannel.transfer(dst)                           # 64 bytes of room, the packet has 24
    d.sendchannel.transfer(src)                           # the stock driver flushes
    d.sendchannel.wait()
    d.recvchannel.wait()                                  # and invalidates
    assert d.recvchannel.transferred == 24
    assert dst[:6].tolist() == [1, 2, 3, 4, 5, 6] and dst[6:].tolist() == [0] * 10


def test_missing_flush_sends_stale_data(dev):
    d = dma(dev)
    src = pynq.allocate((1,), np.uint64, target=dev)
    dst = pynq.allocate((2,), np.uint32, target=dev)
    src[0] = 0x0000000B0000000A
    d.recvchannel.transfer(dst)
    off = PG021_REGISTERS                                  # start MM2S by hand, without a flush
    d.mmio.write(off["MM2S_SA"], src.physical_address)
    d.mmio.write(off["MM2S_LENGTH"], 8)
    wait_idle(d, off["S2MM_DMASR"])
    dst.invalidate()
    assert dst.tolist() == [0, 0]


@pytest.mark.parametrize("case,bit", [("zero_length", "DMAIntErr"), ("unmapped", "DMADecErr"),
                                      ("overflow", "DMAIntErr")])
def test_dma_error_bits(dev, case, bit):
    d = dma(dev)
    off = PG021_REGISTERS
    src = pynq.allocate((4,), np.uint64, target=dev)
    dst = pynq.allocate((2,), np.uint32, target=dev)
    if case == "zero_length":
        d.mmio.write(off["MM2S_SA"], src.physical_address)
        d.mmio.write(off["MM2S_LENGTH"], 0)
        sr = d.mmio.read(off["MM2S_DMASR"])
    elif case == "unmapped":
        d.mmio.write(off["S2MM_DA"], 0x0800_0000)
        d.mmio.write(off["S2MM_LENGTH"], 8)
        sr = d.mmio.read(off["S2MM_DMASR"])
    else:                                                  # 8 words back, room for 2
        d.recvchannel.transfer(dst)
        d.sendchannel.transfer(src)
        sr = wait_idle(d, off["S2MM_DMASR"])
    assert sr >> DMASR_BITS[bit] & 1 and sr & 1            # error bit set, channel halted
    with pytest.raises(RuntimeError):
        (d.sendchannel if case == "zero_length" else d.recvchannel).wait()
