"""cocotb testbench of the controller with several bus ports (``Params.ports`` > 1).

One Wishbone master per port (``wb0_*``, ``wb1_*``, ...; sim/wishbone.py), all running
at once. The ports' accesses are applied one after the other (PortArbiter), so an
access's effects are those of the reference model applied in the order the accesses
complete: every access updates the model when it returns (the masters' completion
edges are at least 2 cycles apart) and every read is compared with the model's value.

Parameters come from ATSINTC_PARAMS (JSON of Params fields); ATSINTC_OPS sets the
number of random accesses per port; ATSINTC_SEED the seed.
"""

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import Combine, FallingEdge, RisingEdge

from atsintc.regmap import Params, RegisterMap, task_word
from .atsintc_model import ATSIntcModel
from .wishbone import WishboneMaster

PARAMS = Params(**json.loads(os.environ.get("ATSINTC_PARAMS", '{"ports": 2}')))
OPS = int(os.environ.get("ATSINTC_OPS", "5000"))
SEED = int(os.environ.get("ATSINTC_SEED", "1"))
MAP = RegisterMap(PARAMS)
N = PARAMS.ports
# an access is decided in the cycle after its grant and acknowledged in the next; each
# other port may be served first (2 cycles each): the synchronous master counts one
# more cycle (the completion edge)
MAX_CYCLES = 3 + 2 * (N - 1) + 1


def K(name, i=0):
    return MAP.address("KERNEL", name, i)


def PR(p, name, i=0):
    return MAP.address("PROCESS", name, i, process=p)


class Env:
    def __init__(self, dut):
        self.dut = dut
        self.ports = [WishboneMaster(dut, f"wb{i}_") for i in range(N)]
        self.model = ATSIntcModel(PARAMS)
        self.max_cycles = 0
        self.served = [0] * N

    async def start(self):
        d = self.dut
        Clock(d.clk, 10, unit="ns").start()
        for i, b in enumerate(self.ports):
            b.start(monitor=True)
            b.reset_outputs()
        d.irq_in.value = 0
        d.rst.value = 1
        for _ in range(2):
            await RisingEdge(d.clk)
        d.rst.value = 0
        await FallingEdge(d.clk)

    async def read(self, port, offset, *, wait=False):
        data, n = await self.ports[port].access(offset, False)
        if not wait:
            self.max_cycles = max(self.max_cycles, n)
        want = self.model.read(offset)
        assert data == want, (f"port {port} read {offset:#x}: got {data:#x}, "
                              f"model {want:#x}")
        self.served[port] += 1
        return data

    async def write(self, port, offset, value):
        _, n = await self.ports[port].access(offset, True, value)
        self.max_cycles = max(self.max_cycles, n)
        self.model.write(offset, value)
        self.served[port] += 1

    async def check_errors(self):
        for p in range(PARAMS.processes):
            await self.read(0, PR(p, "ERROR"))
        await self.read(0, K("ERROR"))


async def env(dut):
    e = Env(dut)
    await e.start()
    return e


def task(n, prio):
    """Task word n (distinct for n < 2**20) at priority prio."""
    return task_word(0x100000 + 16 * n, prio % PARAMS.priorities, params=PARAMS)


@cocotb.test()
async def test_config_and_hart_procs(dut):
    e = await env(dut)
    await e.read(0, K("CONFIG2"))
    assert (e.model.read(K("CONFIG2")) >> 24) == N
    for h in range(N):
        await e.read(h, K("HART_PROCS", h))        # reset: every process
        await e.write(h, K("HART_PROCS", h), 1 << (h % PARAMS.processes))
        await e.read((h + 1) % N, K("HART_PROCS", h))
    await e.check_errors()


@cocotb.test()
async def test_simultaneous_dequeues_never_return_one_task_twice(dut):
    """Tasks enqueued, then every port dequeues the same queue in the same cycle,
    repeatedly: each task comes out once, in priority/FIFO order across the ports."""
    e = await env(dut)
    rnd = random.Random(SEED)
    room = PARAMS.pool if PARAMS.queue == "pool" else PARAMS.ready_depth
    words = [task(i, rnd.randrange(PARAMS.priorities)) for i in range(min(4 * N, room))]
    for w in words:
        await e.write(0, PR(0, "ENQUEUE"), w)
    got = []

    async def deq(port):
        got.append(await e.read(port, PR(0, "DEQUEUE")))
    for _ in range(len(words) // N + 1):
        await Combine(*(cocotb.start_soon(deq(i)) for i in range(N)))
    out = [w for w in got if w]
    assert sorted(out) == sorted(words) and len(set(out)) == len(words), got
    assert got[-N:] == [0] * N                  # then the queue is empty for everyone
    await e.check_errors()


@cocotb.test(skip=PARAMS.processes < 2)
async def test_dequeue_wait_does_not_stall_other_ports(dut):
    """A DEQUEUE_WAIT held on port 0 while the other ports make accesses at full rate:
    each is served within the documented latency; an ENQUEUE from port 1 then ends the
    wait with that task."""
    e = await env(dut)
    await e.write(0, PR(1, "WAIT_TIMEOUT"), 0xFFFF)
    waiter = cocotb.start_soon(e.ports[0].access(PR(1, "DEQUEUE_WAIT"), False))
    for _ in range(20):
        for port in range(1, N):
            await e.write(port, PR(0, "ENQUEUE"), task(1, 0))
            await e.read(port, PR(0, "DEQUEUE"))
    assert not waiter.done()
    assert e.max_cycles <= MAX_CYCLES, e.max_cycles
    w = task(99, 1)
    await e.write(N - 1, PR(1, "ENQUEUE"), w)
    data, n = await waiter
    assert data == w == e.model.read(PR(1, "DEQUEUE"))
    await e.check_errors()


@cocotb.test()
async def test_random_ports(dut):
    """Every port runs ATSINTC_OPS random accesses (enqueue, dequeue, a short
    DEQUEUE_WAIT, counts, SEND/RECV, CAP/QUOTA and HART_PROCS writes) at once, with
    0..2 idle cycles between them; every read is compared with the model, each task
    enqueued comes out once (checked at the end by draining), and no access outside
    a DEQUEUE_WAIT takes longer than the documented latency."""
    e = await env(dut)
    P, CH = PARAMS.processes, PARAMS.channels
    for p in range(P):
        await e.write(0, K("CAP", p), (1 << P) - 1)
        await e.write(0, PR(p, "WAIT_TIMEOUT"), 30)
    enq, deq = [], []
    ids = iter(range(1, 1 << 20))

    async def run(port):
        rnd = random.Random(SEED * 100 + port)
        for _ in range(OPS):
            p = rnd.randrange(P)
            r = rnd.random()
            if r < 0.30:
                w = task(next(ids), rnd.randrange(PARAMS.priorities))
                await e.write(port, PR(p, "ENQUEUE"), w)
                # (the model was updated when the access returned, before any other
                # port's access: the task is there unless it was refused)
                if any(x[2] == w for x in e.model.ready[p]):
                    enq.append(w)
            elif r < 0.55:
                deq.append(await e.read(port, PR(p, "DEQUEUE")))
            elif r < 0.62:
                deq.append(await e.read(port, PR(p, "DEQUEUE_WAIT"), wait=True))
            elif r < 0.70:
                await e.read(port, rnd.choice([PR(p, "READY_COUNT"), K("USAGE", p),
                                               K("READY_SUMMARY"), K("READY_INFO", p)]))
            elif r < 0.80:
                await e.write(port, PR(p, "SEND", rnd.randrange(P * CH)),
                              rnd.getrandbits(PARAMS.xlen) | 1)
            elif r < 0.90:
                await e.read(port, PR(p, "RECV", rnd.randrange(CH)))
            elif r < 0.95:
                await e.write(port, K("HART_PROCS", rnd.randrange(N)), rnd.getrandbits(P))
                await e.read(port, K("HART_PROCS", rnd.randrange(N)))
            else:
                await e.write(port, K("QUOTA", p), rnd.choice([rnd.randrange(8), 0xFFFF]))
            for _ in range(rnd.choice([0, 0, 1, 2])):
                await FallingEdge(dut.clk)

    await Combine(*(cocotb.start_soon(run(i)) for i in range(N)))
    for p in range(P):
        await e.write(0, K("QUOTA", p), 0xFFFF)
        while True:
            w = await e.read(0, PR(p, "DEQUEUE"))
            if not w:
                break
            deq.append(w)
    out = [w for w in deq if w]
    assert sorted(out) == sorted(enq), "a task was lost or came out twice"
    dut._log.info(f"random ports: {sum(e.served)} accesses ({e.served} per port), "
                  f"{len(enq)} tasks through the queues; max {e.max_cycles} cycles per "
                  f"access (limit {MAX_CYCLES})")
    assert e.max_cycles <= MAX_CYCLES, e.max_cycles


@cocotb.test()
async def test_hart_irq(dut):
    """hart_irq[h] is high while irq_out[p] is high for a process p in HART_PROCS[h]."""
    e = await env(dut)
    P = PARAMS.processes
    for h in range(N):
        await e.write(h, K("HART_PROCS", h), 1 << (h % P))
    for p in range(P):
        await e.write(0, PR(p, "IRQ_ENABLE"), 1)
    for p in range(P):
        await e.write(p % N, PR(p, "ENQUEUE"), task(p, 0))
        await FallingEdge(dut.clk)
        got = int(dut.hart_irq.value)
        want = sum(e.model.hart_irq(h) << h for h in range(N))
        assert got == want, (p, got, want)
    for p in range(P):
        await e.read(0, PR(p, "DEQUEUE"))
        await FallingEdge(dut.clk)
        assert int(dut.hart_irq.value) == sum(e.model.hart_irq(h) << h for h in range(N))
    await e.check_errors()


@cocotb.test(skip=PARAMS.processes < 2 or PARAMS.vectors < 2)
async def test_waits_on_different_processes_both_complete(dut):
    """Port 0 waits on process 0 and port 1 on process 1, each for a task blocked on a
    vector; the interrupts come in the order that would leave the holding wait blocking
    the other one: each wait still completes with its task within a few cycles."""
    e = await env(dut)
    for p in (0, 1):
        await e.write(0, K("VEC_CFG", p), p)
        await e.write(0, PR(p, "WAIT_TIMEOUT"), 0xFFFF)
        await e.write(0, PR(p, "BLOCK", p), task(50 + p, 0))
    w0 = cocotb.start_soon(e.ports[0].access(PR(0, "DEQUEUE_WAIT"), False))
    for _ in range(4):
        await FallingEdge(dut.clk)
    w1 = cocotb.start_soon(e.ports[1].access(PR(1, "DEQUEUE_WAIT"), False))
    for _ in range(10):
        await FallingEdge(dut.clk)
    assert not w0.done() and not w1.done()
    # port 1 holds its wait now; the task for port 0's process arrives first
    for v, waiter in ((0, w0), (1, w1)):
        dut.irq_in.value = 1 << v
        await FallingEdge(dut.clk)
        dut.irq_in.value = 0
        for n in range(12):
            await FallingEdge(dut.clk)
            if waiter.done():
                break
        assert waiter.done(), f"the wait for vector {v}'s task did not complete"
        data, _ = await waiter
        assert data == task(50 + v, 0), hex(data)
        dut._log.info(f"vector {v}: the waiting port got its task {n + 1} cycles after "
                      "the edge")
