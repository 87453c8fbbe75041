"""The SoC memory map: the single source of truth for addresses in the SoC (simulated
and on the FPGA boards).

The SoC (:mod:`atsintc.soc.soc`) decodes its bus from these constants and the C header
``firmware/include/soc.h`` is generated from them (:func:`c_header`);
``tests/test_memmap.py`` fails when the checked-in header is stale. Regenerate it with
``python -m atsintc.soc.memmap`` (or ``make generate``).

Byte addresses::

    0x0000_0000  RAM (64 KiB; SoC(ram_size=...), 8 KiB on the iCEBreaker): code
                 and data, cached by VexRiscv_Full (VexRiscv_Min has no caches)
    0x8000_0000  SoC control (soc.SoCControl: console, exit, cycle counter,
                 machine timer; registers in SYSCTL_REGS)
    0x8001_0000  InterruptSource (programmable device-interrupt generator)
    0x8002_0000  SMP control (SoC(harts > 1) only: MSIP per hart, hardware spinlocks,
                 HARTID; soc.smp.SMPControl)
    0x8C00_0000  PLIC (one context per hart: its machine external interrupt)
                 (InterruptSource and PLIC are left out on the iCEBreaker: their
                 windows then fall to the default slave)
    0x9000_0000  ATS-INTC (with several harts: each hart reaches its own port)
    0xC000_0000  SoC(harts > 1) only: the RAM again, not cached (bit 31 set), for data
                 the harts share (VexRiscv's caches are not coherent)

Everything from 0x8000_0000 up is MMIO: VexRiscv's data cache bypasses addresses with
bit 31 set, so every load and store there is a single bus access. An access to an
address that no slave decodes is acknowledged (reads return 0, writes are dropped), so
a stray pointer does not hang the simulation.
"""

from pathlib import Path

from atsintc.regmap import Params
from atsintc.soc import irqsrc, plic, smp

__all__ = ["RAM_BASE", "RAM_SIZE", "SYSCTL_BASE", "IRQSRC_BASE", "PLIC_BASE",
           "ATSINTC_BASE", "SMP_BASE", "RAM_UNCACHED_BASE", "HART_STACK", "SYSCTL_REGS",
           "EXT_IRQ_PLIC", "EXT_IRQ_ATSINTC",
           "CSR_MEIMASK", "CSR_MEIPENDING", "DEFAULT_ATSINTC_PARAMS", "DEVICE_VECTORS",
           "c_header", "HEADER_PATH", "write_header"]

RAM_BASE = 0x0000_0000
RAM_SIZE = 64 * 1024
SYSCTL_BASE = 0x8000_0000
IRQSRC_BASE = 0x8001_0000
PLIC_BASE = 0x8C00_0000
ATSINTC_BASE = 0x9000_0000
SMP_BASE = 0x8002_0000          # multi-hart SoCs (harts > 1): MSIP, spinlocks, HARTID
RAM_UNCACHED_BASE = 0xC000_0000  # multi-hart SoCs: the RAM again, bypassing the D-cache
HART_STACK_SHIFT = 12
HART_STACK = 1 << HART_STACK_SHIFT  # stack bytes of each hart (start.S: hart h's stack
#                                     starts h * HART_STACK below the top of the RAM)

# SoC control registers: name -> (byte offset, access, description)
SYSCTL_REGS = {
    "CONSOLE": (0x00, "W", "low byte is a character for the console (the simulation "
                           "prints it; the boards send it on the UART); waits while the "
                           "previous byte is still held"),
    "EXIT": (0x04, "W", "the simulation ends with this value as exit code (the boards "
                        "show its low bits on LEDs)"),
    "CYCLE_LO": (0x08, "R", "free-running cycle counter, low word (the counter the "
                            "InterruptSource stamps with)"),
    "CYCLE_HI": (0x0C, "R", "cycle counter, high word"),
    "MTIME_LO": (0x10, "RW", "machine timer, low word (increments every cycle)"),
    "MTIME_HI": (0x14, "RW", "machine timer, high word"),
    "MTIMECMP_LO": (0x18, "RW", "timer compare, low word (timer interrupt while "
                                "mtime >= mtimecmp; reset all ones)"),
    "MTIMECMP_HI": (0x1C, "RW", "timer compare, high word"),
}

# Bits of VexRiscv's externalInterruptArray (masked by CSR 0xBC0, pending in 0xFC0; their
# OR is the machine external interrupt MEIP).
EXT_IRQ_PLIC = 0        # PLIC context 0 notification
EXT_IRQ_ATSINTC = 1     # ATS-INTC irq_out[0] (process slot 0), for WFI on the controller
CSR_MEIMASK = 0xBC0
CSR_MEIPENDING = 0xFC0

# Device vectors of the InterruptSource. Vector v drives PLIC source v+1 and ATS-INTC
# irq_in[v].
DEVICE_VECTORS = 8

# The task pool backend with its default 1024 entries (its simulation cost does not
# grow with the pool's size), and 16 timers (the runtime's timer benchmark holds at
# most 10 at once; the controller alone with 32 reaches 40 MHz on ECP5, the ULX3S SoC
# runs at 50: docs/performance.md).
DEFAULT_ATSINTC_PARAMS = Params(processes=4, priorities=8, vectors=8, channels=4,
                                queue="pool", pool=1024, timers=16)


def _define(name, value, comment=None):
    line = f"#define {name:<36} {value}"
    if comment:
        line += f"  /* {comment} */"
    return line


def soc_params(p):
    """(macro, value, comment) of the ATS-INTC parameters a firmware sees."""
    out = [("SOC_ATSINTC_QUEUE_POOL", "1" if p.queue == "pool" else "0",
            "1: task pool of SOC_ATSINTC_POOL entries; 0: systolic queues")]
    for name in ("processes", "priorities", "pool", "ready_depth", "vectors",
                 "blocked_depth", "channels", "ipc_depth", "xlen", "ports", "timers"):
        out.append((f"SOC_ATSINTC_{name.upper()}", f"{getattr(p, name)}", None))
    return out


def c_header(params=DEFAULT_ATSINTC_PARAMS, vectors=DEVICE_VECTORS, ram_size=RAM_SIZE):
    """Text of ``firmware/include/soc.h`` for the given SoC configuration."""
    out = [
        "/* SoC memory map and device registers.",
        " *",
        " * Generated by `python -m atsintc.soc.memmap` from hdl/atsintc/soc/memmap.py;",
        " * do not edit. MMIO (>= 0x80000000) bypasses the data cache.",
        " * ATS-INTC register offsets: atsintc_regs.h (its ATSINTC_* parameters are the",
        " * generator defaults; this SoC's controller parameters are SOC_ATSINTC_* below).",
        " * The plain constants can be used from assembly (start.S includes this file).",
        " */",
        "#ifndef SOC_H",
        "#define SOC_H",
        "",
        "/* Base addresses. */",
        _define("SOC_RAM_BASE", f"0x{RAM_BASE:08X}"),
        _define("SOC_RAM_SIZE", f"0x{ram_size:X}"),
        _define("SOC_SYSCTL_BASE", f"0x{SYSCTL_BASE:08X}"),
        _define("SOC_IRQSRC_BASE", f"0x{IRQSRC_BASE:08X}"),
        _define("SOC_PLIC_BASE", f"0x{PLIC_BASE:08X}"),
        _define("SOC_ATSINTC_BASE", f"0x{ATSINTC_BASE:08X}"),
        _define("SOC_SMP_BASE", f"0x{SMP_BASE:08X}", "harts > 1 only"),
        _define("SOC_RAM_UNCACHED_BASE", f"0x{RAM_UNCACHED_BASE:08X}",
                "harts > 1 only: the RAM, not cached"),
        _define("SOC_HART_STACK_SHIFT", f"{HART_STACK_SHIFT}",
                "hart h's stack starts h << this below the top of the RAM"),
        "",
        "/* Multi-hart registers (byte offsets from SOC_SMP_BASE); on a one-hart SoC",
        " * the window reads 0 (HARTID 0). */",
        _define("SOC_SMP_MSIP(h)", f"(0x{smp.MSIP:02X}u + 4u * (h))",
                "RW bit 0: software interrupt of hart h"),
        _define("SOC_SMP_LOCK(i)", f"(0x{smp.LOCK:02X}u + 4u * (i))",
                "read: 1 = taken by this read, 0 = busy; write: free"),
        _define("SOC_SMP_LOCKS", f"{smp.LOCKS}"),
        _define("SOC_SMP_HARTID", f"0x{smp.HARTID:02X}", "R: the reading hart's number"),
        "",
        "/* SoC control registers (byte offsets from SOC_SYSCTL_BASE). */",
    ]
    for name, (off, acc, desc) in SYSCTL_REGS.items():
        out.append(_define(f"SOC_SYSCTL_{name}", f"0x{off:02X}", f"{acc}: {desc}"))
    p = params
    out += [
        "",
        "/* Interrupt wiring. VexRiscv externalInterruptArray bits (mask CSR 0xBC0,",
        " * pending CSR 0xFC0); InterruptSource vector v drives PLIC source v + 1 and",
        " * ATS-INTC irq_in[v]. */",
        _define("SOC_EXT_IRQ_PLIC", f"{EXT_IRQ_PLIC}", "PLIC context 0"),
        _define("SOC_EXT_IRQ_ATSINTC", f"{EXT_IRQ_ATSINTC}", "ATS-INTC irq_out[0]"),
        _define("SOC_CSR_MEIMASK", f"0x{CSR_MEIMASK:X}"),
        _define("SOC_CSR_MEIPENDING", f"0x{CSR_MEIPENDING:X}"),
        _define("SOC_DEVICE_VECTORS", f"{vectors}"),
        "",
        "/* ATS-INTC parameters of the default SoC; firmware built for another",
        " * configuration gets its values as -D flags (atsintc.tools.socsim.soc_cflags). */",
    ]
    for name, value, comment in soc_params(p):
        out += [f"#ifndef {name}", _define(name, value, comment), "#endif"]
    out += [
        "",
        "/* InterruptSource registers (byte offsets from SOC_IRQSRC_BASE); per-vector",
        " * registers at SOC_IRQSRC_BLOCK * v + offset. Each vector queues its events",
        " * (STAMP: the oldest held one, ACK removes it, QUEUED: events held; MISSED:",
        " * events dropped because the FIFO was full). */",
        _define("SOC_IRQSRC_BLOCK", f"0x{irqsrc.BLOCK:X}"),
    ]
    for name in ("MODE", "PERIOD", "ACK", "STAMP_LO", "STAMP_HI", "COUNT", "MISSED",
                 "QUEUED"):
        out.append(_define(f"SOC_IRQSRC_{name}", f"0x{4 * getattr(irqsrc, name):02X}"))
    for name in ("ENABLE", "LINES", "START", "CONFIG"):
        out.append(_define(f"SOC_IRQSRC_{name}", f"0x{getattr(irqsrc, name):03X}"))
    out += [
        _define("SOC_IRQSRC_CONFIG_VECTORS(c)", "((c) & 0xFFu)", "CONFIG: vectors"),
        _define("SOC_IRQSRC_CONFIG_DEPTH(c)",
                f"(((c) >> {irqsrc.CONFIG_DEPTH_SHIFT}) & 0x1FFu)",
                "CONFIG: events a vector's FIFO holds"),
    ]
    for name in ("MODE_OFF", "MODE_ONESHOT", "MODE_PERIODIC", "MODE_RANDOM"):
        out.append(_define(f"SOC_IRQSRC_{name}", f"{getattr(irqsrc, name)}"))
    out += [
        "",
        "/* PLIC registers (byte offsets from SOC_PLIC_BASE, context c). */",
        _define("SOC_PLIC_PRIORITY(i)", f"(0x{plic.PRIORITY_BASE:06X}u + 4u * (i))"),
        _define("SOC_PLIC_PENDING(w)", f"(0x{plic.PENDING_BASE:06X}u + 4u * (w))"),
        _define("SOC_PLIC_ENABLE(c, w)",
                f"(0x{plic.ENABLE_BASE:06X}u + 0x{plic.ENABLE_STRIDE:X}u * (c) + 4u * (w))"),
        _define("SOC_PLIC_THRESHOLD(c)",
                f"(0x{plic.CONTEXT_BASE + plic.THRESHOLD_OFFSET:06X}u + "
                f"0x{plic.CONTEXT_STRIDE:X}u * (c))"),
        _define("SOC_PLIC_CLAIM(c)",
                f"(0x{plic.CONTEXT_BASE + plic.CLAIM_OFFSET:06X}u + "
                f"0x{plic.CONTEXT_STRIDE:X}u * (c))"),
        "",
        "#ifndef __ASSEMBLER__",
        "#include <stdint.h>",
        "",
        "static inline uint32_t soc_read32(uintptr_t addr)",
        "{",
        "    return *(volatile uint32_t *)addr;",
        "}",
        "",
        "static inline void soc_write32(uintptr_t addr, uint32_t v)",
        "{",
        "    *(volatile uint32_t *)addr = v;",
        "}",
        "#endif /* __ASSEMBLER__ */",
        "",
        "#endif /* SOC_H */",
        "",
    ]
    return "\n".join(out)


HEADER_PATH = "firmware/include/soc.h"


def write_header(root=None):
    path = Path(root or ".") / HEADER_PATH
    path.write_text(c_header())
    return path


if __name__ == "__main__":
    print(f"wrote {write_header()}")
