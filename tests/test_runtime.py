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


JOB_CHUNKS = 10                         # chunks of a background job (classes.c)


@pytest.mark.parametrize("backend", bench_soc.BACKENDS)
def test_classes(simulator, backend):
    """The two-class benchmark (firmware/rt/classes.c, small sizes): every device event
    handled exactly once and none lost at each load, the figures present and ordered;
    the yield points work: a critical event never waits for a whole background job
    (without the preemption hint it would wait for up to JOB_CHUNKS chunks)."""
    extra = ["-DCLASS_EVENTS=200", "-DCLASS_LOADS=50,90", "-DCDF_LOAD=50",
             f"-DJOB_CHUNKS={JOB_CHUNKS}"]
    if backend == "hw":
        extra.append("-DRT_IDLE_ACCT")
    r, results, checks = _run("classes", backend, extra)
    assert r.reason == "exit" and r.exit_code == 0, r.console
    assert len(checks) == 4 and all(ok for ok, _ in checks), r.console
    rows = results["classes"]
    assert [row["load"] for row in rows] == [50, 90]
    for row in rows:
        assert row["crit"] == 200 and row["missed"] == 0 and row["bg"] > 0
        assert 0 < row["p50"] <= row["p99"] <= row["max"]
        assert 0 < row["overhead"] and row["work"] < row["busy"] <= row["elapsed"]
        assert row["p99"] < JOB_CHUNKS * row["chunk"], row     # one background job


def test_idle_wfi(simulator):
    """hw with the dispatcher idle in WFI on irq_out (-DRT_IDLE_WFI): the benchmark's
    checks pass and a device still wakes its task quickly."""
    r, results, checks = _run("bench", "hw", ["-DRT_IDLE_WFI"])
    assert r.reason == "exit" and r.exit_code == 0, r.console
    assert len(checks) == 6 and all(ok for ok, _ in checks), r.console
    assert results["irq_idle"][0]["p50"] <= 60


def test_cfu_runtime():
    """hw through the CFU port (-DRT_CFU on VexRiscv_FullCfu): the benchmark's checks
    pass, and a DEQUEUE is cheaper than the MMIO load on the same CPU."""
    soc = bench_soc.variant_soc("VexRiscv_FullCfu")
    got = {}
    for name, extra in (("mmio", []), ("cfu", ["-DRT_CFU"])):
        r = bench_soc.build_and_run("bench", "hw", extra, soc=soc, max_cycles=3_000_000,
                                    log=lambda s: None, timeout=300)
        results, _, checks = bench_soc.parse_console(r.console)
        assert r.reason == "exit" and r.exit_code == 0, r.console
        assert len(checks) == 6 and all(ok for ok, _ in checks), r.console
        got[name] = results
    assert got["cfu"]["queue"][0]["dequeue"] < got["mmio"]["queue"][0]["dequeue"]


def test_irq_floor(simulator):
    """firmware/tests/irq_floor.c: the hardware part of interrupt -> task (the device's
    line rising -> the DEQUEUE_WAIT load has returned the woken task) is a handful of
    cycles: the controller's wake (docs/architecture.md) and one bus access."""
    r = socsim.run_firmware("irq-floor", bench_soc.RT_SOURCES + ["tests/irq_floor.c"] +
                            bench_soc.RT_TAIL, cflags=bench_soc.cflags("hw"),
                            max_cycles=1_000_000, log=lambda s: None, timeout=300)
    assert r.reason == "exit" and r.exit_code == 0, r.console
    floors = [int(ln.split()[1]) for ln in r.console.splitlines() if ln.startswith("floor")]
    assert len(floors) == 4 and all(ln.endswith(" ok") for ln in r.console.splitlines()
                                     if ln.startswith("floor")), r.console
    assert max(floors) <= 10, floors


def test_c_code_sizes():
    """The C runtime's code in the bench image (bench_soc.c_code_sizes, quoted beside the
    Rust runtime's in docs/performance.md): a part of the image, and the sw runtime (the
    software queue, the PLIC trap handler, the timer list) larger than the hw one."""
    from atsintc.tools.bench_soc import c_code_sizes

    hw, sw = c_code_sizes("hw"), c_code_sizes("sw")
    for image, runtime in (hw, sw):
        assert 0 < runtime < image
    assert hw[1] < sw[1]
