"""Helpers shared by the Amaranth-simulator tests."""

from amaranth.sim import Simulator


def run_testbench(dut, bench, *, period=1e-6):
    """Simulate ``dut`` with one clock, running ``await bench(ctx, dut)`` as the
    testbench (Amaranth 0.5's async API) to its end."""
    sim = Simulator(dut)
    sim.add_clock(period)

    async def testbench(ctx):
        await bench(ctx, dut)
    sim.add_testbench(testbench)
    sim.run()
