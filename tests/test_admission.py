"""QUOTA/USAGE accounting and admission (hdl/atsintc/gateware/admission.py), against a Python
model in every cycle."""

import random

import pytest
from amaranth.sim import Simulator

from atsintc.gateware.admission import Admission


@pytest.mark.parametrize("pool", [10, None], ids=["pool", "no-pool"])
def test_admission_matches_model(pool):
    P, most = 3, 20
    dut = Admission(P, most, pool)
    rnd = random.Random(7)
    quota = [0xFFFF] * P
    usage = [0] * P
    seen = {"refused": 0, "two": 0, "move": 0}

    def ok(i, n):
        return usage[i] + n <= quota[i] and (pool is None or sum(usage) + n <= pool)

    async def bench(ctx):
        for _ in range(3000):
            for i in range(P):
                assert ctx.get(dut.usage[i]) == usage[i]
                assert ctx.get(dut.quota[i]) == quota[i]
                assert ctx.get(dut.entry_ok) >> i & 1 == ok(i, 1), (i, usage, quota)
                assert ctx.get(dut.entry2_ok) >> i & 1 == ok(i, 2), (i, usage, quota)
            inc = inc_msg = dec = dec_msg = 0
            move = None
            q = rnd.randrange(P)
            r = rnd.random()
            if r < 0.4:                         # a task and/or a message, if allowed
                n = rnd.choice([1, 2])
                if ok(q, n):
                    inc = 1 << q if n == 2 or rnd.random() < 0.5 else 0
                    inc_msg = 1 << q if n == 2 or not inc else 0
                    usage[q] += n
                    seen["two"] += n == 2
                else:
                    seen["refused"] += 1
            elif r < 0.75 and usage[q]:
                if rnd.random() < 0.5:
                    dec = 1 << q
                else:
                    dec_msg = 1 << q
                usage[q] -= 1
            elif r < 0.85 and P > 1:
                src, dst = rnd.sample(range(P), 2)
                move = (src, dst, rnd.randrange(usage[src] + 1))
                usage[src] -= move[2]
                usage[dst] += move[2]
                seen["move"] += 1
            we = rnd.random() < 0.1
            if we:
                quota[q] = rnd.randrange(12)
            for sig, val in ((dut.inc, inc), (dut.inc_msg, inc_msg), (dut.dec, dec),
                             (dut.dec_msg, dec_msg), (dut.move, move is not None),
                             (dut.move_from, move[0] if move else 0),
                             (dut.move_to, move[1] if move else 0),
                             (dut.move_count, move[2] if move else 0),
                             (dut.quota_we, we), (dut.quota_idx, q),
                             (dut.quota_data, quota[q])):
                ctx.set(sig, val)
            await ctx.tick()
        assert all(seen.values()), seen

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
