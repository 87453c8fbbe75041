"""The two ready-queue backends (hdl/atsintc/gateware/queues.py) side by side: the same random
enqueues, peeks and dequeues drive a pool and a systolic ReadyQueues, and every
output must be equal in every cycle (and match a Python model)."""

import random

from amaranth.hdl import Module
from amaranth.sim import Simulator

from atsintc.gateware.queues import ReadyQueues
from atsintc.regmap import PRIO_SHIFT, Params


def test_ready_backends_agree_every_cycle():
    P, D = 3, 6
    common = dict(processes=P, priorities=5, vectors=2, channels=1)
    pool = ReadyQueues(Params(queue="pool", pool=32, **common))
    syst = ReadyQueues(Params(queue="systolic", ready_depth=D, **common))
    m = Module()
    m.submodules.pool, m.submodules.syst = pool, syst
    rnd = random.Random(3)
    ref = [[] for _ in range(P)]            # (prio, seq, word)
    seq = [0]
    stats = {"deq": 0, "full": 0, "same_cycle": 0}

    async def bench(ctx):
        peek = 0
        for _ in range(4000):
            # dequeue the process peeked in the cycle before, if it has a task
            deq = bool(ref[peek]) and rnd.random() < 0.5
            if ref[peek]:
                best = min(ref[peek])
                for q in (pool, syst):
                    assert ctx.get(q.head_valid), (q is pool, peek)
                    assert ctx.get(q.head_word) == best[2], (q is pool, peek, ref[peek])
            else:
                assert not ctx.get(pool.head_valid) and not ctx.get(syst.head_valid)
            if deq:
                ref[peek].remove(min(ref[peek]))
                stats["deq"] += 1
            room = [i for i in range(P) if len(ref[i]) < D]
            enq = rnd.choice(room) if room and rnd.random() < 0.55 else None
            prio = rnd.randrange(5)
            word = (rnd.getrandbits(20) << 4) | (prio << PRIO_SHIFT) | 1
            if enq is not None:
                ref[enq].append((prio, seq[0], word))
                seq[0] += 1
                stats["same_cycle"] += deq
            stats["full"] += len(room) < P
            # (the contract: no peek of the process a deq takes from in the same cycle)
            peek = rnd.choice([i for i in range(P) if not (deq and i == peek)])
            for q in (pool, syst):
                ctx.set(q.enq, 0 if enq is None else 1 << enq)
                ctx.set(q.enq_word, word)
                ctx.set(q.deq, deq)
                ctx.set(q.peek, peek)
            await ctx.tick()
            for i in range(P):
                for q in (pool, syst):
                    assert ctx.get(q.count[i]) == len(ref[i])
                    assert ctx.get(q.empty) >> i & 1 == (not ref[i])
                    if ref[i]:
                        assert ctx.get(q.best[i]) == min(ref[i])[0]
        assert stats["deq"] and stats["full"] and stats["same_cycle"], stats

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


def test_blocked_backends_agree_every_cycle():
    from atsintc.gateware.queues import BlockedQueues

    # vectors' queues 5 deep (systolic), then 2 mailboxes bounded at 3 messages
    V, D, S, M = 4, 5, 2, 3
    L = V + S
    common = dict(processes=1, vectors=V, channels=S, ipc_depth=M)
    pool = BlockedQueues(Params(queue="pool", pool=32, **common))
    fifo = BlockedQueues(Params(queue="systolic", blocked_depth=D, **common))
    m = Module()
    m.submodules.pool, m.submodules.fifo = pool, fifo
    rnd = random.Random(4)
    ref = [[] for _ in range(L)]
    cap = [D] * V + [M] * S
    stats = {"pop": 0, "push_pop_same": 0, "full": 0}

    async def bench(ctx):
        peek = 0
        for _ in range(4000):
            if ref[peek]:
                for q in (pool, fifo):
                    assert ctx.get(q.head_word) == ref[peek][0], (q is pool, peek)
            pop = bool(ref[peek]) and rnd.random() < 0.5
            room = [i for i in range(L) if len(ref[i]) < cap[i]]
            push = rnd.choice(room) if room and rnd.random() < 0.6 else None
            word = rnd.getrandbits(32)
            if pop:
                ref[peek].pop(0)
                stats["pop"] += 1
            if push is not None:
                ref[push].append(word)
                stats["push_pop_same"] += pop and push == peek
            stats["full"] += len(room) < L
            for q in (pool, fifo):
                ctx.set(q.pop, pop)
                ctx.set(q.pop_idx, peek)
                ctx.set(q.push, push is not None)
                ctx.set(q.push_idx, push or 0)
                ctx.set(q.push_word, word)
            peek = rnd.randrange(L)
            for q in (pool, fifo):
                ctx.set(q.peek, peek)
            await ctx.tick()
            for i in range(L):
                for q in (pool, fifo):
                    assert ctx.get(q.count[i]) == len(ref[i])
                    assert ctx.get(q.nonempty) >> i & 1 == bool(ref[i])
                    if i >= V or q is fifo:         # (the pool's blocked queues: never)
                        assert ctx.get(q.full) >> i & 1 == (len(ref[i]) == cap[i])
        assert all(stats.values()), stats

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
