"""Multi-hart benchmarks: ``firmware/tests/smp_bench.c`` on the two-hart SoC.

Runs the firmware on ``SoC(harts=2)`` (two VexRiscv_IMAC, an ATS-INTC with a port per
hart) and reads its ``RESULT`` lines: cycles for N short tasks on 1 and 2 harts (hw:
one ATS-INTC ready queue shared by both harts; sw: a software FIFO under the SoC's
hardware spinlock) with 64 and 512 cycles of work each, and the cross-core IPC
one-way wake (SEND on hart 0 -> first instruction of the handler on hart 1), hw vs
sw-ipi (shared ring + MSIP software interrupt + trap handler + ready list), p50/p99.

Reproduce: ``atsintc bench smp [--quick]`` (``python -m atsintc.tools.bench_smp``).
"""

import argparse
import json
import re
from dataclasses import replace
from pathlib import Path

__all__ = ["run", "format_table", "SIZES"]

# tasks x runs per task (the 10k short tasks), IPC samples
SIZES = {"full": dict(TASKS=64, RUNS=160, SAMPLES=200),
         "quick": dict(TASKS=64, RUNS=20, SAMPLES=100)}


def smp_soc():
    from atsintc.soc import memmap
    from atsintc.soc.soc import SoC
    return SoC(atsintc_params=replace(memmap.DEFAULT_ATSINTC_PARAMS, ports=2), harts=2,
               cpu_variant="VexRiscv_IMAC")


def run(quick=False, *, sizes=None, json_path=None, log=print) -> dict:
    """Run the benchmark; returns ``{"sizes", "cycles" (per case), "speedup", "ipc",
    "failures", "command"}`` and writes it to ``json_path`` if given."""
    from atsintc.tools import socsim

    sizes = dict(sizes or SIZES["quick" if quick else "full"])
    flags = [f"-D{k}={v}" for k, v in sizes.items()]
    name = "smp-bench-" + "-".join(f"{k.lower()}{v}" for k, v in sizes.items())
    log(f"[bench smp] {sizes['TASKS'] * sizes['RUNS']} tasks per case, "
        f"{sizes['SAMPLES']} IPC samples, on SoC(harts=2) ...")
    r = socsim.run_firmware(name, ["tests/smp_bench.c"], soc=smp_soc(), cflags=flags,
                            max_cycles=0, timeout=3600, log=log)
    if r.reason != "exit":
        raise RuntimeError(f"smp benchmark did not finish ({r.reason}):\n{r.console}")
    vals = {k: int(v) for k, v in re.findall(r"^RESULT (\S+) (\d+)$", r.console, re.M)}
    res = {"sizes": sizes, "cycles": {}, "speedup": {}, "ipc": {},
           "failures": vals.get("failures", -1) if r.exit_code == 0 else r.exit_code,
           "simulated_cycles": r.cycles,
           "command": "atsintc bench smp" + (" --quick" if quick else "")}
    for be in ("hw", "sw"):
        for w in (64, 512):
            one, two = vals[f"{be}_1hart_{w}"], vals[f"{be}_2harts_{w}"]
            res["cycles"][f"{be}_{w}"] = {"1hart": one, "2harts": two}
            res["speedup"][f"{be}_{w}"] = round(one / two, 3)
    for be, key in (("hw", "ipc_hw"), ("sw-ipi", "ipc_swipi")):
        res["ipc"][be] = {"p50": vals[f"{key}_p50"], "p99": vals[f"{key}_p99"]}
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
    hw, sw = res["ipc"]["hw"], res["ipc"]["sw-ipi"]
    lines += ["", "| cross-core IPC one-way wake (cycles) | p50 | p99 |", "|---|---|---|",
              f"| hw (SEND -> DEQUEUE_WAIT on the other hart's port) | {hw['p50']} | "
              f"{hw['p99']} |",
              f"| sw-ipi (ring + MSIP + trap + ready list) | {sw['p50']} | {sw['p99']} |",
              "", f"failed checks: {res['failures']}"]
    return "\n".join(lines)


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
