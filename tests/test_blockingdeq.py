"""The DEQUEUE_WAIT state (hdl/atsintc/gateware/blockingdeq.py): a task arriving, the timeout,
and the master withdrawing, each in several cycles."""

import pytest
from amaranth.sim import Simulator

from atsintc.gateware.blockingdeq import BlockingDequeue


def run(timeout, task_at=None, withdraw_at=None, proc=1):
    """Start a wait of ``proc``; a task becomes available in waiting cycle ``task_at``
    (0 = the first), the master withdraws in ``withdraw_at``. Returns (cycle of done or
    None, deq, waiting cycles)."""
    dut = BlockingDequeue(2)
    out = {}

    async def bench(ctx):
        ctx.set(dut.live, 1)
        ctx.set(dut.start, 1)
        ctx.set(dut.proc, proc)
        ctx.set(dut.timeout, timeout)
        await ctx.tick()
        ctx.set(dut.start, 0)
        ctx.set(dut.proc, 1 - proc)            # only the value at the start counts
        n = 0
        while ctx.get(dut.waiting):
            assert ctx.get(dut.wait_proc) == proc
            ctx.set(dut.live, withdraw_at is None or n < withdraw_at)
            # a task of the other process never ends the wait
            ctx.set(dut.avail, (1 << proc) if task_at is not None and n >= task_at
                    else 1 << (1 - proc))
            if ctx.get(dut.done):
                out["done"], out["deq"] = n, ctx.get(dut.deq)
            else:
                assert not ctx.get(dut.deq)
            await ctx.tick()
            n += 1
        out["cycles"] = n

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return out.get("done"), out.get("deq"), out["cycles"]


@pytest.mark.parametrize("timeout", [1, 2, 5])
def test_timeout(timeout):
    """With no task: done (no dequeue) in the last of ``timeout`` waiting cycles."""
    assert run(timeout) == (timeout - 1, 0, timeout)


@pytest.mark.parametrize("at", [0, 1, 3])
def test_task_arrives(at):
    assert run(10, task_at=at) == (at, 1, at + 1)


@pytest.mark.parametrize("at", [0, 2])
def test_withdrawn(at):
    """The master withdraws: the wait ends, no done, nothing dequeued (even if a task
    arrives in that cycle)."""
    assert run(10, task_at=at, withdraw_at=at) == (None, None, at + 1)
