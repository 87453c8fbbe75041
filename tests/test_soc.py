"""Whole-system simulation: VexRiscv + RAM + SoC control + InterruptSource + PLIC +
ATS-INTC on Verilator with the plain C++ harness (``atsintc.tools.socsim``).

One simulator build (cached in ``build/soc-sim``) serves every firmware image: the RAM
loads the image from ``+firmware=``. Firmware is built with zig cc and cached in
``build/firmware``.
"""

import pytest

from atsintc.tools import socsim
from atsintc.tools.firmware_build import bin_to_hex


@pytest.fixture(scope="module")
def simulator():
    return socsim.build()


def run(name, sources, **kw):
    kw.setdefault("max_cycles", 2_000_000)
    kw.setdefault("timeout", 300)
    return socsim.run_firmware(name, sources, **kw)


def test_hello(simulator):
    r = run("hello", ["hello.c"])
    print(r.console, r.summary())
    assert r.reason == "exit" and r.exit_code == 0, r.console
    lines = r.console.splitlines()
    assert lines[0] == "hello from VexRiscv"
    assert lines[1].startswith("mcycle ") and ", CYCLE " in lines[1]
    mcycle, cycle = (int(x.split()[-1]) for x in lines[1].split(","))
    # both count from reset and are read a few instructions apart
    assert 0 < mcycle < cycle < mcycle + 1000
    assert lines[2] == "atsintc id 0x41545349"
    assert "count 1" in lines[3] and "prio 3" in lines[3] and "then 0x00000000" in lines[3]
    assert lines[4] == "atsintc ok"
    assert r.cycles < 100_000


def test_exit_code_is_reported(simulator):
    r = run("exit3", ["tests/exit3.c"])
    assert r.console == "exiting with 3\n"
    assert r.reason == "exit" and r.exit_code == 3


def test_unhandled_trap_ends_simulation(simulator):
    r = run("trap", ["tests/trap.c"])
    assert r.console == "about to ecall\n"
    assert r.exit_code == 0x100 | 11          # mcause 11: ecall from M-mode


def test_cycle_limit(simulator):
    r = run("forever", ["tests/forever.c"], max_cycles=200_000)
    assert r.console == "looping forever\n"
    assert r.timed_out and r.exit_code is None
    assert r.cycles == 200_000


def test_bin_to_hex():
    assert bin_to_hex(bytes([0x13, 0, 0, 0, 0x6f, 0])) == "00000013\n0000006f\n"


def test_irq_stage_parameter():
    """SoC(irq_stage=...) takes a bool (the ULX3S build sets it; boards/ulx3s.py)."""
    from atsintc.soc.soc import SoC
    assert SoC(irq_stage=True).irq_stage and not SoC().irq_stage
    with pytest.raises(TypeError, match="irq_stage must be True or False, not 1"):
        SoC(irq_stage=1)
