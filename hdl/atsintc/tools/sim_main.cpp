// Plain C++ Verilator harness for the SoC (atsintc.tools.socsim builds and runs it).
//
// Plusargs:
//   +firmware=<file.hex>    RAM image (read by ram.v with $readmemh)
//   +max-cycles=<n>         stop after n cycles (0: no limit); default 100000000
//   +progress=<n>           a progress line on stderr every n cycles (0: none)
//   +vcd=<file>             (only in builds with --trace) write a waveform
//
// stdout: exactly the bytes the firmware wrote to CONSOLE.
// stderr: progress lines "[sim] ..." and, last, one result line
//   "[sim] result reason=<exit|timeout> code=<n> cycles=<n> seconds=<s>"
// Process exit status: the firmware's exit code & 0xff on EXIT; 124 on timeout.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "Vsoc.h"
#include "verilated.h"

// The SoC's top-level ports (its wiring.Component ports: the console stream and the
// exit record). Verilator spells "__" in a name as "___05F" in C++.
#define CONSOLE_READY console___05Fready
#define CONSOLE_VALID console___05Fvalid
#define CONSOLE_PAYLOAD console___05Fpayload
#define EXIT_VALID exit___05Fvalid
#define EXIT_CODE exit___05Fcode
#ifdef SOC_TRACE
#include "verilated_vcd_c.h"
#endif

static uint64_t plusarg_u64(VerilatedContext *ctx, const char *name, uint64_t dflt)
{
    const char *s = ctx->commandArgsPlusMatch(name);   // "+name=value" or ""
    if (!s || !*s)
        return dflt;
    const char *eq = std::strchr(s, '=');
    return eq ? std::strtoull(eq + 1, nullptr, 0) : dflt;
}

int main(int argc, char **argv)
{
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    uint64_t max_cycles = plusarg_u64(ctx.get(), "max-cycles", 100000000ull);
    uint64_t progress = plusarg_u64(ctx.get(), "progress", 0);
    auto top = std::make_unique<Vsoc>(ctx.get());

#ifdef SOC_TRACE
    std::unique_ptr<VerilatedVcdC> vcd;
    const char *vcd_arg = ctx->commandArgsPlusMatch("vcd");
    if (vcd_arg && *vcd_arg) {
        ctx->traceEverOn(true);
        vcd = std::make_unique<VerilatedVcdC>();
        top->trace(vcd.get(), 99);
        vcd->open(std::strchr(vcd_arg, '=') + 1);
    }
#define DUMP(t) do { if (vcd) vcd->dump(t); } while (0)
#else
#define DUMP(t) do {} while (0)
#endif

    auto t0 = std::chrono::steady_clock::now();
    auto seconds = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };

    // The SoC resets itself: a power-on reset holds its reset for the first 4 cycles
    // (socsim.py, _SimTop); those cycles are counted like all others.
    top->clk = 0;
    top->CONSOLE_READY = 1;     // the harness takes every console byte at once
    top->eval();
    uint64_t time = 0;
    uint64_t cycles = 0;
    uint64_t next_progress = progress ? progress : ~0ull;
    bool exited = false;
    uint32_t code = 0;
    while (!max_cycles || cycles < max_cycles) {
        top->clk = 1;
        top->eval();
        DUMP(time++);
        cycles++;
        if (top->CONSOLE_VALID)        // SoC.console: a stream.Signature(8)
            std::putchar(top->CONSOLE_PAYLOAD);
        if (top->EXIT_VALID) {
            exited = true;
            code = top->EXIT_CODE;
            break;
        }
        top->clk = 0;
        top->eval();
        DUMP(time++);
        if (cycles >= next_progress) {
            std::fflush(stdout);
            double s = seconds();
            std::fprintf(stderr, "[sim] %" PRIu64 " cycles, %.1f s, %.2f Mcycles/s\n",
                         cycles, s, cycles / s / 1e6);
            std::fflush(stderr);
            next_progress += progress;
        }
    }
    std::fflush(stdout);
    top->final();
#ifdef SOC_TRACE
    if (vcd)
        vcd->close();
#endif
    std::fprintf(stderr, "[sim] result reason=%s code=%u cycles=%" PRIu64 " seconds=%.6f\n",
                 exited ? "exit" : "timeout", code, cycles, seconds());
    std::fflush(stderr);
    return exited ? int(code & 0xff) : 124;
}
