"""`atsintc bench controller`: bus-access and wake latencies of the controller,
measured at its ports in Verilator simulation (sim/bench_atsintc.py)."""

import json
import shlex
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from atsintc.tools import cosim
from atsintc.tools.export import controller_verilog
from atsintc.regmap import Params

__all__ = ["run", "format_table"]

TARGETS = {"irq_to_head": 3, "send_to_head": 3, "irq_to_wait_ack": 3}


def run(params=Params(), json_path=None, log=print):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        log(f"simulating the controller ({params}) on Verilator ...")
        cosim.run(lambda: {"atsintc.v": controller_verilog(params)}, "atsintc",
                  "bench_atsintc", name="atsintc", key=repr(params),
                  env=dict(ATSINTC_PARAMS=json.dumps(asdict(params)), BENCH_JSON=out),
                  log=log)
        res = json.loads(out.read_text())
    result = {"params": asdict(params), "simulation": res,
              "command": " ".join(shlex.quote(a) for a in ["atsintc", *sys.argv[1:]])}
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(result, indent=2))
        log(f"wrote {json_path}")
    return result


def format_table(result):
    s = result["simulation"]
    lines = ["ATS-INTC controller latencies (Verilator, cycles; measured at the ports)", "",
             "| figure | measured | target |", "|---|---|---|"]
    for name, n in s["access_cycles"].items():
        lines.append(f"| bus access {name}: request to ack (data with ack) | {n} | <= 2 |")
    lines += [
        f"| interrupt edge -> task at the head of the ready queue | {s['irq_to_head']} | <= 3 |",
        f"| IPC send -> handler at the head of the receiver's queue | {s['send_to_head']} | <= 3 |",
        f"| interrupt edge -> waiting DEQUEUE_WAIT acked with the task | "
        f"{s['irq_to_wait_ack']} | <= 3 |",
    ]
    return "\n".join(lines)
