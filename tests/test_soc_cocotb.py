"""cocotb SoC tests: boot each firmware variant on the VexRiscv SoC through cocotb's
Verilator runner (one build for all images) and check console output and exit code.

The fast C++ harness (tests/test_soc.py, tests/test_runtime.py) runs the benchmarks;
these tests exercise the same SoC through cocotb, as a user of the IP would."""

import pytest

from atsintc.tools import cosim
from atsintc.tools import bench_soc, socsim
from atsintc.tools.firmware_build import build_firmware
from atsintc.soc.soc import SoC
from atsintc.tools.socsim import SOC_WAIVERS, ram_verilog_path, vexriscv_verilog_path


def soc_sources():
    return {"soc.v": socsim.soc_verilog(SoC()),
            "VexRiscv.v": vexriscv_verilog_path().read_text(),
            "ram.v": ram_verilog_path().read_text()}


def boot(hexfile, expect_exit=0, text="", forbid=None, max_cycles=2_000_000, stall=0):
    env = dict(SOC_MAX_CYCLES=max_cycles, SOC_EXPECT_EXIT=expect_exit, SOC_EXPECT_TEXT=text)
    if forbid:
        env["SOC_FORBID_TEXT"] = forbid
    if stall:
        env["SOC_CONSOLE_STALL"] = stall
    return cosim.run(soc_sources, "soc", "tb_soc", name="soc-cocotb", key="SoC()",
                     build_args=[a for a in SOC_WAIVERS if a not in cosim.VERILATOR_WAIVERS],
                     plusargs=[f"+firmware={hexfile}"], env=env)


def test_hello():
    assert boot(build_firmware("hello", ["hello.c"]), text="hello from VexRiscv") == 1


def test_console_back_pressure():
    """With the console sink not ready 70% of the time (as a UART FIFO that is full),
    CONSOLE writes wait and no character is lost or duplicated."""
    hexfile = build_firmware("hello", ["hello.c"])
    text = "hello from VexRiscv\nmcycle ||\natsintc id 0x41545349\nenqueued ||\natsintc ok\n"
    assert boot(hexfile, text=text, stall=70) == 1


def test_exit_code_is_reported():
    with pytest.raises(cosim.SimFailure):
        boot(build_firmware("exit3", ["tests/exit3.c"]), expect_exit=0)
    assert boot(build_firmware("exit3", ["tests/exit3.c"]), expect_exit=3) == 1


@pytest.mark.parametrize("backend", ["hw", "sw", "poll"])
def test_runtime_functional(backend):
    srcs = bench_soc.RT_SOURCES + ["rt/rt_test.c"] + bench_soc.RT_TAIL
    hexfile = build_firmware(f"rt_test_{backend}", srcs, cflags=bench_soc.cflags(backend))
    assert boot(hexfile, expect_exit=0, forbid="FAIL", max_cycles=3_000_000) == 1
