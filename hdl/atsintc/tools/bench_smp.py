"""Multi-hart benchmarks: ``firmware/tests/smp_bench.c`` on the two-hart SoC.

Runs the firmware on ``SoC(harts=2)`` (two VexRiscv_IMAC, an ATS-INTC with a port per
hart) and reads its ``RESULT`` lines. Every case runs on the SMP executor
(``firmware/rt/smp_exec.[ch]``): cycles for N short tasks on 1 and 2 harts (hw: one
ATS-INTC ready queue shared by both harts, idle harts in WFI on ``hart_irq``; sw: a
software ready queue under the SoC's hardware spinlock, WFI + IPI) with 64 and 512
cycles of work each, and the cross-core IPC one-way wake (SEND on hart 0 -> first
instruction of the handler task on hart 1): hw with the idle hart in DEQUEUE_WAIT,
hw-wfi with it in WFI, sw-ipi (software channel + ready queue + MSIP), p50/p99; then
``firmware/tests/syscall_bench.c``: 16 callers on hart 1 making system calls served on
hart 0 (hw and hw-wfi: SEND + ENQUEUE, no trap or IPI), by an ecall trap on their own
hart, or by sw-ipi: throughput (calls per 1000 cycles) and round trip p50/p99.

Reproduce: ``atsintc bench smp [--quick]`` (``python -m atsintc.tools.bench_smp``).
"""

import argparse
import json
import re
from dataclasses import replace
from pathlib import Path

__all__ = ["run", "format_table", "plot", "SIZES"]

# tasks x runs per task (the 10k short tasks), IPC samples
SIZES = {"full": dict(TASKS=64, RUNS=160, SAMPLES=200),
         "quick": dict(TASKS=64, RUNS=20, SAMPLES=100)}
EXECUTOR = "rt/smp_exec.c"             # the SMP executor every multi-hart program uses
SYSCALL_SIZES = {"full": dict(CALLERS=16, CALLS=50), "quick": dict(CALLERS=16, CALLS=10)}


def smp_soc():
    """The two-hart SoC of the multi-hart tests and benchmarks: two VexRiscv_IMAC, the
    default controller with a port per hart and channels of up to 16 messages (the
    system-call benchmark's 16 callers may all have a request in the kernel's channel;
    16 channels per process instead made the Verilog generation take > 9 GB)."""
    from atsintc.soc import memmap
    from atsintc.soc.soc import SoC
    params = replace(memmap.DEFAULT_ATSINTC_PARAMS, ports=2, ipc_depth=16)
    return SoC(atsintc_params=params, harts=2, cpu_variant="VexRiscv_IMAC")


def _firmware(name, source, sizes, log):
    from atsintc.tools import socsim

    flags = [f"-D{k}={v}" for k, v in sizes.items()]
    name = name + "-" + "-".join(f"{k.lower()}{v}" for k, v in sizes.items())
    r = socsim.run_firmware(name, [source, EXECUTOR], soc=smp_soc(), cflags=flags, max_cycles=0,
                            timeout=3600, log=log)
    if r.reason != "exit":
        raise RuntimeError(f"{source} did not finish ({r.reason}):\n{r.console}")
    vals = {k: int(v) for k, v in re.findall(r"^RESULT (\S+) (\d+)$", r.console, re.M)}
    fails = vals.get("failures", -1) if r.exit_code == 0 else r.exit_code
    return vals, fails, r.cycles


def syscalls(quick=False, *, sizes=None, log=print) -> dict:
    """The system-call benchmark alone: per way (hw, ecall, sw-ipi) throughput and
    round trip p50/p99."""
    sizes = dict(sizes or SYSCALL_SIZES["quick" if quick else "full"])
    log(f"[bench smp] system calls: {sizes['CALLERS']} callers x {sizes['CALLS']} calls ...")
    vals, fails, _ = _firmware("syscall-bench", "tests/syscall_bench.c", sizes, log)
    out = {"sizes": sizes, "failures": fails, "ways": {}}
    for way, key in (("hw", "hw"), ("hw-wfi", "hwwfi"), ("ecall", "ecall"),
                     ("sw-ipi", "swipi")):
        cyc = vals[f"{key}_cycles"]
        out["ways"][way] = {"cycles": cyc,
                            "calls_per_1000_cycles": round(1000 * vals["calls"] / cyc, 2),
                            "p50": vals[f"{key}_p50"], "p99": vals[f"{key}_p99"]}
    return out


def run(quick=False, *, sizes=None, syscall_sizes=None, json_path=None, log=print) -> dict:
    """Run the benchmarks; returns ``{"sizes", "cycles" (per case), "speedup", "ipc",
    "syscalls", "failures", "command"}`` and writes it to ``json_path`` if given."""
    sizes = dict(sizes or SIZES["quick" if quick else "full"])
    log(f"[bench smp] {sizes['TASKS'] * sizes['RUNS']} tasks per case, "
        f"{sizes['SAMPLES']} IPC samples, on SoC(harts=2) ...")
    vals, fails, cycles = _firmware("smp-bench", "tests/smp_bench.c", sizes, log)
    res = {"sizes": sizes, "cycles": {}, "speedup": {}, "ipc": {}, "failures": fails,
           "simulated_cycles": cycles,
           "command": "atsintc bench smp" + (" --quick" if quick else "")}
    for be in ("hw", "sw"):
        for w in (64, 512):
            one, two = vals[f"{be}_1hart_{w}"], vals[f"{be}_2harts_{w}"]
            res["cycles"][f"{be}_{w}"] = {"1hart": one, "2harts": two}
            res["speedup"][f"{be}_{w}"] = round(one / two, 3)
    for be, key in (("hw", "ipc_hw"), ("hw-wfi", "ipc_hwwfi"), ("sw-ipi", "ipc_swipi")):
        res["ipc"][be] = {"p50": vals[f"{key}_p50"], "p99": vals[f"{key}_p99"]}
    res["syscalls"] = syscalls(quick, sizes=syscall_sizes, log=log)
    if res["failures"] == 0:
        res["failures"] = res["syscalls"]["failures"]
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(res, indent=1))
    return res


def format_table(res) -> str:
    n = res["sizes"]["TASKS"] * res["sizes"]["RUNS"]
    lines = [f"Multi-hart (SoC(harts=2), two VexRiscv_IMAC; {n} tasks per case; "
             f"`{res['command']}`)", "",
             "| case | 1 hart (cycles) | 2 harts (cycles) | speedup |", "|---|---|---|---|"]
    for key, c in res["cycles"].items():
        be, w = key.split("_")
        lines.append(f"| {be}, {w}-cycle tasks | {c['1hart']:,} | {c['2harts']:,} | "
                     f"{res['speedup'][key]:.2f}x |")
    names = {"hw": "hw (SEND -> the idle hart's DEQUEUE_WAIT on its own port)",
             "hw-wfi": "hw-wfi (SEND -> hart_irq wakes WFI -> DEQUEUE)",
             "sw-ipi": "sw-ipi (spinlocked channel + ready queue, MSIP wakes WFI)"}
    lines += ["", "| cross-core IPC one-way wake (cycles) | p50 | p99 |", "|---|---|---|"]
    lines += [f"| {names[k]} | {v['p50']} | {v['p99']} |" for k, v in res["ipc"].items()]
    s = res["syscalls"]
    lines += ["", f"| system calls, {s['sizes']['CALLERS']} callers on hart 1 "
              f"({s['sizes']['CALLERS'] * s['sizes']['CALLS']} calls) | calls per 1000 "
              "cycles | round trip p50 | p99 |", "|---|---|---|---|"]
    names = {"hw": "hw: SEND to the kernel's handler on hart 0, ENQUEUE back",
             "hw-wfi": "hw-wfi: the same, idle harts in WFI",
             "ecall": "ecall: trap on the caller's hart",
             "sw-ipi": "sw-ipi: software channel + ready queues, IPIs"}
    for way, w in s["ways"].items():
        lines.append(f"| {names[way]} | {w['calls_per_1000_cycles']} | {w['p50']} | "
                     f"{w['p99']} |")
    lines += ["", f"failed checks: {res['failures']}"]
    return "\n".join(lines)


def plot(res, out_dir) -> Path:
    """``multi_hart.png`` in ``out_dir``: the 2-hart speedups, the cross-core IPC wake
    and the system-call round trips, hw beside the software baselines."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(12, 4))
    keys = list(res["speedup"])
    a1.bar(keys, [res["speedup"][k] for k in keys],
           color=["tab:blue" if k.startswith("hw") else "tab:red" for k in keys])
    a1.axhline(2.0, color="gray", lw=0.8, ls="--")
    a1.set_title("2 harts over 1 (speedup)")
    a1.set_xlabel("backend_work-cycles")
    ways = list(res["ipc"])
    x = range(len(ways))
    a2.bar([i - 0.2 for i in x], [res["ipc"][w]["p50"] for w in ways], 0.4, label="p50")
    a2.bar([i + 0.2 for i in x], [res["ipc"][w]["p99"] for w in ways], 0.4, label="p99")
    a2.set_xticks(list(x), ways)
    a2.set_title("cross-core IPC wake (cycles)")
    a2.legend(fontsize=8)
    s = res["syscalls"]["ways"]
    names = list(s)
    a3.bar(names, [s[n]["calls_per_1000_cycles"] for n in names],
           color=["tab:blue", "tab:cyan", "tab:gray", "tab:red"][:len(names)])
    a3.set_title("system calls per 1000 cycles (16 callers)")
    fig.suptitle(f"Two VexRiscv_IMAC harts (`{res['command']}`)")
    fig.tight_layout()
    path = Path(out_dir) / "multi_hart.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m atsintc.tools.bench_smp",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer tasks (1,280 per case)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)
    res = run(args.quick, json_path=args.json)
    print(format_table(res))
    return 0 if res["failures"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
