"""Whole-system benchmarks: the async C runtime (``firmware/rt/``) on ATS-INTC (``hw``)
vs PLIC + software scheduler (``sw``) vs a polling dispatcher (``poll``).

The same benchmark code is built three times (``-DBACKEND_HW/SW/POLL``) and run on the
Verilator SoC (:mod:`atsintc.tools.socsim`):

* ``rt/bench.c``: queue cost, task switch, interrupt -> task (idle and with busy
  lower-priority tasks), IPC and system-call one-way wake / round trip;
* ``rt/sweep.c``: random device arrivals at offered loads 10..90 %, per-event latency
  (task start - device STAMP) percentiles and CPU cycles per event;
* ``rt/timer_bench.c``: the timers: cost of a sleep and a cancel, deadline -> woken
  task (idle and with 50% background load) p50/p99/max, a periodic task's jitter;
* ``rt/rt_test.c``: functional checks.

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
from atsintc.tools import socsim

__all__ = ["BACKENDS", "run_all", "format_table", "parse_console", "build_and_run",
           "MICRO_ROWS"]

BACKENDS = ("hw", "sw", "poll")
RT_SOURCES = ["rt/rt.c", "rt/trap.S"]
RT_TAIL = ["rt/rt_util.c"]

FULL = dict(events=600, loads=(10, 20, 30, 40, 50, 60, 70, 80, 90), cdf_load=80,
            periods=1000, timer_samples=200)
QUICK = dict(events=150, loads=(10, 50, 80, 90), cdf_load=80, periods=1000,
             timer_samples=100)

_RESULT = re.compile(r"^RESULT (\S+) (\S+)((?: \S+=-?\d+)*)\s*$")


def cflags(backend, extra=()):
    flags = [f"-DBACKEND_{backend.upper()}", "-fomit-frame-pointer"]
    return flags + list(extra)


def build_and_run(program, backend, extra=(), *, max_cycles=60_000_000, log=print,
                  timeout=1800):
    """Build ``firmware/rt/<program>.c`` for ``backend`` and run it; a SimResult."""
    srcs = RT_SOURCES + [f"rt/{program}.c"] + RT_TAIL
    return socsim.run_firmware(f"rt-{program}-{backend}", srcs,
                            cflags=cflags(backend, extra), max_cycles=max_cycles,
                            log=log, progress=0, timeout=timeout)


def parse_console(text):
    """RESULT lines -> {bench: [dict, ...]} (several lines per bench for the sweep),
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


def _job(program, backend, extra, log):
    r = build_and_run(program, backend, extra, log=lambda s: None)
    results, lat, checks = parse_console(r.console)
    ok = (not r.timed_out and r.exit_code == 0 and checks and all(c[0] for c in checks))
    log(f"[bench] {program:8s} {backend:4s}: {'ok' if ok else 'FAILED'}, "
        f"{r.cycles / 1e6:.2f} M cycles in {r.seconds:.1f} s "
        f"({r.cycles_per_second / 1e6:.2f} M cycles/s)")
    return dict(program=program, backend=backend, ok=bool(ok), exit_code=r.exit_code,
                cycles=r.cycles, seconds=r.seconds, results=results, lat=lat,
                checks=checks, console=r.console if not ok else "")


def run_all(out_dir="build", quick=False, log=print, jobs=2) -> dict:
    """Run every benchmark on every backend; write ``results.json`` and the plots to
    ``out_dir``; return the results (``paths`` lists the files written)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = QUICK if quick else FULL
    sweep_flags = [f"-DSWEEP_EVENTS={cfg['events']}",
                   "-DSWEEP_LOADS=" + ",".join(str(x) for x in cfg["loads"]),
                   f"-DCDF_LOAD={cfg['cdf_load']}"]
    socsim.build(log=log)                  # once, before the parallel runs
    work = []
    for b in BACKENDS:
        work.append(("rt_test", b, []))
        work.append(("bench", b, []))
        extra = sweep_flags + (["-DRT_IDLE_ACCT"] if b == "hw" else [])
        work.append(("sweep", b, extra))
        work.append(("timer_bench", b, [f"-DPERIODS={cfg['periods']}",
                                        f"-DNSAMPLES={cfg['timer_samples']}"]))
    log(f"[bench] {len(work)} simulations ({'quick' if quick else 'full'}), "
        f"{jobs} at a time ...")
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        runs = list(ex.map(lambda w: _job(*w, log), work))

    res = {"config": dict(cfg, quick=quick), "backends": list(BACKENDS), "micro": {},
           "timers": {}, "sweep": {}, "cdf": {}, "checks": {},
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
        elif r["program"] == "sweep":
            res["sweep"][b] = r["results"].get("load", [])
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
    """The issue's targets, evaluated on this run's figures."""
    t = {}
    hw_irq, sw_irq = _get(res, "irq_idle", "hw", "p50"), _get(res, "irq_idle", "sw", "p50")
    if hw_irq is not None and sw_irq is not None:
        t["irq_to_task_le_20"] = [hw_irq, hw_irq <= 20]
        t["irq_to_task_5x_below_sw"] = [round(sw_irq / max(hw_irq, 1), 2),
                                        sw_irq >= 5 * hw_irq]
    sw_hw = _get(res, "switch", "hw", "p50")
    if sw_hw is not None:
        t["task_switch_le_20"] = [sw_hw, sw_hw <= 20]
    ipc = _get(res, "ipc", "hw", "oneway_p50")
    if ipc is not None:
        t["ipc_oneway_le_30"] = [ipc, ipc <= 30]
    rows = {b: {r["load"]: r for r in res["sweep"].get(b, [])} for b in BACKENDS}
    if 80 in rows["hw"] and 80 in rows["sw"]:
        h, s = rows["hw"][80]["p99"], rows["sw"][80]["p99"]
        t["p99_at_80_le_third_of_sw"] = [round(h / max(s, 1), 3), 3 * h <= s]
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
    colors = {"hw": "tab:blue", "sw": "tab:red", "poll": "tab:green"}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for b in BACKENDS:
        rows = sorted(res["sweep"].get(b, []), key=lambda r: r["load"])
        if not rows:
            continue
        x = [r["load"] for r in rows]
        ax.plot(x, [r["p50"] for r in rows], "-o", color=colors[b], label=f"{b} p50")
        ax.plot(x, [r["p99"] for r in rows], "--s", color=colors[b], label=f"{b} p99")
    ax.set_xlabel("offered load (%)")
    ax.set_ylabel("interrupt -> task latency (cycles)")
    ax.set_yscale("log")
    ax.set_title("Latency vs offered load (device STAMP -> task start)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(ncol=3, fontsize=8)
    p = out / "latency_vs_load.png"
    fig.tight_layout()
    fig.savefig(p, dpi=120)
    plt.close(fig)
    paths.append(str(p))

    fig, ax = plt.subplots(figsize=(7, 4.5))
    load = None
    for b in BACKENDS:
        c = res["cdf"].get(b)
        if not c:
            continue
        load = c["load"]
        v = sorted(c["latencies"])
        n = len(v)
        ax.step(v, [(i + 1) / n for i in range(n)], where="post", color=colors[b],
                label=b)
    ax.set_xscale("log")
    ax.set_xlabel("interrupt -> task latency (cycles)")
    ax.set_ylabel("fraction of events")
    ax.set_title(f"Latency CDF at {load}% offered load")
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


def format_table(results) -> str:
    """Side-by-side text table (hw / sw / poll) of a :func:`run_all` result."""
    bs = results.get("backends", list(BACKENDS))
    lines = [f"{'benchmark':34s}" + "".join(f"{b:>10s}" for b in bs)]
    lines.append("-" * len(lines[0]))
    for bench, key, label in MICRO_ROWS:
        vals = [_get(results, bench, b, key) for b in bs]
        lines.append(f"{label:34s}" + "".join(f"{'-' if v is None else v:>10}"
                                               for v in vals))
    for bench, key, label in TIMER_ROWS:
        vals = [results.get("timers", {}).get(bench, {}).get(b, {}).get(key) for b in bs]
        lines.append(f"{label:34s}" + "".join(f"{'-' if v is None else v:>10}"
                                               for v in vals))
    rows = {b: {r["load"]: r for r in results.get("sweep", {}).get(b, [])} for b in bs}
    loads = sorted({ld for b in bs for ld in rows[b]})
    for key, label in (("p50", "p50"), ("p99", "p99"), ("max", "max"),
                       ("cpu_per_event", "cpu/event"), ("overhead", "overhead/event"),
                       ("missed", "missed events")):
        for ld in loads:
            vals = [rows[b].get(ld, {}).get(key) for b in bs]
            lines.append(f"{'load ' + str(ld) + '% ' + label:34s}" +
                         "".join(f"{'-' if v is None else v:>10}" for v in vals))
    if results.get("targets"):
        lines.append("")
        lines.append("targets: " + ", ".join(
            f"{k}={v[0]} ({'met' if v[1] else 'MISSED'})"
            for k, v in results["targets"].items()))
    sp = results.get("sim_speed")
    if sp:
        lines.append(f"simulation: {sp['cycles'] / 1e6:.1f} M cycles in {sp['seconds']} s of "
                     f"simulations, {sp['mcycles_per_second']} M cycles/s per simulation")
    checks = results.get("checks", {})
    nfail = sum(1 for b in checks for ok, _ in checks[b] if not ok)
    nok = sum(1 for b in checks for ok, _ in checks[b] if ok)
    lines.append(f"functional checks: {nok} ok, {nfail} failed; "
                 f"all runs {'passed' if results.get('ok') else 'NOT all passed'}")
    return "\n".join(lines)


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(prog="python -m atsintc.tools.bench_soc")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=str(build_root()))
    ap.add_argument("-j", "--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    res = run_all(a.out, quick=a.quick, jobs=a.jobs)
    print(format_table(res))
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    import sys
    sys.exit(main())
