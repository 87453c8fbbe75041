"""cocotb testbench of the controller's AXI4-Lite port (``atsintc generate verilog --bus
axi4lite``, :mod:`atsintc.gateware.axi4lite`), driven by cocotbext-axi's ``AxiLiteMaster``.

Parameters come from ATSINTC_PARAMS / ATSINTC_OPS / ATSINTC_SEED as for
``tb_atsintc``, whose environment (``Env``: every read compared with the reference
model ``ATSIntcModel``) is reused with :class:`AxiBus` in place of its Wishbone
master. A monitor checks the slave's side of the AXI4-Lite handshakes in every cycle
of every test (B and R held with stable payload until taken, responses OKAY) and
records every transfer, from which the latencies are measured.
"""

import logging
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from .tb_atsintc import ERR, MAP, OPS, PARAMS, POOL, SEED, WB, Env, K, PR, task

FULL = (1 << WB) - 1
CHANNELS = ("aw", "w", "b", "ar", "r")
PAYLOAD = {"b": ("bresp",), "r": ("rdata", "rresp")}      # the slave's, checked stable


def strobe_lanes(sel):
    """(first lane, lanes) of a write strobe; AxiLiteMaster writes contiguous lanes
    only (a write of ``n`` bytes at ``address + first``)."""
    if sel is None:
        return 0, WB
    assert 0 < sel <= FULL, sel
    first = (sel & -sel).bit_length() - 1
    n = bin(sel).count("1")
    assert sel == ((1 << n) - 1) << first, f"strobe {sel:#x} is not contiguous"
    return first, n


def partial_strobe(rnd):
    """A random contiguous strobe that is not all lanes."""
    while True:
        first = rnd.randrange(WB)
        n = rnd.randrange(1, WB - first + 1)
        if n < WB:
            return ((1 << n) - 1) << first


def pauses(rnd, p):
    """A pause generator for a cocotbext-axi channel: paused in a fraction p of cycles."""
    while True:
        yield rnd.random() < p


class AxiBus:
    """tb_atsintc's ``Bus`` over AXI4-Lite: ``access`` runs one access through
    ``AxiLiteMaster`` and returns (data, cycles from its call to its response)."""

    def __init__(self, dut):
        self.dut = dut
        self.cycle = 0
        self.reads = self.writes = 0
        self.axi = None
        self.trace = {c: [] for c in CHANNELS}      # per channel: (first valid, transfer)

    @property
    def accesses(self):
        return self.reads + self.writes

    async def start(self):
        d = self.dut
        Clock(d.clk, 10, unit="ns").start()
        cocotb.start_soon(self._count())
        cocotb.start_soon(self.monitor())
        d.irq_in.value = 0
        d.rst.value = 1
        self.axi = AxiLiteMaster(AxiLiteBus.from_prefix(d, "s_axil"), d.clk, d.rst)
        for half in (self.axi.write_if, self.axi.read_if):
            half.log.setLevel(logging.WARNING)          # one line per access otherwise
        await self.reset()

    async def reset(self):
        """Two cycles of reset (the clock keeps running; the master's queues are flushed
        by it); returns at a falling edge."""
        d = self.dut
        d.rst.value = 1
        for _ in range(2):
            await RisingEdge(d.clk)
        d.rst.value = 0
        await FallingEdge(d.clk)

    async def _count(self):
        while True:
            await RisingEdge(self.dut.clk)
            self.cycle += 1

    def set_pauses(self, rnd=None, p=0.0):
        """Random pauses (valid or ready held low by the master) on every channel, or
        none (rnd None). AW and W pause independently, so they arrive in any order."""
        chans = (self.axi.write_if.aw_channel, self.axi.write_if.w_channel,
                 self.axi.write_if.b_channel, self.axi.read_if.ar_channel,
                 self.axi.read_if.r_channel)
        for ch in chans:
            ch.set_pause_generator(None if rnd is None else
                                   pauses(random.Random(rnd.getrandbits(32)), p))
            ch.pause = False

    async def access(self, offset, write, value=0, sel=None, abandon=None):
        """One access (``sel``: a contiguous write strobe, default all lanes); returns
        at the falling edge after the response's transfer, as ``Bus.access`` does."""
        assert abandon is None, "an AXI master cannot withdraw an access"
        assert offset % WB == 0
        t0 = self.cycle
        if write:
            first, n = strobe_lanes(sel)
            data = (value & ((1 << PARAMS.xlen) - 1)).to_bytes(WB, "little")[first:first + n]
            self.writes += 1
            resp = await self.axi.write(offset + first, data)
            data = 0
        else:
            self.reads += 1
            resp = await self.axi.read(offset, WB)
            data = int.from_bytes(resp.data, "little")
        assert int(resp.resp) == 0, resp
        await FallingEdge(self.dut.clk)
        return data, self.cycle - t0

    async def read(self, offset):
        return (await self.access(offset, False))[0]

    async def write(self, offset, value, sel=None):
        await self.access(offset, True, value, sel=sel)

    async def monitor(self):
        """In every cycle out of reset: a B or R response, once valid, stays valid with
        the same payload until taken; every response is OKAY. Records each channel's
        transfers as (cycle its valid rose or followed a transfer, transfer cycle)."""
        d = self.dut
        sig = {c: (getattr(d, f"s_axil_{c}valid"), getattr(d, f"s_axil_{c}ready"))
               for c in CHANNELS}
        held = {}                       # B/R: payload of a response valid, not taken
        since = {}                      # the cycle each pending valid began
        while True:
            await RisingEdge(d.clk)
            await ReadOnly()
            if int(d.rst.value):
                held.clear()
                since.clear()
                continue
            for c, (valid, ready) in sig.items():
                v = int(valid.value)
                if c in PAYLOAD:
                    pay = tuple(int(getattr(d, f"s_axil_{s}").value) for s in PAYLOAD[c])
                    if c in held:
                        assert v, f"{c}valid dropped before the transfer (cycle {self.cycle})"
                        assert pay == held[c], \
                            f"{c} payload changed while waiting: {held[c]} -> {pay}"
                    if v:
                        assert pay[-1] == 0, f"{c}resp {pay[-1]} is not OKAY"
                if not v:
                    continue
                since.setdefault(c, self.cycle)
                if int(ready.value):
                    self.trace[c].append((since.pop(c), self.cycle))
                    held.pop(c, None)
                elif c in PAYLOAD:
                    held[c] = pay

    async def idle(self, n=1):
        for _ in range(n):
            await FallingEdge(self.dut.clk)


class AxiEnv(Env):
    """tb_atsintc's Env (model comparison, settle timing) on the AXI4-Lite port."""

    bus_class = AxiBus


async def env(dut):
    e = AxiEnv(dut)
    await e.start()
    return e


# ------------------------------------------------------------------------- directed
@cocotb.test()
async def test_registers_and_strobes(dut):
    """Reads, writes, unmapped addresses and partial strobes through AXI4-Lite: every
    response OKAY, refusals reported in the ERROR registers as on Wishbone."""
    e = await env(dut)
    assert await e.read(K("ID")) == 0x41545349
    await e.read(K("CONFIG0"))
    await e.read(K("CONFIG1"))
    p = PARAMS.processes - 1
    await e.write(PR(p, "CUR_PRIO"), 5)
    assert await e.read(PR(p, "CUR_PRIO")) == 5
    for first in range(WB):
        for n in range(1, WB - first + 1):
            sel = ((1 << n) - 1) << first
            if sel == FULL:
                continue
            await e.write(PR(p, "CUR_PRIO"), 0x11 * (first + n), sel=sel)   # refused
            assert await e.read(PR(p, "CUR_PRIO")) == 5
            assert await e.read(PR(p, "ERROR")) == ERR["INVALID"]
            await e.write(PR(p, "ERROR"), ERR["INVALID"])
    await e.write(K("ID"), 1)                       # read-only: UNMAPPED
    await e.read(PR(0, "ENQUEUE"))                  # write-only: UNMAPPED
    await e.read(PARAMS.size - WB)                  # past the windows
    await e.read(2 ** e.bus.axi.read_if.address_width - WB)     # top of the address space
    await e.check_errors()


@cocotb.test()
async def test_latency(dut):
    """Measured on the pins (cycle 0 = the cycle valid rises): AR -> R valid and AW + W
    -> B valid of isolated accesses; back-to-back reads and writes one per 2 cycles;
    DEQUEUE_WAIT held until its timeout."""
    e = await env(dut)
    tr = e.bus.trace
    p = 0

    async def one(write):
        await e.bus.idle(3)
        marks = {c: len(tr[c]) for c in CHANNELS}
        if write:
            await e.write(PR(p, "CUR_PRIO"), 3)
            aw, w, b = (tr[c][marks[c]] for c in ("aw", "w", "b"))
            return b[0] - max(aw[0], w[0])
        await e.read(K("ID"))
        ar, r = tr["ar"][marks["ar"]], tr["r"][marks["r"]]
        return r[0] - ar[0]

    rd = [await one(False) for _ in range(4)]
    wr = [await one(True) for _ in range(4)]
    # back-to-back: 8 reads issued at once, then 8 writes (rready/bready always high)
    await e.bus.idle(3)
    mark = len(tr["r"])
    regs = [K("ID"), K("CONFIG0"), K("CONFIG1"), K("CONFIG2")] * 2
    tasks = [cocotb.start_soon(e.bus.access(a, False)) for a in regs]
    got = [(await t)[0] for t in tasks]
    assert got == [e.model.read(a) for a in regs]
    r_gaps = {b[1] - a[1] for a, b in zip(tr["r"][mark:], tr["r"][mark + 1:])}
    await e.bus.idle(3)
    mark = len(tr["b"])
    tasks = [cocotb.start_soon(e.bus.access(PR(p, "CUR_PRIO"), True, i)) for i in range(8)]
    for t in tasks:
        await t
    for i in range(8):
        e.model.write(PR(p, "CUR_PRIO"), i)
    b_gaps = {b[1] - a[1] for a, b in zip(tr["b"][mark:], tr["b"][mark + 1:])}
    assert await e.read(PR(p, "CUR_PRIO")) == 7
    # DEQUEUE_WAIT with nothing to wait for: held for WAIT_TIMEOUT cycles
    waits = {}
    for t in (0, 1, 20):
        await e.write(PR(p, "WAIT_TIMEOUT"), t)
        await e.bus.idle(3)
        mark = len(tr["ar"]), len(tr["r"])
        assert await e.read(PR(p, "DEQUEUE_WAIT")) == 0
        waits[t] = tr["r"][mark[1]][0] - tr["ar"][mark[0]][0]
    dut._log.info(f"AXI4-Lite latency: AR valid -> R valid {rd} cycles; AW+W valid -> "
                  f"B valid {wr} cycles; back-to-back R transfers every {sorted(r_gaps)}, "
                  f"B every {sorted(b_gaps)} cycles; DEQUEUE_WAIT with WAIT_TIMEOUT t: "
                  f"AR -> R {waits}")
    assert rd == [3] * 4 and wr == [3] * 4, (rd, wr)
    assert r_gaps == {2} and b_gaps == {2}, (r_gaps, b_gaps)
    assert waits == {0: 3, 1: 4, 20: 23}, waits          # WAIT_TIMEOUT + 3 (3 for 0)
    await e.check_errors()


@cocotb.test()
async def test_dequeue_wait(dut):
    """DEQUEUE_WAIT through AXI: a task ready is returned at once; a task woken by an
    interrupt during the wait is returned 3 cycles after the edge (+1 for the R
    register); while it waits a write (and a read) to another window waits too, and
    completes after it in order."""
    e = await env(dut)
    v, p = 0, 0
    q = PARAMS.processes - 1
    tr = e.bus.trace
    await e.write(K("VEC_CFG", v), p)
    await e.write(PR(p, "ENQUEUE"), task(1, 0))
    assert await e.read(PR(p, "DEQUEUE_WAIT")) == task(1, 0)
    await e.write(PR(p, "BLOCK", v), task(2, 0))
    await e.write(PR(p, "WAIT_TIMEOUT"), 1000)
    mark_r, mark_b = len(tr["r"]), len(tr["b"])
    wait = cocotb.start_soon(e.bus.access(PR(p, "DEQUEUE_WAIT"), False))
    await e.bus.idle(6)
    other_w = cocotb.start_soon(e.bus.access(PR(q, "CUR_PRIO"), True, 6))
    other_r = cocotb.start_soon(e.bus.access(K("ID"), False))
    await e.bus.idle(20)
    assert not wait.done() and not other_w.done() and not other_r.done(), \
        "the port is busy with the DEQUEUE_WAIT: nothing else may complete"
    await e.set_line(v, 1)
    edge = e.bus.cycle
    data, _ = await wait
    await e.set_line(v, 0)
    e.model.settle()
    assert data == e.model.read(PR(p, "DEQUEUE_WAIT")) == task(2, 0)
    await other_w
    assert (await other_r)[0] == 0x41545349
    e.model.write(PR(q, "CUR_PRIO"), 6)
    r_valid = tr["r"][mark_r][0]
    dut._log.info(f"irq edge -> DEQUEUE_WAIT R valid: {r_valid - edge} cycles")
    assert r_valid - edge <= 4, r_valid - edge
    assert tr["b"][mark_b][1] > tr["r"][mark_r][1], "the write completed during the wait"
    assert await e.read(PR(q, "CUR_PRIO")) == 6
    await e.check_errors()


# --------------------------------------------------------------------------- random
def waiting_sources(m):
    """Wake sources in the model waiting for room (a later removal would wake them)."""
    V, CH = PARAMS.vectors, PARAMS.channels
    return (any(m.pending[v] and m.blocked[v] for v in range(V)) or
            any(m.handler[s] is not None and m.mailbox[s]
                for s in range(PARAMS.processes * CH)))


async def burst(e, rnd):
    """Concurrent accesses: one coroutine per chosen process, each a sequence of
    accesses to its own window only (registers, ENQUEUE within a budget that fits in
    any order, DEQUEUE, DEQUEUE_WAIT with a short timeout, RECV, partial writes), plus
    one coroutine reading kernel registers no other access changes. They run at once
    (AxiLiteMaster issues AW/W/AR of different coroutines concurrently); each
    coroutine's outcome does not depend on how they interleave, so the model replays
    them one after the other and predicts every read. Returns the accesses made."""
    m = e.model
    P = PARAMS.processes
    procs = rnd.sample(range(P), rnd.randint(1, P))
    removals = not waiting_sources(m)
    pool_left = PARAMS.pool - sum(m.usage) if POOL else None
    plans = []
    for p in procs:
        budget = m.quota[p] - m.usage[p]
        if not POOL:
            budget = min(budget, PARAMS.ready_depth - len(m.ready[p]))
        else:
            budget = min(budget, pool_left // len(procs))
        ops = []
        for _ in range(rnd.randint(2, 10)):
            r = rnd.random()
            if r < 0.25 and budget > 0:
                budget -= 1
                word = task(rnd.randrange(4096), rnd.randrange(PARAMS.priorities))
                ops.append((PR(p, "ENQUEUE"), True, word, None))
            elif r < 0.40 and removals:
                ops.append((PR(p, "DEQUEUE"), False, 0, None))
            elif r < 0.45 and removals and m.timeout[p] <= 64:
                ops.append((PR(p, "DEQUEUE_WAIT"), False, 0, None))
            elif r < 0.50 and removals:
                ops.append((PR(p, "RECV", rnd.randrange(PARAMS.channels)), False, 0, None))
            elif r < 0.65:
                reg = rnd.choice(["CUR_PRIO", "IRQ_ENABLE"])
                sel = partial_strobe(rnd) if rnd.random() < 0.3 else None
                ops.append((PR(p, reg), True, rnd.getrandbits(PARAMS.xlen), sel))
            elif r < 0.70:
                ops.append((PR(p, "ERROR"), True, rnd.getrandbits(8), None))
            elif r < 0.73:
                ops.append((PR(p, "READY_COUNT"), True, 1, None))     # read-only: UNMAPPED
            else:
                reg = rnd.choice(["READY_COUNT", "ERROR", "CUR_PRIO", "IRQ_ENABLE",
                                  "WAIT_TIMEOUT", "ENQUEUE"])       # ENQUEUE: UNMAPPED
                ops.append((PR(p, reg), False, 0, None))
        plans.append(ops)
    kregs = ["ID", "CONFIG0", "CONFIG1", "CONFIG2", "CAP", "VEC_CFG", "QUOTA", "VEC_STATUS",
             "ERROR"]
    kops = []
    for _ in range(rnd.randint(0, 8)):
        reg = rnd.choice(kregs)
        n = MAP.lookup("KERNEL", reg).length(PARAMS)
        kops.append((K(reg, rnd.randrange(n)), False, 0, None))
    plans.append(kops)

    async def run(ops):
        out = []
        for off, wr, val, sel in ops:
            if rnd.random() < 0.3:
                await e.bus.idle(rnd.randrange(4))
            out.append((await e.bus.access(off, wr, val, sel=sel))[0])
        return out

    tasks = [cocotb.start_soon(run(ops)) for ops in plans]
    results = [await t for t in tasks]
    for ops, res in zip(plans, results):
        for (off, wr, val, sel), got in zip(ops, res):
            if wr:
                m.write(off, val, sel)
            else:
                want = m.read(off)
                assert got == want, f"burst read {off:#x}: got {got:#x}, model {want:#x}"
    assert m.settle() == 0, "a burst made a wake possible: its order would matter"
    return sum(map(len, plans))


@cocotb.test()
async def test_random(dut):
    """>= ATSINTC_OPS random AXI4-Lite accesses (tb_atsintc's random mix) with random
    interrupt pulses and line changes, partial strobes, DEQUEUE_WAITs (a task ready,
    timing out, woken during the wait), concurrent bursts, and random valid/ready
    pauses on every channel in alternate phases; every read compared with the model,
    the sticky errors at the end too."""
    e = await env(dut)
    rnd = random.Random(SEED + 101)
    m = e.model
    P, V, CH = PARAMS.processes, PARAMS.vectors, PARAMS.channels
    for v in range(V):
        await e.write(K("VEC_CFG", v), rnd.randrange(P) | (int(rnd.random() < 0.25) << 8))
    stats = dict(partial=0, wait_ready=0, wait_timeout=0, wait_woken=0, bursts=0,
                 burst_accesses=0, pulses=0)
    phase = -1

    async def wr(offset, value):
        """A write, with a partial strobe now and then (refused: INVALID)."""
        sel = None
        if rnd.random() < 0.05:
            sel = partial_strobe(rnd)
            stats["partial"] += 1
        await e.write(offset, value, sel=sel)

    tid = 0
    while e.bus.accesses < OPS:
        if e.bus.accesses // 2000 != phase:
            phase = e.bus.accesses // 2000
            # odd phases: the master pauses valid/ready at random on every channel
            e.bus.set_pauses(rnd if phase % 2 else None, rnd.choice([0.2, 0.5]))
        r = rnd.random()
        p = rnd.randrange(P)
        tid += 1
        word = task(tid % 4096, rnd.randrange(PARAMS.priorities))
        if rnd.random() < 0.02:
            word = rnd.choice([0, rnd.getrandbits(PARAMS.xlen)])
        if r < 0.17:
            await wr(PR(p, "ENQUEUE"), word)
        elif r < 0.32:
            await e.read(PR(p, "DEQUEUE"))
        elif r < 0.42:
            v = rnd.randrange(V)
            if rnd.random() < 0.8:
                p = m.owner[v]
            await wr(PR(p, "BLOCK", v), word)
            await e.settle()
        elif r < 0.50:
            v = rnd.randrange(V)
            if rnd.random() < 0.5:
                await e.pulse(v)
                stats["pulses"] += 1
            elif rnd.random() < 0.5:
                await e.set_line(v, 1 - ((e.lines >> v) & 1))
            else:
                await wr(K("VEC_RAISE", v), 0)
            await e.settle()
        elif r < 0.55:
            await wr(PR(p, "SEND", rnd.randrange(P * CH)), rnd.getrandbits(PARAMS.xlen))
        elif r < 0.59:
            await wr(PR(p, "HANDLER", rnd.randrange(CH)), word)
        elif r < 0.64:
            await e.read(PR(p, "RECV", rnd.randrange(CH)))
        elif r < 0.65:
            await wr(K("CAP", p), rnd.getrandbits(P))
        elif r < 0.665:
            await wr(K("QUOTA", p), rnd.choice([rnd.randrange(6), 0xFFFF]))
            await e.settle()
        elif r < 0.71:
            reg = rnd.choice(["READY_SUMMARY", "READY_INFO", "VEC_STATUS", "ERROR", "CAP",
                              "VEC_CFG", "QUOTA", "USAGE", "CONFIG1", "CONFIG2"])
            rr = MAP.lookup("KERNEL", reg)
            await e.read(K(reg, rnd.randrange(rr.length(PARAMS))))
        elif r < 0.76:
            await e.read(PR(p, rnd.choice(["READY_COUNT", "ERROR", "IRQ_ENABLE",
                                           "CUR_PRIO", "WAIT_TIMEOUT"])))
        elif r < 0.79:
            await wr(PR(p, rnd.choice(["IRQ_ENABLE", "CUR_PRIO"])), rnd.getrandbits(8))
        elif r < 0.81:
            await wr(PR(p, "ERROR"), rnd.getrandbits(8))
        elif r < 0.825:
            await wr(K("VEC_CFG", rnd.randrange(V)),
                     rnd.randrange(P + 1) | (rnd.getrandbits(1) << 8))
            await e.settle()
        elif r < 0.84:
            await e.read(rnd.randrange(PARAMS.size // WB) * WB)        # anywhere
        elif r < 0.88:
            if m.ready[p]:
                # a task ready: returned at once
                await e.read(PR(p, "DEQUEUE_WAIT"))
                stats["wait_ready"] += 1
            else:
                # nothing can arrive: held WAIT_TIMEOUT cycles, then 0
                t = rnd.randrange(40)
                await e.write(PR(p, "WAIT_TIMEOUT"), t)
                data, n = await e.bus.access(PR(p, "DEQUEUE_WAIT"), False)
                assert data == m.read(PR(p, "DEQUEUE_WAIT")) == 0
                assert n >= t, (t, n)
                stats["wait_timeout"] += 1
        elif r < 0.92:
            # a task woken by an interrupt during the wait: a process with an empty
            # ready queue and a task blocked on one of its vectors (edge mode, line low)
            cands = [(m.owner[v], v) for v in range(V) if m.blocked[v] and
                     not m.ready[m.owner[v]] and not m.level[v] and not m.line[v] and
                     not m.pending[v]]
            if not cands:
                # make one: a task blocked on such a vector (taken at once if pending)
                vs = [v for v in range(V) if not m.ready[m.owner[v]] and not m.level[v]
                      and not m.line[v] and not m.pending[v]]
                if vs:
                    v = rnd.choice(vs)
                    await e.write(PR(m.owner[v], "BLOCK", v), word)
                    await e.settle()
                else:
                    await e.read(PR(p, "DEQUEUE"))
                continue
            p, v = rnd.choice(cands)
            await e.write(PR(p, "WAIT_TIMEOUT"), 200)
            wait = cocotb.start_soon(e.bus.access(PR(p, "DEQUEUE_WAIT"), False))
            await e.bus.idle(rnd.randrange(12))
            await e.pulse(v)
            data, _ = await wait
            m.settle()
            want = m.read(PR(p, "DEQUEUE_WAIT"))
            assert want and data == want, (hex(data), hex(want))
            await e.settle()
            stats["wait_woken"] += 1
        elif r < 0.97:
            await e.read(PR(p, "DEQUEUE"))
        else:
            stats["burst_accesses"] += await burst(e, rnd)
            stats["bursts"] += 1
    e.bus.set_pauses(None)
    await e.settle()
    await e.check_errors()
    b = e.bus
    dut._log.info(f"random: {b.accesses} AXI4-Lite accesses ({b.reads} reads, {b.writes} "
                  f"writes) in {b.cycle} cycles; {stats}")
    assert b.accesses >= OPS
    for k in ("partial", "wait_ready", "wait_timeout", "wait_woken", "bursts", "pulses"):
        assert stats[k] > 0, f"the random test made no {k}"
