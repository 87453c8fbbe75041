"""cocotb testbench of the programmable interrupt source (atsintc.soc.irqsrc), Verilog
top ``irqsrc``.

Parameters from the environment: IRQSRC_VECTORS, IRQSRC_FIFO_DEPTH, IRQSRC_OPS (length
of the random test), IRQSRC_SEED.

`SrcModel` is a cycle-level Python model of the device (registers, timers, xorshift32
generators, the shared divider, the event FIFOs with their storage). `Env` runs design
and model in lock step, drives the ``cycle`` input as a free-running counter (starting
just below 2**32 so that STAMP_HI is exercised) and compares ``irq``, ``ack`` and
``dat_r`` after every rising edge; accesses go through the shared Wishbone master
(sim/wishbone.py, ``access_lockstep``). The directed tests also state the expected
timing independently of the model (and `accepted_events`, an event-level reference of
the FIFO, checks COUNT and MISSED under a slow handler).
"""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from atsintc.soc.irqsrc import seed
from .wishbone import WishboneMaster

V = int(os.environ.get("IRQSRC_VECTORS", "4"))
D = int(os.environ.get("IRQSRC_FIFO_DEPTH", "16"))
OPS = int(os.environ.get("IRQSRC_OPS", "4000"))
SEED = int(os.environ.get("IRQSRC_SEED", "1"))
CYCLE0 = 0xFFFFF000          # value of the `cycle` input in cycle 0
M32 = 0xFFFFFFFF

MODE, PERIOD, ACK, STAMP_LO, STAMP_HI, COUNT, MISSED, QUEUED = (4 * k for k in range(8))
ENABLE, LINES, START, CONFIG = 0x400, 0x404, 0x408, 0x40C


def R(v, reg):
    return 0x20 * v + reg


def xorshift32(x):
    x ^= (x << 13) & M32
    x ^= x >> 17
    x ^= (x << 5) & M32
    return x


class SrcModel:
    """Cycle-level reference model; after ``tick`` the attributes ``irq``, ``ack`` and
    ``dat_r`` are the outputs of the next cycle. ``dues`` logs (cycle, vector) of every
    event that fell due (accepted or missed)."""

    def __init__(self, vectors=V, depth=D):
        self.V = V = vectors
        self.D = depth
        self.mode = [0] * V
        self.period = [0] * V
        self.left = [0] * V
        self.armed = [0] * V
        self.count = [0] * V
        self.missed = [0] * V
        self.mem = [[0] * depth for _ in range(V)]      # the FIFOs' storage (stamps)
        self.held = [0] * V
        self.head = [0] * V
        self.tail = [0] * V
        self.push = [0] * V         # an event was accepted at the last clock edge
        self.rng = [seed(v) for v in range(V)]
        self.thr = [0] * V
        self.dirty = [0] * V
        self.enable = 0
        self.irq = 0
        self.ack = 0
        self.dat_r = 0
        self.div = None             # [vector, divisor, remainder, quotient, count]
        self.dues = []
        self.now = 0                # cycle number (tb's)

    def tick(self, cycle=0, cyc=0, stb=0, we=0, byte=0, dat_w=0, sel=0xF):
        V = self.V
        req = cyc and stb and not self.ack
        mask = sum(0xFF << (8 * k) for k in range(4) if (sel >> k) & 1)

        def merged(old, width):
            return ((old & ~mask) | (dat_w & mask)) & ((1 << width) - 1)

        rdata = 0
        w_mode, w_period, w_ack, w_count, w_missed = (set() for _ in range(5))
        start = False
        enable = self.enable
        if req:
            if byte >= 0x400:
                if byte == ENABLE:
                    rdata = self.enable
                    if we:
                        enable = merged(self.enable, V)
                elif byte == LINES:
                    rdata = self.irq
                elif byte == START:
                    start = bool(we)
                elif byte == CONFIG:
                    rdata = V | self.D << 16
            elif byte // 0x20 < V:
                v, reg = divmod(byte, 0x20)
                if reg == MODE:
                    rdata = self.mode[v]
                elif reg == PERIOD:
                    rdata = self.period[v]
                elif reg == ACK:
                    rdata = (self.irq >> v) & 1
                elif reg in (STAMP_LO, STAMP_HI):
                    if self.held[v] == 0:
                        s = 0
                    elif self.push[v] and self.held[v] == 1:    # being written
                        s = cycle
                    else:
                        s = self.mem[v][self.head[v]]
                    rdata = s & M32 if reg == STAMP_LO else s >> 32
                elif reg == QUEUED:
                    rdata = self.held[v]
                elif reg == COUNT:
                    rdata = self.count[v]
                elif reg == MISSED:
                    rdata = self.missed[v]
                if we:
                    {MODE: w_mode, PERIOD: w_period, ACK: w_ack, COUNT: w_count,
                     MISSED: w_missed}.get(reg, set()).add(v)

        # shared divider
        done_v = None
        new_thr = None
        div = self.div
        if div is None:
            dirty = [v for v in range(V) if self.dirty[v]]
            if dirty:
                v = dirty[0]
                self.div = [v, self.period[v], 0, 0, 33]
        else:
            v, dm, rem, q, cnt = div
            trial = (rem << 1) | int(cnt == 33)
            ge = trial >= dm
            rem = trial - dm if ge else trial
            q = ((q << 1) | int(ge)) & M32
            if cnt == 1:
                done_v, new_thr = v, q
                self.div = None
            else:
                self.div = [v, dm, rem, q, cnt - 1]

        irq = self.irq
        for v in range(V):
            pn = merged(self.period[v], 32) if v in w_period else self.period[v]
            due = False
            en = (self.enable >> v) & 1
            if start or v in w_mode or v in w_period:
                left, armed, rng = max(pn, 1), 1, seed(v)
            else:
                left, armed, rng = self.left[v], self.armed[v], self.rng[v]
                mode = self.mode[v]
                if en and (mode == 2 or (mode == 1 and self.armed[v])):
                    if self.left[v] <= 1:
                        due = True
                        left = max(self.period[v], 1)
                        if mode == 1:
                            armed = 0
                    else:
                        left = self.left[v] - 1
                if en and mode == 3 and not self.dirty[v]:
                    rng = xorshift32(self.rng[v])
                    due = self.period[v] <= 1 or self.rng[v] < self.thr[v]
            held = self.held[v]
            pop = v in w_ack and held > 0
            flush = v in w_mode and merged(self.mode[v], 2) == 0
            accept = due and (held < self.D or pop)
            lost = due and not accept
            if due:
                self.dues.append((self.now, v))
            tail = self.tail[v]
            if self.push[v]:                    # the stamp of last cycle's event
                self.mem[v][tail] = cycle
                tail = (tail + 1) % self.D
            self.push[v] = int(accept)
            if flush:
                self.held[v], self.head[v] = 0, tail
            else:
                self.held[v] = held + int(accept) - int(pop)
                self.head[v] = (self.head[v] + int(pop)) % self.D
            self.tail[v] = tail
            self.count[v] = ((0 if v in w_count else self.count[v]) + int(accept)) & M32
            self.missed[v] = ((0 if v in w_missed else self.missed[v]) + int(lost)) & M32
            line = not flush and not pop and (accept or held > 0)
            irq = (irq & ~(1 << v)) | (int(line) << v)
            self.left[v], self.armed[v], self.rng[v] = left, armed, rng
            self.period[v] = pn
            if v in w_mode:
                self.mode[v] = merged(self.mode[v], 2)
            self.dirty[v] = int((self.dirty[v] and done_v != v) or v in w_period)
            if done_v == v:
                self.thr[v] = new_thr
        self.enable = enable
        self.irq = irq
        self.ack = int(bool(req))
        self.dat_r = rdata if (req and not we) else 0
        self.now += 1


class Env:
    def __init__(self, dut):
        self.dut = dut
        self.model = SrcModel()
        self.bus = WishboneMaster(dut, "bus__", timeout=100)
        self.cycle_in = CYCLE0      # the `cycle` input
        self.cycle = 0
        self.irq_log = []           # irq in each cycle
        self.last_ack = None
        self.back_to_back = False

    @property
    def inputs(self):
        """The design's (and the model's) inputs in the current cycle."""
        return dict(cycle=self.cycle_in, **self.bus.out)

    async def start(self):
        d = self.dut
        Clock(d.clk, 10, unit="ns").start()
        d.rst.value = 1
        d.cycle.value = self.cycle_in
        self.bus.reset_outputs()
        for _ in range(2):
            await RisingEdge(d.clk)
        d.rst.value = 0
        await FallingEdge(d.clk)

    def now(self):
        """The value of the `cycle` input in the current cycle."""
        return CYCLE0 + self.cycle

    async def step(self):
        d = self.dut
        self.cycle_in = self.now()
        d.cycle.value = self.cycle_in
        self.irq_log.append(int(d.irq.value))
        await RisingEdge(d.clk)
        inputs = self.inputs
        self.model.tick(**inputs)
        await ReadOnly()
        got = (int(d.irq.value), int(d.bus__ack.value), int(d.bus__dat_r.value))
        want = (self.model.irq, self.model.ack, self.model.dat_r)
        assert got == want, (f"cycle {self.cycle + 1}: (irq, ack, dat_r) = {got}, "
                             f"model {want}; inputs of cycle {self.cycle}: {inputs}")
        await FallingEdge(d.clk)
        self.cycle += 1

    async def idle(self, n=1):
        for _ in range(n):
            await self.step()

    async def access(self, byte, write, value=0, sel=0xF):
        """One access; returns the read data. The request cycle is ``self.cycle`` at
        the call (unless the previous ack is in this cycle: then the next one)."""
        if self.last_ack == self.cycle and not self.back_to_back:
            await self.step()
        self.req_cycle = self.cycle + (1 if self.last_ack == self.cycle else 0)
        data, n = await self.bus.access_lockstep(self.step, byte, write, value, sel)
        self.last_ack = self.cycle
        assert n == 2 or (n == 3 and self.back_to_back), n
        return data

    async def read(self, byte):
        return await self.access(byte, False)

    async def write(self, byte, value, sel=0xF):
        await self.access(byte, True, value, sel)

    async def stamp(self, v):
        return (await self.read(R(v, STAMP_HI))) << 32 | await self.read(R(v, STAMP_LO))

    def rises(self, v, since=0):
        """Cycles (tb numbering) in which line v rose, from the log."""
        log = self.irq_log
        return [k for k in range(max(1, since), len(log))
                if (log[k] >> v) & 1 and not (log[k - 1] >> v) & 1]


async def env(dut):
    e = Env(dut)
    await e.start()
    return e


# ---------------------------------------------------------------------------- directed
@cocotb.test()
async def test_registers(dut):
    """Reset values, widths, byte enables, read-only and unmapped registers."""
    e = await env(dut)
    assert await e.read(CONFIG) == V | D << 16
    assert await e.read(ENABLE) == 0
    assert await e.read(LINES) == 0
    for v in range(V):
        for reg in (MODE, PERIOD, ACK, STAMP_LO, STAMP_HI, COUNT, MISSED, QUEUED):
            assert await e.read(R(v, reg)) == 0, (v, reg)
    for v in {0, V - 1}:
        await e.write(R(v, MODE), 0xFFFFFFFF)
        assert await e.read(R(v, MODE)) == 3
        await e.write(R(v, MODE), 0)
        await e.write(R(v, PERIOD), 0x89ABCDEF)
        assert await e.read(R(v, PERIOD)) == 0x89ABCDEF
        await e.write(R(v, PERIOD), 0x00112200, sel=0b0110)
        assert await e.read(R(v, PERIOD)) == 0x891122EF
        await e.write(R(v, MODE), 2, sel=0b1110)        # low byte not selected
        assert await e.read(R(v, MODE)) == 0
        for reg in (STAMP_LO, STAMP_HI, QUEUED):
            await e.write(R(v, reg), 0xFFFFFFFF)
            assert await e.read(R(v, reg)) == 0
    await e.write(ENABLE, 0xFFFFFFFF)
    assert await e.read(ENABLE) == (1 << V) - 1
    await e.write(ENABLE, 0, sel=0b0001)
    assert await e.read(ENABLE) == ((1 << V) - 1) & ~0xFF
    await e.write(ENABLE, 0)
    for a in ([R(V, MODE), 0x3FC] if V < 32 else []) + [0x410, 0x7FC]:
        await e.write(a, 0xFFFFFFFF)
        assert await e.read(a) == 0, hex(a)
    assert await e.read(START) == 0
    await e.write(CONFIG, 7)
    assert await e.read(CONFIG) == V | D << 16
    assert e.irq_log.count(0) == len(e.irq_log)         # modes off: never a line


@cocotb.test()
async def test_oneshot(dut):
    """One-shot: line high from t + N + 1 (t = START request cycle), stamped, counted,
    held until ACK, once per arming; ENABLE pauses the countdown."""
    e = await env(dut)
    v = V - 1
    N = 10
    await e.write(R(v, PERIOD), N)
    await e.write(R(v, MODE), 1)
    await e.write(ENABLE, 1 << v)
    await e.write(START, 1)
    t = e.req_cycle
    while e.cycle < t + N + 1:
        await e.idle()
    # STAMP is readable in the first high cycle already (before it is stored)
    assert await e.read(R(v, STAMP_LO)) == (CYCLE0 + t + N + 1) & M32
    assert e.req_cycle == t + N + 1
    await e.idle(N + 5)
    assert e.rises(v, t) == [t + N + 1]
    await e.idle(40)
    assert (e.irq_log[-1] >> v) & 1                     # held
    assert await e.stamp(v) == CYCLE0 + t + N + 1
    assert await e.read(R(v, COUNT)) == 1
    assert await e.read(R(v, MISSED)) == 0
    assert await e.read(R(v, QUEUED)) == 1
    assert await e.read(LINES) == 1 << v
    assert await e.read(R(v, ACK)) == 1
    await e.write(R(v, ACK), 0)
    ta = e.req_cycle
    await e.idle(3 * N)
    assert e.irq_log[ta] >> v & 1 and not any(x >> v & 1 for x in e.irq_log[ta + 1:])
    assert await e.read(R(v, QUEUED)) == 0
    await e.write(R(v, ACK), 0)                         # nothing held: no effect
    assert await e.read(R(v, QUEUED)) == 0
    assert await e.read(R(v, COUNT)) == 1
    # re-arm by writing MODE, pause half-way through for 7 cycles
    await e.write(R(v, MODE), 1)
    t = e.req_cycle
    await e.idle(N // 2 - 2)
    await e.write(ENABLE, 0)
    tp = e.req_cycle
    await e.idle(7)
    await e.write(ENABLE, 1 << v)
    tr = e.req_cycle
    await e.idle(N + 5)
    # running in cycles t+1 .. tp and from tr+1 on: N running cycles end at the due
    ran = tp - t
    assert e.rises(v, t) == [tr + (N - ran) + 1], (e.rises(v, t), t, tp, tr)
    assert await e.read(R(v, COUNT)) == 2
    assert await e.stamp(v) == CYCLE0 + e.rises(v, t)[0]
    await e.write(R(v, COUNT), 0)
    assert await e.read(R(v, COUNT)) == 0


@cocotb.test()
async def test_periodic(dut):
    """Periodic: due every N cycles whether acknowledged or not; events are queued while
    the line is high, only those beyond the FIFO's depth go to MISSED; START aligns all
    vectors; stamps N apart."""
    e = await env(dut)
    N = 7
    for v in range(V):
        await e.write(R(v, PERIOD), N if v % 2 == 0 else N + 2)
        await e.write(R(v, MODE), 2)
    await e.write(ENABLE, (1 << V) - 1)
    await e.write(START, 0)
    t = e.req_cycle
    await e.idle(N * 4 + 1)                             # dues at t + N, ..., t + 4N
    for v in range(V):
        n = N if v % 2 == 0 else N + 2
        assert e.rises(v, t) == [t + n + 1], v           # all even vectors together
        assert 1 <= await e.read(R(v, COUNT)) <= D
    # exact counts at a known cycle: flush and re-arm vector 0 alone, clear the
    # counters before its first due (t + N)
    await e.write(R(0, MODE), 0)
    await e.write(R(0, MODE), 2)
    t = e.req_cycle
    await e.write(R(0, MISSED), 0)
    await e.write(R(0, COUNT), 0)
    assert e.req_cycle < t + N
    while e.cycle < t + 10 * N + 2:
        await e.idle()
    # dues at t + kN, k = 1..10 (all before cycle t + 10N + 2): min(10, D) queued,
    # the others missed; one rising edge (nothing acknowledged)
    got = [await e.read(R(0, reg)) for reg in (COUNT, MISSED, QUEUED)]
    assert got == [min(10, D), 10 - min(10, D), min(10, D)], got
    assert e.rises(0, t) == [t + N + 1]
    # now a prompt "handler": acknowledge as soon as the line is seen high (flushed,
    # re-armed and cleared before the first due again)
    await e.write(R(0, MODE), 0)
    await e.write(R(0, MODE), 2)
    await e.write(R(0, COUNT), 0)
    await e.write(R(0, MISSED), 0)
    stamps = []
    while len(stamps) < 12:
        await e.idle()
        if e.irq_log[-1] & 1:
            stamps.append(await e.stamp(0))
            await e.write(R(0, ACK), 0)
    assert all(b - a == N for a, b in zip(stamps, stamps[1:])), stamps
    assert await e.read(R(0, MISSED)) == 0
    # PERIOD 0 behaves as 1: due every cycle; the first D are queued, then all missed
    await e.write(R(0, MODE), 0)
    await e.write(R(0, PERIOD), 0)
    await e.write(R(0, COUNT), 0)
    await e.write(R(0, MODE), 2)
    t = e.req_cycle                                     # dues from t + 1 on
    await e.write(R(0, MISSED), 0)
    tm = e.req_cycle
    await e.idle(D + 20)
    m = await e.read(R(0, MISSED))
    # dues in every cycle from t + 1 to the read's request cycle (exclusive); those
    # from t + D + 1 on are missed, counted from the MISSED clear in tm on
    assert m == e.req_cycle - max(tm, t + D + 1), (m, e.req_cycle, t, tm)
    assert await e.read(R(0, QUEUED)) == D
    assert await e.read(R(0, COUNT)) == D


def accepted_events(dues, pops, depth):
    """Event-level reference: the due cycles of the events a FIFO of ``depth`` accepts,
    given the cycles events fell due and the cycles an ACK removed one (request
    cycles; the FIFO never empty then), and the number missed."""
    held, acc, missed = 0, [], 0
    pops = set(pops)
    for c in sorted(set(dues) | pops):
        pop = c in pops
        assert not pop or held > 0
        if c in dues:
            if held < depth or pop:
                acc.append(c)
                held += 1
            else:
                missed += 1
        held -= pop
    return acc, missed


async def drain(e, v, first_due, N, n, slow=0):
    """Handler for n held events of periodic vector v whose k-th event (k = 1, 2, ..)
    fell due in ``first_due + (k - 1) N``: checks each stamp in order, that the line
    drops for exactly one cycle after each ACK and rises again while events remain."""
    for i in range(n):
        while not (e.irq_log[-1] >> v) & 1:
            await e.idle()
        assert await e.read(R(v, QUEUED)) == n - i
        assert await e.stamp(v) == CYCLE0 + first_due + i * N + 1, i
        await e.idle(slow)
        await e.write(R(v, ACK), 0)
        ta = e.req_cycle
        await e.idle(2)
        log = [x >> v & 1 for x in e.irq_log[ta:ta + 3]]
        assert log == [1, 0, int(i + 1 < n)], (i, log)
    assert await e.read(R(v, QUEUED)) == 0


@cocotb.test()
async def test_ack_relations(dut):
    """An ACK in the cycle before, the cycle of or the cycle after a new event falls due,
    with one event held or a full FIFO: the line is low in the ack cycle and high
    again from the next (one rising edge per event); an event due while the FIFO is
    full is accepted if the ACK is in the same cycle or before, missed otherwise."""
    e = await env(dut)
    N = 12
    for j in sorted({2, D + 1}):            # the ACK is around the j-th event's due
        for off in (-1, 0, 1):
            await e.write(ENABLE, 0)
            await e.write(R(0, MODE), 0)                # flush
            await e.write(R(0, PERIOD), N)
            await e.write(R(0, MODE), 2)
            await e.write(R(0, COUNT), 0)
            await e.write(R(0, MISSED), 0)
            await e.write(ENABLE, 1)
            await e.write(START, 0)
            t = e.req_cycle                             # dues at t + kN
            tj = t + j * N
            ta = tj + off
            while e.cycle < ta:
                await e.idle()
            await e.write(R(0, ACK), 0)
            assert e.req_cycle == ta
            await e.write(ENABLE, 0)                    # no more events
            assert e.req_cycle < t + (j + 1) * N
            accepted = off <= 0 or j - 1 < D
            n = j - 2 + accepted                        # held after the ACK
            log = [x & 1 for x in e.irq_log[ta:ta + 3]]
            assert log == [1, 0, int(n > 0)], (j, off, log)
            got = [await e.read(R(0, reg)) for reg in (COUNT, MISSED, QUEUED)]
            assert got == [j - 1 + accepted, 1 - accepted, n], (j, off, got)
            await drain(e, 0, t + 2 * N, N, n)
            assert len(e.rises(0, t)) == j - 1 + accepted, (j, off)


@cocotb.test()
async def test_bursts(dut):
    """Bursts faster than the handler (periodic N = 1..3): with no handler the first D
    events are queued and the rest missed; with a slow handler every accepted event is
    delivered once (one rising edge each), in order, with its stamp, and MISSED counts
    exactly the events that found the FIFO full."""
    e = await env(dut)
    v = V - 1
    for N in (1, 2, 3):
        async def setup():
            await e.write(ENABLE, 0)
            await e.write(R(v, MODE), 0)                # flush
            await e.write(R(v, PERIOD), N)
            await e.write(R(v, MODE), 2)                # countdown N, paused
            await e.write(R(v, COUNT), 0)
            await e.write(R(v, MISSED), 0)
            await e.write(ENABLE, 1 << v)
            return e.req_cycle                          # dues at te + kN
        # a burst of D + 2 events, then a slow handler
        K = D + 2
        te = await setup()
        while e.cycle < te + K * N:
            await e.idle()
        await e.write(ENABLE, 0)
        assert e.req_cycle == te + K * N                # the K-th due is the last
        got = [await e.read(R(v, reg)) for reg in (COUNT, MISSED, QUEUED)]
        assert got == [D, K - D, D], (N, got)
        assert e.rises(v, te) == [te + N + 1]
        await drain(e, v, te + N, N, D, slow=5)
        assert len(e.rises(v, te)) == D
        # events arriving while a slow handler runs
        te = await setup()
        pops, stamps = [], []
        while e.cycle < te + 4 * D * N + 60:
            await e.idle()
            if (e.irq_log[-1] >> v) & 1:
                stamps.append(await e.stamp(v))
                await e.idle(3 * N + 4)
                await e.write(R(v, ACK), 0)
                pops.append(e.req_cycle)
        await e.write(ENABLE, 0)
        td = e.req_cycle
        while await e.read(R(v, QUEUED)):
            await e.idle()
            if (e.irq_log[-1] >> v) & 1:
                stamps.append(await e.stamp(v))
                await e.write(R(v, ACK), 0)
                pops.append(e.req_cycle)
        dues = list(range(te + N, td + 1, N))
        acc, missed = accepted_events(dues, pops, D)
        count = await e.read(R(v, COUNT))
        got_missed = await e.read(R(v, MISSED))
        dut._log.info(f"N={N}: {len(dues)} events, {count} accepted, {got_missed} missed")
        assert (count, got_missed) == (len(acc), missed), (N, count, got_missed, acc)
        assert count + got_missed == len(dues) and missed > 0
        assert stamps == [CYCLE0 + c + 1 for c in acc], N
        assert len(e.rises(v, te)) == len(acc) == len(pops)


@cocotb.test()
async def test_flush(dut):
    """A MODE write of 0 drops the held events and the line (not counted as missed);
    MODE writes of other modes, PERIOD writes, START and ENABLE keep them."""
    e = await env(dut)
    N = 5
    await e.write(R(0, PERIOD), N)
    await e.write(R(0, MODE), 2)
    await e.write(ENABLE, 1)
    await e.write(START, 0)
    t = e.req_cycle
    while e.cycle < t + 3 * N + 1:
        await e.idle()
    await e.write(ENABLE, 0)
    k = min(3, D)
    for w in ((MODE, 2), (MODE, 3), (PERIOD, N), (MODE, 1), (START, 0)):
        await e.write(w[0] if w[0] == START else R(0, w[0]), w[1])
        assert await e.read(R(0, QUEUED)) == k
    assert await e.stamp(0) == CYCLE0 + t + N + 1
    assert e.irq_log[-1] & 1
    await e.write(R(0, MODE), 0)
    tf = e.req_cycle
    await e.idle(3)
    assert e.irq_log[tf] & 1 and not any(x & 1 for x in e.irq_log[tf + 1:])
    got = [await e.read(R(0, reg)) for reg in (COUNT, MISSED, QUEUED, ACK)]
    assert got == [k, 3 - k, 0, 0], got
    # a new event after the flush is the head again
    await e.write(R(0, PERIOD), N)
    await e.write(ENABLE, 1)
    await e.write(R(0, MODE), 1)
    t = e.req_cycle                                     # due in t + N
    await e.idle(N + 2)
    assert e.rises(0, tf) == [t + N + 1]
    assert await e.stamp(0) == CYCLE0 + t + N + 1
    assert await e.read(R(0, QUEUED)) == 1


@cocotb.test()
async def test_random_mode(dut):
    """Random mode: quiet while T = 2**32 // M is computed (35 cycles after the PERIOD
    write), then dues at mean M cycles: COUNT + MISSED over a window within 4 standard
    deviations of window / M (binomial: 6 % for M = 16 over 60000 cycles), inter-arrival times
    geometric-looking (mean within 4 standard errors, standard deviation close to the
    mean); START replays the same sequence."""
    e = await env(dut)
    # M = 1: due every running cycle, but only once T is computed
    await e.write(R(0, MODE), 3)
    await e.write(R(0, PERIOD), 1)
    t = e.req_cycle
    await e.write(ENABLE, 1)
    await e.idle(40)
    assert e.rises(0, t) == [t + 36], (e.rises(0, t), t)
    await e.write(ENABLE, 0)
    await e.write(R(0, MODE), 0)
    await e.write(R(0, ACK), 0)
    means = [16, 100, 7, 1000][:V]
    for v, mean in enumerate(means):
        await e.write(R(v, PERIOD), mean)
        await e.write(R(v, MODE), 3)
        await e.write(R(v, COUNT), 0)
        await e.write(R(v, MISSED), 0)
    await e.idle(34 * V + 2)
    assert not any(e.model.dirty)
    assert e.model.thr[:len(means)] == [(1 << 32) // m for m in means]
    await e.write(ENABLE, (1 << V) - 1)
    t0 = e.req_cycle
    first = len(e.model.dues)
    window = int(os.environ.get("IRQSRC_WINDOW", "60000"))
    while e.cycle < t0 + window:
        await e.idle()
        if e.irq_log[-1]:                               # prompt handler
            v = (e.irq_log[-1] & -e.irq_log[-1]).bit_length() - 1
            await e.write(R(v, ACK), 0)
    await e.write(ENABLE, 0)
    t1 = e.req_cycle
    for v, mean in enumerate(means):
        dues = await e.read(R(v, COUNT)) + await e.read(R(v, MISSED))
        expect = (t1 - t0) / mean
        dut._log.info(f"vector {v}: mean {mean}: {dues} assertions due in {t1 - t0} "
                      f"cycles (expected {expect:.0f})")
        # the count is binomial: within 4 standard deviations
        sigma = (expect * (1 - 1 / mean)) ** 0.5
        assert abs(dues - expect) < 4 * sigma + 1, (v, dues, expect, sigma)
        times = [c for c, u in e.model.dues[first:] if u == v]
        assert len(times) == dues
        if len(times) > 400:
            gaps = [b - a for a, b in zip(times, times[1:])]
            mu = sum(gaps) / len(gaps)
            sd = (sum((g - mu) ** 2 for g in gaps) / len(gaps)) ** 0.5
            dut._log.info(f"vector {v}: inter-arrival mean {mu:.1f}, sd {sd:.1f}, "
                          f"min {min(gaps)}")
            assert abs(mu - mean) < 4 * mean / len(gaps) ** 0.5, (v, mu, mean)
            assert 0.8 * mean < sd < 1.2 * mean, (v, sd, mean)
            assert min(gaps) == 1
    # START replays the same random sequence
    await e.write(ENABLE, 0)
    seqs = []
    for _ in range(2):
        for v in range(V):
            await e.write(R(v, ACK), 0)
        await e.write(START, 0)
        await e.write(ENABLE, 1)
        t = e.req_cycle
        n0 = len(e.model.dues)
        await e.idle(600)
        await e.write(ENABLE, 0)
        seqs.append([c - t for c, u in e.model.dues[n0:] if u == 0])
    assert seqs[0] == seqs[1] and len(seqs[0]) > 10


@cocotb.test()
async def test_random_ops(dut):
    """Random register traffic (modes, periods, enables, starts, acks, clears, reads),
    everything compared with the model every cycle."""
    e = await env(dut)
    rng = random.Random(SEED * 104729 + V)
    regs = [MODE, PERIOD, ACK, STAMP_LO, STAMP_HI, COUNT, MISSED, QUEUED]
    for _ in range(OPS):
        e.back_to_back = rng.random() < 0.3
        v = rng.randrange(V)
        r = rng.random()
        sel = 0xF if rng.random() < 0.9 else rng.randrange(16)
        if r < 0.12:
            await e.write(R(v, MODE), rng.randrange(4) if rng.random() < 0.9
                          else rng.getrandbits(32), sel)
        elif r < 0.24:
            p = rng.choice((0, 1, 2, 3, rng.randint(1, 40), rng.randint(1, 40),
                            rng.randint(1, 300), rng.getrandbits(32)))
            await e.write(R(v, PERIOD), p, sel)
        elif r < 0.30:
            await e.write(ENABLE, rng.getrandbits(V) if rng.random() < 0.5
                          else e.model.enable ^ (1 << v), sel)
        elif r < 0.33:
            await e.write(START, rng.getrandbits(32))
        elif r < 0.50:
            await e.write(R(v, ACK), rng.getrandbits(32))
        elif r < 0.54:
            await e.write(R(v, rng.choice((COUNT, MISSED))), 0)
        elif r < 0.56:
            await e.write(R(v, rng.choice(regs)) if rng.random() < 0.5 else
                          rng.choice((0x410, 0x7FC, LINES, CONFIG)), rng.getrandbits(32))
        elif r < 0.80:
            await e.read(R(v, rng.choice(regs)))
        elif r < 0.85:
            await e.read(rng.choice((ENABLE, LINES, START, CONFIG, 0x410, 0x7FC)))
        else:
            await e.idle(rng.randint(1, 30))
    dues = len(e.model.dues)
    dut._log.info(f"random ops: {OPS} ops, {e.cycle} cycles, {dues} dues, "
                  f"counts {e.model.count}, missed {e.model.missed}, "
                  f"held {e.model.held}")
    assert dues > OPS // 10
