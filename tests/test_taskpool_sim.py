"""Simulation of the task pool (Amaranth simulator) against a reference of one Python
FIFO per list, at sizes the formal proof does not reach; plus parameter validation."""

import random
from collections import deque

import pytest
from amaranth.sim import Simulator

from atsintc.gateware.taskpool import TaskPool


def run_random(size, lists, width, cycles, seed, counts=True):
    dut = TaskPool(size=size, lists=lists, width=width, counts=counts)
    rnd = random.Random(seed)
    ref = [deque() for _ in range(lists)]
    stats = {"push": 0, "pop": 0, "both": 0, "same": 0, "full": 0}

    def plan_pop():
        """The list the next cycle pops (or None), chosen on the state after this one."""
        nonempty = [i for i in range(lists) if ref[i]]
        if nonempty and rnd.random() < 0.55:
            return rnd.choice(nonempty)
        return None

    async def bench(ctx):
        pop = None
        for _ in range(cycles):
            # this cycle: the planned pop, and a push if an entry is free
            held = sum(map(len, ref))
            push = rnd.randrange(lists) if held < size and rnd.random() < 0.6 else None
            if pop is not None:
                assert ctx.get(dut.peek_word) == ref[pop][0], pop
            word = rnd.getrandbits(width)
            ctx.set(dut.pop, pop is not None)
            ctx.set(dut.pop_list, pop or 0)
            ctx.set(dut.push, push is not None)
            ctx.set(dut.push_list, push or 0)
            ctx.set(dut.word, word)
            if pop is not None:
                ref[pop].popleft()
                stats["pop"] += 1
            if push is not None:
                ref[push].append(word)
                stats["push"] += 1
            stats["both"] += pop is not None and push is not None
            stats["same"] += pop is not None and pop == push
            pop = plan_pop()
            peek = pop if pop is not None else rnd.randrange(lists)
            ctx.set(dut.peek, peek)
            await ctx.tick()
            if counts:
                got = ctx.get(dut.counts)
                assert [got[i] for i in range(lists)] == [len(q) for q in ref]
            assert ctx.get(dut.nonempty) == sum(1 << i for i in range(lists) if ref[i])
            assert ctx.get(dut.free) == size - sum(map(len, ref))
            assert ctx.get(dut.peek_valid) == bool(ref[peek])
            if ref[peek]:
                assert ctx.get(dut.peek_word) == ref[peek][0]
            stats["full"] += ctx.get(dut.free) == 0

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return stats


@pytest.mark.parametrize("size,lists,counts", [(64, 9, True), (37, 5, True), (1, 1, True),
                                               (256, 40, True), (37, 5, False),
                                               (1, 1, False), (64, 9, False)])
def test_taskpool_random(size, lists, counts):
    stats = run_random(size, lists, 16, 6000, seed=size, counts=counts)
    # every case was reached: push and pop in one cycle (of one list too), a full pool
    assert stats["push"] and stats["pop"] and stats["full"], stats
    if size > 1:        # a push needs a free entry at the start of the cycle
        assert stats["both"] and stats["same"], stats


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(size=0, lists=1, width=8), ValueError, "size must be at least 1"),
    (dict(size=4, lists=0, width=8), ValueError, "lists must be at least 1"),
    (dict(size=4, lists=2, width="8"), TypeError, "width must be an integer"),
])
def test_taskpool_bad_parameters(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        TaskPool(**kwargs)
