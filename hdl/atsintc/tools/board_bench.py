"""The SoC micro-benchmarks of all three runtime backends in ONE firmware image, for the
FPGA board (where the console is a UART) or the simulated SoC.

``firmware/board/bench_all.c`` runs ``firmware/rt/bench.c`` on hw (ATS-INTC), sw (PLIC +
software queue) and poll in turn (``firmware/board/{rt,bench,rt_util}_<backend>.c``
compile the runtime and the benchmark once per backend with ``-DRT_UNITY``, which gives
their global symbols per-backend names, see ``firmware/rt/rt.h``), printing each
backend's ``RESULT`` / ``CHECK`` lines after its ``bench backend=<b>`` line as the
per-backend images of :mod:`atsintc.tools.bench_soc` do (plus one ``CHECK`` line of the
backend's shutdown, ``rt_fini``), then a plain-text table of the micro-benchmark rows of
:func:`atsintc.tools.bench_soc.format_table`. The exit code is the number of failed checks.

Same numbers: the caches are direct mapped (4 KiB each), so a cycle count depends on
where code and data lie modulo 4 KiB. Every function of a backend is compiled exactly as
in its own image, and :func:`build_board_bench` places every function and every
zero-initialised variable of it at the same address modulo 4 KiB as there (checked),
and the read-only data (the strings the backends print, which the linker merges across
the backends) clear of all their data and of the top of the stack, as each backend's own
image has it; each benchmark runs with the stack from the top of the RAM, as there. The
RESULT values have all been identical to the per-backend images'
(``tests/test_board_bench.py``).

The board's console is a UART (115200 baud, 2048-byte FIFO) with back-pressure; the
driver also paces the output (for a CPU clock of up to 50 MHz) so that no backend ever
waits for the UART while it runs (``bench_all.c``).

::

    python -m atsintc.tools.board_bench           # build: image path and size
    python -m atsintc.tools.board_bench --run     # ... and run it on the simulated SoC

It is the default firmware of the ULX3S bitstream (``atsintc build --board ulx3s-85f``);
another image goes to the board with ``--firmware <hex>``. Do not press the board's
buttons while it runs: they are device interrupt lines 0..5 and would disturb the
interrupt benchmarks and checks.
"""

import argparse
import hashlib
import struct
import sys
from pathlib import Path

from atsintc.tools import bench_soc

from atsintc.soc import memmap
from atsintc.tools.firmware_build import build_firmware, firmware_dir

__all__ = ["SOURCES", "TABLE_ROWS", "build_board_bench", "run_board_bench_sim",
           "reference_images", "placement", "image_info", "split_sections",
           "parse_board_console", "parse_table", "main"]

# Link order: per backend the runtime, the benchmark and the cold part of the runtime in
# the order of the per-backend images (rt.c, trap.S, bench.c, rt_util.c), so that every
# function of a backend keeps its place relative to the others (the I-cache is direct
# mapped); the driver (bench_all.c) last.
SOURCES = ["board/rt_hw.c", "board/bench_hw.c", "board/rt_util_hw.c",
           "board/rt_sw.c", "rt/trap.S", "board/bench_sw.c", "board/rt_util_sw.c",
           "board/rt_poll.c", "board/bench_poll.c", "board/rt_util_poll.c",
           "board/bench_all.c"]
TABLE_ROWS = [label for _, _, label in bench_soc.MICRO_ROWS]
DEFAULT_MAX_CYCLES = 100_000_000


def _deps_flag():
    """build_firmware hashes the sources and the headers next to them, not the files
    they #include from firmware/rt/: put a digest of those into the flags."""
    h = hashlib.sha256()
    for p in sorted((firmware_dir() / "rt").iterdir()):
        if p.suffix in (".c", ".h", ".S"):
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return f"-DRT_UNITY_DEPS=0x{h.hexdigest()[:8]}"


def _elf(path):
    """(sections, symbols) of an ELF32 little-endian file: sections as (name, type,
    flags, addr, size), symbols as (name, value, size, type, bind, section name)."""
    data = Path(path).read_bytes()
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    raw = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize)
           for i in range(shnum)]

    def string(table, off):
        start = raw[table][4] + off
        return data[start:data.index(b"\0", start)].decode()

    sections = [(string(shstrndx, h[0]), h[1], h[2], h[3], h[5]) for h in raw]
    symbols = []
    for h in raw:
        if h[1] == 2:                                   # SHT_SYMTAB
            for off in range(h[4], h[4] + h[5], 16):
                name, value, size, info, _, shndx = struct.unpack_from("<IIIBBH", data, off)
                sec = sections[shndx][0] if shndx < len(sections) else ""
                symbols.append((string(h[6], name), value, size, info & 15, info >> 4, sec))
    return sections, symbols


def reference_images(log=print) -> dict:
    """{backend: .hex} of the per-backend ``bench`` images (what
    :func:`atsintc.tools.bench_soc.build_and_run` builds and runs)."""
    srcs = bench_soc.RT_SOURCES + ["rt/bench.c"] + bench_soc.RT_TAIL
    return {b: build_firmware(f"rt-bench-{b}", srcs, cflags=bench_soc.cflags(b),
                              ram_size=memmap.RAM_SIZE, log=log)
            for b in bench_soc.BACKENDS}


_PAGE = 4096        # I-cache and D-cache size: direct mapped, so addresses count mod 4 KiB
_ANCHORS = {"TEXT": "rt_work", "BSS": "rt_stop"}        # in rt.c's code / data
_KEEP = ("rt_isr",)                                     # globals that keep their name


def placement(hexfile, refs) -> dict:
    """Where the backends' code and zero-initialised data lie in the image versus in
    their own images: {backend: [(symbol, address here or None, address there), ...]}
    for every function and .bss variable of the runtime and the benchmark (main:
    bench_main_<backend>). A local symbol, which has a copy per backend, is looked up at
    its own image's offset from the backend's first function (rt_work) or variable
    (rt_stop). Read-only data (strings, a sort's gap table) is left where the linker
    puts it: it is read only between measurements."""
    _, syms = _elf(Path(hexfile).with_suffix(".elf"))
    out = {}
    for b, ref in refs.items():
        _, rsyms = _elf(Path(ref).with_suffix(".elf"))
        anchor = {kind: (next(v for n, v, *_ in rsyms if n == a),
                         next(v for n, v, *_ in syms if n == f"{a}_{b}"))
                  for kind, a in _ANCHORS.items()}
        rows = []
        for name, value, _, typ, bind, sec in rsyms:
            if not (typ == 2 and sec == ".text" or typ == 1 and sec == ".bss"):
                continue
            if name.startswith(("console_", "soc_", "_")):
                continue                                # the C runtime (start.S, lib/)
            if bind == 1:                               # global: renamed (rt.h)
                want = (name if name in _KEEP else
                        f"bench_main_{b}" if name == "main" else f"{name}_{b}")
                here = [v for n, v, *_ in syms if n == want]
            else:
                ref_anchor, anchor_here = anchor["TEXT" if typ == 2 else "BSS"]
                at = anchor_here + value - ref_anchor
                here = [v for n, v, _, t, _, _ in syms
                        if n == name and t == typ and v == at]
            rows.append((name, here[0] if len(here) == 1 else None, value))
        out[b] = rows
    return out


_STACK_HOT = 1024     # the top of the stack, which the benchmarks use (bytes)


def _forbidden(refs):
    """Cache indices (offsets modulo 4 KiB, as [lo, hi) ranges) of every backend's data
    in its own image, and of the top of the stack."""
    out = [(_PAGE - _STACK_HOT, _PAGE)]
    for ref in refs.values():
        sections, _ = _elf(Path(ref).with_suffix(".elf"))
        for name, _, _, addr, size in sections:
            if name in (".data", ".bss") and size:
                out += _ranges(addr, size)
    return out


def _ranges(addr, size):
    """[addr, addr + size) as ranges of cache indices."""
    lo = addr % _PAGE
    if size >= _PAGE:
        return [(0, _PAGE)]
    if lo + size <= _PAGE:
        return [(lo, lo + size)]
    return [(lo, _PAGE), (0, lo + size - _PAGE)]


def _clear(addr, size, forbidden):
    """The smallest shift (a multiple of 4) that moves [addr, addr + size) off the
    forbidden cache indices, or None."""
    for d in range(0, _PAGE, 4):
        if not any(lo < fhi and flo < hi for lo, hi in _ranges(addr + d, size)
                   for flo, fhi in forbidden):
            return d
    return None


def build_board_bench(log=print) -> Path:
    """Build (or reuse) the image; return its ``.hex`` (``.elf`` and ``.bin`` beside).
    ``log`` gets the build messages of the per-backend reference images.

    Every backend's code and zero-initialised data are placed at the same addresses
    modulo 4 KiB as in its own image, and the read-only data (the strings the backends
    print) clear of all that data and of the top of the stack (see
    ``firmware/board/board.h``): the image is linked with some padding, the padding
    corrected from where things landed, until they are where they should be (a few
    links, cached)."""
    refs = reference_images(log=log)
    target = {}
    for b, ref in refs.items():
        _, rsyms = _elf(Path(ref).with_suffix(".elf"))
        for kind, anchor in _ANCHORS.items():
            target[kind, b] = next(v for n, v, *_ in rsyms if n == anchor)
    forbidden = _forbidden(refs)
    # the same flags as the per-backend images (bench_soc.cflags) minus the backend
    base = [f for f in bench_soc.cflags("hw") if f != "-DBACKEND_HW"] + [_deps_flag()]
    pads = {key: 0 for key in target}
    pads["RODATA", None] = 0
    for _ in range(6):
        flags = base + [f"-DBOARD_{k}_PAD" + (f"_{b.upper()}" if b else "") + f"={v}"
                        for (k, b), v in pads.items()]
        hexfile = build_firmware("board-bench", SOURCES, cflags=flags,
                                 ram_size=memmap.RAM_SIZE, log=lambda s: None)
        sections, syms = _elf(hexfile.with_suffix(".elf"))
        here = {(k, b): next(v for n, v, *_ in syms if n == f"{a}_{b}")
                for k, a in _ANCHORS.items() for b in bench_soc.BACKENDS}
        rodata = next((addr, size) for n, _, _, addr, size in sections if n == ".rodata")
        here["RODATA", None] = rodata[0]
        shift, moved = 0, False         # a pad moves everything after it (alignment aside)
        for key in sorted(here, key=here.get):
            if key[0] == "RODATA":
                d = _clear(rodata[0] + shift, rodata[1], forbidden)
                if d is None:
                    raise RuntimeError(f"board-bench: no room for {rodata[1]} bytes of "
                                       f"read-only data clear of {forbidden}")
            else:
                d = (target[key] - here[key] - shift) % _PAGE
            if d:
                pads[key] = (pads[key] + d) % _PAGE    # moves only modulo 4 KiB count
                shift += d
                moved = True
        if not moved:
            break
    else:
        raise RuntimeError(f"board-bench: could not place the backends: {pads}")
    bad = [(b, n, h, r) for b, rows in placement(hexfile, refs).items()
           for n, h, r in rows if h is None or (h - r) % _PAGE]
    if bad:
        raise RuntimeError(f"board-bench: misplaced (backend, symbol, address, address in "
                           f"its own image): {bad}")
    return hexfile


def image_info(hexfile) -> dict:
    """Sizes of an image (bytes): ``image`` (the .bin loaded into RAM), ``bss``,
    ``ram_used`` (the end of the static data) and ``stack`` (what is left of the RAM
    for the stack, which grows down from its top)."""
    sections, _ = _elf(Path(hexfile).with_suffix(".elf"))
    alloc = [(typ, addr, size) for _, typ, flags, addr, size in sections if flags & 2]
    end = max(addr + size for _, addr, size in alloc)
    return dict(image=Path(hexfile).with_suffix(".bin").stat().st_size,
                bss=sum(size for typ, _, size in alloc if typ == 8),      # SHT_NOBITS
                ram_used=end, stack=memmap.RAM_SIZE - end, ram=memmap.RAM_SIZE)


def run_board_bench_sim(log=print, *, max_cycles=DEFAULT_MAX_CYCLES, timeout=900):
    """Build the image and run it on the simulated SoC; ``(console text, exit code)``
    (exit code None if the run hit ``max_cycles``)."""
    from atsintc.tools import socsim
    r = socsim.run(build_board_bench(log=log), max_cycles=max_cycles, progress=0,
                timeout=timeout, log=log)
    return r.console, r.exit_code


def split_sections(text) -> dict:
    """Console text -> {backend: the text from its ``bench backend=<b>`` line up to the
    next one (or to the table)}."""
    sections, cur = {}, None
    for line in text.splitlines(keepends=True):
        if line.startswith("bench backend="):
            cur = line.split("=", 1)[1].strip()
            if cur in sections:
                raise ValueError(f"backend {cur!r} appears twice")
            sections[cur] = ""
        elif line.startswith("SoC micro-benchmarks"):
            cur = None
        if cur is not None:
            sections[cur] += line
    return sections


def parse_board_console(text) -> dict:
    """Console text -> {backend: {"results": {bench: [dict]}, "checks": [(ok, text)]}}
    per backend section (:func:`atsintc.tools.bench_soc.parse_console`)."""
    out = {}
    for backend, section in split_sections(text).items():
        results, _, checks = bench_soc.parse_console(section)
        out[backend] = dict(results=results, checks=checks)
    return out


def parse_table(text) -> dict:
    """The plain-text table -> {"columns": [backend, ...], "rows": {label: [value or
    None, ...]}} (empty if there is no table)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("benchmark") and len(line) > 34:
            break
    else:
        return {}
    cols = lines[i][34:].split()
    rows = {}
    for line in lines[i + 2:]:
        if len(line) <= 34 or line[:34].strip() not in TABLE_ROWS:
            break
        rows[line[:34].strip()] = [None if v == "-" else int(v) for v in line[34:].split()]
    return dict(columns=cols, rows=rows)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="python -m atsintc.tools.board_bench",
        description="Build the firmware image that runs the SoC micro-benchmarks of all "
                    "three runtime backends (hw, sw, poll) and prints the comparison "
                    "table (for the FPGA board); optionally run it on the simulated SoC.")
    ap.add_argument("--run", action="store_true",
                    help="run the image on the simulated SoC and print its console")
    ap.add_argument("--max-cycles", type=int, default=DEFAULT_MAX_CYCLES,
                    help=f"cycle limit of the simulation (default {DEFAULT_MAX_CYCLES})")
    a = ap.parse_args(argv)
    log = lambda s: print(s, file=sys.stderr, flush=True)       # noqa: E731
    hexfile = build_board_bench(log=log)
    info = image_info(hexfile)
    print(f"image: {hexfile}")
    print(f"size: {info['image']} bytes of code and data + {info['bss']} bytes of bss = "
          f"{info['ram_used']} of {info['ram']} bytes of RAM; {info['stack']} bytes left "
          f"for the stack")
    if not a.run:
        return 0
    console, code = run_board_bench_sim(log=log, max_cycles=a.max_cycles)
    print(console, end="" if console.endswith("\n") else "\n")
    if code is None:
        print(f"TIMEOUT after {a.max_cycles} cycles")
        return 124
    print(f"exit code {code}")
    return code & 0xFF


if __name__ == "__main__":
    sys.exit(main())
