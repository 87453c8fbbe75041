"""cocotb testbench of the ATS-INTC controller (Verilog from atsintc.tools.export).

Parameters come from the environment variable ATSINTC_PARAMS (JSON of
atsintc.regmap.Params fields); ATSINTC_OPS sets the length of the random test.

`Bus` is the shared Wishbone B4 classic master (sim/wishbone.py), which also counts
cycles, with the controller's clock and reset. `Env` ties it to the
reference model (sim/atsintc_model.py): every read through `Env.read` is compared with
the model's prediction, and `Env.idle()` gives the hardware the cycles the model's
`settle()` abstracts away (one wake per cycle).
"""

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from atsintc.regmap import ERRORS, TIMER_KEY_BITS, Params, RegisterMap, task_prio, task_word
from .atsintc_model import ATSIntcModel
from .wishbone import WishboneMaster

PARAMS = Params(**json.loads(os.environ.get("ATSINTC_PARAMS", "{}")))
OPS = int(os.environ.get("ATSINTC_OPS", "50000"))
TRACE = os.environ.get("ATSINTC_TRACE") == "1"
SEED = int(os.environ.get("ATSINTC_SEED", "1"))
MAP = RegisterMap(PARAMS)
ERR = {name: 1 << i for i, (name, _) in enumerate(ERRORS)}
WB = PARAMS.xlen // 8
POOL = PARAMS.queue == "pool"
# tasks one process can hold at most (no QUOTA set): its ready queue's depth, or the pool
READY_CAP = PARAMS.pool if POOL else PARAMS.ready_depth
BLOCKED_CAP = PARAMS.pool if POOL else PARAMS.blocked_depth
MAP_KEY_BITS = TIMER_KEY_BITS


def K(name, i=0):
    return MAP.address("KERNEL", name, i)


def PR(p, name, i=0):
    return MAP.address("PROCESS", name, i, process=p)


def task(n, prio, params=PARAMS):
    """Task word n at priority prio (folded into the configured levels)."""
    return task_word(0x1000 + 16 * n, prio % params.priorities, params=params)


class Bus(WishboneMaster):
    """The controller's clock, reset and interrupt lines around the shared Wishbone
    master (sim/wishbone.py: ``access``, ``idle``, ``cycle``, the ack-rule monitor)."""

    def __init__(self, dut):
        super().__init__(dut, "wb_")

    async def start(self):
        d = self.dut
        Clock(d.clk, 10, unit="ns").start()
        super().start()
        self.reset_outputs()
        d.irq_in.value = 0
        d.mtime.value = 0
        await self.reset()

    async def reset(self):
        """Two cycles of reset (the clock keeps running); returns at a falling edge."""
        d = self.dut
        d.rst.value = 1
        for _ in range(2):
            await RisingEdge(d.clk)
        d.rst.value = 0
        await FallingEdge(d.clk)


async def small_quota(e, p, n=16):
    """With a pool larger than ``n``, set QUOTA[p] = n so that filling up is quick."""
    if POOL and PARAMS.pool > n:
        await e.write(K("QUOTA", p), n)


def room_for(e, p, v=None):
    """New tasks process ``p`` can take now (in its ready queue, or blocked on ``v``),
    from the reference model's state."""
    m = e.model
    if POOL:
        return min(m.quota[p] - m.usage[p], PARAMS.pool - sum(m.usage))
    if v is None:
        return min(PARAMS.ready_depth - len(m.ready[p]), m.quota[p] - m.usage[p])
    return min(PARAMS.blocked_depth - len(m.blocked[v]), m.quota[p] - m.usage[p])


class Env:
    bus_class = Bus         # tb_axi4lite: its AXI4-Lite master

    def __init__(self, dut):
        self.dut = dut
        self.bus = self.bus_class(dut)
        self.model = ATSIntcModel(PARAMS)
        self.lines = 0
        self.max_access_cycles = 0
        self.time = 0

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

    async def write(self, offset, value, sel=None):
        _, n = await self.bus.access(offset, True, value, sel=sel)
        self.max_access_cycles = max(self.max_access_cycles, n)
        self.model.write(offset, value, sel)
        await self._wakes(self.model.settle())
        if TRACE:
            m = self.model
            timers = [(hex(t[3]), t[4], t[5], hex(t[0])) for t in m.timers[:3]]
            self.dut._log.info(f"W {offset:#06x} <- {value:#x} (pending {m.pending} "
                               f"time {m.time:#x} timers {timers} "
                               f"ready {[hex(r[2]) for r in m.ready[0]]})")

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

    async def set_time(self, t):
        """Drive the mtime input (the model's time too) and let due timers move."""
        self.time = t % (1 << 64)
        self.dut.mtime.value = self.time
        self.model.set_time(self.time)
        await self.settle()

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
    words = [task(i, (i * 3) % PARAMS.priorities) for i in range(min(12, READY_CAP))]
    for w in words:
        await e.write(PR(p, "ENQUEUE"), w)
    await e.read(PR(p, "READY_COUNT"))
    await e.read(K("READY_SUMMARY"))
    await e.read(K("READY_INFO", p))
    out = [await e.read(PR(p, "DEQUEUE")) for _ in words]
    assert out == sorted(words, key=lambda w: task_prio(w, PARAMS))   # stable: FIFO
    assert await e.read(PR(p, "DEQUEUE")) == 0
    # invalid task words are refused with INVALID and change nothing
    await e.write(PR(p, "ENQUEUE"), 0)
    if PARAMS.priorities < (1 << PARAMS.prio_bits):
        await e.write(PR(p, "ENQUEUE"), 0x1000 | (PARAMS.priorities << 1))
    assert await e.read(PR(p, "ERROR")) & ERR["INVALID"]
    await e.write(PR(p, "ERROR"), 0xFFFF)
    # full (queue, pool or QUOTA): the refused enqueue is reported and nothing is lost
    await small_quota(e, p)
    n = room_for(e, p)
    for i in range(n):
        await e.write(PR(p, "ENQUEUE"), task(i, i % PARAMS.priorities))
    await e.write(PR(p, "ENQUEUE"), task(999, 0))
    assert await e.read(PR(p, "ERROR")) & ERR["READY_FULL"]
    assert await e.read(K("USAGE", p)) == n
    for _ in range(n + 1):
        await e.read(PR(p, "DEQUEUE"))
    assert await e.read(K("USAGE", p)) == 0
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
    assert await e.read(PR(p, "READY_COUNT")) == min(3, READY_CAP)
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
    await e.write(PR(p, "ERROR"), 0xFFFF)
    await small_quota(e, p)
    n = room_for(e, p, v)
    for i in range(n + 1):
        await e.write(PR(p, "BLOCK", v), task(40 + i, 3 % PARAMS.priorities))
    assert await e.read(PR(p, "ERROR")) & ERR["BLOCKED_FULL"]
    await e.read(K("VEC_STATUS", v))
    for _ in range(n):
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


@cocotb.test(skip=PARAMS.processes < 2)
async def test_ipc_and_syscall(dut):
    """IPC: capability, handler wake, pending messages, bound, busy handler; and a
    system call as IPC (user -> kernel handler -> reply wakes the user task).
    Needs two processes (skipped, and reported as skipped, on one)."""
    e = await env(dut)
    P, CH = PARAMS.processes, PARAMS.channels
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
    # start the blocking read, then raise the interrupt two cycles later
    e.bus.request(PR(p, "DEQUEUE_WAIT"), False)
    await e.bus.idle(3)
    await e.set_line(v, 1)
    edge = e.bus.cycle
    data = await e.bus.wait_ack()
    latency = e.bus.cycle - edge
    await e.bus.finish()                # completion edge
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
    # the time starts just below 2**32: its low 32 bits wrap during the test
    await e.set_time((1 << 32) - 3000)
    sleeping = []
    while n < OPS:
        r = rnd.random()
        p = rnd.randrange(P)
        tid += 1
        prio = rnd.randrange(PARAMS.priorities)
        word = task(tid % 4096, prio)
        if rnd.random() < 0.02:
            word = rnd.choice([0, rnd.getrandbits(PARAMS.xlen)])
        if rnd.random() < 0.15:
            await random_timer_op(e, rnd, p, word, sleeping)
        elif r < 0.20:
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
        elif r < 0.785:
            await e.write(K("CAP", p), rnd.getrandbits(P))
        elif r < 0.80:
            # small quotas (also below the usage) or none
            await e.write(K("QUOTA", p), rnd.choice([rnd.randrange(6), 0xFFFF]))
            await e.settle()
        elif r < 0.85:
            reg = rnd.choice(["READY_SUMMARY", "READY_INFO", "VEC_STATUS", "ERROR", "CAP",
                              "VEC_CFG", "QUOTA", "USAGE", "CONFIG1", "CONFIG2"])
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
                  f"max {e.max_access_cycles} cycles per access; time {e.time:#x}")
    assert e.max_access_cycles <= 2


async def random_timer_op(e, rnd, p, word, sleeping):
    """One random timer operation of the random test: a DEADLINE (reached, now, near,
    equal to another, at and beyond the compare window, any 64-bit value), SLEEP,
    BLOCK_UNTIL, HANDLER_UNTIL, CANCEL (of a waiting task, a woken one or any word), the
    registers, or a step of the time (which lets the due timers move)."""
    r = rnd.random()
    if r < 0.25:
        window = 1 << (MAP_KEY_BITS - 1)
        delta = rnd.choice([-rnd.randrange(1, 50), 0, rnd.randrange(1, 20),
                            rnd.randrange(1, 3000), window - 1, window,
                            rnd.getrandbits(64)])
        dl = (e.time + delta) % (1 << 64)
        await e.write(PR(p, "DEADLINE"), dl & ((1 << PARAMS.xlen) - 1))
        if PARAMS.xlen == 32 or rnd.random() < 0.2:
            await e.write(PR(p, "DEADLINE_HI"), dl >> 32)
    elif r < 0.50:
        k = rnd.random()
        if k < 0.5:
            await e.write(PR(p, "SLEEP"), word)
        elif k < 0.8:
            v = rnd.randrange(PARAMS.vectors)
            if rnd.random() < 0.8:
                p = e.model.owner[v]
            await e.write(PR(p, "BLOCK_UNTIL", v), word)
        else:
            await e.write(PR(p, "HANDLER_UNTIL", rnd.randrange(PARAMS.channels)), word)
        await e.settle()
        await e.read(PR(p, "ERROR"))        # accepted or refused: as the model says
        await e.read(K("TIMER_COUNT"))
        sleeping.append((p, word))
        del sleeping[:-16]
    elif r < 0.62:
        q, w = rnd.choice(sleeping) if sleeping and rnd.random() < 0.8 else (p, word)
        await e.write(PR(q, "CANCEL"), w)
        await e.read(PR(q, "TIMER_STATUS"))
    elif r < 0.80:
        await e.set_time(e.time + rnd.choice([1, 2, 5, 30, 500, 3000, 1 << 20]))
    else:
        reg = rnd.choice(["TIME", "TIME_HI", "TIMER_COUNT", "CONFIG3"])
        if rnd.random() < 0.5:
            await e.read(K(reg))
        else:
            await e.read(PR(p, rnd.choice(["DEADLINE", "DEADLINE_HI", "TIMER_STATUS"])))


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
        if rnd.random() < 0.5 and sum(blocks) - len(got) < BLOCKED_CAP:
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


# ------------------------------------------------------------- timing regressions
# Each test below reproduces a sequence that once broke "nothing is lost, oldest
# waiter first" (issue 9), in every cycle relation it depends on.

async def reset(e):
    """Reset the controller (the clock keeps running) and start a fresh model."""
    await e.bus.reset()
    e.model = ATSIntcModel(PARAMS)


async def raw(e, offset, write=False, value=0, **kw):
    """A bus access the model does not see (the test checks the outcome itself)."""
    data, _ = await e.bus.access(offset, write, value, **kw)
    return data


async def vec_status(e, v):
    st = await raw(e, K("VEC_STATUS", v))
    return st & 0xFFFF, (st >> 16) & 0x7FFF, st >> 31      # pending, blocked, line


async def drain(e, p):
    """Dequeue process p's ready tasks until two reads, 8 cycles apart, find none."""
    out = []
    while True:
        w = await raw(e, PR(p, "DEQUEUE"))
        if not w:
            await e.bus.idle(8)
            w = await raw(e, PR(p, "DEQUEUE"))
            if not w:
                return out
        out.append(w)


async def drive_line_after(e, v, k, value=1):
    """Drive irq_in[v] k falling edges from now (k = 0: now)."""
    for _ in range(k):
        await FallingEdge(e.dut.clk)
    e.lines = (e.lines & ~(1 << v)) | (value << v)
    e.dut.irq_in.value = e.lines


@cocotb.test()
async def test_events_in_every_cycle_relation(dut):
    """A VEC_RAISE write and an edge (or a level event) of the same vector are two
    events in every cycle relation, including the raise's ack cycle: both blocked tasks
    wake (or one wakes and one stays pending where only one can block)."""
    e = await env(dut)
    v, p = PARAMS.vectors - 1, PARAMS.processes - 1
    n = min(2, BLOCKED_CAP, READY_CAP)
    for level in (0, 1):
        for d in range(-3, 5):
            await reset(e)
            e.lines = 0
            dut.irq_in.value = 0
            await raw(e, K("VEC_CFG", v), True, p | level << 8)
            for i in range(n):
                await raw(e, PR(p, "BLOCK", v), True, task(i + 1, 0))
            if d < 0:
                await drive_line_after(e, v, 0)
                await e.bus.idle(-d)
                await raw(e, K("VEC_RAISE", v), True, 1)
            else:
                line = cocotb.start_soon(drive_line_after(e, v, d))
                await raw(e, K("VEC_RAISE", v), True, 1)
                await line
            await e.bus.idle(8)
            await drive_line_after(e, v, 0, 0)
            await e.bus.idle(2)
            pend, blk, _ = await vec_status(e, v)
            woken = await drain(e, p)
            assert len(woken) == n - blk, (level, d, woken, blk)
            assert len(woken) + pend == 2, \
                f"{'level' if level else 'edge'} event {d} cycles after the raise: " \
                f"{len(woken)} woken + {pend} pending != 2 events"


@cocotb.test(skip=POOL)
async def test_deferred_wake_takes_oldest_waiter(dut):
    """Ready queue full, task A blocked, one edge (A stays blocked, the event pending);
    a DEQUEUE makes room and 0..4 idle cycles later task C blocks on the same vector:
    A is woken and C stays blocked, in every relation. Systolic backend only (skipped,
    and reported as skipped, with the pool: a blocked task already holds its entry, so
    its wake never waits for room)."""
    e = await env(dut)
    v, p = 0, PARAMS.processes - 1
    a, c = task(1000, 0), task(1001, 0)
    for k in range(5):
        await reset(e)
        await raw(e, K("VEC_CFG", v), True, p)
        fill = [task(i, PARAMS.priorities - 1) for i in range(PARAMS.ready_depth)]
        for w in fill:
            await raw(e, PR(p, "ENQUEUE"), True, w)
        await raw(e, PR(p, "BLOCK", v), True, a)
        await drive_line_after(e, v, 0)
        await e.bus.idle(2)
        await drive_line_after(e, v, 0, 0)
        await e.bus.idle(4)
        assert await vec_status(e, v) == (1, 1, 0)
        first = await raw(e, PR(p, "DEQUEUE"))
        await e.bus.idle(k)
        await raw(e, PR(p, "BLOCK", v), True, c)
        await e.bus.idle(6)
        pend, blk, _ = await vec_status(e, v)
        out = [first] + await drain(e, p)
        assert a in out and c not in out, (k, [hex(w) for w in out])
        # C is parked, or refused with BLOCKED_FULL where only one task fits and A
        # still held the place
        err = await raw(e, PR(p, "ERROR"))
        refused = err == ERR["BLOCKED_FULL"]
        assert err == 0 or (refused and PARAMS.blocked_depth == 1), (k, err)
        assert (pend, blk) == (0, 0 if refused else 1), (k, pend, blk)


@cocotb.test()
async def test_withdrawn_reads_remove_nothing(dut):
    """A DEQUEUE_WAIT withdrawn (cyc/stb dropped) before its ack ends the wait: no ack
    comes later (the monitor checks every cycle) and a task woken afterwards stays in
    the ready queue. A DEQUEUE or RECV withdrawn in its ack cycle removes nothing.
    Withdrawing a DEQUEUE_WAIT in every cycle relation to the wake: the task comes out
    exactly once."""
    e = await env(dut)
    v, p = 0, 0
    for k in (1, 2, 3, 7):
        await reset(e)
        await raw(e, K("VEC_CFG", v), True, p)
        await raw(e, PR(p, "BLOCK", v), True, task(1, 0))
        data, _ = await e.bus.access(PR(p, "DEQUEUE_WAIT"), False, abandon=k)
        assert data is None
        await e.bus.idle(3)
        await raw(e, K("VEC_RAISE", v), True, 1)
        await e.bus.idle(6)
        assert await drain(e, p) == [task(1, 0)], k
    # DEQUEUE withdrawn in its ack cycle (the request is seen once, then dropped)
    await raw(e, PR(p, "ENQUEUE"), True, task(2, 0))
    data, _ = await e.bus.access(PR(p, "DEQUEUE"), False, abandon=1)
    assert data is None
    assert await drain(e, p) == [task(2, 0)]
    # DEQUEUE_WAIT withdrawn around the cycle of its ack
    for k in range(1, 8):
        await reset(e)
        await raw(e, K("VEC_CFG", v), True, p)
        await raw(e, PR(p, "BLOCK", v), True, task(3, 0))
        line = cocotb.start_soon(drive_line_after(e, v, 2))
        data, _ = await e.bus.access(PR(p, "DEQUEUE_WAIT"), False, abandon=k)
        await line
        await e.bus.idle(2)                     # the line is high for >= 1 rising edge
        await drive_line_after(e, v, 0, 0)
        await e.bus.idle(4)
        rest = await drain(e, p)
        got = ([data] if data else []) + rest
        assert got == [task(3, 0)], (k, data, rest)
    if PARAMS.processes > 1:
        await raw(e, K("CAP", 1), True, 1)
        await raw(e, PR(1, "SEND", 0), True, 0x55)
        data, _ = await e.bus.access(PR(0, "RECV", 0), False, abandon=1)
        assert data is None
        assert await raw(e, PR(0, "RECV", 0)) == 0x55
        assert await raw(e, PR(0, "RECV", 0)) == 0


@cocotb.test()
async def test_reset_with_line_high(dut):
    """A line high before, during and after reset is not an event (PENDING = 0 after
    reset); its next rising edge is. Level mode selected while the line is high counts
    one event at once (the gate is open after reset)."""
    e = await env(dut)
    v = PARAMS.vectors - 1
    await drive_line_after(e, v, 0)
    await e.bus.idle(3)
    await reset(e)
    await e.bus.idle(3)
    assert await vec_status(e, v) == (0, 0, 1)
    await drive_line_after(e, v, 0, 0)
    await e.bus.idle(1)
    await drive_line_after(e, v, 0, 1)
    await e.bus.idle(2)
    assert await vec_status(e, v) == (1, 0, 1)
    await reset(e)
    await raw(e, K("VEC_CFG", v), True, 1 << 8)
    await e.bus.idle(2)
    assert await vec_status(e, v) == (1, 0, 1)
    await drive_line_after(e, v, 0, 0)


@cocotb.test()
async def test_partial_writes_are_refused(dut):
    """A write that does not select every byte lane (wb_sel) is refused with INVALID in
    the window's ERROR and changes nothing; reads ignore wb_sel."""
    e = await env(dut)
    p = 0
    full = (1 << WB) - 1
    sels = sorted({0, 1, full >> 1, full - 1} | ({0x0F, 0xF0} if WB == 8 else set()))
    for sel in sels:
        await e.write(PR(p, "ENQUEUE"), task(sel + 1, 0), sel=sel)
        assert await e.read(PR(p, "READY_COUNT")) == 0
        assert await e.read(PR(p, "ERROR")) == ERR["INVALID"]
        await e.write(PR(p, "ERROR"), ERR["INVALID"])
        await e.write(PR(p, "ERROR"), ERR["INVALID"], sel=sel)     # refused: INVALID
        await e.write(K("VEC_CFG", 0), 0x100, sel=sel)
        await e.read(K("VEC_CFG", 0))
        assert await e.read(K("ERROR")) == ERR["INVALID"]
        await e.write(K("ERROR"), ERR["INVALID"])
        assert await e.read(PR(p, "ERROR")) == ERR["INVALID"]      # from that write
        await e.write(PR(p, "ERROR"), ERR["INVALID"])
    await e.write(PR(p, "ENQUEUE"), task(99, 0))
    assert await e.read(PR(p, "DEQUEUE"), False) == task(99, 0)
    await e.check_errors()


@cocotb.test()
async def test_full_ready_queue_delays_instead_of_refusing(dut):
    """With the ready queue full: a BLOCK on a vector with a pending event parks the task
    (woken when room appears), a SEND to a channel whose handler waits is accepted (the
    handler moves when room appears), and a HANDLER registered while messages wait is
    kept and moved when room appears. A SEND of message 0 is refused with INVALID. (With
    the pool "full" is the quota; a message takes an entry of it, so the SENDs are
    made with one entry left.)"""
    e = await env(dut)
    P, CH = PARAMS.processes, PARAMS.channels
    p, v = P - 1, 0
    low = PARAMS.priorities - 1

    async def fill(leave=0):
        while room_for(e, p) > leave:
            await e.write(PR(p, "ENQUEUE"), task(500, low))

    # the ready queue full but for a message (which counts against the quota with the
    # pool, not in the systolic backend's ready queue)
    msg_room = 1 if POOL else 0

    await small_quota(e, p)
    await e.write(K("VEC_CFG", v), p)
    await e.write(K("VEC_RAISE", v), 1)
    await fill()
    await e.write(PR(p, "BLOCK", v), task(1, 0))
    if POOL:
        # no entry for the task: refused, the event stays pending for the next BLOCK
        assert await e.read(PR(p, "ERROR")) == ERR["BLOCKED_FULL"]
        await e.write(PR(p, "ERROR"), ERR["BLOCKED_FULL"])
        assert await e.read(PR(p, "DEQUEUE")) == task(500, low)
        await e.write(PR(p, "BLOCK", v), task(1, 0))
        assert await e.read(PR(p, "ERROR")) == 0
        out = []
        while not out or out[-1]:
            out.append(await e.read(PR(p, "DEQUEUE")))
        assert task(1, 0) in out                                  # consumed the event
    else:
        assert await e.read(PR(p, "ERROR")) == 0
        assert (await e.read(K("VEC_STATUS", v))) >> 16 == 1            # parked
        assert await e.read(PR(p, "DEQUEUE")) == task(500, low)           # room: woken
        assert await e.read(PR(p, "DEQUEUE")) == task(1, 0)
    if P > 1:
        q = 0
        await e.write(K("CAP", q), 1 << p)
        await e.write(PR(q, "SEND", p * CH), 0)
        assert await e.read(PR(q, "ERROR")) == ERR["INVALID"]
        await e.write(PR(q, "ERROR"), ERR["INVALID"])
        await e.write(PR(p, "HANDLER", 0), task(2, 0))
        await fill(msg_room)
        await e.write(PR(q, "SEND", p * CH), 0x77)                    # accepted
        assert await e.read(PR(q, "ERROR")) == 0
        assert await e.read(PR(p, "DEQUEUE")) == task(500, low)
        assert await e.read(PR(p, "DEQUEUE")) == task(2, 0)           # handler moved
        assert await e.read(PR(p, "RECV", 0)) == 0x77
        await fill(msg_room)
        await e.write(PR(q, "SEND", p * CH), 0x78)
        await e.write(PR(p, "HANDLER", 0), task(3, 0))                # kept
        assert await e.read(PR(p, "ERROR")) == 0
        assert await e.read(PR(p, "DEQUEUE")) == task(500, low)
        assert await e.read(PR(p, "DEQUEUE")) == task(3, 0)
    await e.check_errors()


@cocotb.test()
async def test_quota_and_usage(dut):
    """USAGE counts a process's ready tasks and the tasks blocked on its vectors; a task
    beyond QUOTA (or beyond the pool) is refused with READY_FULL/BLOCKED_FULL and
    changes nothing; a woken task stays counted; VEC_CFG moves the blocked tasks' count
    to the new owner; a handler waits for quota like for room; lowering QUOTA removes
    nothing."""
    e = await env(dut)
    P, V = PARAMS.processes, PARAMS.vectors
    p, v = P - 1, V - 1
    q = 0 if P > 1 else p
    quota = min(3, READY_CAP)
    await e.write(K("VEC_CFG", v), p)
    await e.write(K("QUOTA", p), quota)
    assert await e.read(K("QUOTA", p)) == quota
    for i in range(quota):
        await e.write(PR(p, "ENQUEUE"), task(i + 1, 0))
    assert await e.read(K("USAGE", p)) == quota
    await e.write(PR(p, "ENQUEUE"), task(90, 0))
    await e.write(PR(p, "BLOCK", v), task(91, 0))
    assert await e.read(PR(p, "ERROR")) == ERR["READY_FULL"] | ERR["BLOCKED_FULL"]
    await e.write(PR(p, "ERROR"), 0xFFFF)
    assert await e.read(PR(p, "READY_COUNT")) == quota
    # a blocked task counts; its wake keeps it counted
    assert await e.read(PR(p, "DEQUEUE")) == task(1, 0)
    await e.write(PR(p, "BLOCK", v), task(92, 0))
    assert await e.read(K("USAGE", p)) == quota
    await e.pulse(v)
    await e.settle()
    assert await e.read(K("USAGE", p)) == quota
    # lowering QUOTA below USAGE removes nothing; dequeues bring USAGE down
    await e.write(K("QUOTA", p), 1)
    assert await e.read(PR(p, "READY_COUNT")) == quota
    while await e.read(PR(p, "DEQUEUE")):
        pass
    assert await e.read(K("USAGE", p)) == 0
    await e.write(K("QUOTA", p), quota)
    # VEC_CFG moves the count of the tasks blocked on v
    await e.write(PR(p, "BLOCK", v), task(93, 0))
    await e.write(K("VEC_CFG", v), q)
    assert await e.read(K("USAGE", q)) == 1
    await e.pulse(v)
    await e.settle()
    assert await e.read(PR(q, "DEQUEUE")) == task(93, 0)
    assert await e.read(K("USAGE", q)) == 0 and await e.read(K("USAGE", p)) == 0
    # a message counts against its receiver (IPC_FULL at the quota) until received; a
    # handler with a message waiting is made ready only within the quota
    if P > 1:
        assert quota >= 2
        await e.write(K("CAP", q), 1 << p)
        await e.write(PR(p, "HANDLER", 0), task(94, 1))
        for i in range(quota - 1):
            await e.write(PR(p, "ENQUEUE"), task(100 + i, 0))
        await e.write(PR(q, "SEND", p * PARAMS.channels), 0x55)
        assert await e.read(K("USAGE", p)) == quota                   # + the message
        await e.write(PR(q, "SEND", p * PARAMS.channels), 0x56)
        assert await e.read(PR(q, "ERROR")) == ERR["IPC_FULL"]        # beyond the quota
        await e.write(PR(q, "ERROR"), 0xFFFF)
        await e.settle()
        assert await e.read(PR(p, "READY_COUNT")) == quota - 1        # handler waits
        assert await e.read(PR(p, "DEQUEUE")) == task(100, 0)
        await e.settle()
        assert await e.read(K("USAGE", p)) == quota                   # handler moved
        while await e.read(PR(p, "DEQUEUE")):
            pass
        assert await e.read(K("USAGE", p)) == 1                       # the message
        assert await e.read(PR(p, "RECV", 0)) == 0x55
        assert await e.read(K("USAGE", p)) == 0
        assert await e.read(PR(p, "RECV", 0)) == 0
    # the pool: every process at its quota, or the pool used up, refuses
    if POOL and PARAMS.pool <= 16:
        await e.write(K("QUOTA", p), 0xFFFF)
        for i in range(PARAMS.pool + 1):
            await e.write(PR(p, "ENQUEUE"), task(200 + i, i % PARAMS.priorities))
        assert await e.read(PR(p, "ERROR")) == ERR["READY_FULL"]
        assert await e.read(K("USAGE", p)) == PARAMS.pool
        while await e.read(PR(p, "DEQUEUE")):
            pass
    await e.check_errors()


@cocotb.test()
async def test_dense_random(dut):
    """Random operations with no idle cycles between bus accesses, every interrupt line
    toggled in random cycles, VEC_RAISE writes, DEQUEUE_WAITs withdrawn at random
    times, partial writes, ready queues filled up (an ENQUEUE that may find its queue
    full is followed by a read of ERROR). Checked without a timing model: no task comes out twice
    or unannounced; tasks of one vector come out in the order they blocked (one
    priority per vector, FIFO among equals); messages in order; at the end, for every
    vector, interrupts counted (edges + raises) = tasks woken + pending, every task is
    accounted for, and the only error is INVALID where partial writes were made."""
    e = await env(dut)
    rnd = random.Random(SEED + 11)
    P, V, CH = PARAMS.processes, PARAMS.vectors, PARAMS.channels
    S = P * CH
    full = (1 << WB) - 1
    prio_v = [rnd.randrange(PARAMS.priorities) for _ in range(V)]
    owner = [v % P for v in range(V)]
    for v in range(V):
        await raw(e, K("VEC_CFG", v), True, owner[v])
    for p in range(P):
        await raw(e, K("CAP", p), True, (1 << P) - 1)
        await raw(e, PR(p, "WAIT_TIMEOUT"), True, rnd.randrange(1, 12))
    edges, raises, blocks = [0] * V, [0] * V, [0] * V
    lines = [0] * V
    stop = []
    now = [(1 << 32) - 20_000]              # mtime: +1 per cycle, its low half wraps

    async def storm():
        while not stop:
            for v in range(V):
                if rnd.random() < 0.3:
                    lines[v] ^= 1
                    edges[v] += lines[v]
            dut.irq_in.value = sum(b << i for i, b in enumerate(lines))
            now[0] += 1
            dut.mtime.value = now[0]
            await FallingEdge(dut.clk)

    blocked_out = [[] for _ in range(V)]       # blocked on v, not yet dequeued (order)
    direct = {}                                # ENQUEUEd word -> process
    slept = {}                                 # SLEEPing or woken word -> process
    timed_v = {}                               # BLOCK_UNTIL word -> vector
    timed_wakes = [0] * V                      # events taken by BLOCK_UNTIL waiters
    handler_out = [None] * S
    handler_of = {}
    msgs = [[] for _ in range(S)]
    ghosts = set()                             # words of refused partial writes
    partial = [False] * P
    seen = set()
    tid = [0]
    refused = [0]
    cancels = [0]

    def new_task(prio):
        tid[0] += 1
        return task(tid[0], prio)

    def held_total():
        """Entries of the pool in use (tasks and messages), at most."""
        return sum(outstanding(q) for q in range(P)) + sum(map(len, msgs))

    def may_be_full(p):
        """An ENQUEUE just made by p may have been refused."""
        return held_total() > PARAMS.pool if POOL else outstanding(p) > PARAMS.ready_depth

    def outstanding(p):
        return (sum(1 for q in direct.values() if q == p) +
                sum(1 for q in slept.values() if q == p) +
                sum(len(blocked_out[v]) for v in range(V) if owner[v] == p) +
                sum(1 for s in range(S) if s // CH == p and handler_out[s] is not None))

    def came_out(p, w):
        if w & ~1 in timed_v:               # a timed wait: bit 0 is the cause
            v = timed_v.pop(w & ~1)
            if not w & 1:
                timed_wakes[v] += 1
            w &= ~1
        assert w not in seen, f"task {w:#x} came out twice"
        assert w not in ghosts, f"refused partial write {w:#x} came out"
        seen.add(w)
        if w in direct:
            assert direct.pop(w) == p
            return
        if w in slept:
            assert slept.pop(w) == p
            return
        for v in range(V):
            if w in blocked_out[v]:
                assert owner[v] == p
                assert blocked_out[v][0] == w, \
                    f"vector {v}: {w:#x} overtook {blocked_out[v][0]:#x}"
                blocked_out[v].pop(0)
                return
        s = handler_of.pop(w, None)
        assert s is not None, f"unknown task {w:#x}"
        assert s // CH == p and handler_out[s] == w
        handler_out[s] = None

    storm_task = cocotb.start_soon(storm())
    ops = max(2000, OPS)
    for _ in range(ops):
        r = rnd.random()
        p = rnd.randrange(P)
        if r < 0.15:
            w = new_task(rnd.randrange(PARAMS.priorities))
            direct[w] = p
            await raw(e, PR(p, "ENQUEUE"), True, w)
            if may_be_full(p):
                # the queue may be full: the ERROR read right after says (and keeps
                # the queue full more often, so wakes are deferred behind it)
                if await raw(e, PR(p, "ERROR")) & ERR["READY_FULL"]:
                    del direct[w]
                    ghosts.add(w)
                    refused[0] += 1
                    await raw(e, PR(p, "ERROR"), True, ERR["READY_FULL"])
        elif r < 0.33:
            v = rnd.randrange(V)
            if (held_total() < PARAMS.pool if POOL else
                    len(blocked_out[v]) < PARAMS.blocked_depth):
                w = new_task(prio_v[v])
                blocked_out[v].append(w)
                blocks[v] += 1
                await raw(e, PR(owner[v], "BLOCK", v), True, w)
        elif r < 0.53:
            w = await raw(e, PR(p, "DEQUEUE"))
            if w:
                came_out(p, w)
        elif r < 0.60:
            w, _ = await e.bus.access(PR(p, "DEQUEUE_WAIT"), False,
                                      abandon=rnd.choice([None, 1, 2, 3, 5, 8]))
            if w:
                came_out(p, w)
        elif r < 0.68:
            v = rnd.randrange(V)
            raises[v] += 1
            await raw(e, K("VEC_RAISE", v), True, rnd.getrandbits(32))
        elif r < 0.76:
            s = rnd.randrange(S)
            if len(msgs[s]) < PARAMS.ipc_depth and (held_total() < PARAMS.pool
                                                    if POOL else True):
                tid[0] += 1
                msgs[s].append(tid[0])
                await raw(e, PR(p, "SEND", s), True, tid[0])
        elif r < 0.82:
            c = rnd.randrange(CH)
            s = p * CH + c
            if handler_out[s] is None and (held_total() < PARAMS.pool if POOL else
                                           outstanding(p) < PARAMS.ready_depth):
                w = new_task(rnd.randrange(PARAMS.priorities))
                handler_out[s] = w
                handler_of[w] = s
                await raw(e, PR(p, "HANDLER", c), True, w)
        elif r < 0.90:
            c = rnd.randrange(CH)
            s = p * CH + c
            m = await raw(e, PR(p, "RECV", c))
            assert m == (msgs[s][0] if msgs[s] else 0), (s, m, msgs[s][:1])
            if m:
                msgs[s].pop(0)
        elif r < 0.93:
            w = new_task(0)
            ghosts.add(w)
            partial[p] = True
            await raw(e, PR(p, "ENQUEUE"), True, w, sel=rnd.randrange(full))
        elif r < 0.96:
            # SLEEP until a deadline 0..60 cycles away (it may pass before the SLEEP);
            # refusals (TIMER_FULL, READY_FULL) are read back at once
            dl = now[0] + rnd.randrange(-2, 60)
            await raw(e, PR(p, "DEADLINE"), True, dl & ((1 << PARAMS.xlen) - 1))
            if PARAMS.xlen == 32:
                await raw(e, PR(p, "DEADLINE_HI"), True, dl >> 32)
            w = new_task(rnd.randrange(PARAMS.priorities))
            slept[w] = p
            await raw(e, PR(p, "SLEEP"), True, w)
            bits = ERR["TIMER_FULL"] | ERR["READY_FULL"]
            err = await raw(e, PR(p, "ERROR")) & bits
            if err:
                del slept[w]
                ghosts.add(w)
                refused[0] += 1
                await raw(e, PR(p, "ERROR"), True, err)
        elif r < 0.965:
            # BLOCK_UNTIL racing the storm's edges: woken by an event (bit 0 = 0,
            # counted as a wake of the vector) or by its deadline (bit 0 = 1)
            v = rnd.randrange(V)
            dl = now[0] + rnd.randrange(-2, 40)
            q = owner[v]
            await raw(e, PR(q, "DEADLINE"), True, dl & ((1 << PARAMS.xlen) - 1))
            if PARAMS.xlen == 32:
                await raw(e, PR(q, "DEADLINE_HI"), True, dl >> 32)
            w = new_task(rnd.randrange(PARAMS.priorities))
            slept[w] = q
            timed_v[w] = v
            await raw(e, PR(q, "BLOCK_UNTIL", v), True, w)
            bits = ERR["TIMER_FULL"] | ERR["READY_FULL"]
            err = await raw(e, PR(q, "ERROR")) & bits
            if err:
                del slept[w]
                del timed_v[w]
                ghosts.add(w)
                refused[0] += 1
                await raw(e, PR(q, "ERROR"), True, err)
        elif r < 0.98 and slept:
            # CANCEL a sleeping task, racing its deadline: removed (and never comes
            # out) or not found (it has moved to the ready queue, or came out)
            w = rnd.choice(list(slept))
            q = slept[w]
            await raw(e, PR(q, "CANCEL"), True, w)
            if await raw(e, PR(q, "TIMER_STATUS")) & 1:
                del slept[w]
                timed_v.pop(w, None)
                ghosts.add(w)
                cancels[0] += 1
        else:
            await raw(e, K("VEC_STATUS", rnd.randrange(V)))
    stop.append(1)
    await storm_task
    dut.irq_in.value = 0
    dut.mtime.value = now[0] + 1000         # every deadline has passed
    await e.bus.idle(V + S + 8 + 2 * PARAMS.timers)
    for p in range(P):
        for w in await drain(e, p):
            came_out(p, w)
    for v in range(V):
        pend, blk, _ = await vec_status(e, v)
        assert blk == len(blocked_out[v]), (v, blk, blocked_out[v])
        woken = blocks[v] - blk + timed_wakes[v]
        assert woken + pend == edges[v] + raises[v], \
            f"vector {v}: {woken} woken + {pend} pending != {edges[v]} edges + " \
            f"{raises[v]} raises"
    assert not direct, "ENQUEUEd tasks lost"
    assert not slept, f"sleeping tasks lost: {[hex(w) for w in slept]}"
    assert await raw(e, K("TIMER_COUNT")) == 0
    for s in range(S):
        assert handler_out[s] is None or not msgs[s], f"handler {s} not woken"
        for m in list(msgs[s]):
            assert await raw(e, PR(s // CH, "RECV", s % CH)) == m
        assert await raw(e, PR(s // CH, "RECV", s % CH)) == 0
    for p in range(P):
        want = ERR["INVALID"] if partial[p] else 0
        assert await raw(e, PR(p, "ERROR")) == want
    assert await raw(e, K("ERROR")) == 0
    dut._log.info(f"dense: {ops} operations in {e.bus.cycle} cycles, {sum(edges)} edges, "
                  f"{sum(raises)} raises, {len(seen)} tasks out, {refused[0]} "
                  f"enqueues / sleeps refused (full), {cancels[0]} sleeps cancelled, "
                  f"{sum(map(len, blocked_out))} still blocked")


# ------------------------------------------------------------------- timers (issue 13)
async def run_time(e, start, stop):
    """mtime = start + 1 per cycle (changing at falling edges) until stop is set."""
    t = start
    while not stop:
        e.dut.mtime.value = t
        await FallingEdge(e.dut.clk)
        t += 1


async def set_deadline(e, p, dl):
    await raw(e, PR(p, "DEADLINE"), True, dl & ((1 << PARAMS.xlen) - 1))
    if PARAMS.xlen == 32:
        await raw(e, PR(p, "DEADLINE_HI"), True, dl >> 32)


async def time_now(e):
    lo = await raw(e, K("TIME"))
    return lo if PARAMS.xlen == 64 else lo | (await raw(e, K("TIME_HI"))) << 32


async def ack_time(e):
    """The mtime value the controller samples at the rising edge where the master sees
    the next ack."""
    while True:
        await RisingEdge(e.dut.clk)
        if e.dut.wb_ack.value == 1:
            return int(e.dut.mtime.value)


@cocotb.test(skip=PARAMS.timers == 0)
async def test_timer_latency(dut):
    """A task sleeping until deadline D (the time counting cycles) is returned by a
    DEQUEUE_WAIT waiting since before D: the ack is sampled at the clock edge where the
    controller samples the time D + 2 (D is sampled at one edge, the task is moved at
    that edge and enqueued at the next, and the ack comes with the one after), also
    with the low 32 bits of the time wrapping just before, at and after D."""
    e = await env(dut)
    p = PARAMS.processes - 1
    await raw(e, PR(p, "WAIT_TIMEOUT"), True, 1 << 20)
    seen = set()
    for base in ((1 << 32) - 40, (1 << 32) - 25, (1 << 32) - 35, 5000):
        stop = []
        ticker = cocotb.start_soon(run_time(e, base, stop))
        await e.bus.idle(2)
        d = await time_now(e) + 30
        await set_deadline(e, p, d)
        await raw(e, PR(p, "SLEEP"), True, task(7, 0))
        acked = cocotb.start_soon(ack_time(e))
        w, _ = await e.bus.access(PR(p, "DEQUEUE_WAIT"), False)
        t = await acked
        stop.append(1)
        await ticker
        assert w == task(7, 0), hex(w)
        seen.add(t - d)
        assert t - d == 2, (base, d, t)
    dut._log.info(f"deadline -> DEQUEUE_WAIT ack: {sorted(seen)} cycles")


@cocotb.test(skip=PARAMS.timers < 5 or (POOL and PARAMS.pool < 6))
async def test_timer_order(dut):
    """Tasks leave the deadline queue in deadline order, equal deadlines in SLEEP order
    (one priority: they come out in that order); a deadline already reached makes the
    task ready at once; DEADLINE and the registers read back."""
    e = await env(dut)
    p = PARAMS.processes - 1
    dut.mtime.value = 1000
    await e.bus.idle(2)
    plan = [(1030, 1), (1010, 2), (1020, 3), (1010, 4), (1010, 5)]
    for dl, n in plan:
        await set_deadline(e, p, dl)
        assert await raw(e, PR(p, "DEADLINE")) == dl
        await raw(e, PR(p, "SLEEP"), True, task(n, 0))
    assert await raw(e, K("TIMER_COUNT")) == len(plan)
    assert await raw(e, PR(p, "READY_COUNT")) == 0
    await set_deadline(e, p, 999)                       # reached: ready at once
    await raw(e, PR(p, "SLEEP"), True, task(9, 0))
    assert await raw(e, PR(p, "READY_COUNT")) == 1
    assert await raw(e, PR(p, "DEQUEUE")) == task(9, 0)
    dut.mtime.value = 1100
    await e.bus.idle(2 * len(plan) + 4)
    out = await drain(e, p)
    assert out == [task(n, 0) for n in (2, 4, 5, 3, 1)], [hex(w) for w in out]
    assert await raw(e, K("TIMER_COUNT")) == 0
    assert await raw(e, PR(p, "ERROR")) == 0
    assert await raw(e, K("USAGE", p)) == 0


@cocotb.test(skip=PARAMS.timers == 0)
async def test_cancel_races_expiry(dut):
    """CANCEL issued in every cycle relation to its task's deadline (from 6 cycles
    before to 6 after): either TIMER_STATUS.CANCELLED = 1 and the task never becomes
    ready, or 0 and it is dequeued exactly once; early cancels always find it, late
    ones never; USAGE and TIMER_COUNT end at 0."""
    e = await env(dut)
    p = PARAMS.processes - 1
    outcomes = []
    for offset in range(-6, 7):
        await reset(e)
        stop = []
        ticker = cocotb.start_soon(run_time(e, 1 << 40, stop))
        await e.bus.idle(2)
        d = await time_now(e) + 20
        await set_deadline(e, p, d)
        await raw(e, PR(p, "SLEEP"), True, task(3, 1))
        while int(dut.mtime.value) < d + offset - 1:    # the CANCEL is decided at ~d+off
            await FallingEdge(dut.clk)
        await raw(e, PR(p, "CANCEL"), True, task(3, 1))
        found = await raw(e, PR(p, "TIMER_STATUS")) & 1
        await e.bus.idle(8)
        out = await drain(e, p)
        stop.append(1)
        await ticker
        assert out == ([] if found else [task(3, 1)]), (offset, found, out)
        assert await raw(e, K("USAGE", p)) == 0 and await raw(e, K("TIMER_COUNT")) == 0
        assert await raw(e, PR(p, "ERROR")) == 0
        outcomes.append(found)
    assert outcomes[0] == 1 and outcomes[-1] == 0, outcomes
    dut._log.info(f"cancel vs expiry, offsets -6..6: found {outcomes}")


@cocotb.test(skip=PARAMS.timers == 0)
async def test_expiry_beside_back_to_back_accesses(dut):
    """Deadlines that pass while the bus is kept busy with back-to-back writes and reads
    (CUR_PRIO writes, READY_COUNT reads, ENQUEUE/DEQUEUE pairs of another process):
    every sleeping task still becomes ready exactly once, in deadline order."""
    e = await env(dut)
    p = PARAMS.processes - 1
    q = 0
    stop = []
    ticker = cocotb.start_soon(run_time(e, 77, stop))
    await e.bus.idle(2)
    n = min(PARAMS.timers, 4, PARAMS.pool if POOL else 4)
    base = await time_now(e) + 40
    for i in range(n):
        await set_deadline(e, p, base + 3 * i)
        await raw(e, PR(p, "SLEEP"), True, task(100 + i, 0))
    for k in range(60):                 # well past the last deadline
        await raw(e, PR(p, "CUR_PRIO"), True, k & 0xFF)
        await raw(e, PR(p, "READY_COUNT"))
        if q != p and (not POOL or PARAMS.pool > n):
            w = task(500 + k, 1)
            await raw(e, PR(q, "ENQUEUE"), True, w)
            assert await raw(e, PR(q, "DEQUEUE")) == w
    got = await drain(e, p)
    stop.append(1)
    await ticker
    assert got == [task(100 + i, 0) for i in range(n)], [hex(w) for w in got]
    assert await raw(e, PR(q, "ERROR")) == 0 and await raw(e, PR(p, "ERROR")) == 0


@cocotb.test(skip=PARAMS.timers == 0)
async def test_timer_full(dut):
    """The deadline queue full: the next SLEEP is refused with TIMER_FULL (nothing
    lost: TIMER_COUNT stays, every sleeping task is then cancelled and found); a
    deadline beyond the compare window is refused with INVALID."""
    e = await env(dut)
    p = 0
    n = min(PARAMS.timers, PARAMS.pool) if POOL else PARAMS.timers
    dut.mtime.value = 10
    await e.bus.idle(2)
    await set_deadline(e, p, 1 << 30)
    for i in range(n):
        await raw(e, PR(p, "SLEEP"), True, task(i + 1, 0))
    assert await raw(e, PR(p, "ERROR")) == 0
    await raw(e, PR(p, "SLEEP"), True, task(999, 0))
    want = ERR["TIMER_FULL"]
    assert await raw(e, PR(p, "ERROR")) == want
    await raw(e, PR(p, "ERROR"), True, want)
    assert await raw(e, K("TIMER_COUNT")) == n
    await set_deadline(e, p, 10 + (1 << (TIMER_KEY_BITS - 1)))
    await raw(e, PR(p, "SLEEP"), True, task(998, 0))
    assert await raw(e, PR(p, "ERROR")) == ERR["INVALID"]
    await raw(e, PR(p, "ERROR"), True, ERR["INVALID"])
    for i in reversed(range(n)):
        await raw(e, PR(p, "CANCEL"), True, task(i + 1, 0))
        assert await raw(e, PR(p, "TIMER_STATUS")) == 1, i
    await raw(e, PR(p, "CANCEL"), True, task(1, 0))
    assert await raw(e, PR(p, "TIMER_STATUS")) == 0
    assert await raw(e, K("TIMER_COUNT")) == 0 and await raw(e, K("USAGE", p)) == 0


@cocotb.test(skip=PARAMS.timers == 0)
async def test_timeout_races_the_event(dut):
    """BLOCK_UNTIL with deadline D and an interrupt edge in every cycle relation to D
    (6 before to 6 after), and HANDLER_UNTIL with a SEND likewise: the task is made
    ready exactly once, by whichever came first, and says which in bit 0 (0: the event
    or message, 1: the deadline); an interrupt after the timeout stays pending, a
    message after it stays in the channel. Early events always win, late ones never."""
    e = await env(dut)
    p, v = PARAMS.processes - 1, PARAMS.vectors - 1
    w = task(5, 0)
    causes = {"irq": [], "msg": []}
    for kind in ("irq", "msg"):
        for offset in range(-6, 7):
            await reset(e)
            e.lines = 0
            dut.irq_in.value = 0
            await raw(e, K("VEC_CFG", v), True, p)
            await raw(e, K("CAP", p), True, 1 << p)
            stop = []
            ticker = cocotb.start_soon(run_time(e, 1 << 36, stop))
            await e.bus.idle(2)
            d = await time_now(e) + 24
            await set_deadline(e, p, d)
            if kind == "irq":
                await raw(e, PR(p, "BLOCK_UNTIL", v), True, w)
            else:
                await raw(e, PR(p, "HANDLER_UNTIL", 0), True, w)
            while int(dut.mtime.value) < d + offset - 1:
                await FallingEdge(dut.clk)
            if kind == "irq":
                await drive_line_after(e, v, 0)
                await e.bus.idle(2)
                await drive_line_after(e, v, 0, 0)
            else:
                await raw(e, PR(p, "SEND", p * PARAMS.channels), True, 77)
            await e.bus.idle(10)
            out = await drain(e, p)
            stop.append(1)
            await ticker
            assert len(out) == 1 and out[0] & ~1 == w, (kind, offset, [hex(x) for x in out])
            cause = out[0] & 1
            if kind == "irq":
                pend, blk, _ = await vec_status(e, v)
                assert (pend, blk) == (cause, 0), (offset, cause, pend, blk)
            else:
                # the message stays for RECV either way
                assert await raw(e, PR(p, "RECV", 0)) == 77, offset
            assert await raw(e, K("TIMER_COUNT")) == 0
            assert await raw(e, K("USAGE", p)) == 0, (kind, offset)
            assert await raw(e, PR(p, "ERROR")) == 0
            causes[kind].append(cause)
        assert causes[kind][0] == 0 and causes[kind][-1] == 1, causes
    dut._log.info(f"timed waits, cause by offset -6..6 (0 = event first): {causes}")


@cocotb.test(skip=POOL or PARAMS.timers == 0)
async def test_due_timer_goes_before_a_deferred_wake(dut):
    """Systolic backend, ready queue full: a task blocked on a vector with an event
    pending and a sleeping task whose deadline has passed both wait for room; the
    DEQUEUE that makes room lets the sleeping task in first (it already holds its
    entry), then the woken one; every task comes out once. With the next access 0..4
    cycles after the DEQUEUE."""
    e = await env(dut)
    p, v = PARAMS.processes - 1, 0
    for gap in range(0, 5):
        await reset(e)
        await raw(e, K("VEC_CFG", v), True, p)
        fill = [task(i, PARAMS.priorities - 1) for i in range(PARAMS.ready_depth)]
        for w in fill:
            await raw(e, PR(p, "ENQUEUE"), True, w)
        await raw(e, K("VEC_RAISE", v), True, 1)
        await raw(e, PR(p, "BLOCK", v), True, task(900, 0))        # parks: no room
        dut.mtime.value = 100
        await set_deadline(e, p, 110)
        await raw(e, PR(p, "SLEEP"), True, task(901, 0))
        dut.mtime.value = 200                                       # due, no room
        await e.bus.idle(4)
        out = [await raw(e, PR(p, "DEQUEUE"))]
        await e.bus.idle(gap)
        out += await drain(e, p)
        assert sorted(out) == sorted(fill + [task(900, 0), task(901, 0)]), \
            (gap, [hex(w) for w in out])
        assert out.index(task(901, 0)) < out.index(task(900, 0)), \
            (gap, [hex(w) for w in out])
