// Verilator harness for the generated accelerator top (dualspike_top), driven from Python (ctypes).
//
// One cycle = inputs set -> clk low, eval -> handshakes sampled -> clk high, eval. The stream loop
// runs in C++ so Python pays one call per batch, not per cycle. Random input gaps and output
// stalls come from a seeded xorshift generator; a protocol monitor counts AXI4-Stream rule
// violations (output payload or TLAST changed, or TVALID dropped, while TVALID & !TREADY).
#include <cstdint>
#include <cstring>
#include "Vdualspike_top.h"
#include "verilated.h"

struct Sim {
    VerilatedContext* ctx;
    Vdualspike_top* top;
    uint64_t cycles = 0, rng = 1, violations = 0;
    double gap = 0.0, stall = 0.0;
    bool hold_valid = false, prev_stalled = false;
    uint32_t prev_data = 0;
    bool prev_last = false;
};

static double urand(Sim* s) {
    s->rng ^= s->rng << 13; s->rng ^= s->rng >> 7; s->rng ^= s->rng << 17;
    return (double)(s->rng >> 11) / 9007199254740992.0;
}

static void half_low(Sim* s) { s->top->ap_clk = 0; s->top->eval(); }
static void half_high(Sim* s) { s->top->ap_clk = 1; s->top->eval(); s->cycles++; }

static void monitor(Sim* s) {
    auto* t = s->top;
    if (s->prev_stalled) {
        if (!t->m_axis_tvalid || t->m_axis_tdata != s->prev_data || (bool)t->m_axis_tlast != s->prev_last)
            s->violations++;
    }
    s->prev_stalled = t->m_axis_tvalid && !t->m_axis_tready;
    s->prev_data = t->m_axis_tdata;
    s->prev_last = t->m_axis_tlast;
}

extern "C" {

void* sim_new() {
    Sim* s = new Sim();
    s->ctx = new VerilatedContext();
    s->top = new Vdualspike_top(s->ctx);
    auto* t = s->top;
    t->ap_rst_n = 0; t->s_axis_tvalid = 0; t->m_axis_tready = 0;
    t->s_axi_control_awvalid = 0; t->s_axi_control_wvalid = 0; t->s_axi_control_bready = 0;
    t->s_axi_control_arvalid = 0; t->s_axi_control_rready = 0; t->s_axi_control_wstrb = 0xF;
    half_low(s);
    return s;
}

void sim_free(void* p) {
    Sim* s = (Sim*)p;
    s->top->final();
    delete s->top;
    delete s->ctx;
    delete s;
}

void sim_set_random(void* p, uint64_t seed, double gap, double stall) {
    Sim* s = (Sim*)p;
    s->rng = seed ? seed * 0x9E3779B97F4A7C15ull : 1;
    s->gap = gap; s->stall = stall;
}

uint64_t sim_cycles(void* p) { return ((Sim*)p)->cycles; }
uint64_t sim_violations(void* p) { return ((Sim*)p)->violations; }

void sim_reset(void* p, int n) {
    Sim* s = (Sim*)p;
    s->top->ap_rst_n = 0;
    for (int i = 0; i < n; i++) { half_low(s); half_high(s); }
    s->top->ap_rst_n = 1;
    half_low(s);
}

// n idle cycles: no input, output ready (unless stalled by the random pattern)
void sim_step(void* p, int64_t n) {
    Sim* s = (Sim*)p;
    auto* t = s->top;
    t->s_axis_tvalid = 0;
    for (int64_t i = 0; i < n; i++) {
        t->m_axis_tready = !(s->stall > 0 && urand(s) < s->stall);
        half_low(s);
        monitor(s);
        half_high(s);
    }
    half_low(s);
}

void axil_write(void* p, uint32_t addr, uint32_t data) {
    Sim* s = (Sim*)p;
    auto* t = s->top;
    t->s_axi_control_awaddr = addr; t->s_axi_control_awvalid = 1;
    t->s_axi_control_wdata = data; t->s_axi_control_wvalid = 1;
    t->s_axi_control_bready = 1;
    bool taken = false, done = false;
    for (int i = 0; i < 64 && !done; i++) {
        half_low(s);
        bool aw = t->s_axi_control_awready && t->s_axi_control_wready && !taken;
        bool b = t->s_axi_control_bvalid && taken;
        half_high(s);
        if (aw) { taken = true; t->s_axi_control_awvalid = 0; t->s_axi_control_wvalid = 0; }
        if (b) done = true;
    }
    t->s_axi_control_bready = 0;
    half_low(s);
}

uint32_t axil_read(void* p, uint32_t addr) {
    Sim* s = (Sim*)p;
    auto* t = s->top;
    t->s_axi_control_araddr = addr; t->s_axi_control_arvalid = 1; t->s_axi_control_rready = 1;
    uint32_t v = 0xDEADBEEF;
    bool taken = false, done = false;
    for (int i = 0; i < 64 && !done; i++) {
        half_low(s);
        bool ar = t->s_axi_control_arready && !taken;
        bool r = t->s_axi_control_rvalid && taken;
        if (r) v = t->s_axi_control_rdata;
        half_high(s);
        if (ar) { taken = true; t->s_axi_control_arvalid = 0; }
        if (r) done = true;
    }
    t->s_axi_control_rready = 0;
    half_low(s);
    return v;
}

// Push n_in words (last[i] = TLAST) and collect output words (with the cycle each arrived) until `want_out` words arrived and
// every input was taken, or `max_cycles` passed. Returns the number of output words stored.
int64_t sim_stream(void* p, const uint64_t* in, const uint8_t* last, int64_t n_in, uint32_t* out,
                   uint8_t* out_last, uint64_t* out_cycle, int64_t max_out, int64_t want_out,
                   int64_t max_cycles, int64_t* n_taken) {
    Sim* s = (Sim*)p;
    auto* t = s->top;
    int64_t i = 0, k = 0;
    for (int64_t c = 0; c < max_cycles; c++) {
        if (i >= n_in && k >= want_out) break;
        if (i < n_in) {
            if (!s->hold_valid) s->hold_valid = !(s->gap > 0 && urand(s) < s->gap);
            t->s_axis_tvalid = s->hold_valid;
            t->s_axis_tdata = in[i];
            t->s_axis_tlast = last[i];
        } else {
            t->s_axis_tvalid = 0;
        }
        t->m_axis_tready = !(s->stall > 0 && urand(s) < s->stall);
        half_low(s);
        monitor(s);
        bool in_fire = t->s_axis_tvalid && t->s_axis_tready;
        if (t->m_axis_tvalid && t->m_axis_tready) {
            if (k < max_out) {
                out[k] = t->m_axis_tdata; out_last[k] = t->m_axis_tlast; out_cycle[k] = s->cycles;
            }
            k++;
        }
        half_high(s);
        if (in_fire) { i++; s->hold_valid = false; }
    }
    t->s_axis_tvalid = 0;
    half_low(s);
    *n_taken = i;
    return k;
}

}  // extern "C"
