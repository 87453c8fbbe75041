import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for d in (ROOT / "hdl", ROOT / "sim"):
    if str(d) not in sys.path:
        sys.path.insert(0, str(d))

from atsintc.toolchain import setup_environment  # noqa: E402

setup_environment()
