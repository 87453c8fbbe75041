"""Fast checks with Amaranth's own simulator: parameter validation and a short
random comparison with the reference model (the Verilator tests are the big ones)."""

import random

import pytest
from amaranth.sim import Simulator

from atsintc.gateware.pqueue import PriorityQueue
from atsintc.sim.pq_model import PQModel


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(depth=0), ValueError, "depth must be between 1 and 4096"),
    (dict(depth=5000), ValueError, "depth must be between 1 and 4096"),
    (dict(depth=2.5), TypeError, "depth must be an integer"),
    (dict(priorities=0), ValueError, "priorities must be between 1 and 256"),
    (dict(priorities=True), TypeError, "priorities must be an integer"),
    (dict(width=0), ValueError, "width must be between 1 and 1024"),
])
def test_bad_parameters(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        PriorityQueue(**kwargs)


def test_cells():
    assert PriorityQueue(depth=1).cells == 1
    assert PriorityQueue(depth=7).cells == 4
    assert PriorityQueue(depth=64).cells == 32


@pytest.mark.parametrize("depth,prios", [(1, 1), (2, 2), (3, 8), (6, 3)])
def test_amaranth_sim_against_model(depth, prios):
    dut = PriorityQueue(depth=depth, priorities=prios, width=8)
    model = PQModel(depth)

    async def bench(ctx):
        rnd = random.Random(depth * 31 + prios)
        data = 0
        for cycle in range(1500):
            ev, dr = rnd.random() < 0.6, rnd.random() < 0.5
            pr = rnd.randrange(prios)
            ctx.set(dut.enq.valid, ev)
            ctx.set(dut.enq.payload.prio, pr)
            ctx.set(dut.enq.payload.data, data)
            ctx.set(dut.deq.ready, dr)
            head = model.head()
            assert ctx.get(dut.deq.valid) == (head is not None), cycle
            if head is not None:
                assert (ctx.get(dut.deq.payload.prio), ctx.get(dut.deq.payload.data)) == head
            assert ctx.get(dut.count) == model.count
            assert ctx.get(dut.enq.ready) == model.enq_ready(dr)
            assert not ctx.get(dut.overflow)
            accepted, _ = model.step(ev, pr, data, dr)
            data = (data + accepted) & 0xff
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
