"""The SoC memory map (``atsintc/soc/memmap.py``) and its generated C header."""

import subprocess
import sys
from pathlib import Path

from atsintc.soc import memmap
from atsintc.tools.firmware_build import CFLAGS

ROOT = Path(__file__).resolve().parents[1]     # the checkout


def test_checked_in_header_is_fresh():
    path = ROOT / memmap.HEADER_PATH
    assert path.read_text() == memmap.c_header(), (
        f"{memmap.HEADER_PATH} is stale: run `python -m atsintc.soc.memmap`")


def test_header_values_match_memmap(tmp_path):
    """Compile a C file asserting the header's values, and an assembly file using it."""
    checks = [("SOC_RAM_SIZE", memmap.RAM_SIZE), ("SOC_SYSCTL_BASE", memmap.SYSCTL_BASE),
              ("SOC_IRQSRC_BASE", memmap.IRQSRC_BASE), ("SOC_PLIC_BASE", memmap.PLIC_BASE),
              ("SOC_ATSINTC_BASE", memmap.ATSINTC_BASE)]
    checks += [(f"SOC_SYSCTL_{n}", off) for n, (off, _, _) in memmap.SYSCTL_REGS.items()]
    c = tmp_path / "t.c"
    c.write_text('#include "soc.h"\n' + "".join(
        f"_Static_assert({n} == {v:#x}u, \"{n}\");\n" for n, v in checks) +
        "unsigned f(void) { return soc_read32(SOC_SYSCTL_BASE + SOC_SYSCTL_CYCLE_LO); }\n")
    s = tmp_path / "t.S"
    s.write_text('#include "soc.h"\nli t0, SOC_SYSCTL_BASE\nsw a0, SOC_SYSCTL_EXIT(t0)\n')
    inc = ["-I", str(ROOT / "firmware" / "include")]
    for src in (c, s):
        r = subprocess.run([sys.executable, "-m", "ziglang", "cc"] + CFLAGS + inc +
                           ["-c", str(src), "-o", str(tmp_path / (src.name + ".o"))],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_regions_do_not_overlap():
    from atsintc.soc import plic
    from atsintc.soc.irqsrc import InterruptSource

    def window(size):       # what the SoC's decoder gives a slave decoding `size` bytes
        return 1 << (size - 1).bit_length()

    spans = [(memmap.RAM_BASE, memmap.RAM_SIZE), (memmap.SYSCTL_BASE, 4 << 3),
             (memmap.IRQSRC_BASE, 4 << InterruptSource.addr_width),
             (memmap.PLIC_BASE, window(plic.CONTEXT_BASE + plic.CONTEXT_STRIDE)),
             (memmap.ATSINTC_BASE, window(memmap.DEFAULT_ATSINTC_PARAMS.size))]
    for base, size in spans[1:]:
        assert base >= 0x8000_0000, "MMIO must be above 0x80000000 (uncached)"
        assert base % size == 0, f"{base:#x} not aligned to its window {size:#x}"
    spans.sort()
    for (b0, s0), (b1, _) in zip(spans, spans[1:]):
        assert b0 + s0 <= b1
