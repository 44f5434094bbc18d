"""SnnAccelerator through pynq.Overlay(download=False) + stock DMA on the simulated device, with the
behavioural accelerator model: golden equality, events, streaming, register sequences, T, counters."""
import numpy as np
import pytest

pynq = pytest.importorskip("pynq")

from dualspike import golden, regmap  # noqa: E402
from dualspike.driver.dma import PG021_REGISTERS  # noqa: E402
from dualspike.events import bin_batch, mnist_to_events  # noqa: E402


def test_overlay_ip_dict_and_drivers(make_sim, mnist_model):
    from dualspike.driver import blockdesign as bd
    from pynq.lib.dma import DMA

    acc = make_sim(mnist_model, load=False)
    assert isinstance(acc.dma, DMA) and acc.dma.buffer_max_size == (1 << 26) - 1
    assert acc.dma.sendchannel._align == 8 and acc.dma.recvchannel._align == 4
    b = bd.board("pynq-z2")
    assert acc.core_description["phys_addr"] == b["ctrl_base"]
    assert acc.core_description["type"] == bd.ACCEL_VLNV
    assert acc.check() is True


def test_core_driver_binds_to_vlnv(mnist_model):
    from behav import BehaviouralAccel
    from driver_models import description
    from dualspike.driver.core import SnnCore
    from dualspike.driver.rtlsim import sim_overlay

    desc = description(mnist_model)
    ol = sim_overlay(BehaviouralAccel(desc), desc)
    assert isinstance(ol.dualspike_0, SnnCore)
    assert ol.dualspike_0.regs.read("ID") == regmap.ID_VALUE
    assert ol.dualspike_0.register_map.SPEC_HASH.address == regmap.offsets(5)["SPEC_HASH"]


def test_mnist_200_digits_equal_golden(make_sim, mnist_model, mnist):
    x = mnist[0][:200]
    acc = make_sim(mnist_model)
    acc.batch_size = 64
    out = acc.run(x)
    np.testing.assert_array_equal(out, golden.run(mnist_model, x).logits)
    np.testing.assert_array_equal(acc.classify(x[:10]), golden.run(mnist_model, x[:10]).classes)


def test_dvs_events_from_mnist_equal_golden(make_sim, dvs_model, mnist):
    recs = mnist_to_events(mnist[0][:24], sensor_size=(32, 32), seed=0)
    acc = make_sim(dvs_model)
    acc.batch_size = 8
    out = acc.run(recs)
    ref = golden.run(dvs_model, bin_batch(recs, 4, (32, 32)))
    np.testing.assert_array_equal(out, ref.logits)
    assert out.any()
    np.testing.assert_array_equal(acc.run(recs[0]), ref.logits[:1])        # one recording


def test_stream_of_2000_frames_in_batches_loses_and_reorders_nothing(make_sim, tiny_model):
    x = np.random.default_rng(7).integers(0, 256, (2000, 1, 8, 8), dtype=np.uint8)
    acc = make_sim(tiny_model, cycles_per_poll=256, interval=20, latency=30)
    acc.batch_size = 250
    out = acc.run(x)
    ref = golden.run(tiny_model, x).logits
    assert out.shape == ref.shape
    np.testing.assert_array_equal(out, ref)
    changes = np.any(ref[1:] != ref[:-1], axis=1).mean()
    assert changes > 0.5, f"only {changes:.0%} of neighbouring frames differ: a reordering could go unseen"                      # frames distinguishable: order is checked
    assert acc.counters()["FRAMES"] == 2000


def test_missing_invalidate_is_caught(make_sim, mnist_model, mnist, monkeypatch):
    x = mnist[0][:8]
    acc = make_sim(mnist_model)
    acc.batch_size = 8
    monkeypatch.setattr(type(acc), "copy_out", lambda self, n: np.array(self.obuf[:n]))   # no invalidate
    assert not np.array_equal(acc.run(x), golden.run(mnist_model, x).logits)


def test_missing_flush_is_caught(make_sim, mnist_model, mnist, monkeypatch):
    x = mnist[0][:8]
    acc = make_sim(mnist_model)
    acc.batch_size = 8
    monkeypatch.setattr(type(acc.device), "flush", lambda *a: None)     # caches never written back
    assert not np.array_equal(acc.run(x), golden.run(mnist_model, x).logits)


def test_batch_size_allocates_once(make_sim, mnist_model, mnist):
    acc = make_sim(mnist_model)
    acc.batch_size = 16
    ib, ob = acc.ibuf, acc.obuf
    assert ib.shape == (16, acc.desc.frame_words) and ob.shape == (16, 10)
    acc.run(mnist[0][:40])
    assert acc.ibuf is ib and acc.obuf is ob
    with pytest.raises(ValueError, match="positive int"):
        acc.batch_size = 0


def test_staged_methods(make_sim, mnist_model, mnist):
    x = mnist[0][:5]
    acc = make_sim(mnist_model)
    acc.batch_size = 5
    packed = acc.pack_input(x)
    assert packed.dtype == np.uint64 and packed.shape == (5, acc.desc.frame_words)
    acc.copy_in(packed)
    acc.execute_on_buffers(5)
    raw = acc.copy_out(5)
    np.testing.assert_array_equal(acc.unpack_output(raw, 5), golden.run(mnist_model, x).logits)


def test_register_sequence_load_and_run(make_sim, mnist_model, mnist):
    acc = make_sim(mnist_model, load=False)
    acc.check()
    log = acc.device.register_log = []
    acc.load_weights(mnist_model)
    ctrl = acc.device.ctrl_base + regmap.offsets(5)["CTRL"]
    dma = 0x40400000
    writes = [(a, v) for op, a, v in log if op == "write"]
    ctrl_writes = [v for a, v in writes if a == ctrl]
    assert ctrl_writes == [2, 4, 1]                  # SOFT_RESET, LOAD_WEIGHTS, RUN
    i_load = writes.index((ctrl, 4))
    i_len = [k for k, (a, _) in enumerate(writes) if a == dma + PG021_REGISTERS["MM2S_LENGTH"]][0]
    assert i_load < i_len < writes.index((ctrl, 1))
    log.clear()
    acc.batch_size = 3
    acc.run(mnist[0][:3])
    lens = [a - dma for a, v in [(a, v) for op, a, v in log if op == "write"]
            if a - dma in (PG021_REGISTERS["MM2S_LENGTH"], PG021_REGISTERS["S2MM_LENGTH"])]
    assert lens[:2] == [PG021_REGISTERS["S2MM_LENGTH"], PG021_REGISTERS["MM2S_LENGTH"]]   # receive first
    assert lens.count(PG021_REGISTERS["MM2S_LENGTH"]) == 3 and lens.count(PG021_REGISTERS["S2MM_LENGTH"]) == 3


def test_runtime_T_and_counters(make_sim, mnist_model, mnist):
    x = mnist[0][:6]
    acc = make_sim(mnist_model)
    acc.set_T(2)
    assert acc.T == 2 and acc.regs.read("T") == 2
    np.testing.assert_array_equal(acc.run(x), golden.run(mnist_model, x, T=2).logits)
    c = acc.layer_counters()
    st = golden.run(mnist_model, x[-1:], T=2, stats=True).stats
    assert c["pairs"] == [int(s.pairs[0]) for s in st.layers]
    assert c["spikes"][-1] == 0 and all(v > 0 for v in c["spikes"][:-1])
