"""Fast whole-system simulation of the SoC: Verilator + a plain C++ harness.

:func:`build` generates the SoC's Verilog (:class:`~atsintc.soc.soc.SoC`, plus the
VexRiscv Verilog from pythondata-cpu-vexriscv and ``ram.v``) and builds ONE Verilator
executable with ``sim_main.cpp``, cached under ``build/soc-sim/soc-<hash>/`` by the SoC
configuration, the package's Python sources, the two hand-written files, the VexRiscv
Verilog and the Verilator version. The firmware is *not* part of the build: the RAM
loads it at start-up from ``+firmware=<hex>``, so every image runs on the same binary.

:func:`run` runs a firmware image on it and returns a :class:`SimResult` (console text,
exit code, cycles, wall time). The cocotb runner reaches ~0.2 M cycles/s on this SoC;
this harness several M cycles/s (``docs/performance.md``, toolchain-notes).

Command line: ``python -m atsintc.tools.socsim firmware/hello.c`` (C sources are built with
:func:`atsintc.tools.firmware_build.build_firmware`; a ``.hex`` image is used as it is).
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import ClockDomain, Elaboratable, Module, Signal

from atsintc.tools.cosim import VERILATOR_WAIVERS, digest, gateware_digest
from atsintc.tools.toolchain import build_root, publish, scratch_dir, setup_environment
from atsintc.soc import memmap
from atsintc.soc.soc import SoC, ram_verilog_path, vexriscv_verilog_path

__all__ = ["SimResult", "build", "run", "run_firmware", "HARNESS", "DEFAULT_MAX_CYCLES"]

HARNESS = Path(__file__).resolve().parent / "sim_main.cpp"
DEFAULT_MAX_CYCLES = 100_000_000
TIMEOUT_STATUS = 124

# Amaranth's output needs cosim's waivers; VexRiscv_Full.v and ram.v need nothing more
# (checked with --lint-only).
SOC_WAIVERS = list(VERILATOR_WAIVERS)
# C++ optimisation: -O1 (measured: -O3 simulates this SoC only 5% faster than -O1 but
# takes 40% longer to compile; the time goes into evaluating the design, not the C++).
OPT_MAKEFLAGS = "OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O1"


@dataclass
class SimResult:
    """Outcome of one simulation run."""
    reason: str             # "exit" (the firmware wrote EXIT) or "timeout" (max cycles)
    exit_code: object       # the value written to EXIT (int), None on timeout
    cycles: int             # simulated clock cycles after reset
    seconds: float          # wall time of the simulation loop (harness's own clock)
    wall: float             # wall time of the whole process (start-up included)
    console: str            # everything written to CONSOLE
    firmware: str = ""
    command: list = field(default_factory=list)

    @property
    def timed_out(self):
        return self.reason == "timeout"

    @property
    def cycles_per_second(self):
        return self.cycles / self.seconds if self.seconds > 0 else float("inf")

    def summary(self):
        what = (f"exit code {self.exit_code}" if not self.timed_out
                else "TIMEOUT (max cycles reached)")
        return (f"{what} after {self.cycles} cycles in {self.seconds:.2f} s "
                f"({self.cycles_per_second / 1e6:.2f} M cycles/s)")


class _SimTop(Elaboratable):
    """The SoC with an internal power-on reset (4 cycles) and ``clk`` as its only input.

    With ``rst`` as a top-level input, Verilator evaluates all logic that depends on it
    (in Amaranth's output: the next-state logic of every register) in its input-combo
    region on *every* ``eval()``, i.e. also at the falling clock edge; that was 8% of
    the simulation time."""

    def __init__(self, soc):
        self.soc = soc
        self.clk = Signal()

    def ports(self):
        return [self.clk] + self.soc.ports()

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = cd = ClockDomain("sync")
        por = Signal(3, init=4, reset_less=True)
        with m.If(por != 0):
            m.d.sync += por.eq(por - 1)
        m.d.comb += [cd.clk.eq(self.clk), cd.rst.eq(por != 0)]
        m.submodules.soc = self.soc
        return m


def soc_verilog(soc):
    top = _SimTop(soc)
    return verilog.convert(top, name="soc", ports=top.ports(), emit_src=False)


def build(soc=None, *, trace=False, log=print) -> Path:
    """Build (or reuse) the simulator of ``soc`` (default: ``SoC()``); returns the path
    of the executable. ``trace=True`` builds with VCD support (``+vcd=<file>``)."""
    env = setup_environment()
    import verilator

    soc = soc if soc is not None else SoC()
    if soc.firmware is not None:
        raise ValueError("simulate an SoC without a firmware image (it comes from "
                         "+firmware=...), so that one build serves all images")
    vex = vexriscv_verilog_path(soc.cpu_variant)
    args = list(SOC_WAIVERS)
    tools = (ram_verilog_path().read_text(), HARNESS.read_text(),
             hashlib.sha256(vex.read_bytes()).hexdigest(), args, OPT_MAKEFLAGS, trace,
             getattr(verilator, "__version__", ""), sys.version_info[:2])
    root = build_root() / "soc-sim"
    # Two-level cache. The quick key (configuration + the package's Python sources)
    # avoids generating the Verilog (~5 s) when nothing changed; when it misses, the
    # Verilog is generated and the build is looked up by the Verilog's own hash, so an
    # edit of a Python file that does not change the SoC's Verilog costs no rebuild.
    quick = root / "index" / digest(soc.describe(), gateware_digest(), *tools)
    if quick.exists():
        exe = root / quick.read_text().strip() / "Vsoc"
        if exe.exists():
            soc._MustUse__silence = True    # not elaborated (no UnusedElaboratable)
            return exe
    t0 = time.monotonic()
    log("[soc-sim] generating the SoC Verilog ...")
    text = soc_verilog(soc)
    t1 = time.monotonic()
    name = f"soc-{digest(text, *tools)}"
    final = root / name
    exe = final / "Vsoc"
    quick.parent.mkdir(parents=True, exist_ok=True)
    if exe.exists():
        quick.write_text(name + "\n")
        return exe
    # per process and thread: concurrent builds (threads of one benchmark) never share it
    tmp = scratch_dir(root, name)
    (tmp / "soc.v").write_text(text)
    sources = [ram_verilog_path(), vex, tmp / "soc.v"]
    cmd = (["verilator", "--cc", "--exe", "--build", "-j", str(os.cpu_count() or 2),
            "--top-module", "soc", "--prefix", "Vsoc", "-Mdir", str(tmp / "obj"),
            "-o", str(tmp / "Vsoc"), "--x-assign", "fast", "--x-initial", "fast",
            "--noassert"] + args +
           (["--trace", "-CFLAGS", "-DSOC_TRACE"] if trace else []) +
           [str(s) for s in sources] + [str(HARNESS)])
    log(f"[soc-sim] verilating and compiling in {tmp} ...")
    benv = dict(env)
    benv["MAKEFLAGS"] = (env.get("MAKEFLAGS", "") + " " + OPT_MAKEFLAGS).strip()
    logf = tmp / "build.log"
    with open(logf, "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=benv, cwd=tmp)
    if r.returncode:
        tail = "".join(logf.read_text().splitlines(keepends=True)[-40:])
        raise RuntimeError(f"Verilator build of the SoC failed (log: {logf}):\n{tail}")
    t2 = time.monotonic()
    (tmp / "build-time.txt").write_text(
        f"verilog {t1 - t0:.1f} s\nverilator+c++ {t2 - t1:.1f} s\n")
    shutil.rmtree(tmp / "obj", ignore_errors=True)   # ~100 MB of objects; exe suffices
    publish(tmp, final)
    quick.write_text(name + "\n")
    log(f"[soc-sim] built in {t2 - t0:.1f} s (Verilog {t1 - t0:.1f} s, "
        f"Verilator + C++ {t2 - t1:.1f} s): {exe}")
    return exe


_RESULT = re.compile(r"\[sim\] result reason=(\w+) code=(\d+) cycles=(\d+) seconds=([\d.]+)")


def run(firmware_hex, *, soc=None, max_cycles=DEFAULT_MAX_CYCLES, progress=None,
        echo=False, vcd=None, timeout=None, log=print) -> SimResult:
    """Run a ``$readmemh`` image on the (cached) simulator of ``soc``.

    ``max_cycles`` bounds the run (0: unbounded); a run that hits it returns
    ``reason="timeout"``. ``progress``: cycles between progress lines passed to ``log``
    (default: every 10 M cycles; 0 disables). ``echo``: copy the console to stdout as it
    comes. ``vcd``: write a waveform (builds a separate, slower, tracing simulator).
    ``timeout``: wall-clock seconds after which the simulator is killed (a safety net;
    max_cycles is the intended bound).
    """
    exe = build(soc, trace=vcd is not None, log=log)
    if progress is None:
        progress = 10_000_000
    firmware_hex = Path(firmware_hex).resolve()
    if not firmware_hex.exists():
        raise FileNotFoundError(firmware_hex)
    cmd = [str(exe), f"+firmware={firmware_hex}", f"+max-cycles={max_cycles}",
           f"+progress={progress}"]
    if vcd is not None:
        cmd.append(f"+vcd={Path(vcd).resolve()}")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_chunks, result = [], {}

    def read_stdout():
        while True:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            out_chunks.append(chunk)
            if echo:
                sys.stdout.write(chunk.decode("latin-1"))
                sys.stdout.flush()

    def read_stderr():
        for line in proc.stderr:
            text = line.decode(errors="replace").rstrip()
            mt = _RESULT.match(text)
            if mt:
                result.update(reason=mt.group(1), code=int(mt.group(2)),
                              cycles=int(mt.group(3)), seconds=float(mt.group(4)))
            elif text:
                log(text)

    threads = [threading.Thread(target=read_stdout, daemon=True),
               threading.Thread(target=read_stderr, daemon=True)]
    for t in threads:
        t.start()
    try:
        status = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"simulation of {firmware_hex.name} killed after {timeout} s "
                           f"of wall time")
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    console = b"".join(out_chunks).decode("latin-1")
    if not result:
        raise RuntimeError(f"the simulator ended abnormally (status {status}) running "
                           f"{firmware_hex}; console so far:\n{console}")
    exited = result["reason"] == "exit"
    return SimResult(reason=result["reason"], exit_code=result["code"] if exited else None,
                     cycles=result["cycles"], seconds=result["seconds"], wall=wall,
                     console=console, firmware=str(firmware_hex), command=cmd)


def soc_cflags(soc):
    """-D flags giving a firmware the ATS-INTC parameters of ``soc`` where they differ
    from the default SoC's (``soc.h`` has the default values)."""
    if soc is None:
        return []
    default = dict((n, v) for n, v, _ in memmap.soc_params(memmap.DEFAULT_ATSINTC_PARAMS))
    return [f"-D{n}={v}" for n, v, _ in memmap.soc_params(soc.atsintc_params)
            if default[n] != v]


def run_firmware(name, sources, *, soc=None, cflags=(), **kwargs) -> SimResult:
    """Build firmware from C/assembly ``sources`` (see
    :func:`atsintc.tools.firmware_build.build_firmware`) and run it (``kwargs`` as :func:`run`)."""
    from atsintc.tools.firmware_build import build_firmware

    log = kwargs.get("log", print)
    ram = soc.ram_size if soc is not None else memmap.RAM_SIZE
    hexfile = build_firmware(name, sources, cflags=list(soc_cflags(soc)) + list(cflags),
                             ram_size=ram, log=log)
    return run(hexfile, soc=soc, **kwargs)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="python -m atsintc.tools.socsim",
        description="Run firmware on the VexRiscv + ATS-INTC SoC (Verilator).")
    ap.add_argument("sources", nargs="+",
                    help="C/assembly sources (built with the runtime) or one .hex image")
    ap.add_argument("--name", help="firmware name (default: first source's stem)")
    ap.add_argument("--max-cycles", type=int, default=DEFAULT_MAX_CYCLES,
                    help=f"cycle limit, 0 = none (default {DEFAULT_MAX_CYCLES})")
    ap.add_argument("--progress", type=int, default=10_000_000,
                    help="cycles between progress lines (0: none)")
    ap.add_argument("--vcd", help="write a waveform (separate tracing build)")
    ap.add_argument("-D", dest="defines", action="append", default=[],
                    help="preprocessor definition for the firmware (NAME or NAME=VALUE)")
    a = ap.parse_args(argv)
    log = lambda s: print(s, file=sys.stderr, flush=True)       # noqa: E731
    if len(a.sources) == 1 and a.sources[0].endswith(".hex"):
        r = run(a.sources[0], max_cycles=a.max_cycles, progress=a.progress, echo=True,
                vcd=a.vcd, log=log)
    else:
        srcs = [str(Path(s).resolve()) for s in a.sources]
        r = run_firmware(a.name or Path(srcs[0]).stem, srcs,
                         cflags=[f"-D{d}" for d in a.defines], max_cycles=a.max_cycles,
                         progress=a.progress, echo=True, vcd=a.vcd, log=log)
    log(f"[soc-sim] {r.summary()}")
    return TIMEOUT_STATUS if r.timed_out else (r.exit_code & 0xFF)


if __name__ == "__main__":
    sys.exit(main())
