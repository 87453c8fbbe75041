"""The shared Wishbone interconnect (atsintc.gateware.wishbone): Decoder and Arbiter, in the
Amaranth simulator, and the signature's optional signals."""

import pytest
from amaranth.hdl import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In
from amaranth.sim import Simulator

from atsintc.gateware import wishbone

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


class _Slave(wiring.Component):
    """2-cycle classic slave: acknowledges in the cycle after a request, reading
    ``tag << 16 | adr``; remembers the last write."""

    def __init__(self, addr_width, tag, features=()):
        self.tag = tag
        super().__init__({"bus": In(wishbone.Signature(
            addr_width=addr_width, data_width=32, granularity=8, features=features))})
        self.last = Signal(32)

    def elaborate(self, platform):
        m = Module()
        req = self.bus.cyc & self.bus.stb & ~self.bus.ack
        m.d.sync += [self.bus.ack.eq(req),
                     self.bus.dat_r.eq((self.tag << 16) | self.bus.adr)]
        with m.If(req & self.bus.we):
            m.d.sync += self.last.eq(wishbone.merge_write(self.bus, self.last))
        return m


def _decoder_dut():
    m = Module()
    m.submodules.dec = dec = wishbone.Decoder(addr_width=30, data_width=32, granularity=8,
                                              features={"cti"})
    m.submodules.a = a = _Slave(4, 0xA, features={"cti"})
    m.submodules.b = b = _Slave(8, 0xB)
    assert dec.add(a.bus, name="a", addr=0x1000) == (0x1000, 0x1040, 1)
    dec.add(b.bus, name="b", addr=0x8000_0000)
    return m, dec, a, b


def test_decoder_routes_by_window():
    m, dec, a, b = _decoder_dut()
    sim = Simulator(m)
    sim.add_clock(1e-6)
    seen = []

    async def access(ctx, byte_addr, we=0, data=0):
        bus = dec.bus
        ctx.set(bus.adr, byte_addr >> 2)
        ctx.set(bus.we, we)
        ctx.set(bus.dat_w, data)
        ctx.set(bus.sel, 0b1111)
        ctx.set(bus.cti, 0b010)
        ctx.set(bus.cyc, 1)
        ctx.set(bus.stb, 1)
        cycles = 0
        # only the addressed slave sees cyc
        seen.append((ctx.get(a.bus.cyc), ctx.get(b.bus.cyc), ctx.get(dec.hit())))
        while True:
            cycles += 1
            if cycles > 5:
                break
            if ctx.get(bus.ack):
                break
            await ctx.tick()
        r = ctx.get(bus.dat_r)
        await ctx.tick()
        ctx.set(bus.cyc, 0)
        ctx.set(bus.stb, 0)
        return r, cycles

    async def tb(ctx):
        assert await access(ctx, 0x1000 + 4 * 5) == (0xA0005, 2)
        assert ctx.get(a.bus.cti) == 0b010           # passed on to a slave with cti
        assert await access(ctx, 0x8000_0000 + 4 * 0x81) == (0xB0081, 2)
        await access(ctx, 0x8000_0000 + 4 * 3, we=1, data=0x1234_5678)
        assert ctx.get(b.last) == 0x1234_5678 and ctx.get(a.last) == 0
        # unmapped (just above a's 16 words, and far away): no ack, reads 0
        assert await access(ctx, 0x1040) == (0, 6)
        assert await access(ctx, 0x4000_0000) == (0, 6)

    sim.add_testbench(tb)
    sim.run()
    assert seen == [(1, 0, 1), (0, 1, 1), (0, 1, 1), (0, 0, 0), (0, 0, 0)]


def test_decoder_checks_windows():
    dec = wishbone.Decoder(addr_width=30, data_width=32, granularity=8)
    small = _Slave(4, 0)
    with pytest.raises(ValueError, match="not aligned"):
        dec.add(small.bus, addr=0x1020)
    dec.add(small.bus, addr=0x1000)
    with pytest.raises(ValueError, match="overlaps"):
        dec.add(_Slave(2, 1).bus, addr=0x1030)
    wide = wishbone.Signature(addr_width=4, data_width=64, granularity=8).flip().create()
    with pytest.raises(ValueError, match="data width"):
        dec.add(wide, addr=0x2000)
    with pytest.raises(TypeError):
        dec.add(Signal(4), addr=0x2000)


def _arbiter_dut(n):
    m = Module()
    m.submodules.arb = arb = wishbone.Arbiter(addr_width=4, data_width=32, granularity=8)
    m.submodules.slave = slave = _Slave(4, 0x5)
    sig = wishbone.Signature(addr_width=4, data_width=32, granularity=8)
    masters = [sig.create(path=(f"m{i}",)) for i in range(n)]
    for mst in masters:
        arb.add(mst)
    wiring.connect(m, arb.bus, slave.bus)
    return m, arb, masters


def test_arbiter_hands_over_without_dead_cycle():
    m, arb, (a, b) = _arbiter_dut(2)
    sim = Simulator(m)
    sim.add_clock(1e-6)
    log = []

    async def tb(ctx):
        # a runs two back-to-back accesses (cyc held), b requests meanwhile
        for mst, adr in ((a, 1), (b, 2)):
            ctx.set(mst.adr, adr)
            ctx.set(mst.sel, 0b1111)
            ctx.set(mst.cyc, 1)
            ctx.set(mst.stb, 1)
        for cycle in range(8):
            log.append((ctx.get(arb.bus.cyc), ctx.get(arb.bus.adr), ctx.get(a.ack),
                        ctx.get(b.ack)))
            a_ack, b_ack = ctx.get(a.ack), ctx.get(b.ack)
            await ctx.tick()                   # registered masters: act after the edge
            if a_ack and sum(1 for x in log if x[2]) == 2:  # a ends after 2 accesses
                ctx.set(a.cyc, 0)
                ctx.set(a.stb, 0)
            if b_ack:
                ctx.set(b.cyc, 0)
                ctx.set(b.stb, 0)

    sim.add_testbench(tb)
    sim.run()
    # a: accesses in cycles 0-1 and 2-3; b's request reaches the bus in cycle 4, the
    # cycle in which a has dropped cyc (no dead cycle), and is acknowledged in 5
    assert log[:6] == [(1, 1, 0, 0), (1, 1, 1, 0), (1, 1, 0, 0), (1, 1, 1, 0),
                       (1, 2, 0, 0), (1, 2, 0, 1)]
    assert log[6][0] == 0


def test_arbiter_round_robin():
    """Three masters always requesting, each doing one access per cycle of cyc: the
    grant rotates 0, 1, 2, 0, ..."""
    m, arb, masters = _arbiter_dut(3)
    sim = Simulator(m)
    sim.add_clock(1e-6)
    order = []

    async def tb(ctx):
        for i, mst in enumerate(masters):
            ctx.set(mst.adr, i)
            ctx.set(mst.sel, 0b1111)
            ctx.set(mst.cyc, 1)
            ctx.set(mst.stb, 1)
        for _ in range(40):
            for i, mst in enumerate(masters):
                if ctx.get(mst.ack):
                    order.append(i)
                    assert ctx.get(mst.dat_r) == 0x50000 | i
            # a master whose access was acknowledged drops cyc for one cycle
            acked = [ctx.get(mst.ack) for mst in masters]
            await ctx.tick()
            for mst, ack in zip(masters, acked):
                ctx.set(mst.cyc, not ack)
                ctx.set(mst.stb, not ack)

    sim.add_testbench(tb)
    sim.run()
    assert len(order) >= 9 and order[:9] == [0, 1, 2] * 3


def test_arbiter_checks_masters():
    arb = wishbone.Arbiter(addr_width=4, data_width=32, granularity=8)
    with pytest.raises(ValueError, match="address width"):
        arb.add(wishbone.Signature(addr_width=5, data_width=32, granularity=8).create())
    with pytest.raises(ValueError, match="data width"):
        arb.add(wishbone.Signature(addr_width=4, data_width=16, granularity=8).create())


def test_signature_features():
    s = wishbone.Signature(addr_width=4, data_width=32, granularity=8,
                           features={"cti", "bte", "err"})
    assert set(s.members) >= {"cti", "bte", "err"}
    assert s.members["cti"].flow == wiring.Out and s.members["err"].flow == wiring.In
    assert s != wishbone.Signature(addr_width=4, data_width=32, granularity=8)
    with pytest.raises(ValueError, match="unsupported"):
        wishbone.Signature(addr_width=4, data_width=32, features={"stall"})
