"""``GoldenAccelerator``: the driver API backed by the numpy golden model (no pynq, no board).

Same calls as :class:`~dualspike.driver.SnnAccelerator` — ``check``, ``load_weights``, ``set_T``,
``batch_size``, the staged pipeline, ``run``/``classify``, ``layer_counters``, ``throughput_test`` —
so notebooks and CI run anywhere. Throughput is the host's; there is no clock and no watts unless
the caller supplies a meter.
"""
import numpy as np

from dualspike import golden, streams

from .accelerator import check_model
from .base import AcceleratorBase
from .errors import WeightLoadError


class GoldenAccelerator(AcceleratorBase):
    backend = "golden"

    def __init__(self, desc):
        super().__init__(desc)
        self.model = None
        self.fclk_mhz = None
        self._T = desc.spec.T
        self._in = None
        self._out = None
        self._last = None

    def check(self):
        return True

    def load_weights(self, model, timeout=None):
        check_model(self.desc, model)
        self.model = model
        return streams.weight_crc(streams.weight_stream(model, self.desc.word, self.desc.order))

    def set_T(self, T):
        """Runtime time steps, 1..T_MAX."""
        self._T = self._checked_T(T)

    def pack_input(self, x):
        return x

    def copy_in(self, packed):
        self._in = packed

    def execute_on_buffers(self, n):
        if self.model is None:
            raise WeightLoadError("no weights loaded: call load_weights(model) first")
        self._out = golden.run(self.model, self._in[:n], T=self._T).logits
        self._last = (self._in[n - 1:n], self._T)          # counters are computed on request

    def copy_out(self, n):
        return self._out[:n]

    def unpack_output(self, raw, n):
        return np.asarray(raw, dtype=np.int32).reshape(n, self.spec.num_classes)

    def layer_counters(self):
        """Per-layer spikes and pairs of the last frame run (as the registers would hold them)."""
        if self._last is None:
            n = len(self.spec.layers)
            return {"spikes": [0] * n, "pairs": [0] * n}
        x, T = self._last
        spikes, pairs = [], []
        for i, st in enumerate(golden.run(self.model, x, T=T, stats=True).stats.layers):
            pairs.append(int(st.pairs[0]))
            neurons = st.dense_synops // (self.spec.fan_in(i) * T)      # before pooling
            density = 0.0 if st.spike_density is None else float(st.spike_density[0])
            spikes.append(int(round(density * neurons * T)))
        return {"spikes": spikes, "pairs": pairs}
