"""Formal proof (SymbiYosys, k-induction with yices) of the priority queue on small
configurations.

The harness enqueues arbitrary priorities at arbitrary times and dequeues at
arbitrary times. It tags every entry's data with a per-priority sequence number, so
the *age* of an entry (how many entries of its priority were enqueued after it, plus
one) is known without any reference queue. Proved for every reachable state:

* the head has the best priority present, and it is the oldest entry of it (FIFO);
* a dequeued entry is the oldest of its priority (nothing overtakes in the same level);
* ``count`` equals the number of entries held; ``empty``/``full``/``deq.valid`` agree;
* nothing accepted is lost: the entries of each priority have exactly the ages
  1..n (none vanishes, none is duplicated) and the last cell never overflows;
* nothing is accepted when full (without a same-cycle dequeue).

The internal invariants that make the induction go through (slots sorted, every slot
entry before everything to its right, no holes) are asserted too.
"""

import itertools

import pytest
from amaranth.hdl import *
from amaranth.hdl._ast import AnySeq  # not re-exported by amaranth.hdl in 0.5

from atsintc.tools import toolchain
from atsintc.gateware.pqueue import PriorityQueue


class PQFormal(Elaboratable):
    def __init__(self, depth, priorities, *, false_property=False):
        self.depth, self.prios = depth, priorities
        self.false_property = false_property
        self.tag_bits = depth.bit_length()          # 2**tag_bits > depth
        self.dut = PriorityQueue(depth=depth, priorities=priorities, width=self.tag_bits)

    def elaborate(self, platform):
        m = Module()
        dut = m.submodules.dut = self.dut
        P, W = self.prios, self.tag_bits

        m.d.comb += Assume(~ResetSignal())
        enq_prio = AnySeq(len(dut.enq.payload.prio))
        m.d.comb += [
            dut.enq.valid.eq(AnySeq(1)),
            dut.deq.ready.eq(AnySeq(1)),
            dut.enq.payload.prio.eq(enq_prio),
            Assume(enq_prio < P),
        ]
        # per-priority: next sequence number, and how many entries are held
        seq = Array(Signal(W, name=f"seq{p}") for p in range(P))
        held = Array(Signal(range(self.depth + 1), name=f"held{p}") for p in range(P))
        m.d.comb += dut.enq.payload.data.eq(seq[enq_prio])
        enq = dut.enq.valid & dut.enq.ready
        deq = dut.deq.valid & dut.deq.ready
        head = dut.deq.payload
        for p in range(P):
            inc = enq & (enq_prio == p)
            dec = deq & (head.prio == p)
            with m.If(inc):
                m.d.sync += seq[p].eq(seq[p] + 1)
            m.d.sync += held[p].eq(held[p] + inc - dec)

        def age(e):
            return (seq[e.prio] - e.data)[:W] if W else C(1)

        # Every position of the array, left to right: (valid, entry, is_token, new, cell)
        pos = []
        for i in range(dut.cells):
            if i:
                t = dut.token[i]
                pos.append((t.valid, t.e, True, t.new, i))
            pos.append((dut.slot0[i].valid, dut.slot0[i].e, False, C(0), i))
            pos.append((dut.slot1[i].valid, dut.slot1[i].e, False, C(0), i))

        def imp(a, b):
            return ~a | b

        def before(a, b):          # a goes before b (better, or same priority and older)
            return (a.prio < b.prio) | ((a.prio == b.prio) & (age(a) > age(b)))

        def check(a):
            m.d.comb += Assert(a, src_loc_at=1)     # the failing line names the property

        # -- ports ----------------------------------------------------------------
        n_valid = sum(v for v, *_ in pos)
        check(dut.count == n_valid)
        check(dut.count <= self.depth)
        check(dut.empty == (dut.count == 0))
        check(dut.full == (dut.count == self.depth))
        check(dut.deq.valid == ~dut.empty)
        check(~dut.overflow)
        check(imp(dut.full & ~dut.deq.ready, ~dut.enq.ready))
        check(sum(held[p] for p in range(P)) == dut.count)
        # -- nothing lost or duplicated: ages of each priority are exactly 1..held
        for (va, ea, *_), (vb, eb, *_) in itertools.combinations(pos, 2):
            check(imp(va & vb & (ea.prio == eb.prio), age(ea) != age(eb)))
        for v, e, *_ in pos:
            check(imp(v, (e.prio < P) & (age(e) >= 1) & (age(e) <= held[e.prio])))
        # -- head: best priority, oldest of it; a dequeue takes the oldest of its level
        h_v, h_e = dut.slot0[0].valid, dut.slot0[0].e
        for v, e, *_ in pos[1:]:
            check(imp(h_v & v, before(h_e, e)))
        check(imp(deq, age(head) == held[head.prio]))
        if self.false_property:
            # "the head is always the youngest entry of its priority": false as soon as
            # two entries of one priority are held. Proves the harness is not vacuous.
            check(imp(h_v, age(h_e) == 1))
        # -- structural invariants (what the induction needs) ----------------------
        for i in range(dut.cells):
            s0, s1 = dut.slot0[i], dut.slot1[i]
            check(imp(s1.valid, s0.valid))
            right = [p for p in pos if p[4] > i]
            for v, e, is_tok, new, _ in right:
                check(imp(~s0.valid, ~v))                      # no holes
                for sl in (s0, s1):
                    check(imp(sl.valid & v, before(sl.e, e)))
            check(imp(s0.valid & s1.valid, before(s0.e, s1.e)))
        for k, (tv, te, is_tok, tnew, ti) in enumerate(pos):
            if not is_tok:
                continue
            for v, e, _, _, _ in pos[k + 1:]:
                same = tv & v & (te.prio == e.prio)
                # a new token is younger than its equals to the right, any other
                # token is older; a non-new token is better than all to its right
                check(imp(same & tnew, age(e) > age(te)))
                check(imp(tv & v & ~tnew, before(te, e)))
        return m


def run_sby(name, depth, priorities, mode="prove", k=4, **kwargs):
    return toolchain.run_sby(name, PQFormal(depth, priorities, **kwargs), mode=mode, depth=k)


@pytest.mark.parametrize("depth,priorities", [(4, 3), (5, 2), (6, 3)])
def test_pqueue_formal_prove(depth, priorities):
    rc, out = run_sby(f"pq-d{depth}-p{priorities}", depth, priorities)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]


def test_formal_harness_finds_a_false_property():
    rc, out = run_sby("pq-false-property", 4, 2, mode="bmc", k=8, false_property=True)
    assert "DONE (FAIL" in out, out[-3000:]
    assert "Assert failed" in out
