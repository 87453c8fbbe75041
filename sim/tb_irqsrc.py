"""cocotb testbench of the programmable interrupt source (atsintc.soc.irqsrc), Verilog
top ``irqsrc``.

Parameters from the environment: IRQSRC_VECTORS, IRQSRC_OPS (length of the random
test), IRQSRC_SEED.

`SrcModel` is a cycle-level Python model of the device (registers, timers, xorshift32
generators, the shared divider). `Env` runs design and model in lock step, drives the
``cycle`` input as a free-running counter (starting just below 2**32 so that STAMP_HI
is exercised) and compares ``irq``, ``ack`` and ``dat_r`` after every rising edge; accesses
go through the shared Wishbone master (sim/wishbone.py, ``access_lockstep``). The
directed tests also state the expected timing independently of the model.
"""

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from atsintc.soc.irqsrc import seed
from .wishbone import WishboneMaster

V = int(os.environ.get("IRQSRC_VECTORS", "4"))
OPS = int(os.environ.get("IRQSRC_OPS", "4000"))
SEED = int(os.environ.get("IRQSRC_SEED", "1"))
CYCLE0 = 0xFFFFF000          # value of the `cycle` input in cycle 0
M32 = 0xFFFFFFFF

MODE, PERIOD, ACK, STAMP_LO, STAMP_HI, COUNT, MISSED = (4 * k for k in range(7))
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
    assertion that fell due (counted or missed)."""

    def __init__(self, vectors=V):
        self.V = V = vectors
        self.mode = [0] * V
        self.period = [0] * V
        self.left = [0] * V
        self.armed = [0] * V
        self.stamp = [0] * V
        self.count = [0] * V
        self.missed = [0] * V
        self.fresh = [0] * V
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
                    rdata = V
            elif byte // 0x20 < V:
                v, reg = divmod(byte, 0x20)
                if reg == MODE:
                    rdata = self.mode[v]
                elif reg == PERIOD:
                    rdata = self.period[v]
                elif reg == ACK:
                    rdata = (self.irq >> v) & 1
                elif reg == STAMP_LO:
                    rdata = self.stamp[v] & M32
                elif reg == STAMP_HI:
                    rdata = self.stamp[v] >> 32
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
            keep = bool((self.irq >> v) & 1) and v not in w_ack
            if due:
                self.dues.append((self.now, v))
            if self.fresh[v]:
                self.stamp[v] = cycle
            self.fresh[v] = int(due and not keep)
            self.count[v] = ((0 if v in w_count else self.count[v]) +
                             int(due and not keep)) & M32
            self.missed[v] = ((0 if v in w_missed else self.missed[v]) +
                              int(due and keep)) & M32
            irq = (irq & ~(1 << v)) | (int(keep or due) << v)
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
    assert await e.read(CONFIG) == V
    assert await e.read(ENABLE) == 0
    assert await e.read(LINES) == 0
    for v in range(V):
        for reg in (MODE, PERIOD, ACK, STAMP_LO, STAMP_HI, COUNT, MISSED, 0x1C):
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
        for reg in (STAMP_LO, STAMP_HI, 0x1C):
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
    assert await e.read(CONFIG) == V
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
    await e.idle(N + 5)
    assert e.rises(v, t) == [t + N + 1]
    await e.idle(40)
    assert (e.irq_log[-1] >> v) & 1                     # held
    assert await e.stamp(v) == CYCLE0 + t + N + 1
    assert await e.read(R(v, COUNT)) == 1
    assert await e.read(R(v, MISSED)) == 0
    assert await e.read(LINES) == 1 << v
    assert await e.read(R(v, ACK)) == 1
    await e.write(R(v, ACK), 0)
    ta = e.req_cycle
    await e.idle(3 * N)
    assert e.irq_log[ta] >> v & 1 and not any(x >> v & 1 for x in e.irq_log[ta + 1:])
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
    """Periodic: due every N cycles whether acknowledged or not; dues while the line is
    high go to MISSED; START aligns all vectors; stamps N apart when acknowledged."""
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
        assert await e.read(R(v, COUNT)) == 1
        assert await e.read(R(v, MISSED)) >= 1
    # exact MISSED count at a known cycle: re-arm vector 0 alone, then acknowledge
    # and clear the counters before its first due (t + N)
    await e.write(R(0, PERIOD), N)
    t = e.req_cycle
    await e.write(R(0, ACK), 0)
    await e.write(R(0, MISSED), 0)
    await e.write(R(0, COUNT), 0)
    assert e.req_cycle < t + N
    while e.cycle < t + 10 * N + 2:
        await e.idle()
    # dues at t + kN, k = 1..10 (all before cycle t + 10N + 2); the first counted,
    # the other nine missed (the line stayed high)
    got_missed = await e.read(R(0, MISSED))
    got_count = await e.read(R(0, COUNT))
    assert (got_count, got_missed) == (1, 9), (got_count, got_missed)
    # now a prompt "handler": acknowledge as soon as the line is seen high (re-armed
    # and cleared before the first due again)
    await e.write(R(0, PERIOD), N)
    await e.write(R(0, ACK), 0)
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
    # PERIOD 0 behaves as 1: due every cycle
    await e.write(R(0, PERIOD), 0)
    await e.write(R(0, ACK), 0)
    await e.write(R(0, MISSED), 0)
    t = e.req_cycle                                     # the MISSED clear
    await e.idle(20)
    m = await e.read(R(0, MISSED))
    # a due in every cycle from t to the read's request cycle (exclusive), all missed
    assert m == e.req_cycle - t, (m, e.req_cycle, t)


@cocotb.test()
async def test_ack_and_collisions(dut):
    """ACK lowers the line in the ack cycle; an assertion due in the cycle of an ACK
    keeps the line high and is counted (not missed)."""
    e = await env(dut)
    N = 6
    await e.write(R(0, PERIOD), N)
    await e.write(R(0, MODE), 2)
    await e.write(ENABLE, 1)
    await e.write(START, 1)
    t = e.req_cycle
    # ACK exactly in the cycle the second assertion falls due (t + 2N)
    while e.cycle < t + 2 * N:
        await e.idle()
    e.back_to_back = False
    await e.write(R(0, ACK), 0)
    assert e.req_cycle == t + 2 * N
    assert all(x & 1 for x in e.irq_log[t + N + 1:])    # never dropped
    assert await e.read(R(0, COUNT)) == 2
    assert await e.read(R(0, MISSED)) == 0
    assert await e.stamp(0) == CYCLE0 + t + 2 * N + 1
    # a plain ACK between dues
    await e.write(R(0, ACK), 0)
    ta = e.req_cycle
    await e.idle()
    assert (e.irq_log[ta] & 1) and not (e.irq_log[ta + 1] & 1)


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
    regs = [MODE, PERIOD, ACK, STAMP_LO, STAMP_HI, COUNT, MISSED, 0x1C]
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
                  f"counts {e.model.count}, missed {e.model.missed}")
    assert dues > OPS // 10
