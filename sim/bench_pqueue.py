"""cocotb benchmark of the priority queue: throughput and latency measured on the
Verilog model, cycle by cycle. Run through `atsintc bench pq`, which sets
PQ_DEPTH/PQ_PRIOS/PQ_WIDTH and BENCH_JSON (where the figures are written).

Every figure is counted from what the ports did in simulation: accepted transfers
(valid & ready at a rising edge) divided by cycles, and cycle distances between a
request and its effect on the ports.
"""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

DEPTH = int(os.environ["PQ_DEPTH"])
PRIOS = int(os.environ["PQ_PRIOS"])
WIDTH = int(os.environ["PQ_WIDTH"])
OUT = os.environ["BENCH_JSON"]


class Ports:
    def __init__(self, dut):
        self.dut = dut
        self.enq_xfers = self.deq_xfers = self.cycles = 0

    async def cycle(self, enq=None, deq=False):
        """Drive for one cycle (from a falling edge to the next); count transfers."""
        d = self.dut
        d.enq__valid.value = int(enq is not None)
        if enq is not None:
            d.enq__payload.value = (enq[0] << WIDTH) | (enq[1] & ((1 << WIDTH) - 1))
        d.deq__ready.value = int(deq)
        await ReadOnly()
        e = int(d.enq__valid.value) and int(d.enq__ready.value)
        q = int(d.deq__valid.value) and int(d.deq__ready.value)
        head = int(d.deq__payload.value) if int(d.deq__valid.value) else None
        await RisingEdge(d.clk)
        self.enq_xfers += e
        self.deq_xfers += q
        self.cycles += 1
        await FallingEdge(d.clk)
        return e, q, head

    def window(self):
        c = (self.enq_xfers, self.deq_xfers, self.cycles)
        self.enq_xfers = self.deq_xfers = self.cycles = 0
        return c


@cocotb.test()
async def bench(dut):
    Clock(dut.clk, 10, unit="ns").start()
    dut.rst.value = 1
    dut.enq__valid.value = 0
    dut.deq__ready.value = 0
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    await FallingEdge(dut.clk)
    p = Ports(dut)
    res = {}

    # 1. enqueue-only from empty until full: enqueues accepted per cycle
    p.window()
    for i in range(DEPTH):
        await p.cycle(enq=((i * 5) % PRIOS, i))
    e, _, c = p.window()
    res["enqueue_only_per_cycle"] = e / c
    # 2. dequeue-only from full until empty
    for _ in range(DEPTH):
        await p.cycle(deq=True)
    _, q, c = p.window()
    res["dequeue_only_per_cycle"] = q / c
    # 3. mixed: half full, then one enqueue and one dequeue offered every cycle
    for i in range(DEPTH // 2):
        await p.cycle(enq=(i % PRIOS, i))
    p.window()
    n = 4000
    for i in range(n):
        await p.cycle(enq=((i * 3) % PRIOS, i), deq=True)
    e, q, c = p.window()
    res["mixed_enqueue_per_cycle"] = e / c
    res["mixed_dequeue_per_cycle"] = q / c
    res["mixed_ops_per_cycle"] = (e + q) / c
    while int(dut.count.value):
        await p.cycle(deq=True)
    # 4. dequeue latency: cycles from asserting deq.ready to the entry transferring
    #    (counted inclusively: 1 = the entry comes with the request's own cycle)
    await p.cycle(enq=(PRIOS - 1, 0xAB))
    lat = 0
    while True:
        lat += 1
        _, q, head = await p.cycle(deq=True)
        if q:
            break
    res["dequeue_latency_cycles"] = lat
    # 5. enqueue -> head: a new best entry is offered while a worse one waits; cycles
    #    until it is the entry on deq.payload
    await p.cycle(enq=(PRIOS - 1, 1))
    await p.cycle(enq=(PRIOS - 1, 2))
    marker = (0, 0x5A)
    await p.cycle(enq=marker)
    lat = 1
    while True:
        _, _, head = await p.cycle()
        if head == ((marker[0] << WIDTH) | marker[1]):
            break
        lat += 1
        assert lat < 10 * DEPTH
    res["enqueue_to_head_cycles"] = lat
    # 6. back-to-back dequeues: after a dequeue, is the next head valid on the very next
    #    cycle? (fraction over a full drain of a full queue)
    while int(dut.count.value):
        await p.cycle(deq=True)
    for i in range(DEPTH):
        await p.cycle(enq=(i % PRIOS, i))
    ok = 0
    for _ in range(DEPTH):
        _, q, _ = await p.cycle(deq=True)
        ok += q
    res["back_to_back_dequeue_fraction"] = ok / DEPTH
    with open(OUT, "w") as f:
        json.dump(res, f, indent=2)
