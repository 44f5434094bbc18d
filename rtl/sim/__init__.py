"""Verilator simulation of a generated accelerator, driven from Python through ctypes.

Needs Verilator and a C++ compiler, not MyHDL: it reads the generated Verilog and the accelerator
description JSON written beside it (``dualspike build``). The compiled library is cached under
``$DUALSPIKE_CACHE`` (default ``~/.cache/dualspike``) keyed by a hash of the Verilog, the harness
and the Verilator version, so a second ``AccelSim`` on the same Verilog starts in milliseconds.

>>> sim = AccelSim("build/scnn5")                       # doctest: +SKIP
>>> sim.load_weights(model); logits = sim.run_frames(x)  # doctest: +SKIP

Low level: :meth:`AccelSim.write`/:meth:`AccelSim.read` (AXI4-Lite, by name or offset),
:meth:`AccelSim.stream` (push 64-bit words with TLAST, collect 32-bit words), :meth:`AccelSim.step`,
:meth:`AccelSim.set_random` (seeded input gaps / output stalls), :attr:`AccelSim.cycles`.
"""
import ctypes
import glob
import hashlib
import os
import shutil
import subprocess
import tempfile

import numpy as np

from dualspike import regmap, streams
from dualspike.accel import AcceleratorDescription
from dualspike.errors import DualspikeError, InputError

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "accel_sim.cpp")
TOP = "dualspike_top"


class SimError(DualspikeError, RuntimeError):
    """The simulation could not be built, or the accelerator did not answer in time."""


def _cache_root():
    return os.environ.get("DUALSPIKE_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "dualspike"))


def _verilator_version():
    try:
        return subprocess.run(["verilator", "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SimError(f"verilator is not available ({exc}); install verilator >= 5") from exc


def build_library(verilog, jobs=2, quiet=True):
    """Compile ``verilog`` (path of the top's .v) into a shared library; return its path (cached)."""
    with open(verilog, "rb") as f:
        src = f.read()
    with open(HARNESS, "rb") as f:
        harness = f.read()
    key = hashlib.sha256(src + harness + _verilator_version().encode()).hexdigest()[:20]
    out_dir = os.path.join(_cache_root(), "verilator", key)
    lib = os.path.join(out_dir, "libaccel.so")
    if os.path.exists(lib):
        return lib
    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    work = tempfile.mkdtemp(prefix=f"{key}.", dir=os.path.dirname(out_dir))
    try:
        shutil.copy(verilog, os.path.join(work, f"{TOP}.v"))
        cmd = ["verilator", "--cc", f"{TOP}.v", "--top-module", TOP, "--exe", HARNESS, "--build",
               "-j", str(jobs), "-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert",
               "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Mdir", "obj",
               "-CFLAGS", "-fPIC -O2", "-LDFLAGS", "-shared", "-o", "libaccel.so"]
        r = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        if r.returncode != 0:
            raise SimError(f"verilator build of {verilog} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
        built = glob.glob(os.path.join(work, "obj", "libaccel.so"))
        if not built:
            raise SimError(f"verilator build produced no library in {work}/obj")
        os.makedirs(out_dir, exist_ok=True)
        os.replace(built[0], lib + ".tmp")
        os.replace(lib + ".tmp", lib)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return lib


def _load(lib):
    L = ctypes.CDLL(lib)
    vp, u32, u64, i64 = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_int64
    L.sim_new.restype = vp
    L.sim_free.argtypes = [vp]
    L.sim_set_random.argtypes = [vp, u64, ctypes.c_double, ctypes.c_double]
    L.sim_cycles.argtypes, L.sim_cycles.restype = [vp], u64
    L.sim_violations.argtypes, L.sim_violations.restype = [vp], u64
    L.sim_reset.argtypes = [vp, ctypes.c_int]
    L.sim_step.argtypes = [vp, i64]
    L.axil_write.argtypes = [vp, u32, u32]
    L.axil_read.argtypes, L.axil_read.restype = [vp, u32], u32
    ptr = np.ctypeslib.ndpointer
    L.sim_stream.argtypes = [vp, ptr(np.uint64, flags="C"), ptr(np.uint8, flags="C"), i64,
                             ptr(np.uint32, flags="C"), ptr(np.uint8, flags="C"), ptr(np.uint64, flags="C"),
                             i64, i64, i64,
                             ctypes.POINTER(i64)]
    L.sim_stream.restype = i64
    return L


def _find(path):
    """``path``: a directory holding one ``*.v`` + ``*.json`` pair (other JSON files, such as
    :func:`~dualspike.rtl.synth.synth`'s cache, are ignored), or the ``.json``/``.v`` itself."""
    if os.path.isdir(path):
        js = sorted(j for j in glob.glob(os.path.join(path, "*.json")) if os.path.exists(j[:-len(".json")] + ".v"))
        if len(js) != 1:
            raise SimError(f"{path}: expected one accelerator description (a *.json beside a *.v of the same name), found {len(js)}")
        path = js[0]
    base = os.path.splitext(path)[0]
    v, j = base + ".v", base + ".json"
    for f in (v, j):
        if not os.path.exists(f):
            raise SimError(f"{f} does not exist; generate it with `dualspike build`")
    return v, j


class AccelSim:
    """A simulated accelerator. ``source``: the build directory, its ``.json`` or ``.v``."""

    def __init__(self, source, reset=True):
        self.verilog, self.description_path = _find(os.fspath(source))
        self.description = AcceleratorDescription.load(self.description_path)
        self.spec = self.description.spec
        self.offsets = regmap.offsets(len(self.spec.layers))
        self._lib = _load(build_library(self.verilog))
        self._h = self._lib.sim_new()
        if reset:
            self.reset()

    def close(self):
        if getattr(self, "_h", None):
            self._lib.sim_free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- cycle level ------------------------------------------------------------------------
    def reset(self, cycles=4):
        self._lib.sim_reset(self._h, cycles)

    def step(self, n=1):
        self._lib.sim_step(self._h, int(n))

    def set_random(self, seed=0, gap=0.0, stall=0.0):
        """Seeded random input gaps (probability per cycle) and output stalls (ready low)."""
        self._lib.sim_set_random(self._h, int(seed), float(gap), float(stall))

    @property
    def cycles(self):
        return int(self._lib.sim_cycles(self._h))

    @property
    def violations(self):
        """AXI4-Stream rule violations seen on the output since construction."""
        return int(self._lib.sim_violations(self._h))

    # ---- registers --------------------------------------------------------------------------
    def _off(self, reg):
        if isinstance(reg, str):
            if reg not in self.offsets:
                raise KeyError(f"no register {reg!r}; registers are {', '.join(self.offsets)}")
            return self.offsets[reg]
        return int(reg)

    def read(self, reg):
        return int(self._lib.axil_read(self._h, self._off(reg)))

    def write(self, reg, value):
        self._lib.axil_write(self._h, self._off(reg), int(value) & 0xFFFFFFFF)

    def ctrl(self, **fields):
        """Write CTRL from field names, e.g. ``ctrl(RUN=1)``; unnamed fields are 0."""
        bits = {f.name: f.bit for f in regmap.CTRL_FIELDS}
        unknown = set(fields) - set(bits)
        if unknown:
            raise KeyError(f"unknown CTRL field(s) {sorted(unknown)}; fields are {sorted(bits)}")
        self.write("CTRL", sum((int(v) & 1) << bits[k] for k, v in fields.items()))

    def status(self):
        v = self.read("STATUS")
        return {f.name: (v >> f.bit) & ((1 << f.width) - 1) for f in regmap.STATUS_FIELDS}

    # ---- streams ----------------------------------------------------------------------------
    def stream(self, words, last=None, want=0, max_cycles=None):
        """Push uint64 ``words`` (``last``: TLAST flags, default on the final word) and collect
        ``want`` 32-bit output words. Returns ``(out uint32[k], out_last uint8[k], n_taken)``."""
        words = np.ascontiguousarray(np.asarray(words, dtype=np.uint64).reshape(-1))
        if last is None:
            last = np.zeros(len(words), dtype=np.uint8)
            if len(words):
                last[-1] = 1
        last = np.ascontiguousarray(np.asarray(last, dtype=np.uint8).reshape(-1))
        if len(last) != len(words):
            raise InputError(f"{len(words)} words but {len(last)} TLAST flags")
        out = np.zeros(max(want, 1), dtype=np.uint32)
        olast = np.zeros(max(want, 1), dtype=np.uint8)
        ocyc = np.zeros(max(want, 1), dtype=np.uint64)
        if max_cycles is None:
            max_cycles = 1000 + 200 * len(words) + 100000 * max(1, want)
        taken = ctypes.c_int64(0)
        k = self._lib.sim_stream(self._h, words, last, len(words), out, olast, ocyc, len(out), int(want),
                                 int(max_cycles), ctypes.byref(taken))
        k = min(k, len(out))
        self.last_out_cycles = ocyc[:k]
        return out[:k], olast[:k], taken.value

    # ---- model level ------------------------------------------------------------------------
    def load_weights(self, model, check=True):
        """Stream ``model``'s weights in (CTRL.LOAD_WEIGHTS); returns the stream words."""
        words = streams.weight_stream(model, self.description.word, self.description.order)
        self.ctrl(LOAD_WEIGHTS=1)
        _, _, taken = self.stream(words)
        self.step(4)
        self.ctrl()
        if check and taken != len(words):
            raise SimError(f"weight stream stalled: {taken} of {len(words)} words taken")
        return words

    def run_frames(self, x, T=None, max_cycles=None):
        """Run a batch through the accelerator: int32 ``[N, classes]``. Afterwards
        ``frame_end_cycles`` holds the cycle of each frame's last output word and ``interval`` the
        mean steady-state frame interval (cycles between consecutive frame completions)."""
        spec, t_max = self.spec, self.description.t_max
        if T is not None:
            self.write("T", T)
        frames = streams.pack_frames(spec, x, t_max)
        n, fw = frames.shape
        last = np.zeros((n, fw), dtype=np.uint8)
        last[:, -1] = 1
        self.ctrl(RUN=1)
        want = n * spec.num_classes
        out, olast, taken = self.stream(frames.reshape(-1), last.reshape(-1), want, max_cycles)
        if len(out) != want:
            raise SimError(f"{len(out)} of {want} output words after {self.cycles} cycles "
                           f"({taken} of {frames.size} input words taken); STATUS={self.status()}")
        exp_last = np.zeros((n, spec.num_classes), dtype=np.uint8)
        exp_last[:, -1] = 1
        if not np.array_equal(olast, exp_last.reshape(-1)):
            raise SimError("TLAST is not on the last word of each frame's output")
        ends = self.last_out_cycles[olast.astype(bool)].astype(np.int64)
        self.frame_end_cycles = ends
        self.interval = float((ends[-1] - ends[0]) / (n - 1)) if n > 1 else float("nan")
        return streams.unpack_output(out, n, spec.num_classes)


def _run_chunk(job):
    source, model, x, T = job
    with AccelSim(source) as sim:
        sim.load_weights(model)
        out = sim.run_frames(x, T)
        return out, sim.frame_end_cycles


def run_frames_parallel(source, model, x, workers=None, T=None):
    """Run ``x`` through fresh simulations of one build, split into ``workers`` contiguous chunks
    simulated in separate processes (default: one per CPU). Each process loads ``model``'s
    weights, then runs its chunk as :meth:`AccelSim.run_frames` does. Returns ``(logits [N,
    classes], interval)``: the steady-state frame interval over all chunks (the first frame of
    each chunk only starts its clock). The accelerator is deterministic, so the logits equal one
    simulation's; this only spreads the wall time over the cores."""
    import multiprocessing
    x = np.asarray(x)
    n = len(x)
    workers = max(1, min(workers or os.cpu_count() or 1, n // 2 or 1))
    build_library(_find(os.fspath(source))[0])            # compile once, before the workers start
    cuts = np.linspace(0, n, workers + 1).astype(int)
    jobs = [(source, model, x[a:b], T) for a, b in zip(cuts[:-1], cuts[1:])]
    if workers == 1:
        results = [_run_chunk(jobs[0])]
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_run_chunk, jobs)
    logits = np.concatenate([r[0] for r in results])
    span = sum(int(e[-1] - e[0]) for _, e in results)
    gaps = sum(len(e) - 1 for _, e in results)
    return logits, (span / gaps if gaps else float("nan"))
