"""Build the Rust firmware (``firmware/rust/``, the ``atsrt`` async runtime) for the SoC.

No cargo and no crates.io: Debian's ``rustc-web`` and ``rust-web-src`` suffice
(``make rust-toolchain`` installs them; see ``../shared/reference/toolchain-notes.md``).
The steps, each cached under ``build/rust/``:

1. :func:`sysroot` -- ``core`` (from the rust-src library) and a minimal
   ``compiler_builtins`` (``firmware/rust/sysroot/compiler_builtins.rs``: memcpy, memset,
   memmove, memcmp, bcmp; Debian's rust-src of rustc 1.85 has no compiler-builtins
   source, and RV32IM needs no other helper as long as the firmware divides no 64-bit
   numbers), built once per toolchain version with plain ``/usr/bin/rustc`` for
   ``riscv32im-unknown-none-elf`` (RV32IM: no A, no C, like VexRiscv_Full) into
   ``build/rust/sysroot-<key>/`` (~15-25 s).
2. The runtime crate ``firmware/rust/src/lib.rs`` as an rlib with ``--cfg backend="hw"``
   or ``"sw"``; its SoC constants (``soc.rs``) are translated from
   ``firmware/include/soc.h`` (:func:`soc_module`).
3. The program (``firmware/rust/examples/<program>.rs``, which defines ``main``) as a
   staticlib, fat LTO with the runtime and ``core``.
4. The link, like :func:`atsintc.tools.firmware_build.build_firmware`: zig's clang with the
   same flags, ``firmware/start.S``, the C console library (``firmware/lib/*.c``),
   ``firmware/link.ld``, plus ``--gc-sections``; then the ``$readmemh`` image. The image's
   ``ATSRT_CODE_SIZE`` words are patched with the code size of the whole image and of
   the runtime (:func:`code_sizes`), which the program prints as ``RESULT size``.

:func:`build_rust_firmware` returns the ``.hex`` path; everything is cached by a hash of
every input, under ``build/rust/<name>-<hash>/``. :class:`RustToolchainMissing` names the
packages when the toolchain is not installed.

Build-time constants (the C programs' ``-DNAME=value``): ``consts={"CLASS_EVENTS": 500,
"CLASS_LOADS": (10, 50, 80, 90)}`` passes ``ATSRT_CONST_<NAME>=<value>`` (a number, or
numbers separated by commas) to rustc, which the program reads at compile time with
``atsrt::build_const!(NAME: type = default)`` / ``atsrt::build_list!(NAME = [...])``
(``firmware/rust/src/build.rs``); the values are part of the cache key, and a name the
program does not mention is an error. :func:`consts_from_cflags` turns C ``-D`` flags
into such a dict.
"""

import os
import re
import struct
import subprocess
import sys
import time
from pathlib import Path

from atsintc.tools import firmware_build
from atsintc.tools.cosim import digest
from atsintc.tools.toolchain import build_root, publish, scratch_dir

__all__ = ["RustToolchainMissing", "PACKAGES", "TARGET", "Toolchain", "detect", "sysroot",
           "soc_module", "build_rust_firmware", "crate_dir", "elf_symbols", "code_sizes",
           "hot_order", "BACKENDS", "toolchain_available", "build_and_run",
           "consts_from_cflags", "CONST_ENV_PREFIX"]

PACKAGES = ("rustc-web", "cargo-web", "rust-web-src")
TARGET = "riscv32im-unknown-none-elf"
BACKENDS = ("hw", "sw")
RUSTC = "/usr/bin/rustc"            # the image's rustup rustc has no rust-src for riscv
EDITION = "2021"
CORE_FLAGS = ["-C", "opt-level=2", "-C", "panic=abort", "-C", "debuginfo=0"]
CRATE_FLAGS = ["-C", "opt-level=2", "-C", "panic=abort", "-C", "debuginfo=0",
               "-C", "codegen-units=1"]
PROGRAM_FLAGS = CRATE_FLAGS + ["-C", "lto=fat"]
CHECK_CFG = 'cfg(backend, values("hw", "sw"))'
SIZE_SYMBOL = "ATSRT_CODE_SIZE"
CONST_ENV_PREFIX = "ATSRT_CONST_"       # + NAME: a build-time constant (build.rs)


class RustToolchainMissing(RuntimeError):
    """The Rust toolchain for the firmware is not installed."""

    def __init__(self, what):
        super().__init__(
            f"Rust firmware toolchain missing: {what}. Install the Debian packages "
            f"{', '.join(PACKAGES)} (`make rust-toolchain`, or as root: apt-get install -y "
            f"{' '.join(PACKAGES)}).")


def crate_dir() -> Path:
    """``firmware/rust/``: the runtime crate, its programs and the sysroot shim."""
    return firmware_build.firmware_dir() / "rust"


class Toolchain:
    """``rustc`` and the rust-src library it comes with."""

    def __init__(self, rustc, library, version):
        self.rustc = rustc
        self.library = library          # .../lib/rustlib/src/rust/library
        self.version = version          # `rustc -vV` text

    @property
    def release(self):
        m = re.search(r"^release: (\S+)", self.version, re.M)
        return m.group(1) if m else "?"

    def env(self):
        # the build-time constants come only from `consts` (they are in the cache key)
        env = {k: v for k, v in os.environ.items() if not k.startswith(CONST_ENV_PREFIX)}
        env["RUSTC_BOOTSTRAP"] = "1"    # -Z flags and #![feature]s on a stable compiler
        return env


_detected = {}


def detect(rustc=None) -> Toolchain:
    """The toolchain (``ATSRT_RUSTC`` or ``/usr/bin/rustc``); raises
    :class:`RustToolchainMissing` when rustc, the riscv target or rust-src is missing."""
    rustc = rustc or os.environ.get("ATSRT_RUSTC", RUSTC)
    if rustc in _detected:
        return _detected[rustc]
    if not Path(rustc).exists():
        raise RustToolchainMissing(f"no {rustc}")
    r = subprocess.run([rustc, "-vV"], capture_output=True, text=True)
    if r.returncode:
        raise RustToolchainMissing(f"{rustc} -vV failed: {r.stderr.strip()}")
    version = r.stdout
    r = subprocess.run([rustc, "--print", "sysroot"], capture_output=True, text=True)
    library = Path(r.stdout.strip()) / "lib/rustlib/src/rust/library"
    if not (library / "core/src/lib.rs").exists():
        raise RustToolchainMissing(f"no rust-src library at {library}")
    r = subprocess.run([rustc, "--print", "target-list"], capture_output=True, text=True)
    if TARGET not in r.stdout.split():
        raise RustToolchainMissing(f"{rustc} does not know the target {TARGET}")
    tc = Toolchain(rustc, library, version)
    _detected[rustc] = tc
    return tc


def toolchain_available() -> bool:
    try:
        detect()
        return True
    except RustToolchainMissing:
        return False


def _run(cmd, tc, what, cwd=None, env_extra=None, log=None):
    env = tc.env()
    if env_extra:
        env.update(env_extra)
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env,
                       cwd=cwd)
    if r.returncode:
        raise RuntimeError(f"{what} failed:\n{' '.join(str(c) for c in cmd)}\n"
                           f"{r.stdout}{r.stderr}")
    if log is not None and "warning" in r.stderr:
        log(f"[rust] {what}: compiler warnings:\n{r.stderr.rstrip()}")
    return r


def sysroot(tc=None, log=print) -> Path:
    """``build/rust/sysroot-<key>/`` with ``libcore.rlib`` and ``libcompiler_builtins.rlib``
    for :data:`TARGET`, built once per toolchain (key: ``rustc -vV``, flags, the shim)."""
    tc = tc or detect()
    shim = crate_dir() / "sysroot/compiler_builtins.rs"
    key = digest(tc.rustc, tc.version, TARGET, CORE_FLAGS, shim.read_text())
    root = build_root() / "rust"
    final = root / f"sysroot-{key}"
    if (final / "libcompiler_builtins.rlib").exists():
        return final
    tmp = scratch_dir(root, f"sysroot-{key}")
    t0 = time.monotonic()
    log(f"[rust] building core for {TARGET} with {tc.rustc} {tc.release} (once per "
        f"toolchain, ~15 s) ...")
    _run([tc.rustc, "--edition", EDITION, "--crate-type", "rlib", "--crate-name", "core",
          "--target", TARGET, *CORE_FLAGS, "-Zforce-unstable-if-unmarked",
          tc.library / "core/src/lib.rs", "--out-dir", tmp], tc, "building core")
    t1 = time.monotonic()
    log(f"[rust] core built in {t1 - t0:.1f} s; compiler_builtins ...")
    _run([tc.rustc, "--edition", EDITION, "--crate-type", "rlib", "--crate-name",
          "compiler_builtins", "--target", TARGET, *CORE_FLAGS, "-L", tmp,
          "--sysroot", "/nonexistent", "-Zforce-unstable-if-unmarked", shim,
          "--out-dir", tmp], tc, "building compiler_builtins")
    t2 = time.monotonic()
    (tmp / "build-time.txt").write_text(f"core {t1 - t0:.1f} s\n"
                                        f"compiler_builtins {t2 - t1:.1f} s\n")
    publish(tmp, final)
    log(f"[rust] sysroot ready in {t2 - t0:.1f} s: {final}")
    return final


# --- soc.h -> soc.rs ---------------------------------------------------------------------

_DEFINE = re.compile(r"^#define\s+(SOC_\w+)(\(([\w\s,]*)\))?\s+(.+?)\s*(/\*.*)?$")


def _rs_expr(c):
    """A C integer expression of soc.h as Rust (drop the u suffixes)."""
    return re.sub(r"\b(0x[0-9A-Fa-f]+|\d+)[uU]?[lL]*\b", r"\1", c)


def _strip_parens(e):
    """``(a + b)`` -> ``a + b`` when the outer parentheses enclose the whole expression."""
    e = e.strip()
    while e.startswith("(") and e.endswith(")"):
        depth = 0
        for i, ch in enumerate(e):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0 and i < len(e) - 1:
                return e
        e = e[1:-1].strip()
    return e


def soc_module(soc_h_text) -> str:
    """The SoC constants of ``soc.h`` as Rust: object-like macros with an integer value
    become ``pub const NAME: usize``, function-like ones ``pub const fn NAME(..) ->
    usize`` (only the first definition of a name counts: the defaults)."""
    out = ["// Generated from firmware/include/soc.h by atsintc.tools.rust_build; do not edit.",
           ""]
    seen = set()
    for line in soc_h_text.splitlines():
        m = _DEFINE.match(line.strip())
        if not m or m.group(1) in seen or m.group(1) == "SOC_H":
            continue
        name, args, value = m.group(1), m.group(3), m.group(4)
        value = _rs_expr(value)
        if not re.fullmatch(r"[\w\s()+\-*/&|<>^~]+", value):
            continue
        if args is None:
            if not re.fullmatch(r"\(?\s*(0x[0-9A-Fa-f]+|\d+)\s*\)?", value):
                continue
            out.append(f"pub const {name}: usize = {_strip_parens(value)};")
        else:
            params = ", ".join(f"{a.strip()}: usize" for a in args.split(",") if a.strip())
            out.append(f"#[inline(always)]\npub const fn {name}({params}) -> usize {{\n"
                       f"    {_strip_parens(value)}\n}}")
        seen.add(name)
    return "\n".join(out) + "\n"


# --- ELF ---------------------------------------------------------------------------------

def elf_symbols(elf):
    """{name: (address, size, type)} of an ELF32 little-endian file's symbol table
    (type: 'func', 'object' or 'other')."""
    data = Path(elf).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 1:
        raise ValueError(f"{elf}: not an ELF32 file")
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    secs = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize)
            for i in range(shnum)]
    syms = {}
    for s in secs:
        if s[1] != 2:                   # SHT_SYMTAB
            continue
        strtab = secs[s[6]]
        for off in range(s[4], s[4] + s[5], 16):
            name_off, value, size, info, _, _ = struct.unpack_from("<IIIBBH", data, off)
            end = data.index(b"\0", strtab[4] + name_off)
            name = data[strtab[4] + name_off:end].decode()
            kind = {2: "func", 1: "object"}.get(info & 0xF, "other")
            if name:
                syms[name] = (value, size, kind)
    return syms


def _is_runtime(name):
    """A function of the runtime crate (or its assembly), not of the program; generic
    instances the program's futures are inlined into (poll_task) count as the program's."""
    if name.startswith("atsrt_"):
        return True
    return name.startswith("_ZN5atsrt") and "9poll_task" not in name


# runtime functions that run once (set-up, reports): not in the hot part of the layout
_COLD = ("4init", "6errors", "9calibrate", "7console", "15use_processes", "9code_size",
         "14calibrate_idle", "12preempt_init", "5stats", "5build")
# runtime functions off the paths of the micro-benchmarks (sw: the timer list, the timed
# waits, cancel): after the tasks, so that the trap handler, the dispatcher, the waits
# and the tasks share the 4 KiB I-cache without them
_WARM = ("timer_", "until_word", "cancel_word", "timed_event_wake")


def hot_order(elf):
    """The symbol order of the second link: the I-cache is 4 KiB and direct mapped, so
    the code a benchmark loop runs should not share cache lines with itself (as
    ``firmware/rt/rt.c`` puts its hot code first). First the runtime's hot functions
    (dispatcher, wakers, waits, trap handler: :func:`_is_runtime` minus the set-up), then
    the tasks (the ``poll_task`` instances, which the program's futures are inlined
    into), then the runtime's timer functions (:data:`_WARM`), then the program's other
    functions, smallest first (measurement leaves and helpers before the set-up and
    report code); what is not listed (the C console library, ``core``'s panic code)
    follows."""
    funcs = [(v[0], n, v[1]) for n, v in elf_symbols(elf).items() if v[2] == "func"]
    funcs.sort()
    rt_all = [n for _, n, _ in funcs if _is_runtime(n) and not any(c in n for c in _COLD)]
    rt = [n for n in rt_all if not any(c in n for c in _WARM)]
    warm = [n for n in rt_all if n not in rt]
    tasks = [n for _, n, _ in sorted(funcs, key=lambda f: -f[2]) if "9poll_task" in n]
    prog = sorted((size, n) for _, n, size in funcs
                  if n not in rt and n not in tasks and
                  (n == "main" or (n.startswith("_ZN") and not n.startswith(("_ZN4core",
                                                                             "_ZN5atsrt")))))
    return rt + tasks + warm + [n for _, n in prog]


def code_sizes(elf):
    """(code bytes of the image, code bytes of the runtime): the sizes of the function
    symbols (the image's: every function; the runtime's: :func:`_is_runtime`)."""
    funcs = {n: v for n, v in elf_symbols(elf).items() if v[2] == "func"}
    total = sum(v[1] for v in funcs.values())
    rt = sum(v[1] for n, v in funcs.items() if _is_runtime(n))
    return total, rt


# --- build-time constants ----------------------------------------------------------------

_CONST_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
_CONST_VALUE = re.compile(r"\d+(,\d+)*")


def _const_value(name, v):
    """A constant's value as the program parses it: a decimal number, or numbers
    separated by commas (from an int, a sequence of ints, or such a string)."""
    if isinstance(v, bool):
        raise ValueError(f"constant {name}: {v!r} is not a number")
    if isinstance(v, int):
        text = str(v)
    elif isinstance(v, (list, tuple)):
        text = ",".join(str(int(x)) for x in v)
    else:
        text = str(v).replace(" ", "")
    if not _CONST_VALUE.fullmatch(text) or any(int(x) >= 2 ** 32 for x in text.split(",")):
        raise ValueError(f"constant {name}: {v!r} is not a number (or numbers separated "
                         f"by commas) below 2**32")
    return text


def _consts(consts, program_text, program):
    """{NAME: value text}, sorted, checked: every name is a constant the program takes
    (it appears in the program's source as a word)."""
    out = {}
    for name, v in sorted((consts or {}).items()):
        if not _CONST_NAME.fullmatch(name):
            raise ValueError(f"constant name {name!r}: upper-case letters, digits and _")
        if not re.search(rf"\b{name}\b", program_text):
            raise ValueError(f"{program}.rs takes no build-time constant {name} (it would "
                             f"be ignored)")
        out[name] = _const_value(name, v)
    return out


def consts_from_cflags(cflags):
    """The ``-DNAME=value`` flags of a C build (``bench_soc``'s ``extra``) as ``consts``
    for :func:`build_rust_firmware`: ``["-DCLASS_EVENTS=500", "-DCLASS_LOADS=10,50",
    "-DRT_IDLE_ACCT"]`` -> ``{"CLASS_EVENTS": "500", "CLASS_LOADS": "10,50"}``. Flags
    without a value (``-DRT_IDLE_ACCT``: the Rust programs count idle time with
    ``atsrt::run_counting_idle``) and other options are left out."""
    out = {}
    for f in cflags:
        m = re.fullmatch(r"-D([A-Za-z_]\w*)=(.*)", f)
        if m:
            out[m.group(1)] = m.group(2)
    return out


# --- the firmware ------------------------------------------------------------------------

def _sources():
    """Every Rust source of the runtime crate (and the sysroot shim)."""
    d = crate_dir()
    return sorted((d / "src").glob("*.rs")) + [d / "sysroot/compiler_builtins.rs"]


def build_rust_firmware(name, cfgs=(), program="bench", out_dir=None, *, backend=None,
                        consts=None, ram_size=None, log=print) -> Path:
    """Build ``firmware/rust/examples/<program>.rs`` with the runtime for ``backend``
    ("hw" or "sw"; or give the cfg flags yourself in ``cfgs``, e.g.
    ``['backend="hw"']``), link it, and return the ``.hex`` image's path (``<name>.elf``
    next to it). ``consts``: the program's build-time constants, ``{NAME: int, sequence
    of ints, or "1,2,3"}`` (see the module's doc). Cached by a hash of every input under
    ``<out_dir>/<name>-<hash>/`` (``out_dir`` default: ``build/rust``). Raises
    :class:`RustToolchainMissing`."""
    tc = detect()
    cfgs = list(cfgs)
    if backend is not None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
        cfgs.append(f'backend="{backend}"')
    if not any(c.startswith("backend=") for c in cfgs):
        raise ValueError('give a backend: backend="hw" or "sw" (cfgs or backend=)')
    fw = firmware_build.firmware_dir()
    prog = crate_dir() / "examples" / f"{program}.rs"
    if not prog.exists():
        raise FileNotFoundError(prog)
    consts = _consts(consts, prog.read_text(), program)
    sysr = sysroot(tc, log=log)
    soc_rs = soc_module((fw / "include/soc.h").read_text())
    c_srcs = firmware_build._runtime()
    ld = fw / "link.ld"
    flags = list(firmware_build.CFLAGS) + ["-I", str(fw / "include"), "-I", str(fw / "lib")]
    key = digest(Path(__file__).read_text(), tc.version, TARGET, cfgs, flags, sysr.name,
                  firmware_build._zig_version(), soc_rs, sorted(consts.items()),
                  *[f"{p.name}:{p.read_text()}" for p in _sources() + [prog]],
                  *[f"{p}:{p.read_text()}" for p in c_srcs + firmware_build._inputs()])
    out = Path(out_dir) if out_dir is not None else build_root() / "rust"
    d = out / f"{name}-{key}"
    hexfile = d / f"{name}.hex"
    if hexfile.exists():
        return hexfile
    tmp = scratch_dir(out, name)
    (tmp / "soc.rs").write_text(soc_rs)
    cfg_args = [a for c in cfgs for a in ("--cfg", c)] + ["--check-cfg", CHECK_CFG]
    common = ["--edition", EDITION, "--target", TARGET, "-L", sysr, "--sysroot",
              "/nonexistent"] + cfg_args
    env = {"ATSRT_SOC_RS": str(tmp / "soc.rs")}
    t0 = time.monotonic()
    _run([tc.rustc, *common, "--crate-type", "rlib", "--crate-name", "atsrt", *CRATE_FLAGS,
          crate_dir() / "src/lib.rs", "--out-dir", tmp], tc, f"{name}: building atsrt",
         env_extra=env, log=log)
    t1 = time.monotonic()
    prog_env = dict(env, **{CONST_ENV_PREFIX + k: v for k, v in consts.items()})
    _run([tc.rustc, *common, "--crate-type", "staticlib", "--crate-name", program,
          *PROGRAM_FLAGS, "-L", tmp, "--extern", f"atsrt={tmp / 'libatsrt.rlib'}", prog,
          "--out-dir", tmp], tc, f"{name}: building {program}.rs", env_extra=prog_env,
         log=log)
    if consts:
        (tmp / "consts.txt").write_text("".join(f"{k}={v}\n" for k, v in consts.items()))
    t2 = time.monotonic()
    staticlib = tmp / f"lib{program}.a"
    elf, binf = tmp / f"{name}.elf", tmp / f"{name}.bin"
    zig = [sys.executable, "-m", "ziglang"]
    # the C part (start.S, the console library): objects from zig's clang, same flags
    objs = []
    for src in c_srcs:
        obj = tmp / f"{src.name}.o"
        cmd = zig + ["cc"] + flags + ["-c", "-o", str(obj), str(src)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"{name}: compiling {src} failed:\n{' '.join(cmd)}\n"
                               f"{r.stdout}{r.stderr}")
        objs.append(str(obj))
    # two links with zig's ld.lld (zig cc does not pass --symbol-ordering-file on): the
    # second with the hot code first (hot_order, from the first's symbols)
    order = tmp / "hot-order.txt"
    order.write_text("")
    for _ in range(2):
        cmd = zig + ["ld.lld", "-T", str(ld), "--gc-sections", "--no-relax",
                     f"--symbol-ordering-file={order}", "--no-warn-symbol-ordering",
                     "-o", str(elf)] + objs + [str(staticlib)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"{name}: link failed:\n{' '.join(cmd)}\n{r.stdout}{r.stderr}")
        order.write_text("".join(f"{n}\n" for n in hot_order(elf)))
    data = bytearray(firmware_build.elf_to_binary(elf, binf, name))
    t3 = time.monotonic()
    syms = elf_symbols(elf)
    total, rt = code_sizes(elf)
    if SIZE_SYMBOL in syms:
        addr, size, _ = syms[SIZE_SYMBOL]
        if size < 8 or addr + 8 > len(data):
            raise RuntimeError(f"{name}: {SIZE_SYMBOL} at {addr:#x} is not in the image")
        data[addr:addr + 8] = struct.pack("<II", total, rt)
        binf.write_bytes(bytes(data))
    if ram_size is not None and len(data) > ram_size:
        raise RuntimeError(f"{name}: image of {len(data)} bytes does not fit in "
                           f"{ram_size} bytes of RAM")
    (tmp / f"{name}.hex").write_text(firmware_build.bin_to_hex(bytes(data)))
    (tmp / "build-time.txt").write_text(
        f"atsrt {t1 - t0:.2f} s\n{program} (LTO) {t2 - t1:.2f} s\nlink {t3 - t2:.2f} s\n"
        f"code {total} bytes, runtime {rt} bytes, image {len(data)} bytes\n")
    for f in tmp.glob("*.a"):           # the staticlib holds all of core: ~MBs
        f.unlink()
    publish(tmp, d)
    log(f"[rust] {name}: {len(data)} bytes (code {total}, runtime {rt}) built in "
        f"{t3 - t0:.1f} s (atsrt {t1 - t0:.1f} s, {program} {t2 - t1:.1f} s, link "
        f"{t3 - t2:.1f} s) -> {hexfile}")
    return hexfile


def build_and_run(program, backend, *, consts=None, max_cycles=60_000_000, log=print,
                  timeout=1800):
    """Build ``firmware/rust/examples/<program>.rs`` for ``backend`` (with the build-time
    constants ``consts``, e.g. ``{"CLASS_EVENTS": 500, "CLASS_LOADS": (10, 50, 80, 90),
    "CDF_LOAD": 80}``) and run it on the default simulated SoC (as
    :func:`atsintc.tools.bench_soc.build_and_run` does for the C programs); a
    :class:`atsintc.tools.socsim.SimResult`. Its RESULT / CHECK lines carry the column
    name ``rust-<backend>``."""
    from atsintc.tools import socsim

    hexfile = build_rust_firmware(f"rust-{program}-{backend}", program=program,
                                  backend=backend, consts=consts, log=log)
    return socsim.run(hexfile, max_cycles=max_cycles, log=log, progress=0, timeout=timeout)


def main(argv=None):
    import argparse
    from atsintc.tools import socsim

    ap = argparse.ArgumentParser(prog="python -m atsintc.tools.rust_build",
                                 description="Build (and run) the Rust firmware.")
    ap.add_argument("backend", choices=BACKENDS)
    ap.add_argument("--program", default="bench")
    ap.add_argument("--run", action="store_true", help="run it on the simulated SoC")
    ap.add_argument("-D", dest="consts", action="append", default=[], metavar="NAME=VALUE",
                    help="a build-time constant of the program (e.g. -D CLASS_EVENTS=500 "
                         "-D CLASS_LOADS=10,50,80,90)")
    ap.add_argument("--max-cycles", type=int, default=60_000_000)
    a = ap.parse_args(argv)
    consts = {}
    for c in a.consts:
        k, sep, v = c.partition("=")
        if not sep:
            ap.error(f"-D {c}: NAME=VALUE expected")
        consts[k] = v
    try:
        hexfile = build_rust_firmware(f"rust-{a.program}-{a.backend}", program=a.program,
                                      backend=a.backend, consts=consts)
    except RustToolchainMissing as e:
        print(e, file=sys.stderr)
        return 2
    except ValueError as e:
        ap.error(str(e))
    print(hexfile)
    if a.run:
        r = socsim.run(hexfile, echo=True, progress=0, max_cycles=a.max_cycles)
        print(r.summary(), file=sys.stderr)
        return r.exit_code if r.exit_code is not None else 124
    return 0


if __name__ == "__main__":
    sys.exit(main())
