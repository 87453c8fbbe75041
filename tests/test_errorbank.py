"""The sticky ERROR registers (hdl/atsintc/gateware/errorbank.py) against a Python model."""

import random

from amaranth.sim import Simulator

from atsintc.gateware.errorbank import ErrorBank
from atsintc.regmap import ERRORS


def test_errorbank_random():
    W, B = 3, len(ERRORS)
    po = 1 << [n for n, _ in ERRORS].index("PENDING_OVERFLOW")
    dut = ErrorBank(W)
    rnd = random.Random(1)
    ref = [0] * W

    async def bench(ctx):
        for _ in range(2000):
            st, win, ov = rnd.getrandbits(B), rnd.randrange(W), rnd.getrandbits(1)
            clr = [rnd.getrandbits(B) if rnd.random() < 0.3 else 0 for _ in range(W)]
            ctx.set(dut.set.as_value(), st)
            ctx.set(dut.window, 1 << win)
            ctx.set(dut.overflow, ov)
            for w in range(W):
                ctx.set(dut.clear[w].as_value(), clr[w])
            await ctx.tick()
            for w in range(W):
                # cleared bits drop, raised bits (also raised and cleared at once) stay
                ref[w] = (ref[w] & ~clr[w]) | (st if w == win else 0) | (po if ov and w == 0
                                                                           else 0)
                assert ctx.get(dut.err[w].as_value()) == ref[w], (w, ref[w])
        assert any(ref)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
