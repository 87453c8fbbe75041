"""The iCEBreaker target: a small SoC (VexRiscv_Min, 8 KiB RAM, no PLIC / InterruptSource,
a reduced ATS-INTC) running RV32I firmware (``firmware/ice40/demo.c``).

Normal suite: the SoC's new options leave the default SoC alone; the RV32I firmware
fits the RAM with its stack; the board's build tree (``do_build=False``); the small SoC
on Verilator (~10 s build) running the demo to its expected console text. Slow: the
bitstream, which must fit the UP5K and close timing at 12 MHz (~100 s; the build
raises otherwise)."""

from pathlib import Path

import pytest

from atsintc.boards import icebreaker as ib
from atsintc.soc.soc import SoC, vexriscv_verilog_path

EXPECTED = """\
ATS-INTC on iCEBreaker: VexRiscv_Min (RV32I), 8 KiB RAM
id 0x41545349: processes 1, priorities 4, vectors 2, task pool 256
enqueued 4 tasks (prio 2 0 3 1) in @ cycles, ready count 4
  dequeue -> task 2 (prio 0)
  dequeue -> task 4 (prio 1)
  dequeue -> task 1 (prio 2)
  dequeue -> task 3 (prio 3)
  dequeue -> none
5 dequeues in @ cycles
blocked one task on each of 2 vectors
VEC_RAISE 0 woke task 100 (prio 0) after @ cycles
VEC_RAISE 1 woke task 200 (prio 0) after @ cycles
demo ok
"""


def test_soc_options_keep_the_default():
    full = SoC()
    assert (full.cpu_variant, full.plic, full.irqsrc) == ("VexRiscv_Full", True, True)
    assert "plic" not in full.describe() and "irqsrc" not in full.describe()
    small = SoC(**ib.soc_kwargs())
    d = small.describe()
    assert "vexriscv=VexRiscv_Min" in d and "plic=False" in d and "irqsrc=False" in d
    assert vexriscv_verilog_path("VexRiscv_Min").exists()


@pytest.mark.parametrize("sim", [False, True])
def test_ice40_firmware_fits(sim):
    hexfile = ib.default_firmware(sim=sim)
    size = 4 * len(hexfile.read_text().split())
    # the link script keeps >= 1 KiB of stack above .bss (ASSERT); the image is smaller
    assert size <= ib.RAM_SIZE - 1024, size


def test_icebreaker_soc_prepare(tmp_path):
    r = ib.build_icebreaker(do_build=False, build_dir=tmp_path / "ib")
    d = Path(r["build_dir"])
    for f in ("icebreaker.il", "icebreaker.pcf", "build_icebreaker.sh", "firmware.hex",
              "VexRiscv.v", "atsintc_soc_ram.v"):
        assert (d / f).exists(), f
    vex = vexriscv_verilog_path("VexRiscv_Min").read_text()
    assert (d / "VexRiscv.v").read_text() == vex
    il = (d / "icebreaker.il").read_text()
    assert "firmware.hex" in il and "VexRiscv" in il
    assert "--timing-allow-fail" not in (d / "build_icebreaker.sh").read_text()


def test_icebreaker_controller_only_prepare(tmp_path):
    r = ib.build_icebreaker(do_build=False, controller_only=True, build_dir=tmp_path / "c")
    d = Path(r["build_dir"])
    assert (d / "icebreaker.il").exists() and not (d / "VexRiscv.v").exists()


def test_icebreaker_help():
    with pytest.raises(SystemExit) as e:
        ib.main(["--help"])
    assert e.value.code == 0


def test_icebreaker_soc_sim():
    """The board's SoC configuration on Verilator, with the -DSIM demo (VEC_RAISE instead
    of the buttons)."""
    import re

    from atsintc.tools import socsim
    r = socsim.run(ib.default_firmware(sim=True), soc=SoC(**ib.soc_kwargs()),
                max_cycles=2_000_000, timeout=300)
    assert r.reason == "exit" and r.exit_code == 0, r.console
    text = re.sub(r"in \d+ cycles", "in @ cycles", r.console.lstrip("\n"))
    text = re.sub(r"after \d+ cycles", "after @ cycles", text)
    assert text == EXPECTED, r.console


@pytest.mark.slow
def test_icebreaker_soc_bitstream_12mhz(tmp_path):
    r = ib.build_icebreaker(do_build=True, build_dir=tmp_path / "ib")
    assert r["fmax_worst_mhz"] >= 12
    assert r["luts"] <= 5280 and r["bram"] <= 30
    assert (Path(r["build_dir"]) / "icebreaker.bin").exists()


def test_unknown_cpu_variant_is_refused():
    from atsintc.soc.soc import SoC
    with pytest.raises(ValueError, match="cpu_variant must be one of .*VexRiscv_Min"):
        SoC(cpu_variant="VexRiscv_Tiny")
