"""The all-backends benchmark image for the FPGA board (firmware/board/,
atsintc.tools.board_bench), run once on the simulated SoC: every backend's section, its
checks, the same RESULT values as the per-backend images, and a table made of them.
"""

import re

import pytest

from atsintc.tools import bench_soc, board_bench, socsim

BACKENDS = list(bench_soc.BACKENDS)
BENCHES = ("calib", "queue", "switch", "irq_idle", "irq_busy", "ipc", "syscall")
CHECKS_PER_SECTION = 7          # bench.c's 6 + the backend's shutdown (rt_fini)
SECTION_MAX = 1024              # bench_all.c's SECTION: what the UART FIFO must hold

# The same values as the per-backend images. The caches are direct mapped (4 KiB), so
# cycle counts depend on where code and data lie modulo 4 KiB: build_board_bench places
# every function and zero-initialised variable of a backend as in its own image, and the
# strings the backends print clear of their data and of the stack (as in their own
# images); each benchmark gets the stack from the top of the RAM (as there). With that,
# every value has been identical. One difference remains: between two measurements the
# image prints through its own console functions (rt_console_*, which keep a copy of
# the text) instead of console_puts / console_put_uint, so other I-cache lines are
# replaced while a RESULT line is printed, and the first sample of the next measurement
# could see one or two different instruction fetches. That shows only in values that are
# one sample - the min and max of a run, the one-shot work_cycles - so those may differ
# by up to three cache-line refills (about 10 cycles each; two were enough until the
# timer interrupt entered the sw trap handler: sw irq_idle max then differed by 25);
# everything else must be equal.
# (Before the strings were placed, the first system call of sw and poll differed by up
# to 51 cycles.) Differences are printed (pytest -s).
ONE_SAMPLE = re.compile(r"(^|_)(min|max)$|^work_cycles$")
ONE_SAMPLE_TOLERANCE = 30


@pytest.fixture(scope="module")
def simulator():
    return socsim.build()


@pytest.fixture(scope="module")
def combined(simulator):
    """(image, console, exit code) of the all-backends image."""
    hexfile = board_bench.build_board_bench(log=lambda s: None)
    console, code = board_bench.run_board_bench_sim(log=lambda s: None,
                                                    max_cycles=60_000_000, timeout=600)
    print(console)
    return hexfile, console, code


@pytest.fixture(scope="module")
def separate(simulator):
    """{backend: {bench: values}} of the per-backend bench images."""
    out = {}
    for b in BACKENDS:
        r = bench_soc.build_and_run("bench", b, max_cycles=3_000_000, log=lambda s: None,
                                    timeout=300)
        assert r.exit_code == 0, r.console
        results, _, _ = bench_soc.parse_console(r.console)
        out[b] = {bench: rows[0] for bench, rows in results.items()}
    return out


def check_board_run(console, code, separate):
    """Everything the board image must print (AssertionError otherwise); returns the
    differences from the per-backend images within the tolerance, as text."""
    assert code == 0, f"exit code {code}"
    sections = board_bench.split_sections(console)
    assert list(sections) == BACKENDS, f"backend sections: {list(sections)}"
    parsed = board_bench.parse_board_console(console)
    notes = []
    for b in BACKENDS:
        assert len(sections[b]) <= SECTION_MAX, f"{b}: {len(sections[b])} bytes"
        checks = parsed[b]["checks"]
        assert len(checks) == CHECKS_PER_SECTION, f"{b}: {checks}"
        assert all(ok for ok, _ in checks), f"{b}: {checks}"
        results = parsed[b]["results"]
        assert sorted(results) == sorted(BENCHES), f"{b}: {sorted(results)}"
        for bench in BENCHES:
            assert len(results[bench]) == 1, f"{b} {bench}: {results[bench]}"
            got, want = results[bench][0], separate[b][bench]
            assert sorted(got) == sorted(want), f"{b} {bench}: {got} vs {want}"
            for key, v in want.items():
                if got[key] == v:
                    continue
                note = f"{b} {bench} {key}: {got[key]} (own image: {v})"
                assert ONE_SAMPLE.search(key), note
                assert abs(got[key] - v) <= ONE_SAMPLE_TOLERANCE, note
                notes.append(note)
    # the table: every row, a column per backend, the values of the RESULT lines
    table = board_bench.parse_table(console)
    assert table, "no table"
    assert table["columns"] == BACKENDS, table["columns"]
    assert list(table["rows"]) == board_bench.TABLE_ROWS, list(table["rows"])
    for bench, key, label in bench_soc.MICRO_ROWS:
        want = [parsed[b]["results"][bench][0][key] for b in BACKENDS]
        assert table["rows"][label] == want, f"{label}: {table['rows'][label]} vs {want}"
    assert console.rstrip().endswith("bench_all: 0 failed checks, done"), console[-200:]
    return notes


def test_image_fits():
    hexfile = board_bench.build_board_bench(log=lambda s: None)
    info = board_bench.image_info(hexfile)
    print(info)
    assert info["ram_used"] <= info["ram"] - 8192, info          # >= 8 KiB of stack
    # every function and .bss variable of every backend where it is in its own image,
    # the read-only data clear of all the backends' data and of the top of the stack
    refs = board_bench.reference_images(log=lambda s: None)
    sections, _ = board_bench._elf(hexfile.with_suffix(".elf"))          # noqa: SLF001
    rodata = [(addr, size) for name, _, _, addr, size in sections if name == ".rodata"]
    assert len(rodata) == 1
    assert board_bench._clear(*rodata[0], board_bench._forbidden(refs)) == 0  # noqa: SLF001
    for b, rows in board_bench.placement(hexfile, refs).items():
        assert len(rows) > 40, (b, rows)
        for name, here, there in rows:
            assert here is not None and (here - there) % 4096 == 0, (b, name, here, there)


def test_board_image(combined, separate):
    _, console, code = combined
    notes = check_board_run(console, code, separate)
    print("\n".join(["differences within the tolerance:"] + notes if notes else
                     ["no differences from the per-backend images"]))


def _without_section(console, backend):
    out, skip = [], False
    for line in console.splitlines(keepends=True):
        if line.startswith("bench backend="):
            skip = line.strip() == f"bench backend={backend}"
        elif line.startswith("SoC micro-benchmarks"):
            skip = False
        if not skip:
            out.append(line)
    return "".join(out)


def test_check_fails_on_bad_output(combined, separate):
    """check_board_run notices a missing section, a wrong value, a wrong table entry,
    a failed check and a failed exit code."""
    _, console, code = combined
    check_board_run(console, code, separate)
    hw_switch = re.search(r"^RESULT switch hw min=\d+ p50=(\d+)", console, re.M)
    row = re.search(r"^task switch p50 +(\d+)", console, re.M)
    broken = {
        "missing sw section": _without_section(console, "sw"),
        "RESULT value": console[:hw_switch.start(1)] + str(int(hw_switch.group(1)) + 1) +
        console[hw_switch.end(1):],
        "table value": console[:row.start(1)] + str(int(row.group(1)) + 1) +
        console[row.end(1):],
        "failed check": console.replace("CHECK ok poll ipc", "CHECK FAIL poll ipc", 1),
        "no table": console[:console.index("\nSoC micro-benchmarks")],
    }
    for what, text in broken.items():
        assert text != console, what
        with pytest.raises(AssertionError):
            check_board_run(text, code, separate)
    with pytest.raises(AssertionError):
        check_board_run(console, 1, separate)
