"""The two-hart SoC (SoC(harts=2): two VexRiscv_IMAC, one ATS-INTC with a port per
hart, SMP control block, uncached RAM alias) running firmware/tests/smp.c, the SMP
executor's checks (firmware/tests/smp_exec_test.c), the multi-hart benchmarks, and the
SMP control block's registers."""

import pytest

from atsintc.soc.smp import SMPControl
from atsintc.soc.soc import SoC
from atsintc.tools import socsim
from atsintc.tools.bench_smp import EXECUTOR, smp_soc

EXEC_CHECKS = [(mode, what) for mode in ("hw-wait", "hw-wfi", "sw") for what in (
    "priority order, FIFO among equals", "every run exactly once on two harts",
    "both harts ran tasks", "cross-hart IPC round trips, every message once")] + [
    (mode, "no controller error") for mode in ("hw-wait", "hw-wfi")] + [
    ("sw", "second listener refused"), ("sw", "send to a full channel refused"),
    ("sw", "the channel's messages kept, in order")]


def test_two_harts_share_the_ready_queue():
    r = socsim.run_firmware("smp", ["tests/smp.c"], soc=smp_soc(), max_cycles=3_000_000,
                            timeout=600)
    print(r.console, r.summary())
    assert r.reason == "exit" and r.exit_code == 0, r.console
    assert "tasks run exactly once 400 ok" in r.console
    assert "hart 1 woken by MSIP 1 ok" in r.console


def test_smp_executor():
    """The SMP executor in its three modes: priority order and FIFO, exactly-once on two
    harts, cross-hart IPC, and the software channel's refusals (each check by name)."""
    r = socsim.run_firmware("smp-exec", ["tests/smp_exec_test.c", EXECUTOR], soc=smp_soc(),
                            max_cycles=5_000_000, timeout=600)
    print(r.console, r.summary())
    for mode, what in EXEC_CHECKS:
        assert f"CHECK {mode} {what} ok" in r.console, (mode, what, r.console)
    assert "FAIL" not in r.console and r.reason == "exit" and r.exit_code == 0, r.console


def test_bad_harts():
    with pytest.raises(ValueError, match="harts must be an integer in 1..4"):
        SoC(harts=5)
    with pytest.raises(ValueError, match="atsintc_params.ports must be 2, not 1"):
        SoC(harts=2)
    with pytest.raises(ValueError, match="harts must be an integer in 1..16"):
        SMPControl(0)


def test_smp_bench_small(tmp_path):
    """The multi-hart benchmark end to end on small sizes: every run counted per task
    (checked by the firmware), every case and IPC figure present, and the hardware
    queue's cross-core wake faster than the software IPI path at p50."""
    from atsintc.tools import bench_smp
    res = bench_smp.run(sizes=dict(TASKS=16, RUNS=8, SAMPLES=20),
                        syscall_sizes=dict(CALLERS=16, CALLS=4),
                        json_path=tmp_path / "smp.json")
    assert res["failures"] == 0
    assert set(res["speedup"]) == {"hw_64", "hw_512", "sw_64", "sw_512"}
    assert all(s > 1 for s in res["speedup"].values()), res["speedup"]
    assert set(res["ipc"]) == {"hw", "hw-wfi", "sw-ipi"}
    assert max(res["ipc"]["hw"]["p50"], res["ipc"]["hw-wfi"]["p50"]) < \
        res["ipc"]["sw-ipi"]["p50"], res["ipc"]
    ways = res["syscalls"]["ways"]             # every call answered with its own number
    assert set(ways) == {"hw", "hw-wfi", "ecall", "sw-ipi"}
    assert res["syscalls"]["failures"] == 0
    print(bench_smp.format_table(res))
    png = bench_smp.plot(res, tmp_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_exactly_once_at_scale():
    """102,400 task runs through one ATS-INTC queue shared by both harts' ports (each
    run re-enqueues its task): the firmware counts every run per task and checks that
    each of the 64 tasks ran exactly its 1,600 times, and that both harts took part."""
    r = socsim.run_firmware("smp-stress", ["tests/smp_bench.c", EXECUTOR], soc=smp_soc(),
                            cflags=["-DSTRESS", "-DTASKS=64", "-DRUNS=1600"],
                            max_cycles=50_000_000, timeout=900)
    assert r.reason == "exit" and r.exit_code == 0, r.console
    assert "RESULT tasks 102400" in r.console and "RESULT failures 0" in r.console
    print(r.console, r.summary())
