"""PortArbiter against a stand-in for the controller's decide stage: round robin,
one access at a time in grant order, handover in the ack cycle, and a DEQUEUE_WAIT
withdrawn (never acknowledged twice, never stalling the other port)."""

import pytest
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from simutil import run_testbench

from atsintc.gateware import wishbone
from atsintc.gateware.ports import PortArbiter

WAIT = 1            # the stand-in holds an access to address 1 until `release`
WAIT_P0 = 0b0100    # ... to window 1 (process 0) until avail[0], window 2 until avail[1]
WAIT_P1 = 0b1000


class FakeCore(wiring.Component):
    """2 cycles per access (decide, then ack gated by cyc & stb); an access decides in
    cycle t returns the number of accesses decided before it; address WAIT waits for
    ``release`` (withdrawal ends the wait with no effect)."""
    bus: In(wishbone.Signature(addr_width=4, data_width=32, granularity=8))
    waiting: Out(1)
    release: In(1)
    avail: In(2)
    decided: Out(8)
    starts: Out(8)                  # waits started (each grant of a WAIT access)

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        live = bus.cyc & bus.stb
        ack_r = Signal()
        req = live & ~ack_r & ~self.waiting
        m.d.comb += bus.ack.eq(ack_r & live)
        win = bus.adr[2:]
        can = self.release | ((win == 1) & self.avail[0]) | ((win == 2) & self.avail[1])
        m.d.sync += ack_r.eq(0)
        with m.If(req):
            m.d.sync += bus.dat_r.eq(self.decided)
            with m.If(((bus.adr == WAIT) | (win != 0)) & ~can):
                m.d.sync += [self.waiting.eq(1), self.starts.eq(self.starts + 1)]
            with m.Else():
                m.d.sync += [ack_r.eq(1), self.decided.eq(self.decided + 1)]
        with m.If(self.waiting):
            with m.If(~live):
                m.d.sync += self.waiting.eq(0)
            with m.Elif(can):
                m.d.sync += [self.waiting.eq(0), ack_r.eq(1),
                             self.decided.eq(self.decided + 1),
                             bus.dat_r.eq(self.decided)]
        return m


class Dut(wiring.Component):
    def __init__(self, ports=2):
        super().__init__({"bus": In(wishbone.Signature(addr_width=4, data_width=32,
                                                       granularity=8)).array(ports),
                          "release": In(1), "avail": In(2), "decided": Out(8),
                          "starts": Out(8)})
        self.ports = ports

    def elaborate(self, platform):
        m = Module()
        m.submodules.arb = arb = PortArbiter(self.ports, addr_width=4, data_width=32,
                                             processes=2, window_shift=2)
        m.submodules.core = core = FakeCore()
        for i in range(self.ports):
            wiring.connect(m, wiring.flipped(self.bus[i]), arb.bus[i])
        wiring.connect(m, arb.core, core.bus)
        m.d.comb += [arb.waiting.eq(core.waiting), core.release.eq(self.release),
                     arb.avail.eq(self.avail), core.avail.eq(self.avail),
                     self.decided.eq(core.decided), self.starts.eq(core.starts)]
        return m


def run(bench, ports=2):
    run_testbench(Dut(ports), bench)


def request(ctx, bus, adr):
    ctx.set(bus.cyc, 1)
    ctx.set(bus.stb, 1)
    ctx.set(bus.adr, adr)


def drop(ctx, bus):
    ctx.set(bus.cyc, 0)
    ctx.set(bus.stb, 0)


async def until_acks(ctx, dut, n):
    """Clock until n acks have been seen; returns [(cycle, port, data)] and drops each
    port's request in the cycle after its ack."""
    seen, cycle = [], 0
    while len(seen) < n:
        await ctx.tick()
        cycle += 1
        assert cycle < 100, seen
        for i, b in enumerate(dut.bus):
            if ctx.get(b.ack):
                seen.append((cycle, i, ctx.get(b.dat_r)))
                drop(ctx, b)
    return seen


def test_alone_three_cycles():
    async def bench(ctx, dut):
        request(ctx, dut.bus[1], 0)
        assert await until_acks(ctx, dut, 1) == [(2, 1, 0)]   # acked in the 3rd cycle
    run(bench)


def test_simultaneous_in_turn():
    async def bench(ctx, dut):
        for b in dut.bus:
            request(ctx, b, 0)
        got = await until_acks(ctx, dut, 3)
        # round robin after the (reset) grant 0: port 1 first, then 2, then 0; each
        # sees the accesses before it, 2 cycles apart
        assert got == [(2, 1, 0), (4, 2, 1), (6, 0, 2)], got
    run(bench, ports=3)


def test_back_to_back_alternates():
    async def bench(ctx, dut):
        order = []
        for b in dut.bus:
            request(ctx, b, 0)
        for _ in range(20):
            await ctx.tick()
            for i, b in enumerate(dut.bus):
                if ctx.get(b.ack):
                    order.append(i)     # both keep requesting: back-to-back accesses
        assert order == [1, 0] * (len(order) // 2) and len(order) >= 8, order
        assert ctx.get(dut.decided) == len(order) or ctx.get(dut.decided) == len(order) + 1
    run(bench)


def test_waiting_port_does_not_stall_the_other():
    async def bench(ctx, dut):
        request(ctx, dut.bus[1], WAIT)
        for _ in range(5):
            await ctx.tick()
            assert not ctx.get(dut.bus[1].ack)
        request(ctx, dut.bus[0], 0)
        got = await until_acks(ctx, dut, 1)
        assert got[0][1] == 0 and got[0][0] <= 3, got         # served while 1 waits
        assert ctx.get(dut.decided) == 1
        for _ in range(5):                                    # 1 is waiting again
            await ctx.tick()
            assert not ctx.get(dut.bus[1].ack)
        ctx.set(dut.release, 1)
        got = await until_acks(ctx, dut, 1)
        assert got[0][1:] == (1, 1), got                      # one ack, after 0's access
        for _ in range(5):
            await ctx.tick()
            assert not any(ctx.get(b.ack) for b in dut.bus)
        assert ctx.get(dut.decided) == 2
    run(bench)


def test_two_waits_do_not_withdraw_each_other():
    """Port 0 waits, port 1 then waits too: port 0 yields once, and port 1's wait is
    not withdrawn for port 0 (no ping-pong); both complete once released."""
    async def bench(ctx, dut):
        request(ctx, dut.bus[0], WAIT)
        for _ in range(3):
            await ctx.tick()
        request(ctx, dut.bus[1], WAIT)
        for _ in range(30):
            await ctx.tick()
            assert not any(ctx.get(b.ack) for b in dut.bus)
        assert ctx.get(dut.starts) == 2          # port 0's wait, then port 1's
        ctx.set(dut.release, 1)
        got = await until_acks(ctx, dut, 2)
        assert [g[1] for g in got] == [1, 0], got
    run(bench)


def test_a_yielded_wait_whose_task_arrives_is_served():
    """Port 0 waits on process 0, port 1 then waits on process 1 (port 0 yields). A task
    for process 0 arrives while port 1 still holds its wait: port 1 is withdrawn and
    port 0 completes at once; then port 1's task arrives and it completes too. (Without
    this, two harts waiting on different processes could block each other for good.)"""
    async def bench(ctx, dut):
        request(ctx, dut.bus[0], WAIT_P0)
        for _ in range(3):
            await ctx.tick()
        request(ctx, dut.bus[1], WAIT_P1)
        for _ in range(10):
            await ctx.tick()
            assert not any(ctx.get(b.ack) for b in dut.bus)
        assert ctx.get(dut.starts) == 2
        ctx.set(dut.avail, 0b01)
        got = await until_acks(ctx, dut, 1)
        assert got[0][1] == 0 and got[0][0] <= 4, got       # re-granted, acked quickly
        ctx.set(dut.avail, 0b10)
        got = await until_acks(ctx, dut, 1)
        assert got[0][1] == 1 and got[0][0] <= 4, got
    run(bench)


def test_bad_ports():
    with pytest.raises(ValueError, match="at least 2 ports"):
        PortArbiter(1, addr_width=4, data_width=32)
