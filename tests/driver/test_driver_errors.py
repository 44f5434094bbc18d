"""Every error the driver raises, with a message that says what to fix."""
import numpy as np
import pytest

pynq = pytest.importorskip("pynq")

from dualspike.driver.dma import PG021_REGISTERS  # noqa: E402
from dualspike.driver.errors import (AcceleratorError, CapacityError, DMAError, DMATimeoutError,  # noqa: E402
                                     OverlayMismatchError, SensorRangeError, WeightLoadError)
from dualspike.errors import InputError  # noqa: E402
from dualspike.model import random_model  # noqa: E402


# ---- overlay / model mismatch ----------------------------------------------------------------
def test_not_a_dualspike_bitstream(make_sim, mnist_model):
    acc = make_sim(mnist_model, load=False, ident=0xDEADBEEF)
    with pytest.raises(OverlayMismatchError, match=r"reads ID 0xDEADBEEF.*not a dualspike accelerator.*download"):
        acc.check()


def test_spec_hash_mismatch_names_both(make_sim, mnist_model):
    acc = make_sim(mnist_model, load=False, spec_hash=0x12345678)
    with pytest.raises(OverlayMismatchError, match=r"built for spec hash 0x12345678.*'scnn5-mnist'.*0x[0-9A-F]{8}"):
        acc.check()


def test_t_max_mismatch(make_sim, mnist_model):
    from driver_models import description
    from behav import BehaviouralAccel
    from dualspike.driver.rtlsim import rtl_sim_accelerator
    hw = description(mnist_model, t_max=8)
    acc = rtl_sim_accelerator(description(mnist_model), sim=BehaviouralAccel(hw))
    with pytest.raises(OverlayMismatchError, match="T_MAX reads 8.*says 4"):
        acc.check()


def test_model_of_another_spec(make_sim, mnist_model, dvs_model):
    acc = make_sim(mnist_model, load=False)
    with pytest.raises(OverlayMismatchError, match=r"model is 'scnn7-dvs'.*built for 'scnn5-mnist'"):
        acc.load_weights(dvs_model)


# ---- weights ------------------------------------------------------------------------------------
def test_weights_over_capacity_refused_before_sending(make_sim, mnist_model):
    acc = make_sim(mnist_model, load=False)
    acc.check()
    dense = random_model(mnist_model.spec, density=0.5, seed=9)
    log = acc.device.register_log = []
    with pytest.raises(CapacityError, match=r"layer 0 has \d+ non-zero weights.*holds \d+; prune.*or rebuild"):
        acc.load_weights(dense)
    assert log == [] or not [a for op, a, v in log if op == "write"]


def test_weight_crc_mismatch(make_sim, mnist_model):
    acc = make_sim(mnist_model, load=False, corrupt_crc=True)
    with pytest.raises(WeightLoadError, match=r"WEIGHT_CRC reads 0x[0-9A-F]{8}.*CRC 0x[0-9A-F]{8}"):
        acc.load_weights(mnist_model)


def test_run_before_loading_weights(make_sim, mnist_model, mnist):
    acc = make_sim(mnist_model, load=False)
    with pytest.raises(WeightLoadError, match="load_weights"):
        acc.run(mnist[0][:1])


# ---- DMA --------------------------------------------------------------------------------------------
def test_dma_timeout_reports_status_bits(make_sim, mnist_model, mnist):
    acc = make_sim(mnist_model, timeout=0.2)
    acc.device.accel.stall = True                     # the accelerator stops taking input
    acc.batch_size = 2
    with pytest.raises(DMATimeoutError, match=r"MM2S \(send\) channel did not finish within 0.2 s, "
                                              r"MM2S_DMASR = 0x[0-9A-F]{8} \((?![^)]*Idle)[^)]*\)\. Frame 0 of 2.*"
                                              r"STATUS = .*ERROR_CODE = 0"):
        acc.run(mnist[0][:2])


def test_dma_error_bits_reported(make_sim, mnist_model):
    acc = make_sim(mnist_model)
    off = PG021_REGISTERS
    acc.dma.mmio.write(off["S2MM_DA"], 0x0800_0000)    # nothing mapped there
    acc.dma.mmio.write(off["S2MM_LENGTH"], 40)
    with pytest.raises(DMAError, match=r"S2MM \(recv\) channel error, S2MM_DMASR = 0x[0-9A-F]{8} "
                                       r"\(Halted, DMADecErr, Err_Irq\); DMADecErr: decode error"):
        acc.port.wait("recv", 0.5)


def test_output_packet_too_long_is_a_dma_error(make_sim, mnist_model, mnist):
    acc = make_sim(mnist_model, extra_words=1)          # 11 words, TLAST late: the buffer holds 10
    acc.batch_size = 1
    with pytest.raises(DMAError, match="S2MM.*DMAIntErr.*packet longer than the receive buffer.*Frame 0 of 1"):
        acc.run(mnist[0][:1])


def test_output_packet_too_short(make_sim, mnist_model, mnist):
    acc = make_sim(mnist_model, extra_words=-1)         # TLAST early
    acc.batch_size = 1
    with pytest.raises(AcceleratorError, match="output packet had 36 bytes.*40 expected"):
        acc.run(mnist[0][:1])


def test_accelerator_error_code(make_sim, mnist_model, mnist):
    acc = make_sim(mnist_model)
    acc.regs.write("T", 99)                            # the model sets ERROR_CODE 3
    with pytest.raises(AcceleratorError, match=r"error 3 \(T outside 1..T_MAX\)"):
        acc._raise_if_error("running")


# ---- input ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("x,match", [
    (np.zeros((2, 1, 27, 28), np.uint8), r"takes images of shape \[N, 1, 28, 28\], got \[2, 1, 27, 28\]"),
    (np.zeros((2, 1, 28, 28), np.float32), r"uint8 0..255, got float32.*\* 255"),
    (np.zeros((1, 28, 28), np.uint8), r"one image.*x\[None\]"),
    (np.zeros((2, 1, 28, 28), np.int16), r"uint8 \(0..255\), got dtype int16"),
    ([1, 2, 3], r"numpy array"),
])
def test_wrong_images(make_sim, mnist_model, x, match):
    acc = make_sim(mnist_model, load=False)
    with pytest.raises(InputError, match=match):
        acc.run(x)


def test_events_outside_the_sensor(make_sim, dvs_model):
    from dualspike.events import EVENT_DTYPE
    ev = np.zeros(3, EVENT_DTYPE)
    ev["x"], ev["y"], ev["t"], ev["p"] = [1, 40, 2], [3, 3, 3], [0, 10, 20], [1, 0, 1]
    acc = make_sim(dvs_model, load=False)
    with pytest.raises(SensorRangeError, match=r"event 1 has x = 40, outside the model's 32×32 sensor.*downscale"):
        acc.run([ev])


def test_events_bad_fields_and_binned_T(make_sim, dvs_model):
    acc = make_sim(dvs_model, load=False)
    with pytest.raises(InputError, match="field"):
        acc.run([np.zeros(3, dtype=[("x", "i2"), ("y", "i2"), ("t", "i8")])])
    with pytest.raises(InputError, match=r"6 time bins.*T = 4.*set_T"):
        acc.run(np.zeros((1, 6, 2, 32, 32), np.uint8))
    with pytest.raises(InputError, match="0/1"):
        acc.run(np.full((1, 4, 2, 32, 32), 2, np.uint8))


def test_images_to_an_events_model(make_sim, mnist_model):
    acc = make_sim(mnist_model, load=False)
    from dualspike.events import EVENT_DTYPE
    with pytest.raises(InputError, match="takes images.*not events"):
        acc.run(np.zeros(3, EVENT_DTYPE))


@pytest.mark.parametrize("T", [0, 5, 2.0, True])
def test_T_out_of_range(make_sim, mnist_model, T):
    acc = make_sim(mnist_model, load=False)
    with pytest.raises(InputError, match=r"T = .* must be an int in 1..T_MAX = 4"):
        acc.set_T(T)


def test_batch_larger_than_buffers(make_sim, mnist_model, mnist):
    acc = make_sim(mnist_model)
    acc.batch_size = 2
    with pytest.raises(InputError, match="do not fit batch_size = 2"):
        acc.execute(acc.prepare(mnist[0][:3]))
