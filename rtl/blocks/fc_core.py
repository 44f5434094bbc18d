"""FC layer core: frame buffer + sparse engine; spikes out, or the readout (membrane sum / count).

The fc layer sees the whole input map as one receptive field. DESIGN.md §2 defines its weights
over the ``(c, h, w)`` flattening, but pixels arrive in raster order with channels fastest, so
the receptive-field order is ``(h, w, c)`` (``j = (h*W + w)*C + c``); the weight image is built
in that order (:func:`dualspike.golden.layers.receptive_field_matrix`), so no reordering
hardware is needed.

Parameters: ``geo`` (:func:`~dualspike.rtl.weight_image.core_geometry`), ``images``.

Ports:

=====  ====  ====================================================================================
s      in    pixel stream (as the conv core's input), H·W beats a frame
m      out   one beat per frame: spikes ``Tmax·Co`` bits (bit ``t*Co + co``), or for the readout
             layer ``32·Co`` bits (int32 ``Σ_t I[t]`` or spike count of class ``co`` at
             ``[32co, 32co+32)``); ``last`` = 1
wport  in    weight write port (as the conv core)
T      in    runtime time steps
busy   out   cost-model cycles (one "pixel", ``ceil(Co/L)`` units)
=====  ====  ====================================================================================

The frame buffer holds ``H·W·Tmax·C`` bits; it accepts one pixel per cycle and then holds the
frame until the engine has scanned every group, so the next frame's pixels wait.

::

    clk   _/‾\\_/‾\\_/‾\\_/ ... \\_/‾\\_/‾\\_/ ... \\_/‾\\_
    s     ==<p0><p1>...<pN-1>_______________ ... __
    busy  ____________________/‾‾‾‾‾‾‾‾‾ ... ‾\\__
    m     ____________________________________<y>_     (last = 1)

Usage::

    cfg = fc_core_for(spec, len(spec.layers) - 1, lanes=2, model=model)
    inst = fc_core(*cfg.ports, geo=cfg.geo, images=cfg.images)      # inside a @block
"""
from myhdl import Signal, always_comb, always_seq, block, concat, instances, intbv

from ..interfaces import Stream
from .conv_core import core_config, core_input, input_width
from .sparse_engine import sparse_engine


@block
def frame_buffer(glbl, s, m, npix, pixel_w):
    """Collect ``npix`` pixels (pixel q at bits ``[q*P, (q+1)*P)`` of ``m.data``); hold the frame
    (``m.valid``) until ``m.ready``. One pixel per cycle in; ``m.last`` = 1."""
    P, N = pixel_w, npix
    s.check(P, "frame_buffer input")
    m.check(N * P, "frame_buffer output")
    sr = Signal(intbv(0)[N * P:])
    cnt = Signal(intbv(0, min=0, max=N + 1))
    hold = Signal(bool(0))

    @always_comb
    def comb():
        s.ready.next = not hold
        m.valid.next = hold
        m.last.next = hold
        m.data.next = sr

    if N > 1:
        @always_seq(glbl.clk.posedge, reset=glbl.rst)
        def shift():
            if s.valid and not hold:
                sr.next = concat(s.data, sr[N * P:P])
    else:
        @always_seq(glbl.clk.posedge, reset=glbl.rst)
        def shift():
            if s.valid and not hold:
                sr.next = s.data

    @always_seq(glbl.clk.posedge, reset=glbl.rst)
    def seq():
        if s.valid and not hold:
            if cnt == N - 1 or s.last:
                cnt.next = 0
                hold.next = 1
            else:
                cnt.next = cnt + 1
        elif hold and m.ready:
            hold.next = 0

    return instances()


@block
def fc_core(glbl, s, m, wport, T, busy, geo, images=None, probe=None, pairs=None):
    P = input_width(s, geo, "fc")
    c, h, w = geo.in_shape
    fb_in = Stream(P)
    insts = [core_input(s, fb_in, geo)]
    win = Stream(h * w * P)
    insts.append(frame_buffer(glbl, fb_in, win, npix=h * w, pixel_w=P))
    insts.append(sparse_engine(glbl, win, m, wport, T, busy, geo=geo, images=images, npix=h * w,
                               conv=False, probe=probe, pairs=pairs))
    return insts


def fc_core_for(spec, i, lanes, model=None, word=64, tmax=None, ports=None):
    """:func:`~dualspike.rtl.blocks.conv_core.core_config` of layer ``i``'s fc core."""
    return core_config(spec, i, lanes, "fc", model, word, tmax, ports)
