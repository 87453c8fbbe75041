"""cocotb testbench of the RISC-V PLIC (atsintc.soc.plic), Verilog top ``plic``.

Parameters come from the environment: PLIC_PARAMS (JSON of the PLIC constructor's
keyword arguments), PLIC_OPS (length of the random test), PLIC_SEED.

`PlicModel` is a cycle-level Python model of the spec's registers. `Env` runs the
design and the model in lock step: every cycle the inputs both see are the same, and
``irq``, ``ack`` and ``dat_r`` of the design are compared with the model's after every
rising edge, so every read and every cycle of the notification outputs is checked.
Accesses go through the shared Wishbone master (sim/wishbone.py, ``access_lockstep``).
The directed tests also state the expected results independently of the model.
"""

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from .wishbone import WishboneMaster

PARAMS = json.loads(os.environ.get("PLIC_PARAMS", "{}"))
OPS = int(os.environ.get("PLIC_OPS", "6000"))
SEED = int(os.environ.get("PLIC_SEED", "1"))

S = PARAMS.get("sources", 31)
T = PARAMS.get("targets", 1)
PB = PARAMS.get("priority_bits", 3)
IGNORE_THR = PARAMS.get("claim_ignores_threshold", False)
PMAX = (1 << PB) - 1
W = (S + 1 + 31) // 32


def PRIO(i):
    return 0x000000 + 4 * i


def PENDING(w=0):
    return 0x001000 + 4 * w


def ENABLE(c, w=0):
    return 0x002000 + 0x80 * c + 4 * w


def THRESHOLD(c):
    return 0x200000 + 0x1000 * c


def CLAIM(c):
    return 0x200004 + 0x1000 * c


class PlicModel:
    """Cycle-level reference model. Bit masks are indexed by source ID (bit 0 unused).

    ``tick`` takes the inputs of one cycle and moves to the next cycle's state; the
    attributes ``irq``, ``ack`` and ``dat_r`` are then the outputs in that next cycle.
    """

    def __init__(self, sources=S, targets=T, priority_bits=PB,
                 claim_ignores_threshold=IGNORE_THR):
        self.S, self.T, self.PB = sources, targets, priority_bits
        self.ignore_thr = claim_ignores_threshold
        self.W = (sources + 1 + 31) // 32
        self.valid = ((1 << (sources + 1)) - 1) & ~1
        self.prio = [0] * (sources + 1)
        self.pending = 0
        self.busy = 0
        self.enable = [0] * targets
        self.threshold = [0] * targets
        self.irq = 0
        self.ack = 0
        self.dat_r = 0
        self.best_reg = [0] * targets   # best claimable source of the previous cycle

    def best(self, c, claim=True):
        """Best eligible source of context c (0 if none)."""
        best, best_p = 0, 0
        for i in range(1, self.S + 1):
            if not (self.pending >> i) & 1 or not (self.enable[c] >> i) & 1:
                continue
            p = self.prio[i]
            ok = p != 0 if (claim and self.ignore_thr) else p > self.threshold[c]
            if ok and p > best_p:
                best, best_p = i, p
        return best

    def notify(self, c):
        return self.best(c, claim=False) != 0

    def tick(self, src=0, cyc=0, stb=0, we=0, byte=0, dat_w=0, sel=0xF):
        req = cyc and stb and not self.ack
        rdata = 0
        claim_clear = complete = 0
        mask = sum(0xFF << (8 * k) for k in range(4) if (sel >> k) & 1)

        def merged(old):
            return (old & ~mask) | (dat_w & mask)

        writes = []                     # (apply function) at the end of the cycle
        if req:
            if byte >= 0x200000:
                c, off = divmod(byte - 0x200000, 0x1000)
                if c < self.T and off == 0:
                    rdata = self.threshold[c]
                    if we:
                        v = merged(self.threshold[c]) & ((1 << self.PB) - 1)
                        writes.append(lambda c=c, v=v: self.threshold.__setitem__(c, v))
                elif c < self.T and off == 4:
                    if not we:
                        rdata = self.best_reg[c]
                        if rdata:
                            claim_clear = 1 << rdata
                    elif 1 <= dat_w <= self.S and (self.enable[c] >> dat_w) & 1:
                        complete = 1 << dat_w
            elif byte < 0x1000:
                i = byte // 4
                if 1 <= i <= self.S:
                    rdata = self.prio[i]
                    if we:
                        v = merged(self.prio[i]) & ((1 << self.PB) - 1)
                        writes.append(lambda i=i, v=v: self.prio.__setitem__(i, v))
            elif byte < 0x2000:
                w = (byte - 0x1000) // 4
                if w < self.W:
                    rdata = (self.pending >> (32 * w)) & 0xFFFFFFFF
            elif byte < 0x3000:
                c, off = divmod(byte - 0x2000, 0x80)
                w = off // 4
                if c < self.T and w < self.W:
                    word = (self.enable[c] >> (32 * w)) & 0xFFFFFFFF
                    rdata = word
                    if we:
                        new = (merged(word) << (32 * w)) & self.valid
                        keep = self.enable[c] & ~(0xFFFFFFFF << (32 * w))
                        writes.append(lambda c=c, v=keep | new:
                                      self.enable.__setitem__(c, v))
        irq = sum(int(self.notify(c)) << c for c in range(self.T))
        self.best_reg = [self.best(c) for c in range(self.T)]
        forward = (src << 1) & ~self.busy & self.valid
        self.pending = (self.pending & ~claim_clear) | forward
        self.busy = (self.busy & ~complete) | forward
        for f in writes:
            f()
        self.irq = irq
        self.ack = int(bool(req))
        self.dat_r = rdata if (req and not we) else 0


class Env:
    def __init__(self, dut):
        self.dut = dut
        self.model = PlicModel()
        self.bus = WishboneMaster(dut, "bus__", timeout=100)
        self.src = 0
        self.cycle = 0              # number of the cycle between this falling edge and
        self.irq_log = []           # the next rising edge; irq seen in each cycle
        self.last_ack = None        # cycle of the last ack
        self.back_to_back = False   # next request already in the ack cycle (ignored there)

    @property
    def inputs(self):
        """The design's (and the model's) inputs in the current cycle."""
        return dict(src=self.src, **self.bus.out)

    async def start(self):
        d = self.dut
        Clock(d.clk, 10, unit="ns").start()
        d.rst.value = 1
        d.src.value = self.src
        self.bus.reset_outputs()
        for _ in range(2):
            await RisingEdge(d.clk)
        d.rst.value = 0
        await FallingEdge(d.clk)

    async def step(self):
        """One clock cycle: both see the current inputs; the outputs are compared."""
        d = self.dut
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
        """One Wishbone access; returns (read data, cycles taken)."""
        if self.last_ack == self.cycle and not self.back_to_back:
            await self.step()
        data, n = await self.bus.access_lockstep(self.step, byte, write, value, sel)
        self.last_ack = self.cycle
        # acked in the cycle after the request (the cycle after the previous ack)
        assert n == 2 or (n == 3 and self.back_to_back), n
        return data, n

    async def read(self, byte):
        return (await self.access(byte, False))[0]

    async def write(self, byte, value, sel=0xF):
        await self.access(byte, True, value, sel)

    async def set_src(self, bits):
        self.src = bits & ((1 << S) - 1)
        self.dut.src.value = self.src

    async def line(self, i, value):
        """Set the line of source i (1-based)."""
        bits = self.src
        bits = (bits | (1 << (i - 1))) if value else (bits & ~(1 << (i - 1)))
        await self.set_src(bits)

    async def enable(self, c, i, on=True):
        """Read-modify-write (from the model's state) of source i's enable bit."""
        w = i // 32
        word = (self.model.enable[c] >> (32 * w)) & 0xFFFFFFFF
        word = (word | (1 << (i % 32))) if on else (word & ~(1 << (i % 32)))
        await self.write(ENABLE(c, w), word)

    async def claim(self, c=0):
        return await self.read(CLAIM(c))

    async def complete(self, i, c=0):
        await self.write(CLAIM(c), i)


async def env(dut):
    e = Env(dut)
    await e.start()
    return e


# ---------------------------------------------------------------------------- directed
@cocotb.test()
async def test_registers(dut):
    """Reset values, WARL widths, byte enables, read-only pending, unmapped addresses."""
    e = await env(dut)
    for i in range(0, S + 1):
        assert await e.read(PRIO(i)) == 0
    for c in range(T):
        assert await e.read(THRESHOLD(c)) == 0
        for w in range(W):
            assert await e.read(ENABLE(c, w)) == 0
    for i in (1, S, (S + 1) // 2):
        await e.write(PRIO(i), 0xFFFFFFFF)
        assert await e.read(PRIO(i)) == PMAX
        await e.write(PRIO(i), 0x12345670 | (i & PMAX))
        assert await e.read(PRIO(i)) == i & PMAX
    await e.write(PRIO(0), 5)                   # source 0 does not exist
    assert await e.read(PRIO(0)) == 0
    # byte enables: a write without the low byte leaves the priority alone
    await e.write(PRIO(1), 0, sel=0b1110)
    assert await e.read(PRIO(1)) == 1 & PMAX
    await e.write(PRIO(1), PMAX, sel=0b0001)
    assert await e.read(PRIO(1)) == PMAX
    for c in range(T):
        await e.write(THRESHOLD(c), 0xFFFFFFFF)
        assert await e.read(THRESHOLD(c)) == PMAX
        await e.write(THRESHOLD(c), 0)
        for w in range(W):
            await e.write(ENABLE(c, w), 0xFFFFFFFF)
            want = 0xFFFFFFFF
            if w == 0:
                want &= ~1                      # source 0
            top = S - 32 * w                    # highest source bit in this word
            if top < 31:
                want &= (1 << (top + 1)) - 1
            assert await e.read(ENABLE(c, w)) == want, (c, w)
        await e.write(ENABLE(c, 0), 0x0000FF00, sel=0b0010)
        await e.write(ENABLE(c, 0), 0, sel=0b1101)
        assert await e.read(ENABLE(c, 0)) & 0xFF00 == 0xFF00 & ((1 << (S + 1)) - 1)
    await e.write(PENDING(0), 0xFFFFFFFF)       # read-only
    assert await e.read(PENDING(0)) == 0
    unmapped = [PRIO(S + 1), 0xFFC, PENDING(W), 0x1FFC, ENABLE(T), ENABLE(0, W),
                0x3000, 0x1FFFFC, 0x200008, 0x200FFC, THRESHOLD(0) + 0x100,
                (1 << 22) - 4]
    if T < 4:
        unmapped += [THRESHOLD(T), CLAIM(T)]
    for a in unmapped:
        if a < (1 << 22):
            await e.write(a, 0xFFFFFFFF)
            assert await e.read(a) == 0, hex(a)
    # nothing above changed any pending bit or gateway
    assert e.model.pending == 0 and e.model.busy == 0


@cocotb.test()
async def test_claim_order(dut):
    """Claims come by priority (highest first), ties by ID (lowest first), then 0."""
    e = await env(dut)
    rng = random.Random(SEED)
    ids = sorted(rng.sample(range(1, S + 1), min(S, 12)))
    prios = {i: rng.randint(1, PMAX) for i in ids}
    for i in ids:
        await e.write(PRIO(i), prios[i])
    for w in range(W):
        await e.write(ENABLE(0, w), 0xFFFFFFFF)
    bits = sum(1 << (i - 1) for i in ids)
    await e.set_src(bits)
    await e.idle(1)
    await e.set_src(0)                          # the gateways latched the requests
    await e.idle(2)
    assert e.irq_log[-1] & 1
    want = sorted(ids, key=lambda i: (-prios[i], i))
    got = [await e.claim(0) for _ in ids]
    assert got == want, (got, want)
    assert await e.claim(0) == 0
    await e.idle(2)
    assert not e.irq_log[-1] & 1
    for i in ids:
        await e.complete(i)
    # equal priorities: pure ID order
    for i in ids:
        await e.write(PRIO(i), 1)
    await e.set_src(bits)
    await e.idle(1)
    await e.set_src(0)
    assert await e.claim(0) == 0        # request cycle t + 1: not visible before t + 2
    got = [await e.claim(0) for _ in ids]
    assert got == ids
    # priority 0 is never claimed
    await e.complete(ids[0])
    await e.write(PRIO(ids[0]), 0)
    await e.line(ids[0], 1)
    await e.idle(3)
    await e.line(ids[0], 0)
    assert await e.read(PENDING((ids[0]) // 32)) >> (ids[0] % 32) & 1
    assert await e.claim(0) == 0
    assert not e.irq_log[-1] & 1


@cocotb.test()
async def test_threshold(dut):
    """Only priorities above the threshold notify (and are claimed, unless the PLIC is
    configured to ignore the threshold for claims)."""
    e = await env(dut)
    srcs = list(range(1, min(S, PMAX) + 1))     # source i has priority i
    for i in srcs:
        await e.write(PRIO(i), i)
        await e.enable(T - 1, i)
    top = max(srcs)
    for thr in range(0, PMAX + 1):
        await e.write(THRESHOLD(T - 1), thr)
        await e.set_src(sum(1 << (i - 1) for i in srcs))
        await e.idle(3)
        await e.set_src(0)
        expect_irq = top > thr
        assert bool(e.irq_log[-1] >> (T - 1) & 1) == expect_irq, thr
        got = await e.claim(T - 1)
        if IGNORE_THR:
            assert got == top
        else:
            assert got == (top if expect_irq else 0), (thr, got)
        # drain: claim with the threshold at 0, complete everything
        await e.write(THRESHOLD(T - 1), 0)
        while (i := await e.claim(T - 1)):
            pass
        for i in srcs:
            await e.complete(i, T - 1)
        assert e.model.pending == 0 and e.model.busy == 0
    # other contexts are not notified (nothing enabled there)
    assert all((x & ((1 << (T - 1)) - 1)) == 0 for x in e.irq_log)


@cocotb.test()
async def test_gateway(dut):
    """A level source is forwarded once, blocked until completion, then re-forwarded if
    still high; completes for a disabled source are ignored; a one-cycle pulse is
    latched; a claim by one context clears the pending bit for all."""
    e = await env(dut)
    s = S
    await e.write(PRIO(s), 1)
    await e.enable(0, s)
    await e.line(s, 1)
    t0 = e.cycle
    await e.idle(4)
    assert e.irq_log[t0 + 1] == 0 and e.irq_log[t0 + 2] & 1     # t + 2 latency
    assert await e.claim() == s
    for _ in range(5):
        await e.idle(2)
        assert await e.claim() == 0             # line still high: blocked
        assert await e.read(PENDING(s // 32)) == 0
    assert not e.irq_log[-1] & 1
    # complete from a context where s is not enabled: ignored
    if T > 1:
        await e.complete(s, 1)
        await e.idle(3)
        assert await e.claim() == 0
    # complete of an absent ID, of 0: ignored
    await e.complete(0)
    await e.complete(S + 1)
    await e.idle(3)
    assert await e.claim() == 0
    await e.complete(s)                         # re-opens; line still high
    tc = e.cycle - 1                            # the request cycle of the complete
    await e.idle(4)
    assert e.irq_log[tc + 2] == 0 and e.irq_log[tc + 3] & 1     # complete -> irq: t + 3
    assert await e.claim() == s
    await e.line(s, 0)
    await e.complete(s)
    await e.idle(4)
    assert await e.claim() == 0
    # a one-cycle pulse is latched by the gateway
    await e.line(s, 1)
    await e.idle(1)
    await e.line(s, 0)
    await e.idle(3)
    assert e.irq_log[-1] & 1
    if T > 1:
        await e.enable(1, s)
        await e.idle(2)
        assert e.irq_log[-1] & 2
        assert await e.claim(1) == s            # context 1 takes it
        await e.idle(2)
        assert not e.irq_log[-1] & 3
        assert await e.claim(0) == 0
        await e.complete(s, 1)
    else:
        assert await e.claim() == s
        await e.complete(s)
    assert e.model.busy == 0


@cocotb.test()
async def test_empty_claim(dut):
    """A claim with nothing pending (or nothing enabled) returns 0 and changes nothing."""
    e = await env(dut)
    for c in range(T):
        assert await e.claim(c) == 0
    await e.write(PRIO(1), 3)
    await e.line(1, 1)
    await e.idle(3)
    for c in range(T):
        assert await e.claim(c) == 0            # not enabled anywhere
    assert await e.read(PENDING(0)) == 2
    await e.write(ENABLE(0, 0), 2)
    assert await e.claim(0) == 1
    assert await e.read(PENDING(0)) == 0


@cocotb.test()
async def test_random(dut):
    """Random mix of line changes, priority/enable/threshold writes, claims, completes
    and reads anywhere, every read and every cycle of irq compared with the model."""
    e = await env(dut)
    rng = random.Random(SEED * 7919 + S)
    claimed = {c: [] for c in range(T)}
    stats = dict(claims=0, nonzero=0, completes=0, irq_cycles=0)
    addrs = ([PRIO(i) for i in range(0, S + 2)] + [PENDING(w) for w in range(W + 1)] +
             [ENABLE(c, w) for c in range(T + 1) for w in range(W + 1)] +
             [THRESHOLD(c) for c in range(T + 1)] + [CLAIM(c) for c in range(T + 1)] +
             [0x200008, 0x3000, 0x1FFFFC])
    addrs = [a for a in addrs if a < (1 << 22)]
    hot = rng.sample(range(1, S + 1), min(S, 8))     # most activity on a few sources

    def src_id():
        return rng.choice(hot) if rng.random() < 0.8 else rng.randint(1, S)

    def sel():
        return 0xF if rng.random() < 0.9 else rng.randrange(16)

    for _ in range(OPS):
        e.back_to_back = rng.random() < 0.3
        r = rng.random()
        if r < 0.22:
            bits = e.src
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                bits ^= 1 << (src_id() - 1)
            await e.set_src(bits)
            await e.idle(rng.choice((0, 1, 1, 2)))
        elif r < 0.28:
            await e.idle(rng.randint(1, 4))
        elif r < 0.38:
            i = src_id() if rng.random() < 0.95 else rng.choice((0, S + 1))
            v = rng.randint(0, PMAX) if rng.random() < 0.9 else rng.getrandbits(32)
            await e.write(PRIO(i), v & 0xFFFFFFFF, sel())
        elif r < 0.45:
            c = rng.randrange(T)
            w = rng.randrange(W)
            if rng.random() < 0.3:
                await e.write(ENABLE(c, w), rng.getrandbits(32), sel())
            else:
                await e.enable(c, src_id(), rng.random() < 0.7)
        elif r < 0.50:
            c = rng.randrange(T)
            v = rng.choice((0, 0, 1, rng.randint(0, PMAX), rng.getrandbits(32)))
            await e.write(THRESHOLD(c), v, sel())
        elif r < 0.72:
            c = rng.randrange(T)
            got = await e.claim(c)
            stats["claims"] += 1
            if got:
                stats["nonzero"] += 1
                claimed[c].append(got)
        elif r < 0.90:
            c = rng.randrange(T)
            if claimed[c] and rng.random() < 0.85:
                i = claimed[c].pop(rng.randrange(len(claimed[c])))
                if rng.random() < 0.1 and T > 1:
                    c = rng.randrange(T)            # completed through another context
            else:
                i = rng.choice((0, src_id(), src_id(), S + 1, rng.getrandbits(32)))
            await e.complete(i, c)
            stats["completes"] += 1
        else:
            await e.read(rng.choice(addrs))
        if rng.random() < 0.01:
            # software reset-ish: thresholds to 0, everything enabled
            for c in range(T):
                await e.write(THRESHOLD(c), 0)
    stats["irq_cycles"] = sum(1 for x in e.irq_log if x)
    dut._log.info(f"random test: {OPS} ops, {e.cycle} cycles, {stats}")
    assert stats["nonzero"] > OPS // 50, stats
    assert stats["irq_cycles"] > e.cycle // 20, stats
