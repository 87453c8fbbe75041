"""Controller-only FPGA resource / Fmax figures (ECP5 and iCE40).

:func:`synth_report` synthesizes the ATS-INTC controller
(:class:`atsintc.gateware.controller.ATSIntc`) out of context, through
:func:`atsintc.tools.synth.synthesize` (every port registered, twice on ECP5
(:data:`PORT_STAGES`), so every path is register to register), over a few
configurations and families, and returns one row per (family, configuration).
:func:`format_markdown` turns the rows into the table of ``docs/performance.md``.

A configuration is ``(processes, size, vectors, queue)`` (or a
:class:`atsintc.regmap.Params`): ``size`` is the task pool's entries for ``queue =
"pool"``, the ready-queue depth per process for ``"systolic"``; the other parameters
follow from it (:func:`config_params`): 8 priorities, blocked depth ``min(16, size)``
(systolic), ``min(4, processes)`` IPC channels per process, IPC depth 4, XLEN 32.
``(4, 1024, 16, "pool")`` is the default :class:`~atsintc.regmap.Params`.

::

    python -m atsintc.tools.fpga                       # DEFAULT_CONFIGS, both families
    python -m atsintc.tools.fpga --family ecp5 --config 4,1024,16,pool --config 4,64,16,systolic

The table is printed and written, with the command that made it, into
``docs/performance.md`` between the lines ``<!-- synth-report -->`` and
``<!-- /synth-report -->`` when run in a checkout (``--docs FILE`` for another file,
``--no-docs`` to skip).
"""

import argparse
import json
import sys
from pathlib import Path

from atsintc.regmap import Params

__all__ = ["DEFAULT_CONFIGS", "TARGET_MHZ", "config_params", "synth_report",
           "synth_taskpool", "format_markdown", "write_docs", "main"]

DOCS_BEGIN = "<!-- synth-report -->"
# written by default when the current directory has it (a checkout of the repository)
DEFAULT_DOCS = "docs/performance.md"
DOCS_END = "<!-- /synth-report -->"

# Per family: configurations that fit the device and take minutes, not hours.
DEFAULT_CONFIGS = {
    "ecp5": [(4, 1024, 16, "pool"), (4, 4096, 16, "pool"), (1, 8, 4, "systolic"),
             (2, 16, 8, "systolic"), (4, 64, 16, "systolic")],
    "ice40": [(2, 256, 2, "pool"), (1, 4, 2, "systolic"), (1, 8, 4, "systolic")],
}

# nextpnr --freq per family (what it optimises towards; the achieved Fmax is reported)
TARGET_MHZ = {"ecp5": 100, "ice40": 50}

# Register stages on every port (atsintc.tools.synth.PortRegisters): two on ECP5, so that the
# pin-to-logic route across the die of the large configurations is not counted; one on
# iCE40, where the controller is wrapped in a scan chain anyway (PINLESS).
PORT_STAGES = {"ecp5": 2, "ice40": 1}


def config_params(config) -> Params:
    """A :class:`Params` for ``(processes, size, vectors, queue, timers)`` (``queue``
    defaults to ``"systolic"``, ``timers`` to the :class:`Params` default; or a Params
    as is)."""
    if isinstance(config, Params):
        return config
    processes, size, vectors, *rest = config
    queue = rest[0] if rest else "systolic"
    timers = int(rest[1]) if len(rest) > 1 else Params().timers
    common = dict(processes=processes, priorities=8, vectors=vectors,
                  channels=min(4, processes), ipc_depth=4, xlen=32, queue=queue,
                  timers=timers)
    if queue == "pool":
        return Params(pool=size, **common)
    return Params(ready_depth=size, blocked_depth=min(16, size), **common)


# Families whose small packages cannot take every port as a pin (iCE40UP5K-SG48: 39
# IOs): there the controller is wrapped in a scan chain (_Pinless).
PINLESS = {"ice40"}


def _pinless(dut):
    """Wrap ``dut`` so it has 3 pins: every input of ``dut`` is driven from a shift
    register loaded serially through ``si``; every output is captured in parallel
    (``load``) into a shift register read out through ``so``. All paths into and out of
    ``dut`` stay register to register; the chain adds one FF per port bit and a 2:1 mux
    per output bit (counted in the figures)."""
    from amaranth.hdl import Cat, Module, Signal, Value
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    class _Pinless(wiring.Component):
        si: In(1)
        load: In(1)
        so: Out(1)

        def elaborate(self, platform):
            m = Module()
            m.submodules.dut = dut
            ins, outs = [], []
            for path, member, value in dut.signature.flatten(dut):
                (ins if member.flow == wiring.In else outs).append(Value.cast(value))
            iw = sum(len(v) for v in ins)
            ow = sum(len(v) for v in outs)
            ich, och = Signal(iw), Signal(ow)
            m.d.sync += ich.eq(Cat(self.si, ich[:-1]))
            m.d.comb += Cat(*ins).eq(ich)
            with m.If(self.load):
                m.d.sync += och.eq(Cat(*outs))
            with m.Else():
                m.d.sync += och.eq(och >> 1)
            m.d.comb += self.so.eq(och[0])
            return m

    return _Pinless()


def _name(p: Params) -> str:
    size = f"pool{p.pool}" if p.queue == "pool" else f"d{p.ready_depth}-b{p.blocked_depth}"
    return (f"atsintc-p{p.processes}-q{p.priorities}-{size}-v{p.vectors}-c{p.channels}"
            f"-t{p.timers}")


def synth_report(configs=None, families=("ecp5", "ice40"), log=print, *, seed=1,
                 workdir=None):
    """Synthesize the controller for each configuration and family; return the rows.

    ``configs`` is a list of configurations used for every family, a dict
    ``family -> list`` or ``None`` (:data:`DEFAULT_CONFIGS`). Each row is the dict of
    :func:`atsintc.tools.synth.synthesize` plus ``processes``, ``priorities``, ``depth``,
    ``vectors``, ``blocked_depth``, ``channels`` and ``target_mhz``. Synthesis runs one
    at a time (the big ECP5 configuration takes ~10-15 minutes on 2 cores).
    """
    from pathlib import Path

    from atsintc.gateware.controller import ATSIntc
    from atsintc.tools.synth import FAMILIES, DoesNotFit, synthesize

    rows = []
    for family in families:
        if configs is None:
            fam_configs = DEFAULT_CONFIGS.get(family, [])
        elif isinstance(configs, dict):
            fam_configs = configs.get(family, [])
        else:
            fam_configs = configs
        for config in fam_configs:
            p = config_params(config)
            name = _name(p)
            target = TARGET_MHZ.get(family, 100)
            wd = None if workdir is None else Path(workdir) / family / name
            log(f"[fpga] {family}: {name} (target {target} MHz)")
            dut = ATSIntc(p)
            if family in PINLESS:
                dut = _pinless(dut)
            try:
                # RTLIL: yosys 0.70 aborts on the default controller's Verilog
                r = synthesize(dut, name, family, target_mhz=target, seed=seed,
                               workdir=wd, port_stages=PORT_STAGES.get(family, 1),
                               frontend="rtlil", log=log)
            except DoesNotFit as e:
                log(f"[fpga] {family}: {e}")
                r = {"name": name, "family": family, "device": FAMILIES[family][3],
                     "luts": f"does not fit ({e.needed} needed)" if e.needed else
                     "does not fit", "ffs": None, "wrapper_ffs": None, "ram": {},
                     "fmax_mhz": None, "seconds": None}
            r["scan_chain"] = family in PINLESS
            pool = p.queue == "pool"
            r.update(processes=p.processes, priorities=p.priorities, queue=p.queue,
                     pool=p.pool if pool else None, depth=None if pool else p.ready_depth,
                     vectors=p.vectors, blocked_depth=None if pool else p.blocked_depth,
                     channels=p.channels, timers=p.timers, target_mhz=target)
            log(f"[fpga] {family}: {name}: {r['luts']} LUTs, {r['ffs']} FFs "
                f"({r['wrapper_ffs']} of them port registers), RAM {r['ram']}, "
                f"Fmax {r['fmax_mhz']} MHz, {r['seconds']} s")
            rows.append(r)
    return rows


def _ram_text(ram):
    parts = [f"{v} {k}" for k, v in ram.items() if v]
    return ", ".join(parts) if parts else "0"


def format_markdown(rows) -> str:
    """A Markdown table of :func:`synth_report` rows."""
    out = ["| Device | Queues | Processes x prio | Tasks | Vectors | Channels | Timers "
           "| LUTs | FFs (port regs) | BRAM / LUTRAM | Fmax (MHz) | Time (s) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ffs = "-" if r["ffs"] is None else f"{r['ffs']} ({r['wrapper_ffs']})"
        if r.get("queue", "systolic") == "pool":
            tasks = f"pool of {r['pool']}"
        else:
            tasks = f"{r['depth']} ready per process, {r['blocked_depth']} blocked per vector"
        out.append(
            f"| {r['device']} | {r.get('queue', 'systolic')} "
            f"| {r['processes']} x {r['priorities']} | {tasks} "
            f"| {r['vectors']} | {r['channels']} | {r.get('timers', 0)} | {r['luts']} "
            f"| {ffs} | {_ram_text(r['ram'])} "
            f"| {'-' if r['fmax_mhz'] is None else r['fmax_mhz']} "
            f"| {'-' if r['seconds'] is None else r['seconds']} |")
    return "\n".join(out) + "\n"


def write_docs(path, table, command):
    """Replace the text between :data:`DOCS_BEGIN` and :data:`DOCS_END` in ``path`` by
    the command and ``table``. Raises ``ValueError`` if the markers are missing."""
    from pathlib import Path

    path = Path(path)
    text = path.read_text()
    a, b = text.find(DOCS_BEGIN), text.find(DOCS_END)
    if a < 0 or b < a:
        raise ValueError(f"{path}: no '{DOCS_BEGIN}' ... '{DOCS_END}' section to write "
                         f"the report into")
    body = f"\n`{command}`:\n\n{table}"
    path.write_text(text[:a + len(DOCS_BEGIN)] + body + text[b:])


def synth_taskpool(size, lists, width=32, log=print):
    """ECP5 figures of the task pool alone (:mod:`atsintc.gateware.taskpool`), ports registered
    twice like the controller's rows. Its per-list outputs are reduced to one selected
    list so that the ports fit the package's pins (a select of one count and one
    non-empty bit is added)."""
    from amaranth.hdl import Module
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    from atsintc.tools.synth import synthesize
    from atsintc.gateware.taskpool import TaskPool

    class TaskPoolPins(wiring.Component):
        def __init__(self):
            self.pool = TaskPool(size=size, lists=lists, width=width)
            lb = len(self.pool.push_list)
            super().__init__({
                "push": In(1), "push_list": In(lb), "pop": In(1), "pop_list": In(lb),
                "word": In(width), "peek": In(lb), "sel": In(lb), "peek_word": Out(width),
                "peek_valid": Out(1), "count": Out(len(self.pool.counts[0])),
                "nonempty": Out(1), "free": Out(len(self.pool.free))})

        def elaborate(self, platform):
            m = Module()
            p = m.submodules.pool = self.pool
            m.d.comb += [p.push.eq(self.push), p.push_list.eq(self.push_list),
                         p.pop.eq(self.pop), p.pop_list.eq(self.pop_list),
                         p.word.eq(self.word),
                         p.peek.eq(self.peek), self.peek_word.eq(p.peek_word),
                         self.peek_valid.eq(p.peek_valid),
                         self.count.eq(p.counts[self.sel]),
                         self.nonempty.eq(p.nonempty.bit_select(self.sel, 1)),
                         self.free.eq(p.free)]
            return m

    log(f"[fpga] ecp5: taskpool {size} entries x {lists} lists x {width} bits")
    return synthesize(TaskPoolPins(), f"taskpool-{size}x{lists}x{width}", "ecp5",
                      target_mhz=TARGET_MHZ["ecp5"], port_stages=PORT_STAGES["ecp5"],
                      log=log)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m atsintc.tools.fpga", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", action="append", choices=["ecp5", "ice40"],
                    help="family (repeatable; default both)")
    ap.add_argument("--config", action="append", metavar="P,N,V[,QUEUE[,TIMERS]]",
                    help="processes,size,vectors[,pool|systolic[,timers]]: size = pool "
                         "entries or ready depth (systolic, the default QUEUE); timers = "
                         "deadline-queue entries (default 32) (repeatable; default "
                         "DEFAULT_CONFIGS per family)")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    ap.add_argument("--taskpool", metavar="SIZE,LISTS",
                    help="instead: the task pool alone (atsintc.gateware.taskpool, 32-bit words) "
                         "on ECP5, printed (not written into the docs)")
    ap.add_argument("--docs", metavar="FILE",
                    help="Markdown file to write the table into, between the "
                         f"'{DOCS_BEGIN}' and '{DOCS_END}' lines "
                         f"(default: {DEFAULT_DOCS} in the current directory if it has "
                         "them, as in a checkout of the repository)")
    ap.add_argument("--no-docs", action="store_true", help="do not write the table into "
                                                            "a Markdown file")
    args = ap.parse_args(argv)
    if args.taskpool:
        try:
            size, lists = (int(x) for x in args.taskpool.split(","))
        except ValueError:
            ap.error(f"--taskpool takes SIZE,LISTS (two integers), not {args.taskpool!r}")
        r = synth_taskpool(size, lists)
        print(f"taskpool {size} x {lists}: {r['luts']} LUT4, {r['ffs']} FF "
              f"({r['wrapper_ffs']} port registers), {r['ram']['DP16KD']} DP16KD, "
              f"Fmax {r['fmax_mhz']} MHz ({r['seconds']} s)")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(r, f, indent=2)
        return 0
    docs = None
    if not args.no_docs:
        docs = args.docs
        default = Path(DEFAULT_DOCS)
        if docs is None and default.exists() and DOCS_BEGIN in default.read_text():
            docs = str(default)             # run in a checkout of the repository
        if docs and DOCS_BEGIN not in open(docs).read():    # fail before hours of synthesis
            ap.error(f"{docs} has no '{DOCS_BEGIN}' line (use --docs or --no-docs)")
    families = tuple(args.family or ("ecp5", "ice40"))
    configs = None
    if args.config:
        configs = []
        for c in args.config:
            parts = c.split(",")
            try:
                if len(parts) not in (3, 4, 5) or (len(parts) >= 4 and
                                                   parts[3] not in Params.QUEUES):
                    raise ValueError
                configs.append(tuple(int(x) for x in parts[:3]) + tuple(parts[3:4]) +
                               tuple(int(x) for x in parts[4:]))
                config_params(configs[-1])          # the parameters' own checks
            except ValueError as e:
                ap.error(f"--config takes P,N,V or P,N,V,pool|systolic[,TIMERS], not {c!r}"
                         + (f" ({e})" if str(e) else ""))
    rows = synth_report(configs, families)
    table = format_markdown(rows)
    print(table)
    if docs:
        command = " ".join(["atsintc synth-report"] + list(
            sys.argv[1:] if argv is None else argv))
        write_docs(docs, table, command)
        print(f"[fpga] table written to {docs}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
