"""Whole-system benchmarks: the async C runtime (``firmware/rt/``) on ATS-INTC (``hw``)
vs PLIC + software scheduler (``sw``) vs a polling dispatcher (``poll``).

The same benchmark code is built three times (``-DBACKEND_HW/SW/POLL``) and run on the
Verilator SoC (:mod:`atsintc.tools.socsim`):

* ``rt/bench.c``: queue cost, task switch, interrupt -> task (idle and with busy
  lower-priority tasks), IPC and system-call one-way wake / round trip; also for the hw
  variants of :data:`VARIANTS` (idle in WFI; the CFU port of VexRiscv_FullCfu);
* ``rt/classes.c``: two classes of events at background loads 10..90 %: critical
  events (priority 0, 10% of the CPU) and background jobs (priority 7, yield points);
  the critical latency (task start - device STAMP) percentiles and the scheduling
  overhead per event; :data:`FULL` ``events`` critical events per load;
* ``rt/timer_bench.c``: the timers: cost of a sleep and a cancel, deadline -> woken
  task (idle and with 50% background load) p50/p99/max, a periodic task's jitter;
* ``rt/rt_test.c``: functional checks;
* the Rust runtime (``firmware/rust/``, :mod:`atsintc.tools.rust_build`): its
  ``examples/bench.rs`` and ``rt_test.rs`` for the columns ``rust-hw`` / ``rust-sw``
  (skipped, with a message naming the Debian packages, when the toolchain is missing).

The firmware prints ``RESULT <bench> <backend> key=value ...`` lines (and ``LAT`` lines
with the raw latencies at one load, for the CDF); :func:`run_all` parses them, writes
``results.json`` and PNG plots and returns everything as a dict; :func:`format_table`
renders the side-by-side table.
"""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from atsintc.tools.toolchain import build_root
from atsintc.soc.soc import CFU_VARIANT, VEXRISCV_VARIANT
from atsintc.tools import socsim

__all__ = ["BACKENDS", "VARIANTS", "RUST_BACKENDS", "rust_missing", "run_all",
           "format_table", "parse_console", "build_and_run", "variant_soc", "MICRO_ROWS",
           "CLASS_ROWS"]

BACKENDS = ("hw", "sw", "poll")
RT_SOURCES = ["rt/rt.c", "rt/trap.S"]
RT_TAIL = ["rt/rt_util.c"]

# events: critical events per load point of rt/classes.c. FULL (`--full`) takes about
# 140 M cycles per backend (6-7 minutes each on 2 busy cores), so the default run
# (`make demo`) takes 2,000 (a p99 over 2,000 samples) and says so.
FULL = dict(events=10_000, loads=(10, 20, 30, 40, 50, 60, 70, 80, 90), cdf_load=80,
            periods=1000, timer_samples=200)
DEFAULT = dict(FULL, events=2_000)
QUICK = dict(events=500, loads=(10, 50, 80, 90), cdf_load=80, periods=1000,
             timer_samples=100)

# hw variants of the micro-benchmarks (rt/bench.c): name -> (backend, extra cflags, CPU
# variant of the SoC or None for the default SoC's)
VARIANTS = {
    "hw-wfi": ("hw", ["-DRT_IDLE_WFI"], None),              # idle in WFI on irq_out
    "hw-fullcfu": ("hw", [], CFU_VARIANT),                  # MMIO on the CFU's CPU
    "hw-cfu": ("hw", ["-DRT_CFU"], CFU_VARIANT),            # reads through the CFU
}


# the Rust runtime's backends (firmware/rust/, columns rust-hw / rust-sw)
RUST_BACKENDS = ("hw", "sw")


def rust_missing():
    """None if the Rust firmware toolchain is installed, else why not (the message names
    the Debian packages and ``make rust-toolchain``)."""
    from atsintc.tools import rust_build
    try:
        rust_build.detect()
    except rust_build.RustToolchainMissing as e:
        return str(e)
    return None


def _rust_ready(log):
    """Build the Rust sysroot once before the parallel runs and return None; or, if the
    toolchain is missing, say so and return why: the Rust columns are then left out,
    visibly."""
    from atsintc.tools import rust_build
    why = rust_missing()
    if why:
        log(f"[bench] SKIPPING the Rust columns (rust-hw, rust-sw): {why}")
        return why
    rust_build.sysroot(log=log)
    return None


def variant_soc(cpu_variant):
    """The SoC of a variant (None: the default SoC)."""
    if cpu_variant is None:
        return None
    from atsintc.soc.soc import SoC
    return SoC(cpu_variant=cpu_variant)


_RESULT = re.compile(r"^RESULT (\S+) (\S+)((?: \S+=-?\d+)*)\s*$")


def cflags(backend, extra=()):
    flags = [f"-DBACKEND_{backend.upper()}", "-fomit-frame-pointer"]
    return flags + list(extra)


def build_and_run(program, backend, extra=(), *, soc=None, max_cycles=60_000_000,
                  log=print, timeout=1800):
    """Build ``firmware/rt/<program>.c`` for ``backend`` and run it on ``soc`` (default:
    the default :class:`atsintc.soc.soc.SoC`); a SimResult."""
    srcs = RT_SOURCES + [f"rt/{program}.c"] + RT_TAIL
    return socsim.run_firmware(f"rt-{program}-{backend}", srcs, soc=soc,
                               cflags=cflags(backend, extra), max_cycles=max_cycles,
                               log=log, progress=0, timeout=timeout)


def c_code_sizes(backend, program="bench"):
    """(code bytes of the C image of ``rt/<program>.c`` for ``backend``, code bytes of the
    C runtime in it): the sizes of the image's function symbols, the same measure as the
    Rust images' ``RESULT size`` (:func:`atsintc.tools.rust_build.code_sizes`); the
    runtime's are the functions that ``RT_SOURCES`` + ``RT_TAIL`` define (each compiled
    once more, with the image's flags, to name them)."""
    import subprocess
    import sys
    import tempfile

    from atsintc.tools import firmware_build as fb
    from atsintc.tools.rust_build import elf_symbols

    hexfile = fb.build_firmware(f"rt-{program}-{backend}",
                                RT_SOURCES + [f"rt/{program}.c"] + RT_TAIL,
                                cflags=cflags(backend), log=lambda *a: None)
    funcs = {n: v[1] for n, v in elf_symbols(hexfile.with_suffix(".elf")).items()
             if v[2] == "func"}
    fw = fb.firmware_dir()
    flags = list(fb.CFLAGS) + ["-I", str(fw / "include"), "-I", str(fw / "lib")]
    names = set()
    with tempfile.TemporaryDirectory() as tmp:
        for src in RT_SOURCES + RT_TAIL:
            obj = Path(tmp) / "rt.o"
            subprocess.run([sys.executable, "-m", "ziglang", "cc", *flags, *cflags(backend),
                            "-c", "-o", str(obj), str(fw / src)], check=True)
            names |= {n for n, v in elf_symbols(obj).items() if v[2] == "func"}
    return sum(funcs.values()), sum(size for n, size in funcs.items() if n in names)


def parse_console(text):
    """RESULT lines -> {bench: [dict, ...]} (several lines per bench for the load points),
    LAT lines -> {load: [latencies]}, CHECK lines -> list of (ok, text)."""
    results, lat, checks = {}, {}, []
    for line in text.splitlines():
        m = _RESULT.match(line)
        if m:
            kv = {k: int(v) for k, v in (p.split("=") for p in m.group(3).split())}
            results.setdefault(m.group(1), []).append(kv)
        elif line.startswith("LAT "):
            parts = line.split()
            lat.setdefault(int(parts[2]), []).extend(int(x) for x in parts[3:])
        elif line.startswith("CHECK "):
            checks.append((line.startswith("CHECK ok"), line[6:]))
    return results, lat, checks


def _job(program, backend, extra, log, column=None, cpu=None, max_cycles=60_000_000):
    if column and column.startswith("rust-"):      # firmware/rust/examples/<program>.rs
        from atsintc.tools import rust_build
        r = rust_build.build_and_run(program, backend,
                                     consts=rust_build.consts_from_cflags(extra),
                                     max_cycles=max_cycles, log=lambda s: None,
                                     timeout=3600)
    else:
        r = build_and_run(program, backend, extra, soc=variant_soc(cpu),
                          max_cycles=max_cycles, log=lambda s: None, timeout=3600)
    results, lat, checks = parse_console(r.console)
    ok = (not r.timed_out and r.exit_code == 0 and checks and all(c[0] for c in checks))
    column = column or backend
    log(f"[bench] {program:11s} {column:10s}: {'ok' if ok else 'FAILED'}, "
        f"{r.cycles / 1e6:.2f} M cycles in {r.seconds:.1f} s "
        f"({r.cycles_per_second / 1e6:.2f} M cycles/s)")
    return dict(program=program, backend=column, ok=bool(ok), exit_code=r.exit_code,
                cycles=r.cycles, seconds=r.seconds, results=results, lat=lat,
                checks=checks, console=r.console if not ok else "")


def run_all(out_dir="build", quick=False, log=print, jobs=2, full=False) -> dict:
    """Run every benchmark on every backend (and the micro-benchmarks on every hw
    variant); write ``results.json`` and the plots to ``out_dir``; return the results
    (``paths`` lists the files written). ``quick`` / ``full``: the sizes of
    :data:`QUICK` / :data:`FULL` instead of :data:`DEFAULT`."""
    if quick and full:
        raise ValueError("quick and full exclude each other")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = QUICK if quick else FULL if full else DEFAULT
    class_flags = [f"-DCLASS_EVENTS={cfg['events']}",
                   "-DCLASS_LOADS=" + ",".join(str(x) for x in cfg["loads"]),
                   f"-DCDF_LOAD={cfg['cdf_load']}"]
    log(f"[bench] two-class load benchmark: {cfg['events']:,} critical events per load "
        f"point" + ("" if full else f" ({FULL['events']:,} with --full)"))
    socsim.build(log=log)                  # once, before the parallel runs
    for cpu in {v[2] for v in VARIANTS.values()} - {None}:
        socsim.build(variant_soc(cpu), log=log)
    work = []
    # the long runs first; about 1,000 cycles per critical event (its mean period) plus
    # the drain, so 2,500 per event is a generous bound
    class_cycles = 2_500 * cfg["events"] * len(cfg["loads"]) + 10_000_000
    rust_why = _rust_ready(log)
    rust = rust_why is None
    for b in BACKENDS:
        extra = class_flags + (["-DRT_IDLE_ACCT"] if b == "hw" else [])
        work.append(("classes", b, extra, b, None, class_cycles))
    for b in RUST_BACKENDS if rust else ():
        work.append(("classes", b, class_flags, f"rust-{b}", None, class_cycles))
    for b in BACKENDS:
        work.append(("rt_test", b, [], b, None))
        work.append(("bench", b, [], b, None))
        work.append(("timer_bench", b, [f"-DPERIODS={cfg['periods']}",
                                        f"-DNSAMPLES={cfg['timer_samples']}"], b, None))
    for name, (b, extra, cpu) in VARIANTS.items():
        work.append(("bench", b, extra, name, cpu))
    for b in RUST_BACKENDS if rust else ():
        work.append(("rt_test", b, [], f"rust-{b}", None))
        work.append(("bench", b, [], f"rust-{b}", None))
    log(f"[bench] {len(work)} simulations ({'quick' if quick else 'full' if full else 'default'}), "
        f"{jobs} at a time ...")
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        runs = list(ex.map(lambda w: _job(w[0], w[1], w[2], log, *w[3:]), work))

    res = {"config": dict(cfg, quick=quick, full=full), "backends": list(BACKENDS),
           "rust": [f"rust-{b}" for b in RUST_BACKENDS] if rust else [],
           "rust_missing": rust_why,
           "variants": {k: {"backend": v[0], "cflags": v[1], "cpu": v[2] or VEXRISCV_VARIANT}
                        for k, v in VARIANTS.items()},
           "micro": {}, "timers": {}, "classes": {}, "cdf": {}, "checks": {},
           "ok": all(r["ok"] for r in runs),
           "runs": [{k: r[k] for k in ("program", "backend", "ok", "exit_code", "cycles",
                                       "seconds")} for r in runs]}
    for r in runs:
        b = r["backend"]
        res["checks"].setdefault(b, []).extend(r["checks"])
        if not r["ok"]:
            res["runs"][runs.index(r)]["console"] = r["console"]
        if r["program"] == "bench":
            for bench, rows in r["results"].items():
                res["micro"].setdefault(bench, {})[b] = rows[0]
        elif r["program"] == "timer_bench":
            for bench, rows in r["results"].items():
                res["timers"].setdefault(bench, {})[b] = rows[0]
        elif r["program"] == "classes":
            res["classes"][b] = r["results"].get("classes", [])
            if r["lat"]:
                load, vals = next(iter(r["lat"].items()))
                res["cdf"][b] = {"load": load, "latencies": vals}
    # simulation speed of the SoC model: cycles simulated per second of each simulation
    cycles = sum(r["cycles"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    res["sim_speed"] = {"cycles": cycles, "seconds": round(seconds, 1),
                        "mcycles_per_second": round(cycles / max(seconds, 1e-9) / 1e6, 2)}
    res["targets"] = _targets(res)
    res["paths"] = [str(out / "results.json")] + _plots(res, out, log)
    (out / "results.json").write_text(json.dumps(res, indent=1))
    log(f"[bench] wrote {', '.join(res['paths'])}")
    return res


def _get(res, bench, backend, key):
    try:
        return res["micro"][bench][backend][key]
    except KeyError:
        return None


def _targets(res):
    """The issues' targets, evaluated on this run's figures."""
    t = {}
    hw_irq, sw_irq = _get(res, "irq_idle", "hw", "p50"), _get(res, "irq_idle", "sw", "p50")
    if hw_irq is not None and sw_irq is not None:
        t["irq_to_task_5x_below_sw"] = [round(sw_irq / max(hw_irq, 1), 2),
                                        sw_irq >= 5 * hw_irq]
    for col in ("hw", "hw-cfu"):
        sfx = "" if col == "hw" else "_cfu"
        v = _get(res, "irq_idle", col, "p50")
        if v is not None:
            t[f"irq_to_task_le_20{sfx}"] = [v, v <= 20]
        v = _get(res, "switch", col, "p50")
        if v is not None:
            t[f"task_switch_le_20{sfx}"] = [v, v <= 20]
        v = _get(res, "ipc", col, "oneway_p50")
        if v is not None:
            t[f"ipc_oneway_le_30{sfx}"] = [v, v <= 30]
    if res.get("rust"):
        ratios = [(_get(res, bench, "rust-hw", key), _get(res, bench, "hw", key))
                  for bench, key, _ in MICRO_ROWS]
        ratios = [r / max(c, 1) for r, c in ratios if r is not None and c is not None]
        if ratios:
            t["rust_hw_within_1_25x_of_c_hw"] = [round(max(ratios), 2), max(ratios) <= 1.25]
        h, s = _get(res, "irq_idle", "rust-hw", "p50"), _get(res, "irq_idle", "rust-sw", "p50")
        if h is not None and s is not None:
            t["rust_irq_to_task_5x_below_rust_sw"] = [round(s / max(h, 1), 2), s >= 5 * h]
    rows = {b: {r["load"]: r for r in res["classes"].get(b, [])} for b in BACKENDS}
    if 80 in rows["hw"] and 80 in rows["sw"]:
        h, s = rows["hw"][80]["p99"], rows["sw"][80]["p99"]
        t["critical_p99_at_80_le_third_of_sw"] = [round(h / max(s, 1), 3), 3 * h <= s]
    loads = sorted(set(rows["hw"]) & set(rows["sw"]))
    if loads:
        ratios = [rows["hw"][ld]["overhead"] / max(rows["sw"][ld]["overhead"], 1)
                  for ld in loads]
        t["overhead_le_third_of_sw_every_load"] = [round(max(ratios), 3),
                                                   all(3 * r <= 1 for r in ratios)]
    missed = [r["missed"] for b in BACKENDS for r in rows[b].values()]
    if missed:
        t["missed_events_zero"] = [sum(missed), sum(missed) == 0]
    tm = res.get("timers", {})
    try:
        h, s = tm["timer_idle"]["hw"]["p50"], tm["timer_idle"]["sw"]["p50"]
        t["timer_idle_le_30"] = [h, h <= 30]
        t["timer_idle_5x_below_sw"] = [round(s / max(h, 1), 2), s >= 5 * h]
        for kind in ("periodic_idle", "periodic_load"):
            h, s = tm[kind]["hw"]["jitter"], tm[kind]["sw"]["jitter"]
            t[f"{kind}_jitter_le_fifth_of_sw"] = [f"{h} vs {s}", 5 * h <= s]
    except KeyError:
        pass
    speed = res.get("sim_speed", {}).get("mcycles_per_second")
    if speed is not None:
        t["sim_speed_ge_1_5_mcycles_per_s"] = [speed, speed >= 1.5]
    return t


def _plots(res, out, log):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:                                 # pragma: no cover
        log("[bench] matplotlib not available: no plots")
        return []
    paths = []
    colors = {"hw": "tab:blue", "sw": "tab:red", "poll": "tab:green",
              "rust-hw": "tab:purple", "rust-sw": "tab:orange"}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for b in list(BACKENDS) + list(res.get("rust", [])):
        rows = sorted(res["classes"].get(b, []), key=lambda r: r["load"])
        if not rows:
            continue
        x = [r["load"] for r in rows]
        ax.plot(x, [r["p50"] for r in rows], "-o", color=colors[b], label=f"{b} p50")
        ax.plot(x, [r["p99"] for r in rows], "--s", color=colors[b], label=f"{b} p99")
    ax.set_xlabel("background load (% of the CPU; critical class: 10%)")
    ax.set_ylabel("critical event -> task latency (cycles)")
    ax.set_yscale("log")
    ax.set_title("Critical-class latency vs background load (STAMP -> task start)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(ncol=3, fontsize=8)
    p = out / "latency_vs_load.png"
    fig.tight_layout()
    fig.savefig(p, dpi=120)
    plt.close(fig)
    paths.append(str(p))

    fig, ax = plt.subplots(figsize=(7, 4.5))
    load = None
    for b in list(BACKENDS) + list(res.get("rust", [])):
        c = res["cdf"].get(b)
        if not c:
            continue
        load = c["load"]
        v = sorted(c["latencies"])
        n = len(v)
        ax.step(v, [(i + 1) / n for i in range(n)], where="post", color=colors[b],
                label=b)
    ax.set_xscale("log")
    ax.set_xlabel("critical event -> task latency (cycles)")
    ax.set_ylabel("fraction of critical events")
    ax.set_title(f"Critical-class latency CDF at {load}% background load")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    p = out / "latency_cdf.png"
    fig.tight_layout()
    fig.savefig(p, dpi=120)
    plt.close(fig)
    paths.append(str(p))
    return paths


# (bench, RESULT key, row label) of the micro-benchmark rows of the table; the board's
# benchmark image prints the same rows (board_bench.py).
MICRO_ROWS = [
    ("queue", "enqueue", "enqueue (cycles)"),
    ("queue", "dequeue", "dequeue (cycles)"),
    ("queue", "enq_deq", "enqueue + dequeue"),
    ("switch", "p50", "task switch p50"),
    ("irq_idle", "p50", "irq -> task, idle p50"),
    ("irq_idle", "max", "irq -> task, idle max"),
    ("irq_busy", "p50", "irq -> task, busy p50"),
    ("irq_busy", "max", "irq -> task, busy max"),
    ("ipc", "oneway_p50", "IPC one-way wake p50"),
    ("ipc", "rtt_p50", "IPC round trip p50"),
    ("syscall", "oneway_p50", "syscall one-way p50"),
    ("syscall", "rtt_p50", "syscall round trip p50"),
]


# (bench, RESULT key, row label) of the timer rows (rt/timer_bench.c)
TIMER_ROWS = [
    ("timer_cost", "sleep", "sleep (cycles)"),
    ("timer_cost", "cancel", "cancel (cycles)"),
    ("timer_idle", "p50", "deadline -> task, idle p50"),
    ("timer_idle", "p99", "deadline -> task, idle p99"),
    ("timer_idle", "max", "deadline -> task, idle max"),
    ("timer_load", "p50", "deadline -> task, 50% load p50"),
    ("timer_load", "p99", "deadline -> task, 50% load p99"),
    ("timer_load", "max", "deadline -> task, 50% load max"),
    ("periodic_idle", "jitter", "periodic jitter, idle"),
    ("periodic_load", "jitter", "periodic jitter, 50% load"),
]


# (RESULT key, row label) of the two-class rows (rt/classes.c), one per load
CLASS_ROWS = [
    ("p50", "critical p50"),
    ("p99", "critical p99"),
    ("max", "critical max"),
    ("overhead", "overhead/event"),
    ("missed", "missed events"),
]


def format_table(results) -> str:
    """Side-by-side text table of a :func:`run_all` result: hw / sw / poll, and the hw
    variants' columns for the micro-benchmarks."""
    bs = results.get("backends", list(BACKENDS))
    vs = list(results.get("variants", {})) + list(results.get("rust", []))
    cols = bs + vs

    def line(label, vals):
        return f"{label:34s}" + "".join(f"{'-' if v is None else v:>11}" for v in vals)

    lines = [f"{'benchmark':34s}" + "".join(f"{c:>11s}" for c in cols)]
    lines.append("-" * len(lines[0]))
    for bench, key, label in MICRO_ROWS:
        lines.append(line(label, [_get(results, bench, c, key) for c in cols]))
    if results.get("rust"):
        lines.append(line("code size (bytes: image / runtime)",
                          [None] * (len(cols) - len(results["rust"])) +
                          [f"{_get(results, 'size', c, 'text')}/{_get(results, 'size', c, 'rt')}"
                           for c in results["rust"]]))
    for bench, key, label in TIMER_ROWS:
        lines.append(line(label, [results.get("timers", {}).get(bench, {}).get(b, {})
                                  .get(key) for b in bs]))
    cb = bs + list(results.get("rust", []))          # the two-class columns
    rows = {b: {r["load"]: r for r in results.get("classes", {}).get(b, [])} for b in cb}
    loads = sorted({ld for b in cb for ld in rows[b]})
    if results.get("rust") and loads:
        lines.append(f"{'(two classes)':34s}" + "".join(f"{c:>11s}" for c in cb))
    for key, label in CLASS_ROWS:
        for ld in loads:
            lines.append(line(f"bg {ld}% {label}", [rows[b].get(ld, {}).get(key)
                                                    for b in cb]))
    if vs:
        lines.append("")
        lines.append("columns: " + "; ".join(
            f"{k} = {v['backend']} {' '.join(v['cflags']) or '(MMIO)'} on {v['cpu']}"
            for k, v in results.get("variants", {}).items()) +
            ("; rust-hw / rust-sw = the Rust runtime (firmware/rust/)"
             if results.get("rust") else ""))
    if results.get("rust_missing"):
        lines.append(f"Rust columns SKIPPED: {results['rust_missing']}")
    if results.get("targets"):
        lines.append("")
        lines.append("targets: " + ", ".join(
            f"{k}={v[0]} ({'met' if v[1] else 'MISSED'})"
            for k, v in results["targets"].items()))
    sp = results.get("sim_speed")
    if sp:
        lines.append(f"simulation: {sp['cycles'] / 1e6:.1f} M cycles in {sp['seconds']} s of "
                     f"simulations, {sp['mcycles_per_second']} M cycles/s per simulation")
    cfg = results.get("config", {})
    if cfg.get("events"):
        lines.append(f"two classes: {cfg['events']:,} critical events per load point"
                     + ("" if cfg.get("full") else
                        f" ({FULL['events']:,} with atsintc bench soc --full)"))
    checks = results.get("checks", {})
    nfail = sum(1 for b in checks for ok, _ in checks[b] if not ok)
    nok = sum(1 for b in checks for ok, _ in checks[b] if ok)
    lines.append(f"functional checks: {nok} ok, {nfail} failed; "
                 f"all runs {'passed' if results.get('ok') else 'NOT all passed'}")
    lines.append("reproduce: atsintc bench soc" + (" --quick" if cfg.get("quick") else
                                                   " --full" if cfg.get("full") else ""))
    return "\n".join(lines)


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(prog="python -m atsintc.tools.bench_soc")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--out", default=str(build_root()))
    ap.add_argument("-j", "--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    res = run_all(a.out, quick=a.quick, jobs=a.jobs, full=a.full)
    print(format_table(res))
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    import sys
    sys.exit(main())
