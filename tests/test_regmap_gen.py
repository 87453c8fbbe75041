"""The register-map generators (``atsintc/regmap_gen.py``) and their checked-in output.

* the checked-in header, SVD and Markdown are what the generators produce now;
* the C header compiles for RV32 and RV64 with the project's RISC-V compiler (zig cc)
  under ``-Wall -Werror``, and ``_Static_assert``s prove its macros give the addresses
  ``RegisterMap.address`` gives;
* the SVD is structurally valid CMSIS-SVD 1.3 (element order, unique names, fields inside
  their register) and every register element sits at ``RegisterMap.address``;
* the Markdown names every register, field and error bit.
"""

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from atsintc.tools import regmap_gen
from atsintc.regmap import ERRORS, KERNEL, PROCESS, STRIDE, WINDOWS, Params, RegisterMap

ROOT = Path(__file__).resolve().parents[1]

# Default, small RV64, minimal, and every array at its largest.
PARAMS = [
    Params(),
    Params(processes=2, vectors=8, xlen=64),
    Params(processes=1, priorities=1, vectors=1, channels=1),
    Params(processes=16, priorities=5, vectors=64, channels=16, ready_depth=1024, xlen=64),
]
PARAM_IDS = ["default", "p2-v8-rv64", "minimal", "maximal-rv64"]

CC_TARGET = {
    32: ["-target", "riscv32-freestanding-none", "-mcpu=generic_rv32+m+zicsr+zicntr"],
    64: ["-target", "riscv64-freestanding-none", "-mcpu=generic_rv64"],
}


# --- checked-in files ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(regmap_gen.KINDS))
def test_checked_in_file_is_current(kind):
    rel = regmap_gen.PATHS[kind]
    assert regmap_gen.GENERATED[rel] is regmap_gen.KINDS[kind]
    path = ROOT / rel
    assert path.exists(), f"{rel} is missing: run `atsintc generate {kind}`"
    assert path.read_text() == regmap_gen.generate(kind, Params()), (
        f"{rel} is stale (the register map changed): run `atsintc generate {kind}` "
        f"(or `python -m atsintc.tools.regmap_gen` for all of header|svd|docs) and commit it")


def test_generate_kinds():
    for kind, func in regmap_gen.KINDS.items():
        assert regmap_gen.generate(kind, Params()) == func(Params())
    p = Params(processes=2, xlen=64)
    assert regmap_gen.generate("header", p) == regmap_gen.c_header(p)
    with pytest.raises(ValueError, match="'header', 'svd', 'docs'"):
        regmap_gen.generate("verilog", Params())


# --- C header -----------------------------------------------------------------------------

def _compile(tmp_path, params, source, target_xlen=None):
    """Compile ``source``, which includes the header for ``params``, for RV32/RV64.

    ``target_xlen`` (default ``params.xlen``) picks the target. zig cc 0.17 cannot do
    ``-fsyntax-only`` (it then fails renaming the object file it did not write), so this
    compiles to an object file: a superset of the syntax check.
    """
    inc = tmp_path / "include"
    inc.mkdir(exist_ok=True)
    (inc / "atsintc_regs.h").write_text(regmap_gen.c_header(params))
    c = tmp_path / "check.c"
    c.write_text(source)
    cmd = [sys.executable, "-m", "ziglang", "cc", *CC_TARGET[target_xlen or params.xlen],
           "-ffreestanding", "-nostdlib", "-Wall", "-Werror", "-I", str(inc),
           "-c", str(c), "-o", str(tmp_path / "check.o")]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


USAGE = """\
#include "atsintc_regs.h"

/* Uses the header the way firmware does. */
atsintc_word_t demo(uintptr_t base, uintptr_t tcb)
{
    uintptr_t kern = ATSINTC_KERNEL_BASE(base);
    uintptr_t proc = ATSINTC_PROC_BASE(base, ATSINTC_PROCESSES - 1);
    atsintc_word_t cfg;

    atsintc_write(kern + ATSINTC_KERNEL_VEC_CFG(0),
                  (1u << ATSINTC_KERNEL_VEC_CFG_OWNER_SHIFT)
                  & ATSINTC_KERNEL_VEC_CFG_OWNER_MASK);
    atsintc_write(proc + ATSINTC_PROC_ENQUEUE, atsintc_task(tcb, ATSINTC_PRIORITIES - 1));
    atsintc_write(proc + ATSINTC_PROC_BLOCK(ATSINTC_VECTORS - 1), atsintc_task(tcb, 0));
    atsintc_write(proc + ATSINTC_PROC_SEND(ATSINTC_SENDSLOTS - 1), 42);
    if (atsintc_read(proc + ATSINTC_PROC_ERROR) & ATSINTC_ERR_READY_FULL)
        atsintc_write(proc + ATSINTC_PROC_ERROR, ATSINTC_ERR_READY_FULL);
    cfg = atsintc_read(kern + ATSINTC_KERNEL_CONFIG0);
    if (((cfg & ATSINTC_KERNEL_CONFIG0_VECTORS_MASK) >> ATSINTC_KERNEL_CONFIG0_VECTORS_SHIFT)
            != ATSINTC_VECTORS)
        return 0;
    {
        atsintc_word_t w = atsintc_read(proc + ATSINTC_PROC_DEQUEUE);
        return atsintc_task_prio(w) + (atsintc_word_t)atsintc_task_tcb(w);
    }
}
"""

BASE = 0x80000000


def _static_asserts(params):
    """_Static_asserts tying the header's macros to the Python register map."""
    rmap = RegisterMap(params)
    out = []

    def check(expr, value):
        out.append(f'_Static_assert(({expr}) == {value:#x}ull, "{expr} != {value:#x}");')

    for name in ("processes", "priorities", "vectors", "channels", "ready_depth",
                 "blocked_depth", "ipc_depth", "xlen", "sendslots", "prio_bits"):
        check(f"ATSINTC_{name.upper()}", getattr(params, name))
    check("sizeof(atsintc_word_t) * 8", params.xlen)
    check("ATSINTC_PROC_BASE(0, 0)", rmap.address("PROCESS", "ENQUEUE"))

    for window in WINDOWS:
        pre = "ATSINTC_KERNEL" if window is KERNEL else "ATSINTC_PROC"
        procs = [0] if window is KERNEL else sorted({0, params.processes - 1})
        for r in window.registers:
            indices = sorted({0, r.length(params) - 1})
            for p in procs:
                base = (f"ATSINTC_KERNEL_BASE({BASE:#x}u)" if window is KERNEL
                        else f"ATSINTC_PROC_BASE({BASE:#x}u, {p})")
                for i in indices:
                    reg = f"{pre}_{r.name}({i})" if r.is_array() else f"{pre}_{r.name}"
                    check(f"{base} + {reg}",
                          BASE + rmap.address(window.name, r.name, index=i, process=p))
            for f in r.fields:
                check(f"{pre}_{r.name}_{f.name}_SHIFT", f.lsb)
                check(f"{pre}_{r.name}_{f.name}_MASK", ((1 << f.width) - 1) << f.lsb)
    for bit, (name, _) in enumerate(ERRORS):
        check(f"ATSINTC_ERR_{name}", 1 << bit)
        check(f"ATSINTC_PROC_ERROR_{name}_MASK", 1 << bit)
    # Every priority fits the field; the TCB alignment clears prio and flag bits.
    check(f"({params.priorities - 1}u << ATSINTC_PRIO_SHIFT) & ~ATSINTC_PRIO_MASK", 0)
    check("(ATSINTC_PRIO_MASK | ATSINTC_TASK_FLAG) & ~(ATSINTC_TCB_ALIGN - 1u)", 0)
    return out


@pytest.mark.parametrize("params", PARAMS, ids=PARAM_IDS)
def test_header_compiles_and_matches_regmap(tmp_path, params):
    asserts = _static_asserts(params)
    assert len(asserts) > 50
    r = _compile(tmp_path, params, USAGE + "\n" + "\n".join(asserts) + "\n")
    assert r.returncode == 0, f"zig cc failed:\n{r.stdout}{r.stderr}"


def test_header_static_assert_can_fail(tmp_path):
    """The check above would notice a wrong macro (the compiler does evaluate them)."""
    r = _compile(tmp_path, Params(), '#include "atsintc_regs.h"\n'
                 '_Static_assert(ATSINTC_PROC_SEND(1) == 0x500, "expected failure");\n')
    assert r.returncode != 0
    assert "expected failure" in r.stderr


def test_header_wrong_xlen_is_caught(tmp_path):
    """An RV64 header in an RV32 build fails at compile time, not at run time."""
    r = _compile(tmp_path, Params(xlen=64), '#include "atsintc_regs.h"\n', target_xlen=32)
    assert r.returncode != 0 and "XLEN=64" in r.stderr


def test_header_text():
    h = regmap_gen.c_header(Params())
    assert h.startswith("/* ATS-INTC register map.")
    assert "Generated by `atsintc generate header` from hdl/atsintc/regmap.py" in h
    assert "#ifndef ATSINTC_REGS_H" in h
    assert h.rstrip().endswith("#endif /* ATSINTC_REGS_H */")
    assert "typedef uint32_t atsintc_word_t;" in h
    assert "typedef uint64_t atsintc_word_t;" in regmap_gen.c_header(Params(xlen=64))
    for w in WINDOWS:       # every description is in a comment
        for r in w.registers:
            assert " ".join(r.description.split()[:4]) in " ".join(h.split())


# --- SVD ----------------------------------------------------------------------------------

# Children in the order CMSIS-SVD.xsd (1.3) requires; the ones marked * are mandatory.
SVD_ORDER = {
    "device": ["vendor", "vendorID", "name*", "series", "version*", "description*",
               "licenseText", "cpu", "headerSystemFilename", "headerDefinitionsPrefix",
               "addressUnitBits*", "width*", "size", "access", "protection", "resetValue",
               "resetMask", "peripherals*", "vendorExtensions"],
    "peripheral": ["dim", "dimIncrement", "dimIndex", "dimName", "dimArrayIndex", "name*",
                   "version", "description", "alternatePeripheral", "groupName",
                   "prependToName", "appendToName", "headerStructName", "disableCondition",
                   "baseAddress*", "size", "access", "protection", "resetValue", "resetMask",
                   "addressBlock", "interrupt", "registers"],
    "register": ["dim", "dimIncrement", "dimIndex", "dimName", "dimArrayIndex", "name*",
                 "displayName", "description", "alternateGroup", "alternateRegister",
                 "addressOffset*", "size", "access", "protection", "resetValue", "resetMask",
                 "dataType", "modifiedWriteValues", "writeConstraint", "readAction",
                 "fields"],
    "field": ["dim", "dimIncrement", "dimIndex", "dimName", "dimArrayIndex", "name*",
              "description", "bitOffset*", "bitWidth", "access", "modifiedWriteValues",
              "writeConstraint", "readAction", "enumeratedValues"],
    "addressBlock": ["offset*", "size*", "usage*", "protection"],
}
ACCESS = {"R": "read-only", "W": "write-only", "RW": "read-write", "RW1C": "read-write"}
IDENT = re.compile(r"[_A-Za-z][_A-Za-z0-9]*(\[%s\])?$")


def _check_order(elem):
    order = [t.rstrip("*") for t in SVD_ORDER[elem.tag]]
    tags = [c.tag for c in elem]
    assert all(t in order for t in tags), f"{elem.tag}: unexpected children {tags}"
    pos = [order.index(t) for t in tags]
    assert pos == sorted(pos) and len(set(tags)) == len(tags), \
        f"{elem.tag}: children out of schema order: {tags}"
    for t in SVD_ORDER[elem.tag]:
        if t.endswith("*"):
            assert t[:-1] in tags, f"{elem.tag} lacks <{t[:-1]}>"


def _num(elem, tag, default=None):
    text = elem.findtext(tag)
    return default if text is None else int(text, 0)


def _svd_elements(device):
    """(peripheral name, base address, register name, [absolute address per element])."""
    peripherals = device.find("peripherals")
    by_name = {p.findtext("name"): p for p in peripherals}
    for p in peripherals:
        base = _num(p, "baseAddress")
        src = by_name[p.get("derivedFrom")] if p.get("derivedFrom") else p
        for r in src.find("registers"):
            dim = _num(r, "dim", 1)
            inc = _num(r, "dimIncrement", 0)
            off = _num(r, "addressOffset")
            yield (p.findtext("name"), r.findtext("name").replace("[%s]", ""),
                   [base + off + i * inc for i in range(dim)])


@pytest.mark.parametrize("base", [0x80000000, 0x10000000])
@pytest.mark.parametrize("params", PARAMS, ids=PARAM_IDS)
def test_svd_addresses_match_regmap(params, base):
    rmap = RegisterMap(params)
    device = ET.fromstring(regmap_gen.svd(params, base_address=base))
    expected = {}
    for w in WINDOWS:
        slots = [None] if w is KERNEL else range(params.processes)
        for p in slots:
            periph = "KERNEL" if p is None else f"PROC{p}"
            for r in w.registers:
                expected[periph, r.name] = [
                    base + rmap.address(w.name, r.name, index=i, process=p or 0)
                    for i in range(r.length(params))]
    got = {(periph, reg): addrs for periph, reg, addrs in _svd_elements(device)}
    assert got.keys() == expected.keys()
    for key, addrs in expected.items():
        assert got[key] == addrs, key
    # Every element decodes back to its own register.
    for (periph, reg), addrs in got.items():
        for i, a in enumerate(addrs):
            window, proc, r, index = rmap.decode(a - base)
            assert (r.name, index) == (reg, i)
            assert periph == ("KERNEL" if proc is None else f"PROC{proc}")


@pytest.mark.parametrize("params", PARAMS, ids=PARAM_IDS)
def test_svd_is_well_formed(params):
    text = regmap_gen.svd(params)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n'
                           '<device schemaVersion="1.3"')
    device = ET.fromstring(text)
    _check_order(device)
    assert device.findtext("name") == "ATSINTC"
    assert _num(device, "addressUnitBits") == 8
    assert _num(device, "width") == _num(device, "size") == params.xlen

    peripherals = list(device.find("peripherals"))
    names = [p.findtext("name") for p in peripherals]
    assert names == ["KERNEL"] + [f"PROC{p}" for p in range(params.processes)]
    for p in peripherals:
        _check_order(p)
        if p.get("derivedFrom"):
            assert p.get("derivedFrom") in names[:names.index(p.findtext("name"))]
            assert p.find("registers") is None
            continue
        block = p.find("addressBlock")
        _check_order(block)
        assert _num(block, "size") == 0x1000
        reg_names, spans = set(), []
        for r in p.find("registers"):
            _check_order(r)
            name = r.findtext("name")
            assert IDENT.match(name), name
            assert name not in reg_names, f"duplicate register {name}"
            reg_names.add(name)
            assert ("[%s]" in name) == (r.find("dim") is not None)
            size = _num(r, "size")
            assert size == params.xlen
            assert r.findtext("description")
            assert 0 <= _num(r, "resetValue") < 1 << size
            # Elements must not overlap (svd2rust rejects that) nor leave the window.
            dim, inc = _num(r, "dim", 1), _num(r, "dimIncrement", size // 8)
            assert inc >= size // 8
            lo = _num(r, "addressOffset")
            hi = lo + (dim - 1) * inc + size // 8
            assert hi <= 0x1000
            spans.append((lo, hi, name))
            fields = r.find("fields")
            used = 0
            for f in ([] if fields is None else fields):
                _check_order(f)
                assert IDENT.match(f.findtext("name"))
                lsb, width = _num(f, "bitOffset"), _num(f, "bitWidth")
                assert width >= 1 and lsb + width <= size, f"{name}.{f.findtext('name')}"
                mask = ((1 << width) - 1) << lsb
                assert not used & mask, f"overlapping fields in {name}"
                used |= mask
            if fields is not None:
                assert len({f.findtext("name") for f in fields}) == len(fields)
        spans.sort()
        for (a_lo, a_hi, a), (b_lo, _, b) in zip(spans, spans[1:]):
            assert a_hi <= b_lo, f"{a} overlaps {b}"

    # Access types, write-1-to-clear and reset values come from the register map.
    regs = {r.findtext("name").replace("[%s]", ""): r
            for r in peripherals[0].find("registers")}
    regs.update({"PROC." + r.findtext("name").replace("[%s]", ""): r
                 for r in peripherals[1].find("registers")})
    for w in WINDOWS:
        for reg in w.registers:
            e = regs[("PROC." if w is PROCESS else "") + reg.name]
            assert e.findtext("access") == ACCESS[reg.access]
            assert _num(e, "resetValue") == reg.reset_value(params)
            rw1c = e.findtext("modifiedWriteValues") == "oneToClear"
            assert rw1c == (reg.access == "RW1C")
            assert [(f.findtext("name"), _num(f, "bitOffset"), _num(f, "bitWidth"))
                    for f in e.iterfind("fields/field")] == \
                   [(f.name, f.lsb, f.width) for f in reg.fields]


# --- Markdown -----------------------------------------------------------------------------

@pytest.mark.parametrize("params", PARAMS[:2], ids=PARAM_IDS[:2])
def test_docs_name_everything(params):
    md = regmap_gen.markdown(params)
    assert md.startswith("# ATS-INTC register map\n")
    assert "Generated by `atsintc generate docs`" in md and "do not edit" in md
    for w in WINDOWS:
        assert f"## {w.name} window" in md
        for r in w.registers:
            assert re.search(rf"\| {r.name}(\[[a-z]\])? \|", md), r.name
            for f in r.fields:
                assert f"| {f.name} |" in md, f"{r.name}.{f.name}"
    for bit, (name, _) in enumerate(ERRORS):
        assert f"| {bit} | {name} |" in md
    # The array ranges and the task word follow the parameters.
    assert f"`0x200 + {STRIDE}*v` (v = 0..{params.vectors - 1})" in md
    assert f"| `[{params.xlen - 1}:{1 + params.prio_bits}]` | pointer" in md
    assert f"window of process slot {params.processes - 1}" in md
    assert f"window of process slot {params.processes}" not in md


def test_checked_in_docs_name_every_register():
    md = (ROOT / regmap_gen.PATHS["docs"]).read_text()
    for w in WINDOWS:
        for r in w.registers:
            assert re.search(rf"\| {r.name}(\[[a-z]\])? \|", md), \
                f"{r.name} missing from docs/registers.md: run `atsintc generate docs`"


def test_svd_base_is_the_demo_socs():
    """The checked-in SVD describes the controller where the demo SoC maps it."""
    from atsintc.soc.memmap import ATSINTC_BASE

    assert regmap_gen.SVD_BASE == ATSINTC_BASE
    device = ET.fromstring(regmap_gen.generate("svd", Params()))
    bases = [int(pe.find("baseAddress").text, 0) for pe in device.iter("peripheral")]
    assert min(bases) == ATSINTC_BASE


def test_generate_base_address():
    text = regmap_gen.generate("svd", Params(), base_address=0x4000_0000)
    assert "<baseAddress>0x40000000</baseAddress>" in text
    with pytest.raises(ValueError, match="4 KiB aligned"):
        regmap_gen.generate("svd", Params(), base_address=0x4000_0004)
    with pytest.raises(ValueError, match="SVD only"):
        regmap_gen.generate("header", Params(), base_address=0x4000_0000)
