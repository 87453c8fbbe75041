"""FPGA board tops for ATS-INTC (amaranth-boards platforms + the yowasp toolchain).

* :mod:`atsintc.boards.ulx3s` — ULX3S 85F (ECP5): the whole VexRiscv SoC with firmware in
  block RAM at 50 MHz (PLL), console on the FTDI UART, buttons as interrupt sources,
  LEDs; nextpnr seeds 1, 2, 3 are tried in turn until timing closes.
* :mod:`atsintc.boards.icebreaker` — iCEBreaker (iCE40UP5K): a small SoC (VexRiscv_Min, 8 KiB
  block RAM, a reduced ATS-INTC, no PLIC / InterruptSource) at 12 MHz running RV32I
  firmware; ``--controller-only``: the controller alone driven by the buttons.

Both are built by ``atsintc build --board ulx3s-85f|icebreaker`` (or ``python -m
atsintc.boards.<board>``) into ``build/boards/<name>/`` (:func:`board_build_dir`).

Shared pieces live here: power-on reset, button debouncing, LED pulse stretching, the
heartbeat LED, the nextpnr report parser with the loud timing check, and
:func:`run_build`, which runs the yowasp toolchain and turns a timing failure into
:class:`TimingError`.
"""

import json
import time
from pathlib import Path

from amaranth.hdl import *
from amaranth.lib.cdc import FFSynchronizer

__all__ = ["TimingError", "power_on_reset", "debounced", "stretch", "heartbeat",
           "parse_nextpnr_report", "check_timing", "board_build_dir", "run_build"]


class TimingError(RuntimeError):
    """The design does not close timing at the requested clock frequency."""


def board_build_dir(name) -> Path:
    from atsintc.tools.toolchain import build_root
    return build_root() / "boards" / name


def power_on_reset(m, cd, *, cycles=1024, locked=C(1)):
    """Hold ``cd.rst`` high for ``cycles`` clocks after configuration and while
    ``locked`` (e.g. a PLL's LOCK, asynchronous) is low. The counter and the
    synchronizer are reset-less and start from their init values after configuration."""
    lock_s = Signal(name=f"{cd.name}_lock_s")
    m.submodules[f"{cd.name}_lock_sync"] = FFSynchronizer(locked, lock_s, o_domain=cd.name,
                                                          reset_less=True)
    count = Signal(range(cycles + 1), name=f"{cd.name}_por_count", reset_less=True)
    done = Signal(name=f"{cd.name}_por_done")
    m.d.comb += done.eq(count == cycles)
    with m.If(~lock_s):
        m.d[cd.name] += count.eq(0)
    with m.Elif(~done):
        m.d[cd.name] += count.eq(count + 1)
    m.d.comb += cd.rst.eq(~done)
    return done


def debounced(m, pin, clk_freq, *, name, ms=5):
    """Synchronize a button and sample it every ``ms`` milliseconds (a bouncing
    contact settles between two samples). Returns the level (1 = pressed)."""
    sync = Signal(name=f"{name}_sync")
    m.submodules[f"{name}_sync"] = FFSynchronizer(pin, sync)
    period = max(1, int(clk_freq * ms / 1000))
    tick = Signal(range(period), name=f"{name}_tick")
    level = Signal(name=name)
    with m.If(tick == 0):
        m.d.sync += [tick.eq(period - 1), level.eq(sync)]
    with m.Else():
        m.d.sync += tick.eq(tick - 1)
    return level


def stretch(m, pulse, clk_freq, *, name, ms=50):
    """A visible LED level: high for ``ms`` milliseconds after each ``pulse``."""
    n = max(1, int(clk_freq * ms / 1000))
    count = Signal(range(n + 1), name=f"{name}_count")
    with m.If(pulse):
        m.d.sync += count.eq(n)
    with m.Elif(count != 0):
        m.d.sync += count.eq(count - 1)
    return count != 0


def heartbeat(m, clk_freq, *, name="heartbeat", hz=1.5):
    """A blinking LED level: toggles every ``1 / (2 * hz)`` seconds."""
    half = max(1, int(clk_freq / (2 * hz)))
    count = Signal(range(half + 1), name=f"{name}_count")
    level = Signal(name=name)
    with m.If(count == 0):
        m.d.sync += [count.eq(half), level.eq(~level)]
    with m.Else():
        m.d.sync += count.eq(count - 1)
    return level


def parse_nextpnr_report(text):
    """LUT/FF/RAM use and Fmax per clock from nextpnr's ``--report`` JSON text."""
    rep = json.loads(text)
    util = {k: v["used"] for k, v in rep.get("utilization", {}).items()}
    fmax = {clk: {"achieved": round(f["achieved"], 2), "constraint": round(f["constraint"], 2)}
            for clk, f in rep.get("fmax", {}).items()}
    return util, fmax


def check_timing(fmax, freq_mhz, *, what):
    """Raise :class:`TimingError` unless every clock meets its constraint and the
    main clock reaches ``freq_mhz``."""
    if not fmax:
        raise TimingError(f"{what}: nextpnr reported no clock (unconstrained design?)")
    bad = {c: f for c, f in fmax.items() if f["achieved"] < f["constraint"]}
    worst = min(f["achieved"] for f in fmax.values())
    if bad:
        raise TimingError(f"{what}: timing does not close at {freq_mhz} MHz: " +
                          ", ".join(f"{c}: {f['achieved']} MHz < {f['constraint']} MHz"
                                    for c, f in bad.items()))
    return worst


def run_build(platform, top, name, build_dir, *, freq_mhz, do_build, nextpnr_opts="",
              log=print, **kwargs):
    """Prepare (``do_build=False``: write the build tree, run nothing) or build the
    design with the yowasp toolchain and return a report dict.

    nextpnr runs without ``--timing-allow-fail``, so it fails when the constraint is
    not met; the failure is turned into :class:`TimingError` with the Fmax lines of the
    nextpnr log, and the report is checked again after a successful run."""
    import subprocess

    from atsintc.tools.toolchain import setup_environment

    env = setup_environment()
    build_dir = Path(build_dir)
    report_name = f"{name}-report.json"
    opts = f"--report {report_name} {nextpnr_opts}".strip()
    plan = platform.build(top, name=name, build_dir=str(build_dir), do_build=False,
                          nextpnr_opts=opts, **kwargs)
    if not do_build:
        plan.extract(str(build_dir))
        files = sorted(p.name for p in build_dir.iterdir())
        return {"name": name, "build_dir": str(build_dir), "files": files,
                "built": False, "freq_mhz": freq_mhz}
    t0 = time.monotonic()
    try:
        products = plan.execute_local(str(build_dir), env=dict(env))
    except subprocess.CalledProcessError as e:
        tim = build_dir / f"{name}.tim"
        lines = []
        if tim.exists():
            lines = [ln for ln in tim.read_text(errors="replace").splitlines()
                     if "Max frequency" in ln or "ERROR" in ln]
        if any("Max frequency" in ln and "FAIL" in ln for ln in lines):
            raise TimingError(f"{name}: timing does not close at {freq_mhz} MHz:\n" +
                              "\n".join(lines[-6:])) from e
        raise RuntimeError(f"{name}: build failed ({e}); see {build_dir}\n" +
                           "\n".join(lines[-6:])) from e
    seconds = round(time.monotonic() - t0, 1)
    util, fmax = parse_nextpnr_report(products.get(report_name, "t"))
    worst = check_timing(fmax, freq_mhz, what=name)
    return {"name": name, "build_dir": str(build_dir), "built": True,
            "freq_mhz": freq_mhz, "fmax": fmax, "fmax_worst_mhz": worst,
            "utilization": util, "seconds": seconds, "products": products}
