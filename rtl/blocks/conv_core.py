"""Conv layer core: line buffer + sparse engine with ``L`` lanes (output-channel parallelism).

3×3, stride 1, zero padding 1, then LIF (DESIGN.md §2-3). Loop order inside the core: pixel →
output-channel group → t → matched pairs; a frame costs (``busy`` cycles, no input starvation)
the engine schedule of :mod:`dualspike.rtl.blocks.sparse_engine`
(:func:`dualspike.golden.cost.engine_schedule`, via :func:`~dualspike.golden.cost.layer_cycles`).

Parameters: ``geo`` (:func:`~dualspike.rtl.weight_image.core_geometry`), ``images`` (initial RAM
contents per lane or None).

Ports:

=====  ====  ====================================================================================
s      in    pixel stream, raster order. Spikes: ``Tmax·Ci`` bits, bit ``t*Ci + c``. Static first
             layer: ``B·Ci`` bits, channel c's ``B``-bit value at bits ``[c*B, (c+1)*B)``
m      out   spikes before pooling, ``Tmax·Co`` bits per pixel (bit ``t*Co + co``), raster order
wport  in    :class:`~dualspike.rtl.interfaces.WeightPort` (masks, values, bias, threshold)
T      in    runtime time steps (1..Tmax), stable during a frame
busy   out   high on the cost-model cycles
=====  ====  ====================================================================================

Handshake: ``s`` is accepted while the line buffer fills (one pixel per cycle); ``m`` carries one
beat per pixel, held until ``m.ready``; while it is held and the next pixel is complete the core
freezes.

::

    clk    _/‾\\_/‾\\_/‾\\_/‾\\_/ ... \\_/‾\\_/‾\\_/‾\\_
    s      ==<p0><p1>..<pW+1>====== ... (more pixels as windows are consumed)
    busy   ____________________/‾‾‾ ... ‾‾‾‾‾‾‾‾‾‾\\_
    m      ____________________________<y0>___<y1>__

Usage::

    cfg = conv_core_for(spec, 1, lanes=4, model=model)
    inst = conv_core(*cfg.ports, geo=cfg.geo, images=cfg.images)   # inside a @block
"""
from typing import NamedTuple

from myhdl import Signal, always_comb, block, intbv

from ..interfaces import Global, Stream, WeightPort, wire
from ..weight_image import core_geometry, lane_images
from .line_buffer import line_buffer
from .sparse_engine import sparse_engine


class CorePorts(NamedTuple):
    glbl: Global
    s: Stream
    m: Stream
    wport: WeightPort
    T: Signal
    busy: Signal


def weight_port_for(geo):
    depth = max(geo.groups * geo.nw, geo.value_depth, geo.groups, 2)
    return WeightPort(geo.lanes, (depth - 1).bit_length(),
                      max(geo.word, geo.wbits, geo.bbits, geo.vbits))


def core_ports(geo):
    """Fresh port objects for a core of geometry ``geo``."""
    c, _, _ = geo.in_shape
    in_w = geo.npass * c if geo.static else geo.tmax * c
    if geo.kind == "fc" or geo.readout:
        out_w = 32 * geo.co if geo.readout else geo.tmax * geo.co
    else:
        out_w = geo.tmax * geo.co
    return CorePorts(Global(), Stream(in_w), Stream(out_w), weight_port_for(geo),
                     Signal(intbv(geo.tmax, min=0, max=geo.tmax + 1)), Signal(bool(0)))


@block
def static_rewire(src, dst, c, b):
    """First-layer values ``[c*B + b]`` -> plane-major ``[b*C + c]`` (pure wiring)."""
    @always_comb
    def comb():
        v = intbv(0)[c * b:]
        for bi in range(b):
            for ci in range(c):
                v[bi * c + ci] = src[ci * b + bi]
        dst.next = v
    return comb


def input_width(s, geo, kind):
    """Check that a ``kind`` core has a ``kind`` layer and that ``s`` carries its ``NP·C``-bit
    pixels; returns ``NP·C``."""
    if geo.kind != kind:
        raise ValueError(f"{kind}_core: layer kind is {geo.kind!r}")
    P = geo.npass * geo.in_shape[0]
    s.check(P, f"{kind}_core input")
    return P


@block
def core_input(s, out, geo):
    """A core's input stage: ``s`` passed on to ``out`` with pixels in pass-major order (a
    static multi-plane first layer is rewired)."""
    c = geo.in_shape[0]
    if geo.static and geo.planes > 1:
        data = static_rewire(s.data, out.data, c, geo.planes)
    else:
        data = wire(out.data, s.data)
    return data, wire(out.valid, s.valid), wire(s.ready, out.ready), wire(out.last, s.last)


@block
def conv_core(glbl, s, m, wport, T, busy, geo, images=None, probe=None, pairs=None):
    P = input_width(s, geo, "conv")
    c, h, w = geo.in_shape
    lb_in = Stream(P)
    insts = [core_input(s, lb_in, geo)]
    win = Stream(9 * P + 9)
    insts.append(line_buffer(glbl, lb_in, win, width=w, height=h, pixel_w=P))
    insts.append(sparse_engine(glbl, win, m, wport, T, busy, geo=geo, images=images, npix=9,
                               conv=True, probe=probe, pairs=pairs))
    return insts


class CoreConfig(NamedTuple):
    """What a generator needs to instantiate a core: ``conv_core(*cfg.ports, geo=cfg.geo,
    images=cfg.images)`` inside its own ``@block`` (MyHDL wants blocks called from blocks)."""
    geo: object
    images: object
    ports: CorePorts


def core_config(spec, i, lanes, kind, model=None, word=64, tmax=None, ports=None):
    """Factory: geometry, initial RAM images (from ``model``, an IntegerModel, when given) and
    fresh ports of layer ``i``'s core (``kind`` "conv" or "fc") with ``lanes`` lanes ->
    :class:`CoreConfig`."""
    geo = core_geometry(spec, i, lanes, word=word, tmax=tmax)
    if geo.kind != kind:
        raise ValueError(f"layer {i} is {geo.kind}, not {kind}")
    images = lane_images(spec, i, geo, model) if model is not None else None
    return CoreConfig(geo, images, ports or core_ports(geo))


def conv_core_for(spec, i, lanes, model=None, word=64, tmax=None, ports=None):
    """:func:`core_config` of layer ``i``'s conv core."""
    return core_config(spec, i, lanes, "conv", model, word, tmax, ports)
