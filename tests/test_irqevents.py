"""Interrupt events (hdl/atsintc/gateware/irqevents.py): edges, a line high at the end of reset,
and the level-mode gate."""

from amaranth.hdl import *
from amaranth.sim import Simulator

from atsintc.gateware.irqevents import IrqEvents


def events(lines, level=0, opens=(), reset_high=False):
    """Drive line 0 with ``lines`` (one value per cycle); ``opens``: cycles with an
    accepted BLOCK; ``reset_high``: first two cycles in reset with the line high.
    Returns the event bit of each cycle after reset."""
    m = Module()
    m.domains.sync = cd = ClockDomain()
    m.submodules.dut = dut = IrqEvents(1)
    got = []

    async def bench(ctx):
        ctx.set(dut.level, level)
        if reset_high:
            ctx.set(cd.rst, 1)
            ctx.set(dut.irq_in, 1)
            await ctx.tick()
            await ctx.tick()
            ctx.set(cd.rst, 0)
        for t, v in enumerate(lines):
            ctx.set(dut.irq_in, v)
            ctx.set(dut.open, t in opens)
            got.append(ctx.get(dut.event))
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return got


def test_edges():
    assert events([0, 1, 1, 0, 1, 0, 0, 1]) == [0, 1, 0, 0, 1, 0, 0, 1]


def test_level_gate():
    """Level mode: one event when the line is high with the gate open; the gate opens
    again at an accepted BLOCK."""
    assert events([1, 1, 1, 1, 1, 0, 1], level=1, opens={2}) == [1, 0, 0, 1, 0, 0, 0]
    assert events([0, 0, 1, 1], level=1, opens={0}) == [0, 0, 1, 0]


def test_line_high_after_reset_is_no_edge():
    assert events([1, 1, 0, 1], reset_high=True) == [0, 0, 0, 1]
    assert events([1, 1, 0, 1]) == [1, 0, 0, 1]           # (no reset: an edge)
