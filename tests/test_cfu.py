# amaranth: UnusedElaboratable=no
"""The CFU port (issue 14): :class:`atsintc.gateware.cfu.CfuBridge` alone in the Amaranth
simulator (cycle-exact), and the VexRiscv_FullCfu SoC running ``firmware/tests/cfu_test.c``
on Verilator (custom instructions on the controller, mixed with MMIO, BLOCK + wake, SEND,
errors, and the cycle cost of both access paths)."""

import re
from dataclasses import replace

import pytest
from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from simutil import run_testbench

from atsintc.gateware import wishbone
from atsintc.gateware.cfu import CfuBridge, decode, encode
from atsintc.soc import memmap
from atsintc.soc.soc import CFU_VARIANT, SoC
from atsintc.tools import socsim

AW = 13             # the default SoC's controller: 5 windows of 4 KiB = 0x5000 bytes
PROC0 = 0x9000_1000  # process 0's window as firmware addresses it (high bits fall off)


class FakeSlave(wiring.Component):
    """A 2-cycle slave (request, then ack gated by ``cyc & stb``, read data with the ack)
    like the controller on its own port; ``hold`` delays the ack (a DEQUEUE_WAIT).
    Reads return ``0xA000_0000 | adr``; the last write is in ``wr_adr`` / ``wr_data``."""
    bus: In(wishbone.Signature(addr_width=AW, data_width=32, granularity=8))
    hold: In(1)
    wr_adr: Out(AW)
    wr_data: Out(32)
    writes: Out(8)
    reads: Out(8)

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        live = bus.cyc & bus.stb
        ack_r = Signal()
        m.d.comb += bus.ack.eq(ack_r & live)
        m.d.sync += ack_r.eq(0)
        with m.If(live & ~ack_r & ~self.hold):
            m.d.sync += [ack_r.eq(1), bus.dat_r.eq(0xA000_0000 | bus.adr)]
            with m.If(bus.we):
                m.d.sync += [self.wr_adr.eq(bus.adr), self.wr_data.eq(bus.dat_w),
                             self.writes.eq(self.writes + 1)]
            with m.Else():
                m.d.sync += self.reads.eq(self.reads + 1)
        return m


class Dut(wiring.Component):
    def __init__(self, registered=False):
        self.registered = registered
        self.bridge = CfuBridge(addr_width=AW, registered=registered)
        self.slave = FakeSlave()
        super().__init__({"hold": In(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.bridge = self.bridge
        m.submodules.slave = self.slave
        wiring.connect(m, self.bridge.bus, self.slave.bus)
        m.d.comb += self.slave.hold.eq(self.hold)
        return m


def fid(offset, write):
    f3, f7 = encode(offset, write)
    return f7 << 3 | f3


def command(ctx, br, offset, write, rs1=PROC0, rs2=0):
    ctx.set(br.cmd.valid, 1)
    ctx.set(br.cmd.payload.function_id, fid(offset, write))
    ctx.set(br.cmd.payload.inputs_0, rs1)
    ctx.set(br.cmd.payload.inputs_1, rs2)


def word(byte_addr):
    return (byte_addr % (4 << AW)) >> 2


async def issue(ctx, br, offset, write, rs1=PROC0, rs2=0):
    """Present a command until it is taken (the CPU's execute stage); returns the cycles
    it waited."""
    command(ctx, br, offset, write, rs1, rs2)
    waited = 0
    while not ctx.get(br.cmd.ready):
        await ctx.tick()
        waited += 1
    await ctx.tick()
    ctx.set(br.cmd.valid, 0)
    return waited


def run(bench, registered=False):
    dut = Dut(registered)

    async def b(ctx, dut):
        ctx.set(dut.bridge.rsp.ready, 1)
        await bench(ctx, dut, dut.bridge, dut.slave)
    run_testbench(dut, b)


# ---- encoding ------------------------------------------------------------------------

def test_encoding_round_trip():
    assert encode(0x000, True) == (1, 0)            # ENQUEUE
    assert encode(0x008, False) == (0, 1)           # DEQUEUE
    assert encode(0x100, True) == (1, 0x20)         # BLOCK(0)
    assert encode(0x500, True) == (3, 0x20)         # SEND(0): offset bit 10 in funct3[1]
    assert encode(0xFF8, False) == (6, 0x7F)
    for off in range(0, 0x1000, 8):
        for w in (False, True):
            assert decode(fid(off, w)) == (off, w)


def test_bad_parameters():
    with pytest.raises(ValueError, match="multiple of 8 in 0..4088"):
        encode(0x1000, True)
    with pytest.raises(ValueError, match="multiple of 8"):
        encode(4, False)
    with pytest.raises(ValueError, match="addr_width must be an integer in 1..30"):
        CfuBridge(addr_width=0)
    with pytest.raises(ValueError, match="addr_width must be an integer in 1..30"):
        CfuBridge(addr_width=31)
    with pytest.raises(ValueError, match="32-bit data .* xlen=32"):
        CfuBridge(addr_width=13, data_width=64)
    with pytest.raises(TypeError, match="registered must be a bool"):
        CfuBridge(addr_width=13, registered=1)


# ---- cycle timing --------------------------------------------------------------------

def test_write_two_cycles_combinational_request():
    """ENQUEUE: the request is on the bus in the command's own cycle (from the command),
    held from the registers in the next, where the ack and the response (0) come."""
    async def bench(ctx, dut, br, sl):
        await ctx.tick()
        command(ctx, br, 0x000, True, rs2=0x1234_5670)
        # cycle 0: accepted, request driven combinationally
        assert ctx.get(br.cmd.ready) == 1
        assert (ctx.get(br.bus.cyc), ctx.get(br.bus.stb), ctx.get(br.bus.we)) == (1, 1, 1)
        assert ctx.get(br.bus.adr) == word(PROC0) == 0x400
        assert ctx.get(br.bus.dat_w) == 0x1234_5670 and ctx.get(br.bus.sel) == 0b1111
        assert ctx.get(br.rsp.valid) == 0
        await ctx.tick()
        ctx.set(br.cmd.valid, 0)
        # cycle 1: held, acked, response valid with outputs_0 = 0
        assert (ctx.get(br.bus.cyc), ctx.get(br.bus.adr), ctx.get(br.bus.we)) == (1, 0x400, 1)
        assert ctx.get(br.bus.dat_w) == 0x1234_5670
        assert ctx.get(br.bus.ack) == 1
        assert (ctx.get(br.rsp.valid), ctx.get(br.rsp.payload.outputs_0)) == (1, 0)
        assert ctx.get(br.cmd.ready) == 0
        await ctx.tick()
        # cycle 2: idle
        assert (ctx.get(br.bus.cyc), ctx.get(br.rsp.valid), ctx.get(br.cmd.ready)) == (0, 0, 1)
        assert (ctx.get(sl.writes), ctx.get(sl.wr_adr), ctx.get(sl.wr_data)) == \
            (1, 0x400, 0x1234_5670)
    run(bench)


def test_read_returns_data_in_ack_cycle():
    async def bench(ctx, dut, br, sl):
        command(ctx, br, 0x008, False)              # DEQUEUE
        assert ctx.get(br.bus.adr) == word(PROC0 + 8) and ctx.get(br.bus.we) == 0
        await ctx.tick()
        ctx.set(br.cmd.valid, 0)
        assert ctx.get(br.rsp.valid) == 1
        assert ctx.get(br.rsp.payload.outputs_0) == 0xA000_0000 | word(PROC0 + 8)
        await ctx.tick()
        assert ctx.get(br.rsp.valid) == 0 and ctx.get(sl.reads) == 1
    run(bench)


@pytest.mark.parametrize("rs1,offset", [(PROC0, 0x500), (0x9000_3000, 0xD08),
                                        (0x9000_0000, 0x600 + 8 * 5), (0x9000_1010, 0xFF8),
                                        (0x9000_1000 + 0x48, 0)])
def test_address_is_rs1_plus_offset_modulo_the_port(rs1, offset):
    async def bench(ctx, dut, br, sl):
        command(ctx, br, offset, False, rs1=rs1)
        assert ctx.get(br.bus.adr) == word(rs1 + offset)
        await ctx.tick()
        ctx.set(br.cmd.valid, 0)
        assert ctx.get(br.rsp.payload.outputs_0) == 0xA000_0000 | word(rs1 + offset)
    run(bench)


def test_back_to_back_two_cycles_each():
    """A second command waits while the first holds the bus (its cycle 1): 2 cycles per
    access, the bus never idle in between."""
    async def bench(ctx, dut, br, sl):
        acks = []
        command(ctx, br, 0x000, True, rs2=0x10)
        for cycle in range(6):
            if cycle == 1:
                command(ctx, br, 0x008, False)        # the next instruction, at once
            if ctx.get(br.bus.ack):
                acks.append((cycle, ctx.get(br.bus.we), ctx.get(br.rsp.valid)))
            ready = ctx.get(br.cmd.ready)
            await ctx.tick()
            if ready and cycle >= 2:
                ctx.set(br.cmd.valid, 0)
            if cycle == 0:
                ctx.set(br.cmd.valid, 0)
        assert acks == [(1, 1, 1), (3, 0, 1)], acks
        assert (ctx.get(sl.writes), ctx.get(sl.reads)) == (1, 1)
    run(bench)


def test_response_held_until_taken():
    async def bench(ctx, dut, br, sl):
        ctx.set(br.rsp.ready, 0)
        assert await issue(ctx, br, 0x008, False) == 0
        assert ctx.get(br.rsp.valid) == 1                       # ack cycle, not taken
        data = ctx.get(br.rsp.payload.outputs_0)
        for _ in range(3):
            await ctx.tick()
            assert ctx.get(br.bus.cyc) == 0                     # the access is over
            assert ctx.get(br.rsp.valid) == 1 and ctx.get(br.rsp.payload.outputs_0) == data
            command(ctx, br, 0x000, True)                        # not accepted meanwhile
            assert ctx.get(br.cmd.ready) == 0 and ctx.get(br.bus.cyc) == 0
        ctx.set(br.cmd.valid, 0)
        ctx.set(br.rsp.ready, 1)
        await ctx.tick()
        assert ctx.get(br.rsp.valid) == 0 and ctx.get(br.cmd.ready) == 1
        assert (ctx.get(sl.reads), ctx.get(sl.writes)) == (1, 0)
    run(bench)


def test_slow_slave_holds_request_stable():
    """A held access (DEQUEUE_WAIT): the request stays on the bus, unchanged, until the
    ack; the response comes with it."""
    async def bench(ctx, dut, br, sl):
        ctx.set(dut.hold, 1)
        await issue(ctx, br, 0x010, False)
        for _ in range(5):
            assert (ctx.get(br.bus.cyc), ctx.get(br.bus.adr)) == (1, word(PROC0 + 0x10))
            assert ctx.get(br.rsp.valid) == 0 and ctx.get(br.cmd.ready) == 0
            await ctx.tick()
        ctx.set(dut.hold, 0)
        await ctx.tick()
        assert ctx.get(br.rsp.valid) == 1
        assert ctx.get(br.rsp.payload.outputs_0) == 0xA000_0000 | word(PROC0 + 0x10)
        await ctx.tick()
        assert ctx.get(br.bus.cyc) == 0 and ctx.get(sl.reads) == 1
    run(bench)


def test_defer_holds_a_new_access_back():
    """``defer`` (the dBus busy): the command is taken but its access waits off the bus
    until ``defer`` falls, then goes out from the registers (ack in the next cycle)."""
    async def bench(ctx, dut, br, sl):
        ctx.set(br.defer, 1)
        command(ctx, br, 0x000, True, rs2=0x55)
        assert ctx.get(br.cmd.ready) == 1 and ctx.get(br.bus.cyc) == 0
        await ctx.tick()
        ctx.set(br.cmd.valid, 0)
        for _ in range(3):
            assert ctx.get(br.bus.cyc) == 0 and ctx.get(br.cmd.ready) == 0
            await ctx.tick()
        ctx.set(br.defer, 0)
        assert (ctx.get(br.bus.cyc), ctx.get(br.bus.adr), ctx.get(br.bus.dat_w)) == \
            (1, word(PROC0), 0x55)
        assert ctx.get(br.bus.ack) == 0
        await ctx.tick()
        ctx.set(br.defer, 1)                    # too late: the access has started
        assert ctx.get(br.bus.cyc) == 1 and ctx.get(br.bus.ack) == 1
        assert ctx.get(br.rsp.valid) == 1
        await ctx.tick()
        assert ctx.get(br.bus.cyc) == 0 and ctx.get(br.cmd.ready) == 1
        assert (ctx.get(sl.writes), ctx.get(sl.wr_data)) == (1, 0x55)
    run(bench)


def test_defer_does_not_withdraw_a_started_access():
    async def bench(ctx, dut, br, sl):
        ctx.set(dut.hold, 1)
        await issue(ctx, br, 0x010, False)
        ctx.set(br.defer, 1)
        for _ in range(4):
            assert ctx.get(br.bus.cyc) == 1
            await ctx.tick()
        ctx.set(dut.hold, 0)
        await ctx.tick()
        assert ctx.get(br.rsp.valid) == 1 and ctx.get(sl.reads) == 1
        await ctx.tick()
        command(ctx, br, 0x008, False)          # the next one waits for defer
        assert ctx.get(br.bus.cyc) == 0 and ctx.get(br.cmd.ready) == 1
    run(bench)


def test_registered_one_cycle_later():
    async def bench(ctx, dut, br, sl):
        command(ctx, br, 0x008, False)
        assert ctx.get(br.cmd.ready) == 1 and ctx.get(br.bus.cyc) == 0   # not yet
        await ctx.tick()
        ctx.set(br.cmd.valid, 0)
        assert (ctx.get(br.bus.cyc), ctx.get(br.bus.adr)) == (1, word(PROC0 + 8))
        assert ctx.get(br.rsp.valid) == 0
        await ctx.tick()
        assert ctx.get(br.rsp.valid) == 1
        assert ctx.get(br.rsp.payload.outputs_0) == 0xA000_0000 | word(PROC0 + 8)
        await ctx.tick()
        assert ctx.get(br.bus.cyc) == 0 and ctx.get(br.cmd.ready) == 1
    run(bench, registered=True)


# ---- the SoC (Verilator) ---------------------------------------------------------------

CHECKS = [
    "CFU off after reset, on after csrs 0xBC0 bit 31",
    "six CFU enqueues counted (READY_COUNT by CFU and by MMIO)",
    "CFU dequeues in priority order, FIFO among equals, then 0",
    "CFU and MMIO mixed on one queue",
    "MMIO ENQUEUE store then CFU DEQUEUE back to back",
    "CFU ENQUEUE then MMIO DEQUEUE load back to back",
    "MMIO store then CFU read of the same register back to back (program order)",
    "CFU on process 1's window and the kernel window (rs1 selects it)",
    "CFU BLOCK: the task waits on the vector",
    "VEC_RAISE through the CFU wakes it, CFU DEQUEUE returns it",
    "CFU HANDLER + SEND (offset 0x500 + ...) + RECV",
    "ENQUEUE of word 0 through the CFU: ERROR.INVALID read through the CFU",
    "CFU read of an unmapped offset: 0 and ERROR.UNMAPPED",
    "ERROR cleared by a CFU write (RW1C), nothing enqueued",
    "CFU DEQUEUE_WAIT: a ready task at once; empty: 0 after WAIT_TIMEOUT",
    "a CFU read (DEQUEUE) costs less than the MMIO load",
    "no controller error at the end",
]


def cfu_soc(cfu_bus="shared"):
    return SoC(cpu_variant=CFU_VARIANT, cfu_bus=cfu_bus)


def run_cfu_test(cfu_bus):
    r = socsim.run_firmware(f"cfu-test-{cfu_bus}", ["tests/cfu_test.c"], soc=cfu_soc(cfu_bus),
                            cflags=[f'-DCFU_BUS="{cfu_bus}"'], max_cycles=2_000_000,
                            timeout=600)
    print(r.console, r.summary())
    m = re.search(r"^RESULT cfu (\w+)((?: \w+=\d+)+)$", r.console, re.M)
    res = {k: int(v) for k, v in (p.split("=") for p in m.group(2).split())} if m else {}
    return r, res


def test_soc_parameters():
    with pytest.raises(ValueError, match="supported on a one-hart SoC only"):
        SoC(cpu_variant=CFU_VARIANT, harts=2,
            atsintc_params=replace(memmap.DEFAULT_ATSINTC_PARAMS, ports=2))
    with pytest.raises(ValueError, match="cfu_bus must be one of 'shared', 'port'"):
        SoC(cpu_variant=CFU_VARIANT, cfu_bus="fast")
    with pytest.raises(ValueError, match="needs a CPU with a CFU port"):
        SoC(cfu_bus="port")
    s = cfu_soc("port")
    assert s.atsintc_params.ports == 2 and "cfu_bus=port" in s.describe()
    s = cfu_soc()
    assert s.atsintc_params.ports == 1 and "cfu_bus=shared" in s.describe()
    assert "cfu" not in SoC().describe()
    assert SoC().describe() == SoC(cpu_variant="VexRiscv_Full", cfu_bus="shared").describe()


def test_cfu_shared():
    """The default: the bridge and the dBus share the controller's port (2-cycle
    accesses on both paths). A custom ENQUEUE or DEQUEUE costs 1 cycle in the pipeline
    (a DEQUEUE whose result the next instruction uses: 1 stall more, bypassed from the
    memory stage); the uncached load 4 (+2 with the use). An isolated MMIO store costs
    1 too (VexRiscv posts it)."""
    r, res = run_cfu_test("shared")
    for what in CHECKS:
        assert f"CHECK ok {what}" in r.console, (what, r.console)
    assert "FAIL" not in r.console and r.reason == "exit" and r.exit_code == 0, r.console
    assert (res["enq_cfu"], res["deq_cfu"], res["deq_use_cfu"]) == (1, 1, 3), res
    assert res["pair_cfu"] == 3, res                # the second waits for the bus once
    assert res["deq_mmio"] >= 4 and res["deq_use_mmio"] >= 7, res


def test_cfu_own_port():
    """cfu_bus="port": the controller gets a second port (3-cycle accesses on both, the
    PortArbiter's grant cycle): a custom instruction costs 2 cycles, an MMIO load one
    more than with one port."""
    r, res = run_cfu_test("port")
    for what in CHECKS:
        assert f"CHECK ok {what}" in r.console, (what, r.console)
    assert "FAIL" not in r.console and r.reason == "exit" and r.exit_code == 0, r.console
    assert (res["enq_cfu"], res["deq_cfu"], res["deq_use_cfu"]) == (2, 2, 4), res
    assert res["deq_mmio"] >= 5, res


def test_cfu_disabled_is_illegal():
    r = socsim.run_firmware("cfu-disabled", ["tests/cfu_disabled.c"], soc=cfu_soc(),
                            max_cycles=200_000, timeout=600)
    print(r.console, r.summary())
    assert r.console == "enabled: ok\noff after csrw\n", r.console
    assert r.reason == "exit" and r.exit_code == 0x102      # mcause 2: illegal instruction
