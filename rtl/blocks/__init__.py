"""RTL building blocks, one module per generated Verilog module.

==================  ==========================================================================
module              block
==================  ==========================================================================
line_buffer         dataflow orchestrator: pixel stream -> 3x3 windows, (2W+3) pixels held
sparsity_lane       dual-side sparsity detector lane: scan words, pop matched pairs, accumulate
popcount            pipelined population count (LUT-ROM chunks)
sdp_ram             simple dual-port RAM with a placement (block / LUT RAM): the lanes' entry FIFOs
lif_unit            leak / integrate / saturate / fire / reset, T steps back to back
readout             Σ_t I[t] (membrane) or Σ_t S[t] (count), int32
sparse_engine       window scan + L lanes, each walking its own units + output register
lane_post           after a lane: LIF and/or readout, write into a pixel buffer's slots
pixel_buffers       pixel buffers: completion flags per lane, in-order take (multiplexer)
conv_core           line buffer + engine (factory ``conv_core_for``)
fc_core             frame buffer + engine, spikes or readout (factory ``fc_core_for``)
pool                2x2 OR pool, odd row/column dropped
==================  ==========================================================================
"""
