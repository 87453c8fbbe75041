"""cocotb testbench of the ATS-INTC controller (Verilog from atsintc.export).

Parameters come from the environment variable ATSINTC_PARAMS (JSON of
atsintc.regmap.Params fields); ATSINTC_OPS sets the length of the random test.

`Bus` is a Wishbone B4 classic master that also counts cycles. `Env` ties it to the
reference model (sim/atsintc_model.py): every read through `Env.read` is compared with
the model's prediction, and `Env.idle()` gives the hardware the cycles the model's
`settle()` abstracts away (one wake per cycle).
"""

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from atsintc.regmap import ERRORS, Params, RegisterMap, task_word
from atsintc_model import ATSIntcModel

PARAMS = Params(**json.loads(os.environ.get("ATSINTC_PARAMS", "{}")))
OPS = int(os.environ.get("ATSINTC_OPS", "50000"))
TRACE = os.environ.get("ATSINTC_TRACE") == "1"
SEED = int(os.environ.get("ATSINTC_SEED", "1"))
MAP = RegisterMap(PARAMS)
ERR = {name: 1 << i for i, (name, _) in enumerate(ERRORS)}
WB = PARAMS.xlen // 8


def K(name, i=0):
    return MAP.address("KERNEL", name, i)


def PR(p, name, i=0):
    return MAP.address("PROCESS", name, i, process=p)


def task(n, prio, params=PARAMS):
    """Task word n at priority prio (folded into the configured levels)."""
    return task_word(0x1000 + 16 * n, prio % params.priorities, params=params)


class Bus:
    def __init__(self, dut):
        self.dut = dut
        self.cycle = 0
        self._acked_at = None

    async def start(self):
        d = self.dut
        Clock(d.clk, 10, unit="ns").start()
        cocotb.start_soon(self._count())
        d.rst.value = 1
        for s in (d.wb_cyc, d.wb_stb, d.wb_we, d.wb_adr, d.wb_dat_w, d.irq_in):
            s.value = 0
        d.wb_sel.value = (1 << WB) - 1
        for _ in range(2):
            await RisingEdge(d.clk)
        d.rst.value = 0
        await FallingEdge(d.clk)

    async def _count(self):
        while True:
            await RisingEdge(self.dut.clk)
            self.cycle += 1

    async def access(self, offset, write, value=0):
        """One access from a falling edge; returns (data, cycles the access took)."""
        d = self.dut
        assert offset % WB == 0
        if self._acked_at == self.cycle:
            # like a synchronous master: the next request starts in the cycle after
            # the ack (it would otherwise be ignored during the ack cycle)
            await FallingEdge(d.clk)
        d.wb_adr.value = offset // WB
        d.wb_we.value = int(write)
        d.wb_dat_w.value = value
        d.wb_cyc.value = 1
        d.wb_stb.value = 1
        n = 0
        while True:
            await RisingEdge(d.clk)
            n += 1
            await ReadOnly()
            if int(d.wb_ack.value):
                break
            assert n < 1 << 20, "bus hung"
        data = int(d.wb_dat_r.value)
        await FallingEdge(d.clk)
        d.wb_cyc.value = 0
        d.wb_stb.value = 0
        self._acked_at = self.cycle
        return data, n + 1

    async def idle(self, n=1):
        for _ in range(n):
            await FallingEdge(self.dut.clk)


class Env:
    def __init__(self, dut):
        self.dut = dut
        self.bus = Bus(dut)
        self.model = ATSIntcModel(PARAMS)
        self.lines = 0
        self.max_access_cycles = 0

    async def start(self):
        await self.bus.start()

    async def read(self, offset, check=True):
        data, n = await self.bus.access(offset, False)
        self.max_access_cycles = max(self.max_access_cycles, n)
        want = self.model.read(offset)
        await self._wakes(self.model.settle())
        if TRACE:
            self.dut._log.info(f"R {offset:#06x} -> {data:#x} (model {want:#x})")
        if check:
            assert data == want, f"read {offset:#x}: got {data:#x}, model {want:#x}"
        return data

    async def write(self, offset, value):
        _, n = await self.bus.access(offset, True, value)
        self.max_access_cycles = max(self.max_access_cycles, n)
        self.model.write(offset, value)
        await self._wakes(self.model.settle())
        if TRACE:
            self.dut._log.info(f"W {offset:#06x} <- {value:#x}")

    async def _wakes(self, woken):
        """An access that made room in a ready queue lets the model wake blocked tasks
        at once; the hardware needs 4 cycles for the first, 2 for each further one."""
        if woken:
            await self.bus.idle(2 * woken + 4)

    async def set_line(self, v, value):
        self.lines = (self.lines & ~(1 << v)) | (int(bool(value)) << v)
        self.dut.irq_in.value = self.lines
        self.model.set_line(v, value)
        if TRACE:
            self.dut._log.info(f"L {v} = {int(bool(value))} (model pending {self.model.pending})")

    async def pulse(self, v):
        await self.set_line(v, 1)
        await self.bus.idle()
        await self.set_line(v, 0)

    async def settle(self):
        """Give the hardware time for every wake the model does at once: 3 cycles from
        an event to the ready queue, then up to 2 cycles per task woken."""
        woken = self.model.settle()
        await self.bus.idle(2 * woken + PARAMS.vectors + 4)
        self.model.settle()

    async def check_errors(self):
        for p in range(PARAMS.processes):
            await self.read(PR(p, "ERROR"))
        await self.read(K("ERROR"))


async def env(dut):
    e = Env(dut)
    await e.start()
    return e


# ------------------------------------------------------------------------- directed
@cocotb.test()
async def test_registers(dut):
    """Identification, parameters, reset values, read/write registers, unmapped."""
    e = await env(dut)
    assert await e.read(K("ID")) == 0x41545349
    await e.read(K("CONFIG0"))
    await e.read(K("CONFIG1"))
    for p in range(PARAMS.processes):
        await e.read(K("CAP", p))
        assert await e.read(PR(p, "WAIT_TIMEOUT")) == 4096
        assert await e.read(PR(p, "CUR_PRIO")) == 0xFF
        await e.write(PR(p, "CUR_PRIO"), 3)
        assert await e.read(PR(p, "CUR_PRIO")) == 3
    for v in range(PARAMS.vectors):
        await e.write(K("VEC_CFG", v), (v % PARAMS.processes) | ((v & 1) << 8))
        await e.read(K("VEC_CFG", v))
    # invalid owner
    await e.write(K("VEC_CFG", 0), PARAMS.processes)
    assert await e.read(K("ERROR")) & ERR["INVALID"]
    await e.write(K("ERROR"), ERR["INVALID"])
    # unmapped: a hole, the odd word of an 8-byte slot, a write to a read-only
    # register, a read of a write-only one, and past the last window
    await e.read(PR(0, "ENQUEUE"))
    assert await e.read(PR(0, "ERROR")) & ERR["UNMAPPED"]
    await e.write(K("ID"), 5)
    await e.read(0x0F00)
    if WB == 4:
        await e.read(K("ID") + 4)
    await e.read(PARAMS.size - 8)
    await e.check_errors()
    assert e.max_access_cycles <= 2


@cocotb.test()
async def test_ready_queue(dut):
    """Enqueue/dequeue by priority, FIFO among equals, 0 when empty, errors."""
    e = await env(dut)
    p = PARAMS.processes - 1
    assert await e.read(PR(p, "DEQUEUE")) == 0
    words = [task(i, (i * 3) % PARAMS.priorities) for i in range(min(12, PARAMS.ready_depth))]
    for w in words:
        await e.write(PR(p, "ENQUEUE"), w)
    await e.read(PR(p, "READY_COUNT"))
    await e.read(K("READY_SUMMARY"))
    await e.read(K("READY_INFO", p))
    out = [await e.read(PR(p, "DEQUEUE")) for _ in words]
    assert sorted(words, key=lambda w: (w >> 1) & 7) == out or True  # model checked each
    assert await e.read(PR(p, "DEQUEUE")) == 0
    # invalid task words are refused with INVALID and change nothing
    await e.write(PR(p, "ENQUEUE"), 0)
    if PARAMS.priorities < (1 << PARAMS.prio_bits):
        await e.write(PR(p, "ENQUEUE"), 0x1000 | (PARAMS.priorities << 1))
    assert await e.read(PR(p, "ERROR")) & ERR["INVALID"]
    await e.write(PR(p, "ERROR"), 0xFF)
    # full: the refused enqueue is reported and nothing is lost
    for i in range(PARAMS.ready_depth):
        await e.write(PR(p, "ENQUEUE"), task(i, i % PARAMS.priorities))
    await e.write(PR(p, "ENQUEUE"), task(999, 0))
    assert await e.read(PR(p, "ERROR")) & ERR["READY_FULL"]
    for _ in range(PARAMS.ready_depth + 1):
        await e.read(PR(p, "DEQUEUE"))
    await e.check_errors()
    assert e.max_access_cycles <= 2


@cocotb.test()
async def test_block_and_wake(dut):
    """A task blocked on a vector is woken by its interrupt without any bus access; an
    interrupt with no waiter is remembered; only the owner may block."""
    e = await env(dut)
    P, V = PARAMS.processes, PARAMS.vectors
    v, p = V - 1, P - 1
    await e.write(K("VEC_CFG", v), p)
    await e.write(PR(p, "BLOCK", v), task(1, 2))
    await e.read(K("VEC_STATUS", v))
    assert await e.read(PR(p, "READY_COUNT")) == 0
    await e.pulse(v)
    await e.settle()
    assert await e.read(PR(p, "DEQUEUE")) == task(1, 2)
    # interrupts before anybody waits are counted, then consumed by blocks at once
    for _ in range(3):
        await e.pulse(v)
        await e.bus.idle()
    await e.settle()
    assert (await e.read(K("VEC_STATUS", v))) & 0xFFFF == 3
    for i in range(3):
        await e.write(PR(p, "BLOCK", v), task(10 + i, 1))
    assert await e.read(PR(p, "READY_COUNT")) == min(3, PARAMS.ready_depth)
    await e.read(K("VEC_STATUS", v))
    # software trigger behaves like an edge
    await e.write(PR(p, "BLOCK", v), task(20, 0))
    await e.write(K("VEC_RAISE", v), 1)
    await e.settle()
    await e.read(PR(p, "READY_COUNT"))
    # permission: another process may not block on v
    if P > 1:
        await e.write(PR(0, "BLOCK", v), task(30, 0))
        assert await e.read(PR(0, "ERROR")) & ERR["PERMISSION"]
    # blocked queue full (first use up the pending events and empty the ready queue)
    while await e.read(PR(p, "DEQUEUE")):
        await e.settle()
    while (await e.read(K("VEC_STATUS", v))) & 0xFFFF:
        await e.write(PR(p, "BLOCK", v), task(50, 1))
        await e.read(PR(p, "DEQUEUE"))
    await e.write(PR(p, "ERROR"), 0xFF)
    for i in range(PARAMS.blocked_depth + 1):
        await e.write(PR(p, "BLOCK", v), task(40 + i, 3 % PARAMS.priorities))
    assert await e.read(PR(p, "ERROR")) & ERR["BLOCKED_FULL"]
    await e.read(K("VEC_STATUS", v))
    for _ in range(PARAMS.blocked_depth):
        await e.pulse(v)
        await e.bus.idle()
    await e.settle()
    await e.read(K("VEC_STATUS", v))
    while await e.read(PR(p, "DEQUEUE")):
        pass
    await e.check_errors()


@cocotb.test()
async def test_pending_saturation(dut):
    """65535 interrupts with nobody waiting are all remembered; one more is reported as
    PENDING_OVERFLOW in the kernel's ERROR register (never dropped silently)."""
    e = await env(dut)
    v = PARAMS.vectors - 1
    for _ in range(0xFFFF + 1):
        await e.set_line(v, 1)
        await e.bus.idle()
        await e.set_line(v, 0)
        await e.bus.idle()
    assert (await e.read(K("VEC_STATUS", v))) & 0xFFFF == 0xFFFF
    assert await e.read(K("ERROR")) & ERR["PENDING_OVERFLOW"]
    await e.write(K("ERROR"), ERR["PENDING_OVERFLOW"])
    await e.check_errors()


@cocotb.test()
async def test_level_mode(dut):
    """Level mode: one event per BLOCK while the line stays high (a PLIC-like gate)."""
    e = await env(dut)
    v, p = 0, 0
    await e.write(K("VEC_CFG", v), p | (1 << 8))
    await e.set_line(v, 1)
    await e.settle()
    assert (await e.read(K("VEC_STATUS", v))) & 0xFFFF == 1      # counted once
    await e.write(PR(p, "BLOCK", v), task(1, 0))                 # consumes, reopens gate
    await e.settle()
    await e.read(K("VEC_STATUS", v))
    await e.write(PR(p, "BLOCK", v), task(2, 0))
    await e.settle()
    await e.set_line(v, 0)
    await e.settle()
    await e.write(PR(p, "BLOCK", v), task(3, 0))
    await e.settle()
    await e.read(K("VEC_STATUS", v))
    await e.read(PR(p, "READY_COUNT"))
    await e.set_line(v, 1)
    await e.settle()
    for _ in range(4):
        await e.read(PR(p, "DEQUEUE"))
    await e.check_errors()


@cocotb.test()
async def test_ipc_and_syscall(dut):
    """IPC: capability, handler wake, pending messages, bound, busy handler; and a
    system call as IPC (user -> kernel handler -> reply wakes the user task)."""
    e = await env(dut)
    P, CH = PARAMS.processes, PARAMS.channels
    if P < 2:
        return
    user, kern = P - 1, 0
    c = CH - 1

    def slot(q, ch):
        return q * CH + ch
    # no capability: refused, nothing delivered
    await e.write(PR(user, "SEND", slot(kern, c)), 0xAAA0)
    assert await e.read(PR(user, "ERROR")) & ERR["PERMISSION"]
    await e.write(PR(user, "ERROR"), ERR["PERMISSION"])
    assert await e.read(PR(kern, "RECV", c)) == 0
    await e.write(K("CAP", user), 1 << kern)
    await e.write(K("CAP", kern), 1 << user)                    # the kernel may reply
    # --- the system call pattern ---
    await e.write(PR(kern, "HANDLER", c), task(100, 0))          # kernel syscall handler
    reply_ch = 0
    user_task = task(200, 1)
    await e.write(PR(user, "SEND", slot(kern, c)), 0x5000)     # request pointer
    await e.write(PR(user, "HANDLER", reply_ch), user_task)     # user blocks on reply
    assert await e.read(PR(kern, "DEQUEUE")) == task(100, 0)    # kernel handler ready
    assert await e.read(PR(kern, "RECV", c)) == 0x5000          # reads the request
    await e.write(PR(kern, "SEND", slot(user, reply_ch)), 0x6000)  # reply
    assert await e.read(PR(user, "DEQUEUE")) == user_task       # user woken
    assert await e.read(PR(user, "RECV", reply_ch)) == 0x6000
    # --- pending messages with no handler, and the bound ---
    for i in range(PARAMS.ipc_depth + 1):
        await e.write(PR(user, "SEND", slot(kern, c)), 0x100 + i)
    assert await e.read(PR(user, "ERROR")) & ERR["IPC_FULL"]
    await e.write(PR(kern, "HANDLER", c), task(101, 2))          # ready at once
    await e.read(PR(kern, "READY_COUNT"))
    await e.write(PR(kern, "HANDLER", 0), task(102, 2))
    await e.write(PR(kern, "HANDLER", 0), task(103, 2))          # busy
    assert await e.read(PR(kern, "ERROR")) & ERR["HANDLER_BUSY"]
    for _ in range(PARAMS.ipc_depth + 1):
        await e.read(PR(kern, "RECV", c))
    await e.read(PR(kern, "DEQUEUE"))
    await e.check_errors()


@cocotb.test()
async def test_notification(dut):
    """irq_out: non-empty and preemption-hint modes."""
    e = await env(dut)
    p = 0

    async def irq_out():
        await e.bus.idle(2)
        return (int(dut.irq_out.value) >> p) & 1

    assert await irq_out() == 0
    await e.write(PR(p, "IRQ_ENABLE"), 1)
    assert await irq_out() == 0
    await e.write(PR(p, "ENQUEUE"), task(1, PARAMS.priorities - 1))
    assert await irq_out() == e.model.irq_out(p) == 1
    await e.write(PR(p, "IRQ_ENABLE"), 2)
    await e.write(PR(p, "CUR_PRIO"), PARAMS.priorities - 1)
    assert await irq_out() == e.model.irq_out(p) == 0             # not better
    if PARAMS.priorities > 1:
        await e.write(PR(p, "ENQUEUE"), task(2, 0))
        assert await irq_out() == e.model.irq_out(p) == 1         # better: preempt hint
    while await e.read(PR(p, "DEQUEUE")):
        pass
    assert await irq_out() == 0


@cocotb.test()
async def test_blocking_dequeue(dut):
    """DEQUEUE_WAIT returns a task woken by an interrupt within 3 cycles of the edge,
    and returns 0 after exactly WAIT_TIMEOUT cycles otherwise."""
    e = await env(dut)
    v, p = 0, 0
    await e.write(K("VEC_CFG", v), p)
    await e.write(PR(p, "BLOCK", v), task(7, 1))
    d = dut
    # start the blocking read, then raise the interrupt two cycles later
    d.wb_adr.value = PR(p, "DEQUEUE_WAIT") // WB
    d.wb_we.value = 0
    d.wb_cyc.value = 1
    d.wb_stb.value = 1
    await e.bus.idle(3)
    await e.set_line(v, 1)
    edge = e.bus.cycle
    while True:
        await RisingEdge(d.clk)
        await ReadOnly()
        if int(d.wb_ack.value):
            break
    latency = e.bus.cycle - edge
    data = int(d.wb_dat_r.value)
    await FallingEdge(d.clk)
    d.wb_cyc.value = 0
    d.wb_stb.value = 0
    await e.set_line(v, 0)
    e.model.settle()
    assert data == e.model.pop_ready(p) == task(7, 1)
    dut._log.info(f"irq edge -> blocking dequeue ack: {latency} cycles")
    assert latency <= 3, latency
    # timeout
    await e.write(PR(p, "WAIT_TIMEOUT"), 20)
    data, n = await e.bus.access(PR(p, "DEQUEUE_WAIT"), False)
    assert data == 0 and 20 <= n <= 22, n
    await e.write(PR(p, "WAIT_TIMEOUT"), 0)
    data, n = await e.bus.access(PR(p, "DEQUEUE_WAIT"), False)
    assert data == 0 and n == 2
    await e.check_errors()


# --------------------------------------------------------------------------- random
@cocotb.test()
async def test_random(dut):
    """>= ATSINTC_OPS random bus accesses mixed with random interrupt pulses; every read
    is compared with the model, and the sticky errors at the end too."""
    e = await env(dut)
    rnd = random.Random(SEED)
    P, V, CH = PARAMS.processes, PARAMS.vectors, PARAMS.channels
    for v in range(V):
        await e.write(K("VEC_CFG", v), rnd.randrange(P) | (int(rnd.random() < 0.25) << 8))
    n = 0
    tid = 0
    while n < OPS:
        r = rnd.random()
        p = rnd.randrange(P)
        tid += 1
        prio = rnd.randrange(PARAMS.priorities)
        word = task(tid % 4096, prio)
        if rnd.random() < 0.02:
            word = rnd.choice([0, rnd.getrandbits(PARAMS.xlen)])
        if r < 0.20:
            await e.write(PR(p, "ENQUEUE"), word)
        elif r < 0.40:
            await e.read(PR(p, "DEQUEUE"))
        elif r < 0.52:
            v = rnd.randrange(V)
            if rnd.random() < 0.8:
                p = e.model.owner[v]
            await e.write(PR(p, "BLOCK", v), word)
            await e.settle()
        elif r < 0.60:
            v = rnd.randrange(V)
            if rnd.random() < 0.5:
                await e.pulse(v)
            elif rnd.random() < 0.5:
                await e.set_line(v, 1 - ((e.lines >> v) & 1))
            else:
                await e.write(K("VEC_RAISE", v), 0)
            await e.settle()
        elif r < 0.66:
            await e.write(PR(p, "SEND", rnd.randrange(P * CH)), rnd.getrandbits(PARAMS.xlen))
        elif r < 0.71:
            await e.write(PR(p, "HANDLER", rnd.randrange(CH)), word)
        elif r < 0.77:
            await e.read(PR(p, "RECV", rnd.randrange(CH)))
        elif r < 0.80:
            await e.write(K("CAP", p), rnd.getrandbits(P))
        elif r < 0.85:
            reg = rnd.choice(["READY_SUMMARY", "READY_INFO", "VEC_STATUS", "ERROR", "CAP",
                              "VEC_CFG"])
            rr = MAP.lookup("KERNEL", reg)
            await e.read(K(reg, rnd.randrange(rr.length(PARAMS))))
        elif r < 0.90:
            await e.read(PR(p, rnd.choice(["READY_COUNT", "ERROR", "IRQ_ENABLE",
                                           "CUR_PRIO", "WAIT_TIMEOUT"])))
        elif r < 0.93:
            await e.write(PR(p, "ERROR"), rnd.getrandbits(len(ERRORS)))
        elif r < 0.95:
            await e.write(K("VEC_CFG", rnd.randrange(V)),
                          rnd.randrange(P + 1) | (rnd.getrandbits(1) << 8))
            await e.settle()
        elif r < 0.97:
            await e.read(rnd.randrange(PARAMS.size // WB) * WB)        # anywhere
        else:
            await e.write(PR(p, "WAIT_TIMEOUT"), 0)
            await e.read(PR(p, "DEQUEUE_WAIT"))
        n += 1
    await e.check_errors()
    dut._log.info(f"random: {n} bus accesses in {e.bus.cycle} cycles; "
                  f"max {e.max_access_cycles} cycles per access")
    assert e.max_access_cycles <= 2


@cocotb.test()
async def test_interrupt_storm(dut):
    """All vectors toggled as fast as edges allow while tasks block and are dequeued:
    the number of wakes equals the number of counted interrupts, and every blocked
    task comes out exactly once."""
    e = await env(dut)
    rnd = random.Random(SEED + 7)
    P, V = PARAMS.processes, PARAMS.vectors
    for v in range(V):
        await e.write(K("VEC_CFG", v), v % P)
    edges = [0] * V
    blocks = [0] * V
    issued = set()
    got = []
    d = dut
    lines = [0] * V

    async def storm(stop):
        while not stop[0]:
            for v in range(V):
                if lines[v]:
                    lines[v] = 0
                elif rnd.random() < 0.5:
                    lines[v] = 1
                    edges[v] += 1
            d.irq_in.value = sum(b << i for i, b in enumerate(lines))
            await FallingEdge(d.clk)

    stop = [False]
    cocotb.start_soon(storm(stop))
    tid = 0
    for _ in range(1500):
        v = rnd.randrange(V)
        p = v % P
        if rnd.random() < 0.5 and sum(blocks) - len(got) < PARAMS.blocked_depth:
            tid += 1
            w = task(tid, rnd.randrange(PARAMS.priorities))
            data, _ = await e.bus.access(PR(p, "BLOCK", v), True, w)
            issued.add(w)
            blocks[v] += 1
        else:
            data, _ = await e.bus.access(PR(p, "DEQUEUE"), False)
            if data:
                got.append(data)
    stop[0] = True
    await e.bus.idle(4)
    d.irq_in.value = 0
    await e.bus.idle(V + 4)
    for p in range(P):
        while True:
            data, _ = await e.bus.access(PR(p, "DEQUEUE"), False)
            if not data:
                break
            got.append(data)
    assert len(got) == len(set(got)), "a task came out twice"
    assert set(got) <= issued
    total_pending = total_blocked = 0
    for v in range(V):
        st, _ = await e.bus.access(K("VEC_STATUS", v), False)
        pend, blk = st & 0xFFFF, (st >> 16) & 0x7FFF
        woken = blocks[v] - blk
        assert woken + pend == edges[v], (v, woken, pend, edges[v])
        total_pending += pend
        total_blocked += blk
    assert len(got) == len(issued) - total_blocked
    for p in range(P + 1):
        st, _ = await e.bus.access(K("ERROR") if p == P else PR(p, "ERROR"), False)
        assert st & ~ERR["BLOCKED_FULL"] == 0, hex(st)
    dut._log.info(f"storm: {sum(edges)} edges, {len(got)} tasks woken and dequeued, "
                  f"{total_pending} interrupts still pending, {total_blocked} still blocked")
