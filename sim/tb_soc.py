"""cocotb testbench that boots firmware on the VexRiscv SoC (toplevel `soc` from
atsintc.soc.sim: clk in; console_valid/console_data and exit_valid/exit_code out).

The firmware image comes from the `+firmware=<hex>` plusarg (read by ram.v), so one
Verilator build serves every image. Environment: SOC_MAX_CYCLES, SOC_EXPECT_EXIT,
SOC_EXPECT_TEXT (a substring the console must contain), SOC_FORBID_TEXT (optional).
"""

import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, ReadOnly

MAX_CYCLES = int(os.environ.get("SOC_MAX_CYCLES", "2000000"))


@cocotb.test()
async def boot(dut):
    """Run until the firmware writes EXIT; check exit code and console output."""
    Clock(dut.clk, 10, unit="ns").start()
    text = []
    code = None
    for cycle in range(MAX_CYCLES):
        await RisingEdge(dut.clk)
        await ReadOnly()
        if int(dut.console_valid.value):
            text.append(chr(int(dut.console_data.value)))
        if int(dut.exit_valid.value):
            code = int(dut.exit_code.value)
            break
    console = "".join(text)
    dut._log.info(f"console after {cycle + 1} cycles:\n{console}")
    assert code is not None, f"no EXIT within {MAX_CYCLES} cycles"
    assert code == int(os.environ.get("SOC_EXPECT_EXIT", "0")), f"exit code {code:#x}"
    assert os.environ.get("SOC_EXPECT_TEXT", "") in console
    forbid = os.environ.get("SOC_FORBID_TEXT")
    if forbid:
        assert forbid not in console, f"console contains {forbid!r}"
