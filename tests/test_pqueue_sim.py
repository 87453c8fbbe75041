"""cocotb/Verilator tests of the priority queue, driving the generated Verilog.

Each configuration runs the directed tests and a >= 100k-operation random
differential test (sim/tb_pqueue.py) against the reference model (sim/pq_model.py).
"""

import pytest
from amaranth.hdl import *
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from atsintc.tools import cosim
from atsintc.gateware.pqueue import PriorityQueue, entry_layout

# (depth, priorities, width, random operations)
CONFIGS = [
    (1, 1, 8, 20_000),         # depth 1, a single level
    (5, 3, 12, 100_000),       # odd, non-power-of-two depth
    (16, 8, 32, 100_000),
    (64, 8, 32, 100_000),      # the controller's default ready-queue size
]


def run_bench(dut, depth, prios, width, ops, name, testcase=None, seed=1):
    v = cosim.verilog_text(dut, "pqueue")
    return cosim.run({"pqueue.v": v}, "pqueue", "tb_pqueue", name=name, testcase=testcase,
                     env=dict(PQ_DEPTH=depth, PQ_PRIOS=prios, PQ_WIDTH=width,
                              PQ_OPS=ops, PQ_SEED=seed))


@pytest.mark.parametrize("depth,prios,width,ops", CONFIGS,
                         ids=[f"d{d}-p{p}-w{w}" for d, p, w, _ in CONFIGS])
def test_pqueue(depth, prios, width, ops):
    n = run_bench(PriorityQueue(depth=depth, priorities=prios, width=width),
                  depth, prios, width, ops, name=f"pq-d{depth}-p{prios}-w{width}")
    assert n == 5


class _FifoMutant(wiring.Component):
    """Same ports as PriorityQueue but ignores priorities (a plain FIFO). Used to show
    that the testbench fails on a queue that is not a priority queue."""

    def __init__(self, depth, priorities, width):
        self.depth = depth
        layout = entry_layout(priorities, width)
        super().__init__({
            "enq": In(stream.Signature(layout)), "deq": Out(stream.Signature(layout)),
            "count": Out(range(depth + 1)), "empty": Out(1), "full": Out(1),
        })
        self._layout = layout

    def elaborate(self, platform):
        m = Module()
        mem = Array(Signal(self._layout, name=f"m{i}") for i in range(self.depth))
        rd = Signal(range(self.depth))
        wr = Signal(range(self.depth))
        enq = self.enq.valid & self.enq.ready
        deq = self.deq.valid & self.deq.ready
        m.d.comb += [self.empty.eq(self.count == 0), self.full.eq(self.count == self.depth),
                     self.enq.ready.eq(~self.full | self.deq.ready),
                     self.deq.valid.eq(~self.empty), self.deq.payload.eq(mem[rd])]
        with m.If(enq):
            m.d.sync += [mem[wr].eq(self.enq.payload),
                         wr.eq(Mux(wr == self.depth - 1, 0, wr + 1))]
        with m.If(deq):
            m.d.sync += rd.eq(Mux(rd == self.depth - 1, 0, rd + 1))
        m.d.sync += self.count.eq(self.count + enq - deq)
        return m


def test_bench_catches_a_fifo():
    with pytest.raises(cosim.SimFailure, match="failed"):
        run_bench(_FifoMutant(8, 4, 8), 8, 4, 8, 2000, name="pq-mutant-fifo",
                  testcase="test_random")
