"""A behavioural dualspike accelerator for driver unit tests: the register map of
:mod:`dualspike.regmap` and the stream formats of :mod:`dualspike.streams` on top of ``golden.run``.

It implements the stream interface :class:`dualspike.driver.simdevice.SimDevice` expects
(``read_reg``/``write_reg``/``exchange``/``cycle``), decodes frames and weight streams
word by word, keeps TLAST discipline (ERROR_CODE 4), applies backpressure (at most ``depth`` frames
computed but not yet read out) and releases one frame every ``interval`` cycles after ``latency``.
Fault knobs: ``stall`` (never answer), ``spec_hash``/``ident`` (a foreign bitstream),
``corrupt_crc``, ``extra_words`` (output packets longer/shorter than the classes).
"""
from collections import deque

import numpy as np

from dualspike import golden, regmap, streams
from dualspike.bitmap import PackedLayer, mask_words, unpack_layer, words_for
from dualspike.model import IntegerModel


class BehaviouralAccel:
    def __init__(self, desc, interval=100, latency=150, depth=2, stall=False, spec_hash=None, ident=None,
                 corrupt_crc=False, extra_words=0):
        self.desc, self.spec = desc, desc.spec
        self.nl = len(self.spec.layers)
        self.off = regmap.offsets(self.nl)
        self.name = {v: k for k, v in self.off.items()}
        self.interval, self.latency, self.depth = interval, latency, depth
        self.stall, self.corrupt_crc, self.extra_words = stall, corrupt_crc, extra_words
        self.ident = regmap.ID_VALUE if ident is None else ident
        self.spec_hash = desc.spec_hash if spec_hash is None else spec_hash
        self.model = None
        self.cycle = 0
        self.weights_loaded = False
        self.ctrl, self.T = 0, desc.t_max
        self._clear()

    def _clear(self):
        self.error = 0
        self.frames, self.interval_cycles, self.latency_cycles, self.stall_cycles = 0, 0, 0, 0
        self.layer = {"spikes": [0] * self.nl, "pairs": [0] * self.nl}
        self.words, self.out, self.pending = [], deque(), deque()
        self.last_release = None
        self.first_beat = None

    # ---- AXI-Lite ---------------------------------------------------------------------------------
    def read_reg(self, off):
        n = self.name.get(off)
        if n is None:
            return 0
        if n.startswith("LAYER"):
            i, kind = n[5:].split("_")
            return self.layer[kind.lower()][int(i)] & 0xFFFFFFFF
        status = ((len(self.pending) > 0 or len(self.words) > 0) | (self.frames > 0) << 1
                  | (self.error != 0) << 2 | self.weights_loaded << 3)
        return {"ID": self.ident, "VERSION": regmap.VERSION_VALUE, "SPEC_HASH": self.spec_hash,
                "CTRL": self.ctrl, "STATUS": status, "ERROR_CODE": self.error, "T": self.T,
                "T_MAX": self.desc.t_max, "FRAMES": self.frames, "LATENCY_CYCLES": self.latency_cycles,
                "INTERVAL_CYCLES": self.interval_cycles, "STALL_CYCLES": self.stall_cycles,
                "WEIGHT_CRC": getattr(self, "crc", 0), "NUM_LAYERS": self.nl}[n]

    def write_reg(self, off, v):
        n = self.name.get(off)
        if n == "CTRL":
            if v & 2:                                         # SOFT_RESET
                self._clear()
            if v & 8:                                         # CLEAR_COUNTERS
                self.frames = 0
                self.layer = {"spikes": [0] * self.nl, "pairs": [0] * self.nl}
            self.ctrl = v & 0b101
        elif n == "T":
            if 1 <= v <= self.desc.t_max:
                self.T = v
            else:
                self.error = 3

    # ---- streams ----------------------------------------------------------------------------------
    def push(self, words, last):
        if not self.ctrl & 0b101 or self.stall:
            return 0
        loading = bool(self.ctrl & 4)
        if not loading and len(self.pending) + len(self.out) // max(1, self.desc.output_words) >= self.depth:
            return 0                                           # backpressure
        fw = self.desc.frame_words
        take = len(words) if loading else min(len(words), fw - len(self.words))
        if self.first_beat is None and take:
            self.first_beat = self.cycle
        self.words.extend(int(w) for w in words[:take])
        tlast = last and take == len(words)
        if loading:
            if tlast:
                self._load(np.array(self.words, dtype=np.uint64))
                self.words = []
        elif len(self.words) == fw:
            if not tlast:
                self.error = 4                                 # TLAST late
            self._frame(np.array(self.words, dtype=np.uint64))
            self.words = []
        elif tlast:
            self.error = 4                                     # TLAST early
            self.words = []
        return take

    def pop(self, max_words):
        while self.pending and self.pending[0][0] <= self.cycle:
            _, logits = self.pending.popleft()
            for j, w in enumerate(logits):
                self.out.append((int(w), j == len(logits) - 1))
        got, last = [], False
        while self.out and len(got) < max_words:
            w, last = self.out.popleft()
            got.append(w)
            if last:
                break
        if self.out and len(got) == max_words and not last:
            self.stall_cycles += 1
        return np.array(got, dtype=np.uint32), last

    def step(self, cycles):
        self.cycle += int(cycles)

    def exchange(self, words, last, out_room, cycles):
        taken = self.push(words, last) if len(words) else 0
        self.step(cycles)
        out, lasts = [], []
        while len(out) < out_room:
            w, l = self.pop(out_room - len(out))
            if not len(w):
                break
            out += w.tolist()
            lasts += [0] * (len(w) - 1) + [int(l)]
        return taken, np.array(out, np.uint32), np.array(lasts, np.uint8)

    # ---- decoding ---------------------------------------------------------------------------------
    def _frame(self, words):
        spec, T = self.spec, self.T
        c, h, w = spec.input_shape
        raw = words.astype("<u8").view(np.uint8)
        pb = streams.pixel_bytes(spec, self.desc.t_max)
        pix = raw[:h * w * pb].reshape(h, w, pb)
        if spec.encoding == "events":
            bits = np.unpackbits(pix, axis=-1, bitorder="little")[..., :T * c].reshape(h, w, T, c)
            x = bits.transpose(2, 3, 0, 1)[None]
        else:
            x = pix.transpose(2, 0, 1)[None]
        r = golden.run(self.model, np.ascontiguousarray(x), T=T, stats=True)
        for i, st in enumerate(r.stats.layers):
            self.layer["pairs"][i] = int(st.pairs[0])
            neurons = st.dense_synops // (spec.fan_in(i) * T)
            d = 0.0 if st.spike_density is None else float(st.spike_density[0])
            self.layer["spikes"][i] = int(round(d * neurons * T))
        start = max(self.cycle + self.latency,
                    (self.last_release + self.interval) if self.last_release is not None else 0)
        if self.last_release is not None:
            self.interval_cycles = start - self.last_release
        self.last_release = start
        self.latency_cycles = start - (self.first_beat or self.cycle)
        self.first_beat = None
        self.frames += 1
        words = r.logits[0].astype(np.int64) & 0xFFFFFFFF
        words = np.concatenate([words, np.zeros(self.extra_words, np.int64)]) if self.extra_words >= 0 \
            else words[:self.extra_words]
        self.pending.append((start, words))

    def _load(self, words):
        self.crc = streams.weight_crc(words) ^ (1 if self.corrupt_crc else 0)
        spec, pos, layers = self.spec, 0, []
        try:
            for i in range(self.nl):
                head = int(words[pos])
                tag, li, co, nnz = head >> 56, (head >> 48) & 0xFF, (head >> 32) & 0xFFFF, head & 0xFFFFFFFF
                if tag != streams.WEIGHT_HEADER_TAG or li != i or co != spec.layers[i].out_channels:
                    self.error = 2
                    return
                if nnz > self.desc.capacities[i]:
                    self.error = 1
                    return
                fan, word = spec.fan_in(i), self.desc.word[i]
                nw = words_for(fan, word)
                masks = mask_words(words[pos + 1:pos + 1 + co * nw].reshape(co, nw), fan, from_word=word)
                pos += 1 + co * nw
                nv = -(-nnz // 16)
                vw = words[pos:pos + nv]
                pos += nv
                nib = ((vw[:, None] >> (np.arange(16, dtype=np.uint64) * np.uint64(4))) & np.uint64(0xF))
                nib = nib.reshape(-1)[:nnz].astype(np.int16)
                values = np.where(nib >= 8, nib - 16, nib).astype(np.int8)
                params = words[pos:pos + co]
                pos += co
                bias = (params & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(np.int32)
                thr = (params >> np.uint64(32)).astype(np.uint32).view(np.int32)
                layers.append(unpack_layer(spec, i, PackedLayer(masks, values, bias, thr, fan)))
        except (IndexError, ValueError):
            self.error = 2
            return
        self.model = IntegerModel(spec, layers)
        self.weights_loaded = True
