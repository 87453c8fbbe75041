"""The Python sources pass the linter (ruff: pycodestyle and pyflakes rules, configured
in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff():
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                        "hdl", "sim", "boards", "tests", "firmware"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
