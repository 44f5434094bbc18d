"""``SnnAccelerator``: the accelerator behind an AXI DMA, on a board or a simulated ``pynq.Device``.

Built from two ``ip_dict`` entries — the AXI DMA and the accelerator's control block — and the
:class:`~dualspike.accel.AcceleratorDescription`; :meth:`SnnAccelerator.from_overlay` picks them out
of ``pynq.Overlay(...).ip_dict``. The constructor only binds drivers; reading the ID, loading weights
and running are explicit calls::

    acc = SnnAccelerator.from_overlay(pynq.Overlay("dualspike.bit"), desc)
    acc.check()                  # ID, VERSION, SPEC_HASH, T_MAX, NUM_LAYERS against desc
    acc.load_weights(model)      # capacity check, weight stream, WEIGHT_CRC
    acc.batch_size = 100         # pynq.allocate once
    acc.classify(x)

Per frame the DMA moves one input packet (TLAST on the frame's last word) and one output packet
(TLAST on its last class word; simple-mode S2MM ends a transfer on TLAST). Ordering: frame 0's
receive is armed before its send; afterwards frame i+1's send starts once frame i's input is in,
while frame i's receive is armed, so every wait has a consumer ready downstream and the pipeline
overlaps input of one frame with the compute of the previous one.
"""
import numpy as np

from dualspike import regmap, streams

from .base import AcceleratorBase
from .dma import DMAPort
from .errors import AcceleratorError, CapacityError, OverlayMismatchError, WeightLoadError
from .regs import Registers
from .timing import Deadline

VLNV = "xilinx.com:module_ref:dualspike_top:1.0"
DMA_VLNV = "xilinx.com:ip:axi_dma:7.1"


def check_model(desc, model):
    """Refuse a model whose spec differs from the build or whose layers exceed the weight memories."""
    if model.spec != desc.spec:
        raise OverlayMismatchError(
            f"the model is {model.spec.name!r} (spec hash 0x{model.spec.hash32():08X}) but the accelerator "
            f"was built for {desc.spec.name!r} (spec hash 0x{desc.spec_hash:08X}); load the overlay "
            f"built from this model's spec, or export the model with that spec")
    for i, (nnz, cap) in enumerate(zip(model.nonzeros(), desc.capacities)):
        if nnz > cap:
            raise CapacityError(
                f"layer {i} has {nnz} non-zero weights, the accelerator's weight memory holds {cap}; "
                f"prune the layer to <= {cap} (sparsity >= {1 - cap / model.layers[i].weight.size:.2%}) "
                f"or rebuild the overlay with a larger capacity")


class SnnAccelerator(AcceleratorBase):
    """The dualspike accelerator driven through ``pynq.lib.dma.DMA`` and ``pynq.MMIO``."""

    backend = "board"

    def __init__(self, dma_description, core_description, desc, *, timeout=2.0, backend="board",
                 name="overlay"):
        from pynq import MMIO
        from pynq.lib.dma import DMA

        super().__init__(desc)
        self.backend, self.name, self.timeout = backend, name, timeout
        self.device = dma_description.get("device") or core_description.get("device")
        self.dma = DMA(dma_description)
        self.port = DMAPort(self.dma.mmio, dma_description)
        self.core_description = core_description
        self.regs = Registers(MMIO(core_description["phys_addr"], core_description["addr_range"],
                                   device=self.device), len(desc.spec.layers))
        self.fclk_mhz = desc.fclk_mhz
        self.model = None
        self.ibuf = self.obuf = None
        self._checked = False
        self._T = desc.spec.T

    @classmethod
    def from_overlay(cls, overlay, desc, dma=None, core=None, **kw):
        """Find the DMA and the control block in ``overlay.ip_dict`` (by VLNV unless named)."""
        ip = overlay.ip_dict

        def pick(name, vlnv, what):
            if name is not None:
                if name not in ip:
                    raise OverlayMismatchError(f"{overlay.bitfile_name}: no IP {name!r}; it has {', '.join(ip)}")
                return name
            found = [k for k, v in ip.items() if str(v.get("type", "")).rpartition(":")[0] == vlnv.rpartition(":")[0]]
            if len(found) != 1:
                raise OverlayMismatchError(
                    f"{overlay.bitfile_name}: expected one {what} ({vlnv}), found {len(found)} "
                    f"({', '.join(found) or 'none'}); IPs are {', '.join(ip)}. Pass dma=/core= names")
            return found[0]

        d, c = pick(dma, DMA_VLNV, "AXI DMA"), pick(core, VLNV, "dualspike control block")
        dd, cd = dict(ip[d]), dict(ip[c])
        dd["device"] = cd["device"] = overlay.device
        return cls(dd, cd, desc, name=overlay.bitfile_name, **kw)

    # ---- checks ---------------------------------------------------------------------------------
    def check(self):
        """Compare the control block's ID, VERSION, SPEC_HASH, T_MAX and NUM_LAYERS with the description."""
        r, d = self.regs, self.desc
        ident = r.read("ID")
        where = f"{self.name} (control block at 0x{self.core_description['phys_addr']:08X})"
        if ident != regmap.ID_VALUE:
            raise OverlayMismatchError(
                f"{where} reads ID 0x{ident:08X}, not 0x{regmap.ID_VALUE:08X} ('DSPK'): this is not a "
                f"dualspike accelerator, or the bitstream is not downloaded (load with download=True)")
        version = r.read("VERSION")
        if version >> 16 != regmap.VERSION_VALUE >> 16:
            raise OverlayMismatchError(f"{where} is hardware version {version >> 16}.{version & 0xFFFF}; this "
                                       f"driver speaks {regmap.VERSION_VALUE >> 16}.x: update dualspike or rebuild")
        h = r.read("SPEC_HASH")
        if h != d.spec_hash:
            raise OverlayMismatchError(
                f"{where} was built for spec hash 0x{h:08X}, the accelerator description is {d.spec.name!r} "
                f"with spec hash 0x{d.spec_hash:08X}: use the JSON that was generated with this bitstream, "
                f"or rebuild the overlay for this model")
        for reg, want in (("T_MAX", d.t_max), ("NUM_LAYERS", len(d.spec.layers))):
            got = r.read(reg)
            if got != want:
                raise OverlayMismatchError(f"{where}: {reg} reads {got}, the accelerator description says "
                                           f"{want}; the JSON does not belong to this bitstream")
        self._T = r.read("T") or d.t_max
        self._checked = True
        return True

    def _status_context(self):
        try:
            st = self.regs.read("STATUS")
            code = self.regs.read("ERROR_CODE")
            return (f"Accelerator STATUS = 0x{st:X} {self.regs.fields('STATUS', st)}, ERROR_CODE = {code} "
                    f"({regmap.ERROR_CODES.get(code, '?')}), FRAMES = {self.regs.read('FRAMES')}, "
                    f"CTRL = 0x{self.regs.read('CTRL'):X}.")
        except Exception as exc:            # the status itself is unreadable: say so, keep the DMA error
            return f"(accelerator registers unreadable: {exc})"

    def _raise_if_error(self, doing):
        st = self.regs.fields("STATUS")
        if st["ERROR"]:
            code = self.regs.read("ERROR_CODE")
            raise AcceleratorError(f"accelerator reports error {code} ({regmap.ERROR_CODES.get(code, '?')}) "
                                   f"while {doing}; {self._status_context()} Soft-reset with reset().")

    # ---- configuration --------------------------------------------------------------------------
    def reset(self):
        """Soft reset of the datapath and counters (weights are kept)."""
        self.regs.set("CTRL", SOFT_RESET=1)

    def load_weights(self, model, timeout=None):
        """Send ``model``'s weight stream with CTRL.LOAD_WEIGHTS and check WEIGHT_CRC against it."""
        if not self._checked:
            self.check()
        check_model(self.desc, model)
        from pynq import allocate

        words = streams.weight_stream(model, self.desc.word, self.desc.order)
        buf = allocate((len(words),), np.uint64, target=self.device)
        buf[:] = words
        buf.flush()
        self.regs.set("CTRL", SOFT_RESET=1)
        self.regs.set("CTRL", LOAD_WEIGHTS=1)
        self.dma.sendchannel.transfer(buf)
        self.port.wait("send", timeout or self.timeout, self._status_context)
        deadline = Deadline(timeout or self.timeout)
        while not self.regs.fields("STATUS")["WEIGHTS_LOADED"]:
            self._raise_if_error("loading weights")
            if deadline.expired():
                raise WeightLoadError(f"the weight stream ({len(words)} words) was sent but STATUS.WEIGHTS_LOADED "
                                      f"stayed 0; {self._status_context()}")
        self._raise_if_error("loading weights")
        crc, want = self.regs.read("WEIGHT_CRC"), streams.weight_crc(words)
        if crc != want:
            raise WeightLoadError(f"WEIGHT_CRC reads 0x{crc:08X}, the weight stream sent has CRC 0x{want:08X}: "
                                  f"the weights arrived corrupted or in a different format; reload")
        self.regs.set("CTRL", RUN=1)
        self.model = model
        return crc

    def set_T(self, T):
        """Runtime time steps, 1..T_MAX (written to the T register and read back)."""
        T = self._checked_T(T)
        self.regs.write("T", T)
        got = self.regs.read("T")
        if got != T:
            raise AcceleratorError(f"wrote T = {T}, register T reads {got}")
        self._T = int(T)

    def _allocate(self, n):
        from pynq import allocate

        self.ibuf = allocate((n, self.desc.frame_words), np.uint64, target=self.device)
        self.obuf = allocate((n, self.desc.output_words), np.uint32, target=self.device)

    # ---- staged pipeline --------------------------------------------------------------------------
    def pack_input(self, x):
        return streams.pack_frames(self.spec, x, self.desc.t_max)

    def copy_in(self, packed):
        n = len(packed)
        self.ibuf[:n] = packed
        self.ibuf[:n].flush()

    def execute_on_buffers(self, n):
        if not self._checked:
            self.check()
        if self.model is None and not self.desc.weights_built_in:
            raise WeightLoadError("no weights loaded: call load_weights(model) first")
        ctrl = self.regs.fields("CTRL")
        if not ctrl["RUN"] or ctrl["LOAD_WEIGHTS"]:
            self.regs.set("CTRL", RUN=1)
        send, recv = self.dma.sendchannel, self.dma.recvchannel
        ib, ob = self.desc.frame_words * 8, self.desc.output_words * 4
        to = self.timeout

        def ctx(i):
            return lambda: f"Frame {i} of {n}. {self._status_context()}"

        recv.transfer(self.obuf[0], nbytes=ob)          # receive armed before the first send
        send.transfer(self.ibuf[0], nbytes=ib)
        for i in range(n):
            self.port.wait("send", to, ctx(i))
            if i + 1 < n:
                send.transfer(self.ibuf[i + 1], nbytes=ib)
            got = self.port.wait("recv", to, ctx(i))
            if got != ob:
                raise AcceleratorError(f"frame {i}: the output packet had {got} bytes (TLAST), {ob} expected "
                                       f"({self.desc.output_words} classes × 4); {self._status_context()}")
            if i + 1 < n:
                recv.transfer(self.obuf[i + 1], nbytes=ob)
        self._raise_if_error("running")

    def copy_out(self, n):
        self.obuf[:n].invalidate()
        return np.array(self.obuf[:n])

    def unpack_output(self, raw, n):
        return streams.unpack_output(raw, n, self.spec.num_classes)

    # ---- counters ---------------------------------------------------------------------------------
    def layer_counters(self):
        """Per-layer output spikes and matched pairs of the last frame, from the registers."""
        return self.regs.layer_counters()

    def counters(self):
        r = self.regs
        return {k: r.read(k) for k in ("FRAMES", "LATENCY_CYCLES", "INTERVAL_CYCLES", "STALL_CYCLES")}

    def _hardware_figures(self):
        c = self.counters()
        sim = self.backend == "rtl-sim"
        label = "simulated" if sim else "accelerator"
        out = {f"{label}_interval[cycles]": c["INTERVAL_CYCLES"], f"{label}_latency[cycles]": c["LATENCY_CYCLES"],
               f"{label}_stall[cycles]": c["STALL_CYCLES"]}
        if c["INTERVAL_CYCLES"]:
            out[f"{label}_throughput_at_fclk[images/s]"] = self.fclk_mhz * 1e6 / c["INTERVAL_CYCLES"]
        if sim:
            out["simulated_cycles_note"] = (f"cycles counted by the Verilator model; FPS at fclk = "
                                            f"{self.fclk_mhz} MHz assumes the design closes timing there")
        return out
