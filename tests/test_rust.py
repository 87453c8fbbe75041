"""The Rust async runtime (``firmware/rust/``, crate ``atsrt``) and its tooling.

* ``firmware/rust/src/regs.rs`` is what ``atsintc generate rust`` writes now, and the
  generated module (several parameter sets) compiles and gives the addresses
  ``RegisterMap.address`` gives (host rustc, const assertions);
* the SoC constants translated from ``soc.h`` compile;
* ``rt_test.rs`` and ``bench.rs`` build for both backends and run on the default
  simulated SoC: every CHECK passes (rt_test: also the timed waits and cancel), the
  RESULT lines carry the ``rust-hw`` / ``rust-sw`` label and the keys of the C
  runtime's;
* ``classes.rs`` (the two-class load benchmark, ``firmware/rt/classes.c``) at small
  sizes given as build-time constants: its checks pass, the figures are ordered, a
  critical event never waits for a whole background job;
* the build-time constants: validated, part of the cache key, from C ``-D`` flags;
* the hw waker's wake is one store of the task word to ENQUEUE (no call, no loop), and
  the images are RV32IM only (no compressed, no atomic instructions);
* without the toolchain, the firmware tests are skipped with a message naming the
  Debian packages and ``make rust-toolchain``; the error says the same.
"""

import struct
import subprocess
from pathlib import Path

import pytest

from atsintc.regmap import KERNEL, PROCESS, STRIDE, WINDOW_SIZE, Params, RegisterMap
from atsintc.tools import bench_soc, regmap_gen, rust_build, socsim

ROOT = Path(__file__).resolve().parents[1]


def _toolchain():
    try:
        return rust_build.detect()
    except rust_build.RustToolchainMissing as e:
        pytest.skip(f"{e} The Rust firmware is not built or run.")


# --- generated register module ------------------------------------------------------------

def test_regs_rs_is_current():
    rel = regmap_gen.PATHS["rust"]
    path = ROOT / rel
    assert path.exists(), f"{rel} is missing: run `atsintc generate rust`"
    assert path.read_text() == regmap_gen.rust_module(Params()), (
        f"{rel} is stale (the register map changed): run `atsintc generate rust` "
        "(or `python -m atsintc.tools.regmap_gen`) and commit it")


def test_missing_toolchain_error_names_the_packages(monkeypatch):
    monkeypatch.setenv("ATSRT_RUSTC", "/nonexistent/rustc")
    with pytest.raises(rust_build.RustToolchainMissing) as e:
        rust_build.detect()
    msg = str(e.value)
    assert all(p in msg for p in rust_build.PACKAGES) and "make rust-toolchain" in msg


PARAMS = [Params(), Params(processes=2, vectors=8, channels=2),
          Params(processes=16, priorities=5, vectors=64, channels=16, ready_depth=1024)]


def _addr_asserts(params):
    """const assertions: every register (first and last element) at its address."""
    rmap = RegisterMap(params)
    out = []
    for window, mod in ((KERNEL, "kernel"), (PROCESS, "proc")):
        for r in window.registers:
            n = r.length(params)
            for i in sorted({0, n - 1}):
                want = rmap.address(window.name, r.name, i)
                if window is PROCESS:
                    want -= WINDOW_SIZE
                got = f"regs::{mod}::{r.name}({i})" if r.is_array() else f"regs::{mod}::{r.name}"
                out.append(f"const _: () = assert!({got} == {want});")
            for f in r.fields:
                mask = ((1 << f.width) - 1) << f.lsb
                out.append(f"const _: () = assert!(regs::{mod}::{r.name}_{f.name}_MASK "
                           f"== {mask} && regs::{mod}::{r.name}_{f.name}_SHIFT == {f.lsb});")
    out.append(f"const _: () = assert!(regs::STRIDE == {STRIDE});")
    out.append(f"const _: () = assert!(regs::proc_base(0x9000_0000, 1) == "
               f"{0x9000_0000 + 2 * WINDOW_SIZE});")
    out.append("const _: () = assert!(regs::task(0x1230, 5) == 0x123A && "
               "regs::task_prio(0x123B) == 5 && regs::task_tcb(0x123B) == 0x1230);")
    return out


@pytest.mark.parametrize("params", PARAMS, ids=["default", "p2-v8-c2", "maximal"])
def test_regs_rs_compiles_with_the_addresses(tmp_path, params):
    tc = _toolchain()
    (tmp_path / "regs.rs").write_text(regmap_gen.rust_module(params))
    soc_rs = rust_build.soc_module((ROOT / "firmware/include/soc.h").read_text())
    (tmp_path / "soc.rs").write_text(soc_rs)
    lib = tmp_path / "check.rs"
    lib.write_text("#![no_std]\n#![deny(warnings)]\n"
                   "#[allow(unused)] mod regs;\n"
                   "#[allow(unused, non_snake_case)] mod soc { include!(\"soc.rs\"); }\n"
                   "const _: () = assert!(soc::SOC_PLIC_CLAIM(0) == 0x200004);\n"
                   "const _: () = assert!(soc::SOC_ATSINTC_BASE == 0x9000_0000);\n"
                   + "\n".join(_addr_asserts(params)) + "\n")
    r = subprocess.run([tc.rustc, "--edition", "2021", "--crate-type", "lib", "--emit",
                        "metadata,link", "-o", str(tmp_path / "libcheck.rlib"), str(lib)],
                       capture_output=True, text=True, env=tc.env(), timeout=300)
    assert r.returncode == 0, r.stderr


def test_soc_module_translation():
    text = rust_build.soc_module("#define SOC_A  0x10u  /* x */\n"
                                 "#define SOC_F(c, w) (0x2000u + 0x80u * (c) + 4u * (w))\n"
                                 "#ifndef SOC_B\n#define SOC_B 4\n#endif\n"
                                 "#define SOC_S \"text\"\n")
    assert "pub const SOC_A: usize = 0x10;" in text
    assert "pub const fn SOC_F(c: usize, w: usize) -> usize {" in text
    assert "0x2000 + 0x80 * (c) + 4 * (w)" in text
    assert "pub const SOC_B: usize = 4;" in text and "SOC_S" not in text


# --- the firmware on the simulated SoC ------------------------------------------------------

@pytest.fixture(scope="module")
def simulator():
    _toolchain()
    return socsim.build()


def _run(program, backend, consts=None):
    hexfile = rust_build.build_rust_firmware(f"rust-{program}-{backend}", program=program,
                                             backend=backend, consts=consts,
                                             log=lambda s: None)
    r = socsim.run(hexfile, max_cycles=3_000_000, progress=0, log=lambda s: None,
                   timeout=300)
    print(r.console)
    results, _, checks = bench_soc.parse_console(r.console)
    return hexfile, r, results, checks


@pytest.mark.parametrize("backend", rust_build.BACKENDS)
def test_rt_test(simulator, backend):
    _, r, _, checks = _run("rt_test", backend)
    assert r.reason == "exit" and r.exit_code == 0, r.console
    assert len(checks) == 14 and all(ok for ok, _ in checks), r.console
    assert all(text.split()[1] == f"rust-{backend}" for _, text in checks), checks
    texts = " / ".join(text for _, text in checks)
    for what in ("the first of event and deadline wakes the task, which knows which",
                 "every event and message (late ones too) taken once",
                 "time out in deadline order", "cancel: a sleeping task and a timed waiter "
                 "are found", "a task whose deadline has passed is not found",
                 "a task not sleeping is not found"):
        assert what in texts, what
    assert r.console.rstrip().endswith("rt_test done")


CLASS_CONSTS = {"CLASS_EVENTS": 200, "CLASS_LOADS": (50, 90), "CDF_LOAD": 50}


@pytest.mark.parametrize("backend", rust_build.BACKENDS)
def test_classes(simulator, backend):
    """The two-class benchmark in Rust (examples/classes.rs, as firmware/rt/classes.c;
    small sizes through build-time constants): every device event handled exactly once
    and none lost at each load, the figures present and ordered, the idle time counted
    (hw: by the dispatcher, run_counting_idle); the yield points work: a critical event
    never waits for a whole background job (without the preemption hint it would wait
    for up to JOB_CHUNKS chunks)."""
    hexfile = rust_build.build_rust_firmware(f"rust-classes-{backend}", program="classes",
                                             backend=backend, consts=CLASS_CONSTS,
                                             log=lambda s: None)
    r = socsim.run(hexfile, max_cycles=5_000_000, progress=0, log=lambda s: None,
                   timeout=600)
    results, lat, checks = bench_soc.parse_console(r.console)
    assert r.reason == "exit" and r.exit_code == 0, r.console
    assert len(checks) == 4 and all(ok for ok, _ in checks), r.console
    assert all(text.startswith(f"ok rust-{backend} classes load ") for _, text in checks)
    assert f"RESULT classes rust-{backend} load=50 " in r.console
    rows = results["classes"]
    assert [row["load"] for row in rows] == [50, 90]
    assert list(lat) == [50] and len(lat[50]) == 200      # the LAT lines at CDF_LOAD
    for row in rows:
        assert row["crit"] == 200 and row["missed"] == 0 and row["bg"] > 0
        assert 0 < row["p50"] <= row["p99"] <= row["max"]
        assert 0 < row["mean"] <= row["max"]
        assert 0 < row["overhead"] and row["work"] < row["busy"] <= row["elapsed"]
        assert row["crit_period"] == 10 * row["crit_work"]
        assert row["bg_period"] == 10 * row["chunk"] * 100 // row["load"]
        job = 10 * row["chunk"]                 # JOB_CHUNKS chunks
        assert row["p99"] < job, row
    # at 50 % the CPU idles: the idle time is counted (busy < elapsed)
    assert rows[0]["busy"] < rows[0]["elapsed"]
    assert r.console.rstrip().endswith("classes done")


# --- build-time constants --------------------------------------------------------------------

def test_consts_from_cflags():
    got = rust_build.consts_from_cflags(["-DCLASS_EVENTS=500", "-DCLASS_LOADS=10,50,80,90",
                                         "-DRT_IDLE_ACCT", "-O2", "-DCDF_LOAD=80"])
    assert got == {"CLASS_EVENTS": "500", "CLASS_LOADS": "10,50,80,90", "CDF_LOAD": "80"}


def test_consts_are_checked_and_keyed(tmp_path, monkeypatch):
    _toolchain()
    monkeypatch.setenv("ATSRT_CONST_CLASS_EVENTS", "99")   # not from the environment
    with pytest.raises(ValueError, match="takes no build-time constant NO_SUCH"):
        rust_build.build_rust_firmware("c", program="classes", backend="hw",
                                       consts={"NO_SUCH": 1}, out_dir=tmp_path)
    for bad in ("ten", "1,,2", -1, 2 ** 32, True):
        with pytest.raises(ValueError):
            rust_build.build_rust_firmware("c", program="classes", backend="hw",
                                           consts={"CLASS_EVENTS": bad}, out_dir=tmp_path)
    build = lambda consts: rust_build.build_rust_firmware(   # noqa: E731
        "c", program="classes", backend="hw", consts=consts, out_dir=tmp_path,
        log=lambda s: None)
    a = build({"CLASS_EVENTS": 64, "CLASS_LOADS": [30, 60]})
    assert build({"CLASS_LOADS": "30,60", "CLASS_EVENTS": "64"}) == a   # same values
    b = build({"CLASS_EVENTS": 65, "CLASS_LOADS": [30, 60]})
    assert a != b and a.exists() and b.exists()
    assert (a.parent / "consts.txt").read_text() == "CLASS_EVENTS=64\nCLASS_LOADS=30,60\n"
    # the values reach the program: LAT's array (CLASS_EVENTS words) is in the image
    la = rust_build.elf_symbols(a.with_suffix(".elf"))
    lb = rust_build.elf_symbols(b.with_suffix(".elf"))
    size = lambda syms: next(v[1] for n, v in syms.items() if "7classes3LAT" in n)  # noqa: E731
    assert (size(la), size(lb)) == (64 * 4, 65 * 4)


@pytest.mark.parametrize("backend", rust_build.BACKENDS)
def test_bench_checks_and_results(simulator, backend):
    hexfile, r, results, checks = _run("bench", backend)
    assert r.reason == "exit" and r.exit_code == 0, r.console
    assert len(checks) == 6 and all(ok for ok, _ in checks), r.console
    label = f"RESULT queue rust-{backend} "
    assert label in r.console, r.console
    # the C runtime's RESULT keys (bench_soc.MICRO_ROWS), plus the code size
    for bench, key, _ in bench_soc.MICRO_ROWS:
        assert key in results[bench][0], (bench, key)
    irq = results["irq_idle"][0]
    assert 0 < irq["min"] <= irq["p50"] <= irq["max"] < 2000
    if backend == "hw":                 # the controller path: no trap, a few bus cycles
        assert irq["p50"] <= 40
    size = results["size"][0]
    total, rt = rust_build.code_sizes(hexfile.with_suffix(".elf"))
    assert size == {"text": total, "rt": rt} and 0 < rt < total


# --- the hw waker, disassembled ---------------------------------------------------------------

def _sign(v, bits):
    return v - (1 << bits) if v & (1 << (bits - 1)) else v


def _decode(insn):
    """(mnemonic class, details) of an RV32 instruction, enough to judge the waker."""
    op = insn & 0x7F
    rd, rs1, rs2 = (insn >> 7) & 31, (insn >> 15) & 31, (insn >> 20) & 31
    f3 = (insn >> 12) & 7
    if op == 0x37:
        return "lui", (rd, insn & 0xFFFFF000)
    if op == 0x13 and f3 == 0:
        return "addi", (rd, rs1, _sign(insn >> 20, 12))
    if op == 0x23:
        imm = _sign(((insn >> 25) << 5) | ((insn >> 7) & 31), 12)
        return ("sw" if f3 == 2 else "store"), (rs1, rs2, imm)
    if op == 0x67:
        return ("ret" if (rd, rs1, insn >> 20) == (0, 1, 0) else "jalr"), ()
    if op in (0x6F, 0x63):
        return "jump", ()
    return f"op{op:#x}", ()


def _text(elf, syms, name):
    addr, size, _ = syms[name]
    data = Path(elf).read_bytes()
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    for i in range(shnum):
        s = struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize)
        if s[1] == 1 and s[3] <= addr < s[3] + s[5]:           # PROGBITS holding it
            off = s[4] + addr - s[3]
            return [int.from_bytes(data[off + j:off + j + 4], "little")
                    for j in range(0, size, 4)]
    raise AssertionError(f"{name} not in a section")


def _objdump(elf, name):
    try:
        return subprocess.run(["llvm-objdump", "-d", "--no-show-raw-insn",
                               f"--disassemble-symbols={name}", str(elf)],
                              capture_output=True, text=True, timeout=60).stdout
    except OSError:
        return "(llvm-objdump not installed)"


def test_hw_wake_is_one_store_to_enqueue(simulator):
    """The hw Waker's wake (the vtable entry, one per process window) is `lui; sw; ret`:
    one volatile store of the task word (a0) to ENQUEUE, no call, no loop."""
    hexfile, r, _, checks = _run("rt_test", "hw")      # rt_test wakes through Signal
    assert r.exit_code == 0 and checks, r.console
    elf = hexfile.with_suffix(".elf")
    syms = rust_build.elf_symbols(elf)
    base = 0x9000_0000
    wakers = sorted(n for n in syms if n.startswith("atsrt_hw_wake_p"))
    assert wakers == [f"atsrt_hw_wake_p{p}" for p in range(4)], wakers
    for name in wakers:
        p = int(name[-1])
        insns = [_decode(i) for i in _text(elf, syms, name)]
        listing = _objdump(elf, name)
        kinds = [k for k, _ in insns]
        assert kinds.count("sw") == 1 and kinds[-1] == "ret", listing
        assert set(kinds) <= {"lui", "addi", "sw", "ret"}, listing   # no call, no branch
        regs = {}
        for k, d in insns:
            if k == "lui":
                regs[d[0]] = d[1]
            elif k == "addi":
                regs[d[0]] = regs.get(d[1], 0) + d[2]
            elif k == "sw":
                rs1, rs2, imm = d
                assert rs2 == 10, f"{name} stores x{rs2}, not the task word (a0)\n{listing}"
                assert regs.get(rs1, 0) + imm == base + WINDOW_SIZE * (p + 1) + 0, listing
    # and the waker is really used: Signal's wake goes through the vtable
    assert "CHECK ok rust-hw Signal: Waker::wake wakes the waiting task" in r.console


@pytest.mark.parametrize("backend", rust_build.BACKENDS)
def test_images_are_rv32im(simulator, backend):
    """No compressed and no atomic instructions: VexRiscv_Full is RV32IM."""
    hexfile, r, _, _ = _run("bench", backend)
    elf = hexfile.with_suffix(".elf")
    syms = rust_build.elf_symbols(elf)
    for name, (addr, size, kind) in syms.items():
        if kind != "func" or size == 0:
            continue
        for insn in _text(elf, syms, name):
            assert insn & 3 == 3, f"{name}: compressed instruction {insn:#010x}"
            assert insn & 0x7F != 0x2F, f"{name}: atomic instruction {insn:#010x}"
