"""cocotb testbench that boots firmware on the VexRiscv SoC (toplevel `soc` from
atsintc.tools.socsim: clk in; the SoC's ports: console__valid/console__payload out and
console__ready in (its ``console`` stream), exit__valid/exit__code out).

The firmware image comes from the `+firmware=<hex>` plusarg (read by ram.v), so one
Verilator build serves every image. Environment: SOC_MAX_CYCLES, SOC_EXPECT_EXIT,
SOC_EXPECT_TEXT (substrings the console must contain, separated by ``||``),
SOC_FORBID_TEXT (optional), SOC_CONSOLE_STALL (optional, 0..99: percentage of cycles in
which the console sink is not ready, at random, to exercise the console back-pressure).
"""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, ReadOnly

MAX_CYCLES = int(os.environ.get("SOC_MAX_CYCLES", "2000000"))


@cocotb.test()
async def boot(dut):
    """Run until the firmware writes EXIT; check exit code and console output."""
    Clock(dut.clk, 10, unit="ns").start()
    stall = int(os.environ.get("SOC_CONSOLE_STALL", "0"))
    rnd = random.Random(1)
    dut.console__ready.value = 1
    text = []
    code = None
    stalled = 0
    ready = True
    for cycle in range(MAX_CYCLES):
        await RisingEdge(dut.clk)
        if stall:
            ready = rnd.randrange(100) >= stall
            dut.console__ready.value = int(ready)
            stalled += not ready
        await ReadOnly()
        if int(dut.console__valid.value) and ready:      # a stream transfer
            text.append(chr(int(dut.console__payload.value)))
        if int(dut.exit__valid.value):
            code = int(dut.exit__code.value)
            break
    console = "".join(text)
    dut._log.info(f"console after {cycle + 1} cycles ({stalled} with the console "
                  f"not ready):\n{console}")
    assert code is not None, f"no EXIT within {MAX_CYCLES} cycles"
    assert code == int(os.environ.get("SOC_EXPECT_EXIT", "0")), f"exit code {code:#x}"
    for part in os.environ.get("SOC_EXPECT_TEXT", "").split("||"):
        assert part in console, f"console lacks {part!r}"
    forbid = os.environ.get("SOC_FORBID_TEXT")
    if forbid:
        assert forbid not in console, f"console contains {forbid!r}"
