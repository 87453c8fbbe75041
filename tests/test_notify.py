"""CPU notification (hdl/atsintc/gateware/notify.py): irq_out for every input combination."""

import itertools

from amaranth.sim import Simulator

from atsintc.gateware.notify import Notification


def test_notification_truth_table():
    dut = Notification(processes=2, prio_bits=2)

    async def bench(ctx):
        cases = list(itertools.product(range(4), range(2), range(4), [0, 2, 3, 0xFF]))
        for en, empty, best, cur in cases:
            ctx.set(dut.enable[1].as_value(), en)
            ctx.set(dut.empty, empty << 1)
            ctx.set(dut.best[1], best)
            ctx.set(dut.cur_prio[1], cur)
            await ctx.tick()
            want = ((en & 1 and not empty) or (en & 2 and not empty and best < cur))
            assert ctx.get(dut.irq) == (int(bool(want)) << 1), (en, empty, best, cur)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
