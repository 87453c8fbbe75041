"""Formal proof (SymbiYosys, k-induction) of the task pool on small configurations.

The harness drives an arbitrary PUSH and POP in every cycle (also both, also on one
list), within the pool's documented contract (POP only of a non-empty list peeked in
the cycle before, PUSH only with a free entry), and keeps a shadow FIFO of words per
list — the reference. Proved for every reachable state:

* a POP takes the oldest word of its list (FIFO); ``peek_word``/``peek_valid`` show
  the peeked list's head;
* ``counts``, ``nonempty`` and ``free`` match the shadow lists; entries held + free =
  size, so nothing is lost or duplicated.

The structural invariants that make the induction go through are asserted too: each
list is a chain of ``count`` entries through ``NEXT`` from ``head`` to ``tail`` whose
words are the shadow's; the freed stack holds ``stack_count`` entries; every entry in a
list or on the stack is below ``fresh`` and they are pairwise distinct; the prefetched
links are the memory's.
"""

import pytest
from amaranth.hdl import *
from amaranth.hdl._ast import AnySeq  # not re-exported by amaranth.hdl in 0.5

from atsintc.tools import toolchain
from atsintc.gateware.taskpool import TaskPool


class PoolFormal(Elaboratable):
    def __init__(self, size, lists, width, *, counts=True, false_property=False):
        self.size, self.lists, self.width = size, lists, width
        self.false_property = false_property
        self.dut = TaskPool(size=size, lists=lists, width=width, counts=counts)

    def elaborate(self, platform):
        m = Module()
        dut = self.dut
        N, L = self.size, self.lists
        # comb read ports for the invariants (added before the pool is elaborated)
        rd_data = [dut.data_mem.read_port(domain="comb") for _ in range(N * L)]
        rd_next = [dut.next_mem.read_port(domain="comb") for _ in range(N * L + 1)]
        rd_free = [dut.free_mem.read_port(domain="comb") for _ in range(N + 1)]
        m.submodules.dut = dut.elaborate(platform)   # elaborated here: its read ports
        dut._MustUse__silence = True                 # (used through its elaboration)

        def check(a):
            m.d.comb += Assert(a, src_loc_at=1)

        def imp(x, y):
            return ~x | y

        m.d.comb += Assume(~ResetSignal())
        push, pop = Signal(), Signal()
        a, b = dut.pop_list, dut.push_list
        m.d.comb += [push.eq(AnySeq(1)), pop.eq(AnySeq(1)),
                     dut.push.eq(push), dut.pop.eq(pop),
                     a.eq(AnySeq(len(a))), b.eq(AnySeq(len(b))),
                     dut.word.eq(AnySeq(self.width)),
                     dut.peek.eq(AnySeq(len(dut.peek)))]
        last_peek = Signal.like(dut.peek)
        m.d.sync += last_peek.eq(dut.peek)
        # the caller's contract
        m.d.comb += [Assume(dut.peek < L), Assume(a < L), Assume(b < L),
                     Assume(imp(pop, dut.nonempty.bit_select(a, 1) & (last_peek == a))),
                     Assume(imp(push, dut.free != 0))]

        # shadow FIFOs: the reference
        shadow = [Array(Signal(self.width, name=f"shadow{lst}_{k}") for k in range(N))
                  for lst in range(L)]
        held = [Signal(range(N + 1), name=f"held{lst}") for lst in range(L)]
        head_of = Array(sh[0] for sh in shadow)
        taken = Signal(self.width)
        m.d.comb += taken.eq(head_of[a])
        joining = dut.word
        for lst in range(L):
            out = pop & (a == lst)
            inc = push & (b == lst)
            n_after = held[lst] - out
            with m.If(out):
                for k in range(N - 1):
                    m.d.sync += shadow[lst][k].eq(shadow[lst][k + 1])
            with m.If(inc):
                m.d.sync += shadow[lst][n_after].eq(joining)
            m.d.sync += held[lst].eq(held[lst] + inc - out)

        # -- the interface --------------------------------------------------------------
        check(imp(pop, dut.peek_word == taken))                  # FIFO: oldest word
        check(dut.peek_valid == (Array(held)[last_peek] != 0))
        check(imp(dut.peek_valid, dut.peek_word == head_of[last_peek]))
        for lst in range(L):
            if dut.with_counts:
                check(dut.counts[lst] == held[lst])
            check(dut.nonempty[lst] == (held[lst] != 0))
        check(dut.free == N - sum(held))
        if self.false_property:
            # "a POP returns the newest word": false once a list holds two words
            check(imp(pop & (a == 0) & (held[0] == 2), dut.peek_word == shadow[0][1]))

        # -- structural invariants --------------------------------------------------------
        data_ports, next_ports = iter(rd_data), iter(rd_next)
        nodes = []                              # (valid, index) of every held/stacked entry
        for lst in range(L):
            node = dut.head[lst]
            for k in range(N):
                rd, rn = next(data_ports), next(next_ports)
                m.d.comb += [rd.addr.eq(node), rn.addr.eq(node)]
                valid = k < held[lst]
                check(imp(valid, rd.data == shadow[lst][k]))
                check(imp(held[lst] == k + 1, node == dut.tail[lst]))
                nodes.append((valid, node))
                node = rn.data
        free_ports = iter(rd_free)
        for k in range(N):
            rf = next(free_ports)
            m.d.comb += rf.addr.eq(k)
            nodes.append((k < dut.stack_count, rf.data))
        for i, (va, na) in enumerate(nodes):
            check(imp(va, na < dut.fresh))
            for vb, nb in nodes[i + 1:]:
                check(imp(va & vb, na != nb))
        check(dut.free == dut.stack_count + N - dut.fresh)
        check(dut.fresh <= N)
        # prefetched: the stack's top, and the peeked head's link
        rf_top, rn_peek = rd_free[-1], rd_next[-1]
        m.d.comb += [rf_top.addr.eq(dut.stack_count - 1),
                     rn_peek.addr.eq(dut.head[last_peek])]
        check(imp(dut.stack_count != 0, dut._free_r.data == rf_top.data))
        check(imp(Array(held)[last_peek] != 0, dut._next_r.data == rn_peek.data))
        return m


def run(name, size, lists, width, mode="prove", depth=3, **kwargs):
    # memories as flip-flops: the invariants read them through chains of ports
    return toolchain.run_sby(name, PoolFormal(size, lists, width, **kwargs), mode=mode,
                             depth=depth, script="memory_map")


@pytest.mark.parametrize("size,lists,counts", [(4, 3, True), (5, 2, True), (3, 3, True),
                                               (4, 3, False), (5, 2, False)])
def test_taskpool_proof(size, lists, counts):
    rc, out = run(f"pool-s{size}-l{lists}-c{int(counts)}", size, lists, 3, counts=counts)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]


def test_taskpool_harness_finds_a_false_property():
    rc, out = run("pool-false-property", 4, 2, 3, mode="bmc", depth=8, false_property=True)
    assert "DONE (FAIL" in out and "Assert failed" in out, out[-3000:]
