"""The wake engine's pieces (hdl/atsintc/gateware/wake.py)."""

import pytest


@pytest.mark.parametrize("n", [1, 3, 4, 5, 8, 16, 17, 64])
def test_lowest_one(n):
    """The wake engine's selection (a LUT tree, not a carry chain) is x & -x."""
    import random

    from amaranth.hdl import Module, Signal
    from amaranth.sim import Simulator

    from atsintc.gateware.wake import lowest_one

    x, y = Signal(n), Signal(n)
    m = Module()
    m.d.comb += y.eq(lowest_one(x))
    rnd = random.Random(n)
    # beyond 8 bits: random values shifted left by a random amount, so that the lowest
    # set bit falls in every group of the tree (unshifted ones nearly always have it
    # in the first group)
    # (the Python simulator takes about 0.12 s per value of the 64-bit tree: fewer there,
    # still about 1.5 per bit position)
    mask = (1 << n) - 1
    values = range(1 << n) if n <= 8 else [0, 1 << (n - 1)] + [
        (rnd.getrandbits(n) << rnd.randrange(n)) & mask for _ in range(400 if n < 64 else 100)]

    async def bench(ctx):
        for v in values:
            ctx.set(x, v)
            assert ctx.get(y) == v & -v, (v, ctx.get(y))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
