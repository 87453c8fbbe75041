# amaranth: UnusedElaboratable=no
"""cocotb/Verilator tests of the programmable interrupt source (sim/tb_irqsrc.py) on
three configurations (the default FIFO depth, and small FIFOs that overflow often,
one of a depth that is not a power of two), plus parameter validation."""

import pytest

from atsintc.tools import cosim
from atsintc.soc.irqsrc import InterruptSource

# (id, vectors, FIFO depth, random operations, random-mode window in cycles)
CONFIGS = [
    ("v4", 4, 16, 4000, 60000),
    ("v32-d3", 32, 3, 3000, 20000),
    ("v2-d2", 2, 2, 3000, 20000),
]


def run_tb(vectors, fifo_depth, ops, window, name, testcase=None):
    src = InterruptSource(vectors=vectors, fifo_depth=fifo_depth)
    return cosim.run({"irqsrc.v": cosim.verilog_text(src, "irqsrc")}, "irqsrc",
                     "tb_irqsrc", name=name, testcase=testcase,
                     env=dict(IRQSRC_VECTORS=vectors, IRQSRC_FIFO_DEPTH=fifo_depth,
                              IRQSRC_OPS=ops, IRQSRC_WINDOW=window))


@pytest.mark.parametrize("name,vectors,fifo_depth,ops,window", CONFIGS,
                         ids=[c[0] for c in CONFIGS])
def test_irqsrc(name, vectors, fifo_depth, ops, window):
    ran = run_tb(vectors, fifo_depth, ops, window, f"irqsrc-{name}")
    assert ran == len(cosim.cocotb_tests("tb_irqsrc"))     # every test of the testbench


def test_ports():
    s = InterruptSource(vectors=5)
    assert s.fifo_depth == 16
    assert len(s.irq) == 5 and len(s.cycle) == 64 and len(s.bus.dat_r) == 32
    assert s.addr_width == 9 and len(s.bus.adr) == 9 and len(s.bus.sel) == 4
    assert (1 << s.addr_width) * 4 > 0x40C


@pytest.mark.parametrize("depth", [1, 5, 256])
def test_fifo_depths_elaborate(depth):
    """The extreme and non-power-of-two depths build (depth 1: zero-width pointers)."""
    text = cosim.verilog_text(InterruptSource(vectors=1, fifo_depth=depth), "irqsrc")
    assert "module irqsrc" in text


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(vectors=0), ValueError, "vectors must be between 1 and 32, not 0"),
    (dict(vectors=33), ValueError, "vectors must be between 1 and 32, not 33"),
    (dict(vectors=2.0), TypeError, "vectors must be an integer"),
    (dict(vectors=True), TypeError, "vectors must be an integer"),
    (dict(fifo_depth=0), ValueError,
     r"fifo_depth must be between 1 and 256 \(events held per vector\), not 0"),
    (dict(fifo_depth=257), ValueError,
     r"fifo_depth must be between 1 and 256 \(events held per vector\), not 257"),
    (dict(fifo_depth=4.0), TypeError, "fifo_depth must be an integer"),
    (dict(fifo_depth=False), TypeError, "fifo_depth must be an integer"),
])
def test_bad_parameters(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        InterruptSource(**kwargs)
