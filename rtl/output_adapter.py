"""Output adapter: the readout's 32-bit class words → ``m_axis``, plus the frame-level counters.

The readout core emits one 32-bit beat per class with ``tlast`` on the frame's last class; this
block forwards it unchanged to the AXI4-Stream output (no added latency) and measures:

- ``frames``: frames completed (last output beat taken);
- ``latency``: cycles from the frame's first input word (``first`` pulse from the input adapter)
  to its last output beat; start times wait in a ``depth``-entry FIFO (frames in flight);
- ``interval``: cycles between the last two frame completions;
- ``stall``: cycles with ``m.tvalid`` high and ``m.tready`` low;
- ``inflight``: frames started but not completed (``STATUS.BUSY``).

``clear`` zeroes ``frames`` and ``stall`` (CTRL.CLEAR_COUNTERS); ``rst`` zeroes everything.
"""
from myhdl import Signal, always, always_comb, block, intbv, modbv


@block
def output_adapter(clk, rst, clear, s, m, first, frames, latency, interval, stall, inflight, depth=32):
    if len(s.data) != 32 or len(m.tdata) != 32:
        raise ValueError(f"output_adapter: streams must be 32 bits, got {len(s.data)} and {len(m.tdata)}")
    now = Signal(modbv(0)[32:])
    last_done = Signal(intbv(0)[32:])
    mem = [Signal(intbv(0)[32:]) for _ in range(depth)]
    wptr = Signal(intbv(0, min=0, max=depth))
    rptr = Signal(intbv(0, min=0, max=depth))
    head = Signal(intbv(0)[32:])
    done = Signal(bool(0))
    n_in = Signal(intbv(0, min=0, max=depth + 1))

    @always_comb
    def wires():
        m.tdata.next = s.data
        m.tvalid.next = s.valid
        m.tlast.next = s.last
        s.ready.next = m.tready
        done.next = s.valid and m.tready and s.last

    @always_comb
    def fifo_head():
        head.next = mem[rptr]

    @always(clk.posedge)
    def fifo_write():
        if first:
            mem[wptr].next = now

    @always(clk.posedge)
    def seq():
        if rst:
            now.next = 0
            last_done.next = 0
            wptr.next = 0
            rptr.next = 0
            n_in.next = 0
            frames.next = 0
            stall.next = 0
            latency.next = 0
            interval.next = 0
        else:
            now.next = now + 1
            if first:
                wptr.next = (wptr + 1) % depth
            if done:
                rptr.next = (rptr + 1) % depth
                latency.next = now - head + 1
                interval.next = now - last_done
                last_done.next = now
            if first and not done:
                n_in.next = n_in + 1
            elif done and not first and n_in != 0:
                n_in.next = n_in - 1
            if clear:
                frames.next = 0
                stall.next = 0
            else:
                if done:
                    frames.next = frames + 1
                if s.valid and not m.tready:
                    stall.next = stall + 1

    @always_comb
    def busy():
        inflight.next = n_in

    return wires, fifo_head, fifo_write, seq, busy
