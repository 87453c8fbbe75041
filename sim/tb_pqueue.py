"""cocotb testbench of the systolic priority queue (Verilog from atsintc.gateware.pqueue).

Configuration comes from the environment (set by tests/test_pqueue_sim.py and by
`atsintc bench pq`): PQ_DEPTH, PQ_PRIOS, PQ_WIDTH, PQ_OPS, PQ_SEED.

Structure (after Glasgow's gateware tests): a `Harness` owns the clock and drives the
ports once per cycle; every cycle it compares *every* output (deq.valid, deq.payload,
enq.ready, count, empty, full) with the reference model `pq_model.PQModel`, and then
advances the model with the same inputs. Directed tests and the random test only
choose the inputs.
"""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from .pq_model import PQModel

DEPTH = int(os.environ.get("PQ_DEPTH", "8"))
PRIOS = int(os.environ.get("PQ_PRIOS", "8"))
WIDTH = int(os.environ.get("PQ_WIDTH", "16"))
OPS = int(os.environ.get("PQ_OPS", "100000"))
SEED = int(os.environ.get("PQ_SEED", "1"))
DMASK = (1 << WIDTH) - 1


class Harness:
    def __init__(self, dut):
        self.dut = dut
        self.model = PQModel(DEPTH)
        self.cycle = 0
        self.enqueued = 0
        self.dequeued = 0
        self.next_data = 0

    async def start(self):
        d = self.dut
        Clock(d.clk, 10, unit="ns").start()
        d.rst.value = 1
        d.enq__valid.value = 0
        d.deq__ready.value = 0
        d.enq__payload.value = 0
        for _ in range(2):
            await RisingEdge(d.clk)
        d.rst.value = 0
        await FallingEdge(d.clk)

    def fresh_data(self):
        v = self.next_data
        self.next_data = (self.next_data + 1) & DMASK
        return v

    async def cycle_(self, enq=None, deq=False):
        """One clock cycle. `enq` is (prio, data) or None. Called on a falling edge;
        returns on the next falling edge. Returns (accepted, dequeued)."""
        d, m = self.dut, self.model
        if enq is not None:
            prio, data = enq
            d.enq__valid.value = 1
            d.enq__payload.value = (prio << WIDTH) | data
        else:
            d.enq__valid.value = 0
        d.deq__ready.value = int(bool(deq))
        await ReadOnly()
        self.check(deq)
        got_head = (int(d.deq__payload.value) >> WIDTH, int(d.deq__payload.value) & DMASK) \
            if int(d.deq__valid.value) else None
        await RisingEdge(d.clk)
        accepted, out = m.step(enq is not None, *(enq or (0, 0)), deq)
        if out is not None:
            assert got_head == out
            self.dequeued += 1
        if accepted:
            self.enqueued += 1
        self.cycle += 1
        await FallingEdge(d.clk)
        return accepted, out

    def check(self, deq_ready):
        d, m = self.dut, self.model
        where = f"cycle {self.cycle}"
        head = m.head()
        valid = int(d.deq__valid.value)
        assert valid == (head is not None), f"{where}: deq.valid={valid}, model head {head}"
        if head is not None:
            pl = int(d.deq__payload.value)
            got = (pl >> WIDTH, pl & DMASK)
            assert got == head, f"{where}: head {got}, model {head} (model queue {m.items})"
        assert int(d.count.value) == m.count, f"{where}: count {int(d.count.value)} != {m.count}"
        assert int(d.empty.value) == m.empty, f"{where}: empty"
        assert int(d.full.value) == m.full, f"{where}: full"
        assert int(d.enq__ready.value) == m.enq_ready(deq_ready), f"{where}: enq.ready"


async def harness(dut):
    h = Harness(dut)
    await h.start()
    return h


@cocotb.test()
async def test_empty(dut):
    """Empty queue: no valid head, a dequeue request is refused, enqueue is ready."""
    h = await harness(dut)
    for _ in range(3):
        acc, out = await h.cycle_(deq=True)
        assert out is None and int(dut.count.value) == 0
    # same-cycle enqueue + dequeue on empty: the enqueue goes in, nothing comes out,
    # and the entry is at the head on the next cycle
    acc, out = await h.cycle_(enq=(0, h.fresh_data()), deq=True)
    assert acc and out is None
    assert int(dut.deq__valid.value) == 1
    acc, out = await h.cycle_(deq=True)
    assert out is not None and h.model.empty


@cocotb.test()
async def test_full(dut):
    """Full queue refuses an enqueue (ready low) and keeps everything; an enqueue with
    a same-cycle dequeue is accepted at full."""
    h = await harness(dut)
    rnd = random.Random(SEED)
    for _ in range(DEPTH):
        acc, _ = await h.cycle_(enq=(rnd.randrange(PRIOS), h.fresh_data()))
        assert acc
    assert int(dut.full.value) == 1
    for _ in range(4):
        acc, _ = await h.cycle_(enq=(0, h.fresh_data()))
        assert not acc, "enqueue accepted while full"
        assert int(dut.count.value) == DEPTH
    for _ in range(3 * DEPTH):           # sustained enq+deq at full
        acc, out = await h.cycle_(enq=(rnd.randrange(PRIOS), h.fresh_data()), deq=True)
        assert acc and out is not None
        assert int(dut.full.value) == 1
    while not h.model.empty:            # everything accepted comes back out, in order
        _, out = await h.cycle_(deq=True)
        assert out is not None
    assert h.enqueued == h.dequeued


@cocotb.test()
async def test_equal_priorities_fifo(dut):
    """Within one priority strictly FIFO, including back-to-back and same-cycle ops."""
    h = await harness(dut)
    p = PRIOS - 1
    order = []
    for _ in range(DEPTH):
        v = h.fresh_data()
        order.append(v)
        await h.cycle_(enq=(p, v))
    got = []
    for i in range(4 * DEPTH):                 # enq+deq every cycle
        v = h.fresh_data()
        order.append(v)
        _, out = await h.cycle_(enq=(p, v), deq=True)
        got.append(out[1])
    while not h.model.empty:
        _, out = await h.cycle_(deq=True)
        got.append(out[1])
    assert got == order


@cocotb.test()
async def test_all_levels(dut):
    """Entries enqueued worst-first come out best-first, for every level."""
    h = await harness(dut)
    n = min(DEPTH, PRIOS)
    levels = list(range(PRIOS))[-n:][::-1] if n < PRIOS else list(range(PRIOS))[::-1]
    for p in levels[:n]:
        await h.cycle_(enq=(p, h.fresh_data()))
    outs = []
    while not h.model.empty:
        _, out = await h.cycle_(deq=True)
        outs.append(out[0])
    assert outs == sorted(levels[:n])
    # a new best entry overtakes a waiting head within one cycle
    if PRIOS > 1 and DEPTH > 1:
        await h.cycle_(enq=(PRIOS - 1, h.fresh_data()))
        await h.cycle_(enq=(0, h.fresh_data()))
        assert (int(dut.deq__payload.value) >> WIDTH) == 0


@cocotb.test()
async def test_random(dut):
    """Constrained-random differential test against the model, every output every
    cycle, for at least PQ_OPS accepted operations. Phases bias towards filling,
    draining, full-rate enq+deq and mixed traffic."""
    h = await harness(dut)
    rnd = random.Random(SEED)
    phases = [(0.9, 0.2), (0.2, 0.9), (1.0, 1.0), (0.6, 0.6), (1.0, 0.0), (0.0, 1.0)]
    pe, pd = phases[0]
    while h.enqueued + h.dequeued < OPS:
        if rnd.random() < 0.02:
            pe, pd = rnd.choice(phases)
        enq = None
        if rnd.random() < pe:
            r = rnd.random()
            prio = 0 if r < 0.15 else (PRIOS - 1 if r < 0.3 else rnd.randrange(PRIOS))
            enq = (prio, h.fresh_data())
        await h.cycle_(enq=enq, deq=rnd.random() < pd)
    dut._log.info(f"random: {h.cycle} cycles, {h.enqueued} enqueues, {h.dequeued} dequeues")
