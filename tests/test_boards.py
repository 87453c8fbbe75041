"""FPGA board targets and the console UART.

Normal suite: the UART transmitter in simulation, the ECP5 PLL divider search, and for
each board the elaboration + generated build tree (``do_build=False``: no yosys or
nextpnr run). Slow: the full ULX3S bitstream at 50 MHz (~6 min on 2 cores), which must
close timing (the build raises otherwise), and the iCEBreaker SoC at 12 MHz (~100 s)."""

from pathlib import Path

import pytest
from amaranth.sim import Simulator

from atsintc.soc.uart import UARTTx, uart_divisor


def _uart_run(data, divisor=4, fifo_depth=16, burst=True):
    dut = UARTTx(clk_freq=divisor * 1000, baud=1000, fifo_depth=fifo_depth)
    assert dut.divisor == divisor
    received = []
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def feed(ctx):
        for b in data:
            ctx.set(dut.data.payload, b)
            ctx.set(dut.data.valid, 1)
            await ctx.tick()
            while not burst and ctx.get(dut.busy):
                ctx.set(dut.data.valid, 0)
                await ctx.tick()
        ctx.set(dut.data.valid, 0)

    async def rx(ctx):
        # sample in the middle of each bit, like a receiver would
        while len(received) < len(data):
            await ctx.tick().until(dut.tx == 0)          # start bit edge
            await ctx.tick().repeat(divisor // 2)
            assert ctx.get(dut.tx) == 0, "start bit too short"
            byte = 0
            for i in range(8):
                await ctx.tick().repeat(divisor)
                byte |= ctx.get(dut.tx) << i
            await ctx.tick().repeat(divisor)
            assert ctx.get(dut.tx) == 1, "missing stop bit"
            received.append(byte)

    sim.add_testbench(feed)
    sim.add_testbench(rx)
    sim.run_until(1e-6 * (len(data) * 10 * divisor + 200))
    return dut, received


def test_uart_tx_burst_through_fifo():
    data = [0x55, 0x00, 0xFF, ord("A"), 0x80, 0x01]
    _, got = _uart_run(data, divisor=5)
    assert got == data


def test_uart_tx_without_fifo():
    data = [0xA5, 0x3C]
    _, got = _uart_run(data, divisor=4, fifo_depth=0, burst=False)
    assert got == data


def test_uart_overflow_counts_drops():
    dut = UARTTx(clk_freq=8000, baud=1000, fifo_depth=2)
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    state = {}

    async def tb(ctx):
        for b in range(10):                              # far faster than 8 cycles/bit
            ctx.set(dut.data.payload, b)
            ctx.set(dut.data.valid, 1)
            await ctx.tick()
        ctx.set(dut.data.valid, 0)
        await ctx.tick()
        state["overflow"] = ctx.get(dut.overflow)
        state["dropped"] = ctx.get(dut.dropped)

    sim.add_testbench(tb)
    sim.run()
    assert state["overflow"] == 1
    assert 5 <= state["dropped"] <= 8


def test_uart_tx_stream_back_pressure():
    """A stream source (holds its byte while ``ready`` is low, as the SoC's console)
    loses nothing through a 2-byte FIFO."""
    from amaranth.lib import stream
    assert UARTTx(8000, 1000).data.signature == stream.Signature(8).flip()
    data = list(range(0x41, 0x49))
    divisor = 4
    dut = UARTTx(clk_freq=divisor * 1000, baud=1000, fifo_depth=2)
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    received, stalls = [], []

    async def feed(ctx):
        for b in data:
            ctx.set(dut.data.payload, b)
            ctx.set(dut.data.valid, 1)
            while not ctx.get(dut.data.ready):      # hold the byte until it is taken
                stalls.append(b)
                await ctx.tick()
            await ctx.tick()                        # the transfer (valid & ready)
        ctx.set(dut.data.valid, 0)

    sim.add_testbench(feed)

    async def rx(ctx):
        while len(received) < len(data):
            await ctx.tick().until(dut.tx == 0)
            await ctx.tick().repeat(divisor // 2)
            byte = 0
            for i in range(8):
                await ctx.tick().repeat(divisor)
                byte |= ctx.get(dut.tx) << i
            await ctx.tick().repeat(divisor)
            received.append(byte)

    sim.add_testbench(rx)
    sim.run_until(1e-6 * (len(data) * 10 * divisor + 400))
    assert received == data
    assert stalls                   # 8 bytes through a 2-byte FIFO: it did push back


def test_uart_divisor():
    assert uart_divisor(50e6, 115200) == 434
    assert uart_divisor(12e6, 115200) == 104
    with pytest.raises(ValueError):
        uart_divisor(100e3, 115200)


def test_ecp5_pll_params():
    from atsintc.boards.ulx3s import ecp5_pll_params
    p = ecp5_pll_params(25, 50)     # what yowasp-ecppll -i 25 -o 50 prints
    assert (p["CLKI_DIV"], p["CLKFB_DIV"], p["CLKOP_DIV"], p["CLKOP_CPHASE"]) == (1, 2, 12, 5)
    p = ecp5_pll_params(25, 65)
    assert abs(p["fout_mhz"] - 65) < 1e-6 and 400 <= p["vco_mhz"] <= 800


def test_ulx3s_prepare(tmp_path):
    from atsintc.tools.firmware_build import build_firmware
    from atsintc.boards.ulx3s import build_ulx3s
    hexfile = build_firmware("hello", ["hello.c"])
    r = build_ulx3s(do_build=False, firmware_hex=hexfile, build_dir=tmp_path / "ulx3s")
    assert not r["built"]
    d = Path(r["build_dir"])
    for f in ("ulx3s.il", "ulx3s.lpf", "ulx3s.ys", "build_ulx3s.sh", "firmware.hex",
              "VexRiscv.v", "atsintc_soc_ram.v"):
        assert (d / f).exists(), f
    lpf = (d / "ulx3s.lpf").read_text()
    assert "50000000" in lpf                     # PLL output constraint
    assert "L4" in lpf and "G2" in lpf           # uart tx, clk25
    il = (d / "ulx3s.il").read_text()
    assert "EHXPLLL" in il and "firmware.hex" in il
    assert "--timing-allow-fail" not in (d / "build_ulx3s.sh").read_text()
    from atsintc.boards.ulx3s import YOSYS_WORKAROUND
    ys = (d / "ulx3s.ys").read_text()                # the yosys 0.70 workaround, before synth
    assert ys.index(YOSYS_WORKAROUND) < ys.index("synth_ecp5")


def test_icebreaker_prepare(tmp_path):
    from atsintc.boards.icebreaker import build_icebreaker
    r = build_icebreaker(do_build=False, build_dir=tmp_path / "ib")
    d = Path(r["build_dir"])
    for f in ("icebreaker.il", "icebreaker.pcf", "build_icebreaker.sh"):
        assert (d / f).exists(), f
    assert "--timing-allow-fail" not in (d / "build_icebreaker.sh").read_text()


@pytest.mark.slow
def test_ulx3s_bitstream_50mhz(tmp_path):
    from atsintc.boards.ulx3s import build_ulx3s
    r = build_ulx3s(do_build=True, freq_mhz=50, build_dir=tmp_path / "ulx3s")
    assert r["fmax_worst_mhz"] >= 50
    assert (Path(r["build_dir"]) / "ulx3s.bit").stat().st_size > 100_000
    assert r["luts"] < 84_000


@pytest.mark.slow
def test_icebreaker_controller_only_bitstream_12mhz(tmp_path):
    """The CPU-less demo (the SoC's bitstream is tests/test_icebreaker.py's)."""
    from atsintc.boards.icebreaker import build_icebreaker
    r = build_icebreaker(do_build=True, controller_only=True, build_dir=tmp_path / "ib")
    assert r["fmax_worst_mhz"] >= 12
    assert r["luts"] <= 5280
    assert (Path(r["build_dir"]) / "icebreaker.bin").exists()


def test_icebreaker_controller_demo_sim():
    """The iCEBreaker sequencer against the real controller: reset blocks one task per
    vector, two enqueues, an interrupt wake and dequeues, reported on the UART."""
    from atsintc.boards.icebreaker import ControllerDemo
    div = 4
    dut = ControllerDemo(clk_freq=div * 1000, baud=1000, uart_fifo=16)
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    text = []
    state = {}

    async def rx(ctx):
        while len(text) < 9 * 12:               # the nine expected lines
            await ctx.tick().until(dut.tx == 0)
            await ctx.tick().repeat(div // 2)
            byte = 0
            for i in range(8):
                await ctx.tick().repeat(div)
                byte |= ctx.get(dut.tx) << i
            await ctx.tick().repeat(div)
            text.append(chr(byte))

    async def press(ctx, b, hold=600):
        ctx.set(dut.buttons, 1 << b)
        await ctx.tick().repeat(hold)
        ctx.set(dut.buttons, 0)
        await ctx.tick().repeat(hold)

    async def tb(ctx):
        await ctx.tick().repeat(1200)           # the two BLOCK reports
        await press(ctx, 1)                     # E task 1 prio 1
        await press(ctx, 1)                     # E task 2 prio 2
        await press(ctx, 3)                     # wake task 0x41 (prio 0), re-block
        await press(ctx, 0)                     # D -> 0x41 (prio 0 first)
        state["shown1"] = ctx.get(dut.shown)
        await press(ctx, 0)                     # D -> task 1
        await press(ctx, 0)                     # D -> task 2
        state["shown3"] = ctx.get(dut.shown)
        await press(ctx, 0)                     # D -> empty
        await ctx.tick().repeat(800)
        state["empty"] = ctx.get(dut.empty_led)

    sim.add_testbench(rx)
    sim.add_testbench(tb)
    sim.run_until(1e-6 * 20000)
    lines = "".join(text).split("\r\n")
    assert lines[:9] == ["B 00000400", "B 00000410", "E 00000012", "E 00000024",
                         "B 00000410", "D 00000410", "D 00000012", "D 00000024",
                         "D 00000000"], lines
    assert state["shown1"] == 0x41 & 31 and state["shown3"] == 2 and state["empty"] == 1
