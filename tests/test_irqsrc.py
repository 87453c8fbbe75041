# amaranth: UnusedElaboratable=no
"""cocotb/Verilator tests of the programmable interrupt source (sim/tb_irqsrc.py) on
two configurations, plus parameter validation."""

import pytest

from atsintc.tools import cosim
from atsintc.soc.irqsrc import InterruptSource

# (id, vectors, random operations, random-mode window in cycles)
CONFIGS = [
    ("v4", 4, 4000, 60000),
    ("v32", 32, 3000, 20000),
]


def run_tb(vectors, ops, window, name, testcase=None):
    src = InterruptSource(vectors=vectors)
    return cosim.run({"irqsrc.v": cosim.verilog_text(src, "irqsrc")}, "irqsrc",
                     "tb_irqsrc", name=name, testcase=testcase,
                     env=dict(IRQSRC_VECTORS=vectors, IRQSRC_OPS=ops,
                              IRQSRC_WINDOW=window))


@pytest.mark.parametrize("name,vectors,ops,window", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_irqsrc(name, vectors, ops, window):
    ran = run_tb(vectors, ops, window, f"irqsrc-{name}")
    assert ran == len(cosim.cocotb_tests("tb_irqsrc"))     # every test of the testbench


def test_ports():
    s = InterruptSource(vectors=5)
    assert len(s.irq) == 5 and len(s.cycle) == 64 and len(s.bus.dat_r) == 32
    assert s.addr_width == 9 and len(s.bus.adr) == 9 and len(s.bus.sel) == 4
    assert (1 << s.addr_width) * 4 > 0x40C


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(vectors=0), ValueError, "vectors must be between 1 and 32, not 0"),
    (dict(vectors=33), ValueError, "vectors must be between 1 and 32, not 33"),
    (dict(vectors=2.0), TypeError, "vectors must be an integer"),
    (dict(vectors=True), TypeError, "vectors must be an integer"),
])
def test_bad_parameters(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        InterruptSource(**kwargs)
