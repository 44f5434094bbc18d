"""The Xilinx AXI DMA (PG021) in simple (direct register) mode: register names, status bits and a
wait with a timeout that reports the status itself.

The stock ``pynq.lib.dma.DMA`` starts transfers (``sendchannel.transfer``); its ``wait()`` spins
forever, so the driver waits here instead: poll ``DMASR`` until ``Idle``, raise :class:`DMAError` on
an error bit and :class:`DMATimeoutError` after ``timeout`` seconds, both with the decoded status.
Offsets come from the DMA's ``registers`` in the ``.hwh`` when present, else from PG021's table.
"""
from .errors import DMAError, DMATimeoutError
from .timing import Deadline

# PG021, direct register mode (the only mode the overlays build: c_include_sg = 0).
PG021_REGISTERS = {
    "MM2S_DMACR": 0x00, "MM2S_DMASR": 0x04, "MM2S_SA": 0x18, "MM2S_SA_MSB": 0x1C, "MM2S_LENGTH": 0x28,
    "S2MM_DMACR": 0x30, "S2MM_DMASR": 0x34, "S2MM_DA": 0x48, "S2MM_DA_MSB": 0x4C, "S2MM_LENGTH": 0x58,
}
DMACR_BITS = {"RS": 0, "Reset": 2, "IOC_IrqEn": 12, "Err_IrqEn": 14}
DMASR_BITS = {"Halted": 0, "Idle": 1, "SGIncld": 3, "DMAIntErr": 4, "DMASlvErr": 5, "DMADecErr": 6,
              "IOC_Irq": 12, "Dly_Irq": 13, "Err_Irq": 14}
ERROR_BITS = {"DMAIntErr": "internal error: a transfer length of 0, or a packet longer than the "
                           "receive buffer (TLAST late)",
              "DMASlvErr": "slave error: the memory did not accept the access",
              "DMADecErr": "decode error: the buffer address is not mapped (was the buffer freed?)"}
ERROR_MASK = sum(1 << DMASR_BITS[k] for k in ERROR_BITS)
CHANNELS = {"send": "MM2S", "recv": "S2MM"}


def register_offsets(description):
    """``{name: offset}`` for a DMA ``ip_dict`` entry (hwh registers first, PG021 otherwise)."""
    regs = description.get("registers") or {}
    out = dict(PG021_REGISTERS)
    for name in out:
        if name in regs and "address_offset" in regs[name]:
            out[name] = int(regs[name]["address_offset"])
    return out


def decode_status(sr):
    """``"0x00010002 (Idle, IOC_Irq)"``: the status word with its set bits named."""
    names = [n for n, b in DMASR_BITS.items() if sr >> b & 1]
    return f"0x{sr:08X} ({', '.join(names) or 'running, busy'})"


class DMAPort:
    """The DMA's status registers by name, beside the stock driver that starts transfers."""

    def __init__(self, mmio, description):
        self.mmio = mmio
        self.off = register_offsets(description)

    def status(self, which):
        return int(self.mmio.read(self.off[f"{CHANNELS[which]}_DMASR"]))

    def length(self, which):
        return int(self.mmio.read(self.off[f"{CHANNELS[which]}_LENGTH"]))

    def wait(self, which, timeout, context=lambda: ""):
        """Wait for channel ``which`` ("send"/"recv") to go idle; returns the bytes it moved."""
        deadline = Deadline(timeout)
        ch = CHANNELS[which]
        while True:
            sr = self.status(which)
            if sr & ERROR_MASK:
                bits = [f"{n}: {why}" for n, why in ERROR_BITS.items() if sr >> DMASR_BITS[n] & 1]
                raise DMAError(f"AXI DMA {ch} ({which}) channel error, {ch}_DMASR = {decode_status(sr)}; "
                               + "; ".join(bits) + f". Reset the DMA (reload the overlay). {context()}")
            if sr >> DMASR_BITS["Idle"] & 1:
                return self.length(which)
            if deadline.expired():
                raise DMATimeoutError(
                    f"AXI DMA {ch} ({which}) channel did not finish within {timeout:g} s, "
                    f"{ch}_DMASR = {decode_status(sr)}. {context()}")
