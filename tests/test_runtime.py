"""The async C runtime (firmware/rt/) on each backend, booted in the whole SoC:
functional checks (priorities, FIFO, yield), and the micro-benchmark firmware's own
checks (queue, every device event handled exactly once, IPC and system-call replies).
"""

import pytest

from atsintc.tools import bench_soc, socsim


@pytest.fixture(scope="module")
def simulator():
    return socsim.build()


def _run(program, backend, extra=()):
    r = bench_soc.build_and_run(program, backend, extra, max_cycles=3_000_000,
                                log=lambda s: None, timeout=300)
    print(r.console)
    results, lat, checks = bench_soc.parse_console(r.console)
    return r, results, checks


@pytest.mark.parametrize("backend", bench_soc.BACKENDS)
def test_functional(simulator, backend):
    r, _, checks = _run("rt_test", backend)
    assert r.reason == "exit" and r.exit_code == 0, r.console
    assert len(checks) == 3 and all(ok for ok, _ in checks), r.console
    assert r.console.rstrip().endswith("rt_test done")


@pytest.mark.parametrize("backend", bench_soc.BACKENDS)
def test_bench_checks_and_results(simulator, backend):
    r, results, checks = _run("bench", backend)
    assert r.reason == "exit" and r.exit_code == 0, r.console
    assert len(checks) == 6 and all(ok for ok, _ in checks), r.console
    for bench in ("queue", "switch", "irq_idle", "irq_busy", "ipc", "syscall"):
        assert bench in results, bench
    irq = results["irq_idle"][0]
    assert 0 < irq["min"] <= irq["p50"] <= irq["max"] < 2000
    if backend == "hw":                 # the controller path: no trap, a few bus cycles
        assert irq["p50"] <= 40


def test_sweep_exactly_once(simulator):
    r, results, checks = _run("sweep", "hw", ["-DSWEEP_EVENTS=40", "-DSWEEP_LOADS=50",
                                              "-DCDF_LOAD=50"])
    assert r.exit_code == 0, r.console
    row = results["load"][0]
    assert row["events"] == row["count"] >= 40
    assert all(ok for ok, _ in checks)


TIMER_CHECKS = 13                       # the CHECK lines timer_bench.c prints


@pytest.mark.parametrize("backend", bench_soc.BACKENDS)
def test_timers(simulator, backend):
    """rt_sleep_until / RT_SLEEP / rt_cancel on each backend (firmware/rt/timer_bench.c,
    small sizes): deadline order and FIFO among equal deadlines, a passed deadline,
    cancel found / not found, every sample woken once, no period started early; the
    figures are present and ordered. hw: the controller's path is short (no trap)."""
    r, results, checks = _run("timer_bench", backend, ["-DPERIODS=50", "-DNSAMPLES=20"])
    assert r.reason == "exit" and r.exit_code == 0, r.console
    assert len(checks) == TIMER_CHECKS and all(ok for ok, _ in checks), r.console
    for bench in ("timer_cost", "timer_idle", "timer_load", "periodic_idle",
                  "periodic_load"):
        assert bench in results, bench
    idle = results["timer_idle"][0]
    assert 0 < idle["min"] <= idle["p50"] <= idle["p99"] <= idle["max"] < 5000
    for kind in ("periodic_idle", "periodic_load"):
        row = results[kind][0]
        assert row["periods"] == 50 and 0 <= row["min"] <= row["max"]
        assert row["jitter"] == row["max"] - row["min"]
    if backend == "hw":                 # the controller moves the task: no trap, no list
        assert idle["p50"] <= 40 and results["timer_cost"][0]["sleep"] <= 40
