"""Build C firmware for the simulated SoC with zig's clang (the ``ziglang`` wheel).

:func:`build_firmware` compiles the runtime (``firmware/start.S``,
``firmware/lib/*.c``) together with the given sources, links them with
``firmware/link.ld``, and converts the binary into the ``$readmemh`` image the RAM
loads (``ram.v``): one 32-bit little-endian word per line, in hex, word ``i`` at byte
address ``4*i``. Results are cached by a hash of every input (sources, runtime,
headers, flags, compiler version) under ``build/firmware/<name>-<hash>/``, so the tests
and the CLI share them and a rebuild only happens when something changed.

Code generation: RV32IM + Zicsr + Zicntr (``rdcycle``), no C extension (VexRiscv_Full
has none), ``-O2``, freestanding, no libc. ``-mno-relax`` because ``--no-relax`` is not
accepted by zig's linker; ``gp`` is set under ``.option norelax`` in ``start.S``.
Small cores: ``mcpu="generic_rv32+zicsr"`` (RV32I, e.g. VexRiscv_Min; link
``firmware/ice40/rv32i_helpers.c`` for the ``__mulsi3`` / ``__divsi3`` family) and
``link_script=`` for a smaller RAM (e.g. ``firmware/ice40/link.ld``).
"""

import hashlib
import subprocess
import sys
from pathlib import Path

from atsintc.tools.toolchain import build_root, publish, scratch_dir

__all__ = ["build_firmware", "firmware_dir", "CFLAGS", "bin_to_hex", "elf_to_binary"]

MCPU = "generic_rv32+m+zicsr+zicntr"
CFLAGS = ["-target", "riscv32-freestanding-none", f"-mcpu={MCPU}",
          "-O2", "-g0", "-ffreestanding", "-fno-builtin", "-nostdlib", "-fno-sanitize=all",
          "-fno-stack-protector", "-mno-relax", "-Wall", "-Werror"]


def firmware_dir() -> Path:
    """The C sources, headers and link scripts: package data of ``atsintc.firmware``
    (the repository's ``firmware/`` folder)."""
    from atsintc import firmware
    return Path(firmware.__file__).parent


def _runtime():
    fw = firmware_dir()
    return [fw / "start.S"] + sorted((fw / "lib").glob("*.c"))


def _inputs():
    """Files every build depends on besides its sources (headers, link script)."""
    fw = firmware_dir()
    return (sorted((fw / "include").glob("*.h")) + sorted((fw / "lib").glob("*.h")) +
            [fw / "link.ld"])


def _zig_version():
    try:
        from importlib.metadata import version
        return version("ziglang")
    except Exception:   # pragma: no cover
        return "?"


def elf_to_binary(elf, binf, what) -> bytes:
    """The loadable image of ``elf`` (zig's objcopy ``-O binary``), written to ``binf``
    and returned; ``what`` names the build in the error."""
    r = subprocess.run([sys.executable, "-m", "ziglang", "objcopy", "-O", "binary", str(elf),
                        str(binf)], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{what}: objcopy failed:\n{r.stdout}{r.stderr}")
    return Path(binf).read_bytes()


def bin_to_hex(data: bytes) -> str:
    """A raw little-endian image as ``$readmemh`` text (32-bit words)."""
    data = data + b"\0" * (-len(data) % 4)
    return "".join(f"{int.from_bytes(data[i:i + 4], 'little'):08x}\n"
                   for i in range(0, len(data), 4))


def build_firmware(name, sources, out_dir=None, *, cflags=(), ram_size=None,
                   mcpu=None, link_script=None, log=print) -> Path:
    """Compile and link ``sources`` (paths; relative ones are taken from ``firmware/``)
    with the runtime; return the path of the ``.hex`` image (``<name>.elf``,
    ``<name>.bin`` are next to it).

    ``out_dir`` defaults to ``build/firmware``; the files go to
    ``<out_dir>/<name>-<hash>/``. ``cflags`` are extra compiler flags (e.g. ``-DN=10``).
    ``ram_size`` (bytes), if given, is checked against the image size.
    ``mcpu`` replaces the ``-mcpu`` of :data:`CFLAGS` (default :data:`MCPU`, RV32IM);
    ``link_script`` (path; relative ones from ``firmware/``) replaces ``link.ld``.
    """
    fw = firmware_dir()
    srcs = [Path(s) if Path(s).is_absolute() else fw / s for s in sources]
    for s in srcs:
        if not s.exists():
            raise FileNotFoundError(s)
    all_srcs = _runtime() + srcs
    base = list(CFLAGS)
    if mcpu is not None:
        base[base.index(f"-mcpu={MCPU}")] = f"-mcpu={mcpu}"
    ld = fw / "link.ld"
    if link_script is not None:
        ld = Path(link_script) if Path(link_script).is_absolute() else fw / link_script
    flags = base + ["-I", str(fw / "include"), "-I", str(fw / "lib")] + list(cflags)
    # headers next to the sources count too (e.g. firmware/rt/rt.h)
    headers = sorted({h for s in all_srcs for h in s.parent.glob("*.h")})
    h = hashlib.sha256()
    for part in ([str(f) for f in flags] + [_zig_version()] +
                 [f"{p}:{p.read_text()}" for p in all_srcs + _inputs() + headers] +
                 ([] if link_script is None else [f"ld:{ld.read_text()}"])):
        h.update(part.encode())
        h.update(b"\0")
    out = Path(out_dir) if out_dir is not None else build_root() / "firmware"
    d = out / f"{name}-{h.hexdigest()[:12]}"
    hexfile = d / f"{name}.hex"
    if hexfile.exists():
        return hexfile
    tmp = scratch_dir(out, name)
    elf, binf = tmp / f"{name}.elf", tmp / f"{name}.bin"
    zig = [sys.executable, "-m", "ziglang"]
    cmd = zig + ["cc"] + flags + [f"-Wl,-T,{ld}",
                                  "-o", str(elf)] + [str(s) for s in all_srcs]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"firmware {name}: compilation failed:\n{' '.join(cmd)}\n"
                           f"{r.stdout}{r.stderr}")
    data = elf_to_binary(elf, binf, f"firmware {name}")
    if ram_size is not None and len(data) > ram_size:
        raise RuntimeError(f"firmware {name}: image of {len(data)} bytes does not fit "
                           f"in {ram_size} bytes of RAM")
    (tmp / f"{name}.hex").write_text(bin_to_hex(data))
    publish(tmp, d)
    log(f"[firmware] {name}: {len(data)} bytes -> {hexfile}")
    return hexfile
