"""csr.Bank: decode in the request cycle, ack in the next with the read data; byte
lanes merged with the read value; read/write strobes; unmapped addresses; stall."""

import pytest
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In
from simutil import run_testbench

from atsintc.gateware import csr, wishbone

RW, RO, WO, STALLED = 1, 2, 3, 5


class Dut(wiring.Component):
    bus: In(wishbone.Signature(addr_width=4, data_width=32, granularity=8))

    def __init__(self):
        super().__init__()
        self.value = Signal(32, init=0x11223344)
        self.reads = Signal(8)          # r_stb count of the read-only element
        self.writes = Signal(8)         # w_stb count of the write-only element
        self.last = Signal(32)          # its last w_data
        self.hold = Signal()

    def elaborate(self, platform):
        m = Module()
        stall = Signal()
        m.d.comb += stall.eq(self.hold & (self.bus.adr == STALLED))
        bank = csr.Bank(self.bus, stall=stall)
        rw = bank.add(RW, 32, "rw", name="rw")
        ro = bank.add(RO, 16, "r", name="ro")
        wo = bank.add(WO, 32, "w", name="wo")
        st = bank.add(STALLED, 8, "rw", name="st")
        m.d.comb += [rw.r_data.eq(self.value), ro.r_data.eq(0xBEEF), st.r_data.eq(0x5A)]
        with m.If(rw.w_stb):
            m.d.sync += self.value.eq(rw.w_data)
        with m.If(ro.r_stb):
            m.d.sync += self.reads.eq(self.reads + 1)
        with m.If(wo.w_stb):
            m.d.sync += [self.writes.eq(self.writes + 1), self.last.eq(wo.w_data)]
        bank.elaborate(m)
        return m


async def access(ctx, bus, adr, data=None, sel=0xF):
    """One classic cycle; returns (read data, cycles from request to ack inclusive)."""
    ctx.set(bus.cyc, 1)
    ctx.set(bus.stb, 1)
    ctx.set(bus.adr, adr)
    ctx.set(bus.we, data is not None)
    ctx.set(bus.dat_w, data or 0)
    ctx.set(bus.sel, sel)
    n = 1
    await ctx.tick()
    while not ctx.get(bus.ack):
        n += 1
        await ctx.tick()
    out = ctx.get(bus.dat_r)
    ctx.set(bus.cyc, 0)
    ctx.set(bus.stb, 0)
    await ctx.tick()
    return out, n


def run(bench):
    run_testbench(Dut(), bench)


def test_read_write_and_byte_lanes():
    async def bench(ctx, dut):
        assert await access(ctx, dut.bus, RW) == (0x11223344, 1)   # ack in the next cycle
        assert (await access(ctx, dut.bus, RW, 0xAABBCCDD, sel=0b0101))[1] == 1
        assert ctx.get(dut.value) == 0x11BB33DD                      # lanes 0, 2 only
        assert (await access(ctx, dut.bus, RW))[0] == 0x11BB33DD
        assert (await access(ctx, dut.bus, RO))[0] == 0xBEEF
        assert (await access(ctx, dut.bus, RO, 0xFFFF))[0] == 0     # read-only: ignored
        assert ctx.get(dut.reads) == 1                               # r_stb once per read
    run(bench)


def test_write_only_and_unmapped():
    async def bench(ctx, dut):
        await access(ctx, dut.bus, WO, 0x12345678, sel=0b0011)
        assert ctx.get(dut.writes) == 1
        assert ctx.get(dut.last) == 0x5678                           # other bytes: 0
        assert await access(ctx, dut.bus, WO) == (0, 1)              # write-only reads 0
        assert await access(ctx, dut.bus, 0xF) == (0, 1)             # unmapped: ack, 0
        await access(ctx, dut.bus, 0xF, 0xFFFFFFFF)
        assert ctx.get(dut.value) == 0x11223344 and ctx.get(dut.writes) == 1
    run(bench)


def test_back_to_back_one_strobe_each():
    """A master that keeps cyc & stb high through the ack gets one access per 2 cycles,
    each with exactly one strobe."""
    async def bench(ctx, dut):
        bus = dut.bus
        ctx.set(bus.cyc, 1)
        ctx.set(bus.stb, 1)
        ctx.set(bus.adr, RO)
        acks = 0
        for _ in range(10):
            await ctx.tick()
            acks += ctx.get(bus.ack)
        assert acks == 5 and ctx.get(dut.reads) == 5
    run(bench)


def test_stall_holds_the_request():
    async def bench(ctx, dut):
        ctx.set(dut.hold, 1)
        ctx.set(dut.bus.cyc, 1)
        ctx.set(dut.bus.stb, 1)
        ctx.set(dut.bus.adr, STALLED)
        for _ in range(5):
            await ctx.tick()
            assert not ctx.get(dut.bus.ack)
        ctx.set(dut.hold, 0)
        await ctx.tick()
        assert ctx.get(dut.bus.ack) and ctx.get(dut.bus.dat_r) == 0x5A
    run(bench)


def test_bad_registers():
    bus = wishbone.Signature(addr_width=4, data_width=32, granularity=8).flip().create()
    bank = csr.Bank(bus)
    bank.add(1, 8)
    with pytest.raises(ValueError, match="already taken"):
        bank.add(1, 8)
    with pytest.raises(ValueError, match=r"integer in \[0, 16\)"):
        bank.add(16, 8)
    with pytest.raises(ValueError, match="wider than the 32-bit bus"):
        bank.add(2, 33)
    with pytest.raises(ValueError, match="is not a valid"):
        bank.add(3, 8, "x")
    with pytest.raises(TypeError, match="positive integer"):
        csr.Element.Signature(0, "r")
