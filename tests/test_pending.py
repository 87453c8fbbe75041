"""The pending-event counters (hdl/atsintc/gateware/pending.py)."""


def test_pending_next():
    """The pending-counter update, exhaustively on a 4-bit counter: every event counts
    (two in one cycle are two), a wake subtracts one, the counter saturates and says
    when an event was not counted; and whether the next value is 0."""
    from amaranth.hdl import Module, Signal
    from amaranth.sim import Simulator

    from atsintc.gateware.pending import pending_next

    m = Module()
    pending, e0, e1, dec = Signal(4, name="pending"), Signal(), Signal(), Signal()
    nxt, lost, nonzero = pending_next(m, pending, [e0, e1], dec)
    out = [Signal(4), Signal(), Signal()]
    m.d.comb += [o.eq(v) for o, v in zip(out, (nxt, lost, nonzero))]

    async def bench(ctx):
        for p in range(16):
            for ev in range(4):
                for d in range(2 if p else 1):
                    for sig, val in ((pending, p), (e0, ev & 1), (e1, ev >> 1), (dec, d)):
                        ctx.set(sig, val)
                    total = p + (ev & 1) + (ev >> 1) - d
                    want = (min(total, 15), int(total > 15), int(min(total, 15) != 0))
                    assert tuple(ctx.get(o) for o in out) == want, (p, ev, d)

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
