"""Simulation of the task pool (Amaranth simulator) against a reference of one Python
FIFO per list, at sizes the formal proof does not reach; plus parameter validation."""

import random
from collections import deque

import pytest
from amaranth.sim import Simulator

from atsintc.taskpool import Op, TaskPool


def run_random(size, lists, width, cycles, seed):
    dut = TaskPool(size=size, lists=lists, width=width)
    rnd = random.Random(seed)
    ref = [deque() for _ in range(lists)]
    stats = {"push": 0, "pop": 0, "move": 0, "full": 0}

    def plan():
        """The next cycle's operation, chosen within the pool's contract."""
        held = sum(map(len, ref))
        nonempty = [i for i in range(lists) if ref[i]]
        r = rnd.random()
        if held < size and (r < 0.45 or not nonempty):
            return Op.PUSH, 0, rnd.randrange(lists), rnd.getrandbits(width)
        if not nonempty:
            return Op.NONE, 0, 0, 0
        a = rnd.choice(nonempty)
        if r < 0.75 and lists > 1:
            b = rnd.choice([i for i in range(lists) if i != a])
            return Op.MOVE, a, b, 0
        return Op.POP, a, 0, 0

    async def bench(ctx):
        nxt = plan()
        last_peek = None
        for _ in range(cycles):
            op, a, b, word = nxt
            # this cycle's operation, and a peek of the list the next one takes from
            # (planned on the state after this one)
            if op in (Op.POP, Op.MOVE):
                assert ctx.get(dut.peek_word) == ref[a][0], (op, a)
            ctx.set(dut.op, op)
            ctx.set(dut.list_a, a)
            ctx.set(dut.list_b, b)
            ctx.set(dut.word, word)
            if op == Op.PUSH:
                ref[b].append(word)
                stats["push"] += 1
            elif op == Op.POP:
                ref[a].popleft()
                stats["pop"] += 1
            elif op == Op.MOVE:
                ref[b].append(ref[a].popleft())
                stats["move"] += 1
            nxt = plan()
            peek = nxt[1] if nxt[0] in (Op.POP, Op.MOVE) else rnd.randrange(lists)
            ctx.set(dut.peek, peek)
            await ctx.tick()
            last_peek = peek
            counts = ctx.get(dut.counts)
            assert [counts[i] for i in range(lists)] == [len(q) for q in ref]
            assert ctx.get(dut.nonempty) == sum(1 << i for i in range(lists) if ref[i])
            assert ctx.get(dut.free) == size - sum(map(len, ref))
            assert ctx.get(dut.peek_valid) == bool(ref[last_peek])
            if ref[last_peek]:
                assert ctx.get(dut.peek_word) == ref[last_peek][0]
            stats["full"] += ctx.get(dut.free) == 0

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return stats


@pytest.mark.parametrize("size,lists", [(64, 9), (37, 5), (1, 1), (256, 40)])
def test_taskpool_random(size, lists):
    stats = run_random(size, lists, 16, 6000, seed=size)
    assert stats["push"] and stats["pop"] and stats["full"]      # every case was reached
    if lists > 1:
        assert stats["move"]


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(size=0, lists=1, width=8), ValueError, "size must be at least 1"),
    (dict(size=4, lists=0, width=8), ValueError, "lists must be at least 1"),
    (dict(size=4, lists=2, width="8"), TypeError, "width must be an integer"),
])
def test_taskpool_bad_parameters(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        TaskPool(**kwargs)
