# amaranth: UnusedElaboratable=no
"""cocotb/Verilator tests of the RISC-V PLIC (sim/tb_plic.py) on several
configurations, a mutant the bench must reject, and parameter validation."""

import json

import pytest

from atsintc.tools import cosim
from atsintc.soc.plic import PLIC

# (id, constructor arguments, random operations)
CONFIGS = [
    ("s31t2", dict(sources=31, targets=2), 20000),
    ("s63t4", dict(sources=63, targets=4, priority_bits=3), 10000),
    ("s5t1-spec", dict(sources=5, targets=1, priority_bits=2,
                       claim_ignores_threshold=True), 5000),
]


def run_tb(plic, kwargs, ops, name, testcase=None):
    return cosim.run({"plic.v": cosim.verilog_text(plic, "plic")}, "plic", "tb_plic",
                     name=name, testcase=testcase,
                     env=dict(PLIC_PARAMS=json.dumps(kwargs), PLIC_OPS=ops))


@pytest.mark.parametrize("name,kwargs,ops", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_plic(name, kwargs, ops):
    ran = run_tb(PLIC(**kwargs), kwargs, ops, f"plic-{name}")
    assert ran == len(cosim.cocotb_tests("tb_plic"))       # every test of the testbench


class NoThresholdPLIC(PLIC):
    """Mutant: the threshold is ignored (for claims and for irq)."""

    def _eligible(self, prio, threshold, claim):
        return prio != 0


@pytest.mark.parametrize("testcase", ["test_threshold", "test_random"])
def test_bench_catches_threshold_mutant(testcase):
    kwargs = dict(sources=7, targets=1)
    # the bench's model honours the threshold: the mutant must fail
    with pytest.raises(cosim.SimFailure, match="1 of 1 cocotb tests failed"):
        run_tb(NoThresholdPLIC(**kwargs), kwargs, 2000, "plic-mutant-nothreshold",
               testcase=testcase)


def test_addr_width():
    for t in range(1, 5):
        p = PLIC(sources=3, targets=t)
        # word addresses covering byte offsets up to the last claim/complete register
        assert (1 << p.addr_width) * 4 >= 0x200000 + 0x1000 * t
        assert p.addr_width == 20
    assert PLIC(sources=31).words == 1
    assert PLIC(sources=32).words == 2
    p = PLIC(sources=63, targets=4)
    assert len(p.src) == 63 and len(p.irq) == 4 and len(p.bus.dat_r) == 32
    assert len(p.bus.sel) == 4


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(sources=0), ValueError, "sources must be between 1 and 63, not 0"),
    (dict(sources=64), ValueError, "sources must be between 1 and 63, not 64"),
    (dict(targets=0), ValueError, "targets must be between 1 and 4, not 0"),
    (dict(targets=5), ValueError, "targets must be between 1 and 4, not 5"),
    (dict(priority_bits=0), ValueError, "priority_bits must be between 1 and 8, not 0"),
    (dict(priority_bits=9), ValueError, "priority_bits must be between 1 and 8, not 9"),
    (dict(sources="8"), TypeError, "sources must be an integer"),
    (dict(targets=True), TypeError, "targets must be an integer"),
    (dict(claim_ignores_threshold=1), TypeError, "claim_ignores_threshold must be a bool"),
])
def test_bad_parameters(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        PLIC(**kwargs)
