# amaranth: UnusedElaboratable=no
"""The deadline queue (gateware/deadlineq.py) against a Python model, every cycle:
random inserts (deadlines in the past, now, near, far within the wrap-around window,
equal ones), removals of the head and of random cells, both requested in one cycle,
the time's low bits wrapping; and its parameter checks."""

import random

import pytest
from amaranth.sim import Simulator

from atsintc.gateware.deadlineq import DeadlineQueue


def before(a, b, k):
    return ((a - b) % (1 << k)) >> (k - 1) == 1


def on_arc(keys, k, window):
    """Some key a has every other within window after it (mod 2**k)."""
    return any(all((x - a) % (1 << k) < window for x in keys) for a in keys)


class Model:
    def __init__(self, depth, k):
        self.depth, self.k, self.cells = depth, k, []

    def step(self, ins, key, dat, rm, match):
        """Apply one cycle; returns (rm_found, rm_data) as the hardware shows them."""
        first = next((i for i in range(len(self.cells)) if match >> i & 1), None)
        found = first is not None
        rdata = self.cells[first][1] if found else 0
        if ins and len(self.cells) < self.depth:
            pos = next((i for i, (ck, _) in enumerate(self.cells) if before(key, ck, self.k)),
                       len(self.cells))
            self.cells.insert(pos, (key, dat))
        elif rm and found:
            del self.cells[first]
        return found, rdata


@pytest.mark.parametrize("depth,k,cycles", [(1, 8, 600), (4, 6, 3000), (8, 32, 4000),
                                            (32, 32, 4000)])
def test_deadlineq_random(depth, k, cycles):
    dut = DeadlineQueue(depth, key_bits=k, width=16)
    model = Model(depth, k)
    rng = random.Random(depth * 1000 + k)
    window = (1 << (k - 1)) - 1
    start = (1 << k) - cycles // 2           # the time's low bits wrap half-way through

    async def bench(ctx):
        time = start
        tag = 0
        for cyc in range(cycles):
            time = (time + rng.choice([0, 1, 1, 1, 7])) % (1 << k)
            # deadlines: past (not beyond what the controller keeps), now, near, far,
            # equal to one held
            held = [c[0] for c in model.cells]
            kind = rng.random()
            if held and kind < 0.25:
                key = rng.choice(held)
            elif kind < 0.5:
                key = (time + rng.randrange(0, 8)) % (1 << k)
            elif kind < 0.6:
                key = (time - rng.randrange(1, 4)) % (1 << k)
            else:
                key = (time + rng.randrange(0, min(window, 1 << 20))) % (1 << k)
            # keep all held keys on one arc shorter than the compare window (what the
            # controller guarantees: deadlines within the window of the time, removed
            # when due)
            if held and not on_arc(held + [key], k, window):
                key = held[0]
            ins = rng.random() < 0.45
            rm = rng.random() < 0.45
            r = rng.random()
            match = (1 if r < 0.4 else rng.getrandbits(depth) if r < 0.8
                     else 1 << rng.randrange(depth))
            tag = (tag + 1) & 0xFFFF
            ctx.set(dut.time, time)
            ctx.set(dut.ins_valid, ins)
            ctx.set(dut.ins_key, key)
            ctx.set(dut.ins_data, tag)
            ctx.set(dut.rm_valid, rm)
            ctx.set(dut.rm_match, match)
            due = bool(model.cells) and not before(time, model.cells[0][0], k)
            found, rdata = model.step(ins and not ctx.get(dut.full), key, tag, rm and not (
                ins and not ctx.get(dut.full)), match)
            assert ctx.get(dut.rm_found) == found, cyc
            if found:
                assert ctx.get(dut.rm_data) == rdata, cyc
            assert ctx.get(dut.head_due) == due, cyc
            await ctx.tick()
            n = len(model.cells)
            assert ctx.get(dut.count) == n, cyc
            assert ctx.get(dut.full) == (n == depth), cyc
            for i in range(depth):
                assert ctx.get(dut.valid[i]) == (i < n), (cyc, i)
                if i < n:
                    assert (ctx.get(dut.key[i]), ctx.get(dut.data[i])) == model.cells[i], \
                        (cyc, i)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()


def test_deadlineq_fifo_among_equal_deadlines():
    """Entries with one deadline leave in the order they came, behind earlier ones."""
    dut = DeadlineQueue(8, key_bits=32, width=8)

    async def bench(ctx):
        for key, tag in [(100, 1), (50, 2), (100, 3), (100, 4), (50, 5), (7, 6)]:
            ctx.set(dut.ins_valid, 1)
            ctx.set(dut.ins_key, key)
            ctx.set(dut.ins_data, tag)
            await ctx.tick()
        ctx.set(dut.ins_valid, 0)
        assert [ctx.get(dut.data[i]) for i in range(6)] == [6, 2, 5, 1, 3, 4]
        out = []
        ctx.set(dut.time, 1000)
        ctx.set(dut.rm_valid, 1)
        ctx.set(dut.rm_match, 1)
        while ctx.get(dut.head_due):
            out.append(ctx.get(dut.rm_data))
            await ctx.tick()
        assert out == [6, 2, 5, 1, 3, 4]

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()


@pytest.mark.parametrize("kwargs,msg", [
    (dict(depth=0), "depth must be between 1 and 64, not 0"),
    (dict(depth=65), "depth must be between 1 and 64, not 65"),
    (dict(depth=4, key_bits=1), "key_bits must be between 2 and 64, not 1"),
    (dict(depth=4, width=0), "width must be between 1 and 1024, not 0"),
])
def test_deadlineq_bad_parameters(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        DeadlineQueue(**kwargs)
    with pytest.raises(TypeError, match="depth must be an integer"):
        DeadlineQueue(4.0)
