"""Formal check (SymbiYosys, bounded model check) of the deadline queue
(gateware/deadlineq.py) on a small configuration: 4 cells, 4-bit keys.

The harness inserts arbitrary deadlines and removes arbitrary cells (any match
vector, the head included) at arbitrary times. Deadlines lie on the arc the controller
guarantees ([time, time + 7] for 4-bit keys; ``time`` is an arbitrary constant, so the
wrap-around of the key compare is covered). Every entry's data is a sequence number,
unique within the checked depth, and a shadow set records which entries are held.
Checked in every reachable state up to the depth (20; 24 in the slow suite):

* the head is the earliest deadline, and the cells are sorted by deadline with equal
  deadlines in insertion order (FIFO);
* nothing is lost or duplicated: a valid cell holds exactly the entries of the shadow
  set, each once; ``count`` and ``full`` agree;
* ``head_due`` is high exactly when the head's deadline is the time.
"""

import itertools

import pytest
from amaranth.hdl import *
from amaranth.hdl._ast import AnyConst, AnySeq  # not re-exported by amaranth.hdl in 0.5

from atsintc.gateware.deadlineq import DeadlineQueue, key_before
from atsintc.tools import toolchain

DEPTH, K, W = 4, 4, 5                   # 2**W sequence numbers > the checked depth


class DQFormal(Elaboratable):
    def __init__(self, *, false_property=False):
        self.false_property = false_property
        self.dut = DeadlineQueue(DEPTH, key_bits=K, width=W)

    def elaborate(self, platform):
        m = Module()
        dut = m.submodules.dut = self.dut
        m.d.comb += Assume(~ResetSignal())
        time = AnyConst(K)
        off = AnySeq(3)                                 # 0..7 after the time
        seq = Signal(W)                                 # the next entry's tag
        held = Signal(1 << W)                           # shadow set of held tags
        m.d.comb += [dut.time.eq(time), dut.ins_valid.eq(AnySeq(1)),
                     dut.ins_key.eq(time + off), dut.ins_data.eq(seq),
                     dut.rm_valid.eq(AnySeq(1)), dut.rm_match.eq(AnySeq(DEPTH))]
        ins = dut.ins_valid & ~dut.full
        rm = dut.rm_valid & ~ins & dut.rm_found
        with m.If(ins):
            m.d.sync += [seq.eq(seq + 1), held.eq(held | (1 << seq))]
        with m.Elif(rm):
            m.d.sync += held.eq(held & ~(1 << dut.rm_data))

        def check(a):
            m.d.comb += Assert(a, src_loc_at=1)     # the failing line names the property

        def imp(a, b):
            return ~a | b

        def age(i):                                  # older entries have larger ages
            return (seq - dut.data[i])[:W]

        v, key = dut.valid, dut.key
        check(dut.count == sum(v[i] for i in range(DEPTH)))
        check(dut.full == v[DEPTH - 1])
        check(sum(held[t] for t in range(1 << W)) == dut.count)
        for i in range(DEPTH):
            check(imp(v[i], held.bit_select(dut.data[i], 1)))
            check(imp(v[i], (key[i] - time)[:K] <= 7))
            if i + 1 < DEPTH:
                check(imp(v[i + 1], v[i]))          # the valid cells are a prefix
        for i, j in itertools.combinations(range(DEPTH), 2):
            both = v[i] & v[j]
            check(imp(both, dut.data[i] != dut.data[j]))                  # no duplicate
            check(imp(both, ~key_before(key[j], key[i], K)))              # sorted
            check(imp(both & (key[i] == key[j]), age(i) > age(j)))         # FIFO
        check(dut.head_due == (v[0] & (key[0] == time)))
        if self.false_property:
            # "an entry never waits behind a later deadline inserted after it": false
            # (it is where an earlier one belongs). Shows the harness is not vacuous.
            check(imp(v[0] & v[1], key[0] == key[1]))
        return m


def run_sby(name, mode="bmc", k=20, **kwargs):
    return toolchain.run_sby(name, DQFormal(**kwargs), mode=mode, depth=k)


def test_deadlineq_formal_bmc():
    rc, out = run_sby("dq-d4-k4")
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]


def test_deadlineq_formal_harness_finds_a_false_property():
    rc, out = run_sby("dq-false-property", k=8, false_property=True)
    assert "DONE (FAIL" in out, out[-3000:]
    assert "Assert failed" in out


@pytest.mark.slow
def test_deadlineq_formal_bmc_deep():
    rc, out = run_sby("dq-d4-k4-deep", k=24)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]
