"""The `atsintc` command line: help on every subcommand, clear errors, Verilog export
that Verilator lints clean, and the benchmark's figures."""

import json
import re
import subprocess
import sys

import pytest

from atsintc.tools.cli import main
from atsintc.tools.cosim import LINT_WAIVERS
from atsintc.tools.toolchain import require


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "atsintc.tools.cli", *args],
                          capture_output=True, text=True)


@pytest.mark.parametrize("argv", [[], ["generate"], ["generate", "verilog"],
                                  ["generate", "header"], ["generate", "svd"],
                                  ["generate", "docs"], ["bench"], ["bench", "pq"], ["demo"]])
def test_help(argv):
    r = run_cli(*argv, "--help")
    assert r.returncode == 0 and "usage: atsintc" in r.stdout


@pytest.mark.parametrize("argv,msg", [
    (["generate", "verilog", "--depth", "0", "-o", "x.v"], "out of range: allowed 1..1024"),
    (["generate", "verilog", "--vectors", "65", "-o", "x.v"], "out of range: allowed 1..64"),
    (["generate", "header", "--data-width", "48"], "invalid choice: 48"),
    (["generate", "verilog", "--priorities", "many", "-o", "x.v"], "is not an integer"),
    (["bench", "pq", "--width", "2000"], "out of range: allowed 1..1024"),
])
def test_bad_arguments(argv, msg):
    r = run_cli(*argv)
    assert r.returncode == 2 and msg in r.stderr


def test_generate_verilog_lints(tmp_path):
    out = tmp_path / "pq.v"
    assert main(["generate", "verilog", "--module", "pqueue", "--depth", "7",
                 "--priorities", "5", "--width", "20", "-o", str(out)]) == 0
    text = out.read_text()
    assert "depth=7 priorities=5 width=20" in text
    assert "module atsintc_pqueue(" in text
    for port in ("clk", "rst", "enq__valid", "enq__ready", "enq__payload", "deq__valid",
                 "deq__ready", "deq__payload", "count", "empty", "full"):
        assert port in text
    lint(out)


def lint(path):
    r = subprocess.run([require("verilator"), "--lint-only", "-Wall", *LINT_WAIVERS, str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.parametrize("width,queue", [(32, "pool"), (64, "pool"), (32, "systolic")])
def test_generate_controller_verilog_lints(tmp_path, width, queue):
    out = tmp_path / "atsintc.v"
    assert main(["generate", "verilog", "--processes", "2", "--queue", queue, "--pool", "64",
                 "--depth", "4", "--vectors", "3", "--channels", "2",
                 "--data-width", str(width), "-o", str(out)]) == 0
    text = out.read_text()
    assert (f"processes=2 priorities=8 queue={queue} pool=64 ready_depth=4 vectors=3"
            in text)
    assert "module atsintc(" in text
    for port in ("clk", "rst", "wb_cyc", "wb_stb", "wb_we", "wb_adr", "wb_sel", "wb_dat_w",
                 "wb_dat_r", "wb_ack", "irq_in", "irq_out"):
        assert f" {port}" in text
    assert f"input [{width - 1}:0] wb_dat_w" in text
    lint(out)


def test_generate_multiport_verilog_lints(tmp_path):
    out = tmp_path / "atsintc.v"
    assert main(["generate", "verilog", "--processes", "2", "--pool", "16", "--vectors", "2",
                 "--channels", "1", "--ports", "3", "-o", str(out)]) == 0
    text = out.read_text()
    assert "--ports 3" in text and "ports=3" in text
    for i in range(3):
        for sig in ("cyc", "stb", "we", "adr", "sel", "dat_w", "dat_r", "ack"):
            assert f" wb{i}_{sig}" in text
    assert " wb_cyc" not in text and "wb3_" not in text
    assert "output [2:0] hart_irq" in text
    lint(out)


def test_generate_axi4lite_refuses_ports(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["generate", "verilog", "--bus", "axi4lite", "--ports", "2",
              "-o", str(tmp_path / "x.v")])
    assert "ports must be 1" in capsys.readouterr().err


def test_generate_header_to_file(tmp_path):
    out = tmp_path / "regs.h"
    assert main(["generate", "header", "--processes", "2", "-o", str(out)]) == 0
    assert re.search(r"#define ATSINTC_PROCESSES\s+2\b", out.read_text())


def test_bench_pq(tmp_path, capsys):
    js = tmp_path / "b.json"
    assert main(["bench", "pq", "--depth", "8", "--priorities", "4", "--width", "8",
                 "--json", str(js)]) == 0
    res = json.loads(js.read_text())["simulation"]
    assert res["enqueue_only_per_cycle"] == 1.0
    assert res["dequeue_only_per_cycle"] == 1.0
    assert res["mixed_ops_per_cycle"] == 2.0
    assert res["dequeue_latency_cycles"] == 1
    assert res["back_to_back_dequeue_fraction"] == 1.0
    assert "| mixed: dequeues per cycle | 1.000 | 1.0 |" in capsys.readouterr().out


def test_bench_controller(tmp_path, capsys):
    js = tmp_path / "c.json"
    assert main(["bench", "controller", "--processes", "2", "--depth", "8", "--vectors", "4",
                 "--channels", "2", "--json", str(js)]) == 0
    res = json.loads(js.read_text())["simulation"]
    assert res["access_cycles"] and max(res["access_cycles"].values()) <= 2
    assert res["irq_to_head"] <= 3
    assert res["send_to_head"] <= 3
    assert res["irq_to_wait_ack"] <= 3
    assert "interrupt edge -> task at the head" in capsys.readouterr().out


@pytest.mark.parametrize("argv,usage", [
    (["build", "--help"], "usage: atsintc build"),
    (["build", "--board", "ulx3s-85f", "--help"], "usage: python -m atsintc.boards.ulx3s"),
    (["build", "--board", "icebreaker", "--help"], "usage: python -m atsintc.boards.icebreaker"),
    (["synth-report", "--help"], "usage: python -m atsintc.tools.fpga"),
])
def test_fpga_commands_help(argv, usage):
    r = run_cli(*argv)
    assert r.returncode == 0 and usage in r.stdout


def test_build_bad_board():
    r = run_cli("build", "--board", "de10")
    assert r.returncode == 2 and "--board must be one of ulx3s-85f, icebreaker" in r.stderr
