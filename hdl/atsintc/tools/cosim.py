"""Run cocotb testbenches on Verilator, with builds cached per design configuration.

:func:`run` converts an Amaranth design to Verilog, hashes the Verilog together with
the Verilator arguments, and builds it once into ``build/sim/<name>-<hash>``; a later
run of the same configuration reuses the binary (a Verilator build costs 10-30 s, a
test run often less). Tests, benchmarks and the CLI all go through here.
"""

import ast
import fcntl
import hashlib
import importlib.util
import re
import sys
import time
from pathlib import Path

from amaranth.back import verilog

from atsintc.tools.toolchain import build_root, setup_environment

__all__ = ["verilog_text", "build", "run", "SimFailure", "cocotb_tests"]

SIM_PACKAGE = "atsintc.sim"     # the repository's sim/ folder


def _module(name):
    """A testbench module's full name: ``tb_x`` is ``atsintc.sim.tb_x``."""
    return name if "." in name else f"{SIM_PACKAGE}.{name}"


def cocotb_tests(module):
    """Names of the ``@cocotb.test`` functions of a testbench module (``tb_x`` or a
    full module name), read from its source."""
    path = Path(importlib.util.find_spec(_module(module)).origin)
    tree = ast.parse(path.read_text())
    return [f.name for f in tree.body if isinstance(f, ast.AsyncFunctionDef) and
            any("cocotb.test" in ast.unparse(d) for d in f.decorator_list)]

# Warnings Verilator makes fatal by default that Amaranth's (correct) output trips.
VERILATOR_WAIVERS = ["-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-Wno-CASEINCOMPLETE",
                     # constant comparisons in generated decoders, empty always blocks
                     "-Wno-CMPCONST", "-Wno-UNSIGNED", "-Wno-ALWNEVER"]
# For `verilator --lint-only -Wall`: additionally Amaranth's idioms (registers declared
# with an initial value, one module per file name, unused bits of wide expressions).
LINT_WAIVERS = VERILATOR_WAIVERS + ["-Wno-PROCASSINIT", "-Wno-DECLFILENAME",
                                    "-Wno-UNUSEDSIGNAL"]


class SimFailure(AssertionError):
    pass


def verilog_text(component, name):
    """Verilog of an Amaranth ``wiring.Component`` with its signature as ports."""
    return verilog.convert(component, name=name, emit_src=False)


def digest(*parts):
    """Short hex digest of the string forms of ``parts`` (a cache key)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:12]


def _top_ports(verilog_sources, toplevel):
    for text in verilog_sources.values():
        mt = re.search(r"^module\s+\\?" + re.escape(toplevel) + r"\s*\(([^)]*)\)", text, re.M)
        if mt:
            return [p.strip() for p in mt.group(1).split(",") if p.strip()]
    raise ValueError(f"module {toplevel!r} not found in the Verilog sources")


def _runner_class():
    from cocotb_tools.runner import Verilator

    class PortsOnlyVerilator(Verilator):
        """cocotb's Verilator runner without ``--public-flat-rw``: only the top-level
        ports are made visible (through a .vlt file), which makes both the C++ build
        and the simulation several times faster (toolchain-notes.md)."""

        def _build_command(self):
            cmds = super()._build_command()
            cmds[0] = [a for a in cmds[0] if a != "--public-flat-rw"]
            return cmds

    return PortsOnlyVerilator


def gateware_digest():
    """Digest of the package's Python sources: a cache key for generated Verilog that
    avoids re-running the (slow, for big configurations) Verilog conversion."""
    root = Path(__file__).resolve().parents[1]   # the atsintc package
    return digest(*(f"{f.name}:{f.read_text()}" for f in sorted(root.rglob("*.py"))))


def build(verilog_sources, toplevel, name, *, build_args=(), key=None, log=print):
    """Build (or reuse) a Verilator model.

    ``verilog_sources`` maps file name -> text, or is a function returning that mapping;
    with a function, ``key`` (any string, e.g. the design parameters) together with
    :func:`gateware_digest` identifies the build, so the Verilog is only generated
    when the model has to be built. Returns ``(runner, build_dir)``.
    """
    env = setup_environment()
    import verilator

    args = list(VERILATOR_WAIVERS) + list(build_args)
    if callable(verilog_sources):
        if key is None:
            raise ValueError("a key is needed when the Verilog sources are generated lazily")
        design = ("lazy", key, gateware_digest())
    else:
        design = sorted(verilog_sources.items())
    key = digest(toplevel, design, args,
                  getattr(verilator, "__version__", ""), sys.version_info[:2])
    build_dir = build_root() / "sim" / f"{name}-{key}"
    stamp = build_dir / ".built"
    runner = _runner_class()()
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    # one builder per configuration at a time (tests may run in parallel workers); the
    # others wait here and then find the stamp
    with open(build_dir.parent / f"{build_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            if callable(verilog_sources):
                log(f"[verilog] generating {name} ...")
                verilog_sources = verilog_sources()
            build_dir.mkdir(parents=True, exist_ok=True)
            files = []
            for fname, text in verilog_sources.items():
                path = build_dir / fname
                path.write_text(text)
                files.append(path)
            vlt = build_dir / "ports.vlt"
            vlt.write_text("`verilator_config\n" + "".join(
                f'public_flat_rw -module "{toplevel}" -var "{p}"\n'
                for p in _top_ports(verilog_sources, toplevel)))
            files.insert(0, vlt)
            t0 = time.monotonic()
            log(f"[verilator] building {name} in {build_dir} ...")
            # -O1 instead of the default -Os/-O3 mix: the C++ compile of a wide, flat
            # design dominates the build, and -O1 simulates almost as fast.
            saved = env.get("MAKEFLAGS", "")
            env["MAKEFLAGS"] = saved + " OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O1"
            try:
                runner.build(sources=files, hdl_toplevel=toplevel, build_dir=build_dir,
                             build_args=args, log_file=build_dir / "build.log")
            finally:
                env["MAKEFLAGS"] = saved
            stamp.write_text(f"{time.monotonic() - t0:.1f} s\n")
            log(f"[verilator] built {name} in {time.monotonic() - t0:.1f} s")
    return runner, build_dir


def run(verilog_sources, toplevel, test_module, *, name, testcase=None, env=None,
        build_args=(), key=None, plusargs=(), log=print):
    """Build if needed, run ``test_module`` (a module of ``atsintc.sim``, the
    repository's ``sim/``, or a full module name) and fail loudly.

    ``env`` values reach the testbench as environment variables. Returns the number of
    tests that ran (all passed, otherwise :class:`SimFailure` is raised).
    """
    runner, build_dir = build(verilog_sources, toplevel, name, build_args=build_args, key=key,
                              log=log)
    from cocotb_tools.check_results import get_results

    test_module = _module(test_module)
    extra_env = {k: str(v) for k, v in (env or {}).items()}
    tag = digest(test_module, testcase, sorted(extra_env.items()), list(plusargs))
    test_dir = build_dir / f"run-{tag}"
    test_dir.mkdir(exist_ok=True)
    results = test_dir / "results.xml"
    results.unlink(missing_ok=True)
    try:
        runner.test(test_module=test_module, hdl_toplevel=toplevel,
                    hdl_toplevel_lang="verilog", build_dir=build_dir,
                    test_dir=test_dir, testcase=testcase, extra_env=extra_env,
                    plusargs=list(plusargs), results_xml=str(results),
                    log_file=test_dir / "sim.log")
    except SystemExit:
        pass        # the runner exits on failed tests; the results file says which
    if not results.exists():
        raise SimFailure(f"{test_module}: the simulation ended abnormally "
                         f"(see {test_dir / 'sim.log'})")
    total, failed = get_results(results)
    if total == 0:
        raise SimFailure(f"{test_module}: no cocotb test ran (see {test_dir})")
    if failed:
        raise SimFailure(f"{test_module}: {failed} of {total} cocotb tests failed "
                         f"(log and waveforms in {test_dir})")
    return total
