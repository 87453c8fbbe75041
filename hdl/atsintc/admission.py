"""Admission of new entries: per-process QUOTA and USAGE, and the task pool's fill."""

from amaranth.hdl import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Admission"]


class Admission(wiring.Component):
    """``processes`` QUOTA registers (16 bits, 65535 at reset) and USAGE counters (up to
    ``most``), and, with a task pool of ``pool`` entries (``pool=None``: the systolic
    backend, no pool limit), the number of entries in use in all.

    Ports (effects at the clock edge ending the cycle; outputs from registers):

    * ``quota_we``/``quota_idx``/``quota_data``: write QUOTA[idx];
    * ``inc``, ``inc_msg`` (one-hot processes, either or both): a new task / a new
      message taken for that process (both in one cycle: a SEND that makes its handler
      ready); ``dec``, ``dec_msg`` (one-hot, never both): a task dequeued / a message
      received;
    * ``move``/``move_from``/``move_to``/``move_count``: ``move_count`` entries change
      owner (a VEC_CFG giving a vector's blocked tasks to another process);
    * ``quota[p]``: the register; ``usage[p]``: the entries p holds, including those
      taken and moved in the cycle before (increments and moves reach the counter
      register a cycle late, so that no adder follows the decide stage's decision);
    * ``entry_ok[p]``: ``usage[p] < quota[p]`` and a pool entry is free: a new entry
      may be taken; ``entry2_ok[p]``: two may (``usage[p] + 1 < quota[p]``, two free).
      Not valid in the cycle after a move (the controller never asks then: the VEC_CFG
      write that moves drops the wake engine's selection).

    The caller takes nothing that ``entry_ok``/``entry2_ok`` does not allow, so USAGE
    never passes QUOTA by its own increments and the pool is never overfilled.
    """

    def __init__(self, processes, most, pool=None):
        self.P, self.most, self.pool = processes, most, pool
        idx = range(max(2, processes))
        super().__init__({
            "quota_we": In(1),
            "quota_idx": In(idx),
            "quota_data": In(16),
            "inc": In(processes),
            "inc_msg": In(processes),
            "dec": In(processes),
            "dec_msg": In(processes),
            "move": In(1),
            "move_from": In(idx),
            "move_to": In(idx),
            "move_count": In(range(most + 1)),
            "quota": Out(data.ArrayLayout(16, processes)),
            "usage": Out(data.ArrayLayout(range(most + 1), processes)),
            "entry_ok": Out(processes),
            "entry2_ok": Out(processes),
        })

    def elaborate(self, platform):
        m = Module()
        P = self.P
        quota = [Signal(16, name=f"quota{i}", init=0xFFFF) for i in range(P)]
        # Increments and owner moves come late in their cycle (from the decide stage):
        # they are registered and added to the counters one cycle later, so that no
        # adder follows the decision. The entries they took count at once: ``n[i]``
        # (0..2) taken in the cycle before is added to every check and to ``usage``.
        # (Decrements are applied directly; a move is never checked in its next cycle:
        # the VEC_CFG write that makes it drops the wake engine's selection.)
        inc_r, incm_r = Signal(P), Signal(P)
        move_r = Signal()
        from_r, to_r = Signal.like(self.move_from), Signal.like(self.move_to)
        count_r = Signal.like(self.move_count)
        m.d.sync += [inc_r.eq(self.inc), incm_r.eq(self.inc_msg), move_r.eq(self.move),
                     from_r.eq(self.move_from), to_r.eq(self.move_to),
                     count_r.eq(self.move_count)]
        held = [Signal(range(self.most + 1), name=f"usage{i}") for i in range(P)]
        with m.If(self.quota_we):
            m.d.sync += Array(quota)[self.quota_idx].eq(self.quota_data)

        def pick(n, oks, k):
            """oks[n + k]: the check with the n entries in flight and k more."""
            return Mux(n == 0, oks[k], Mux(n == 1, oks[k + 1], oks[k + 2]))

        quota_ok, quota_ok2 = [], []
        for i in range(P):
            n = Signal(2, name=f"inflight{i}")
            m.d.comb += n.eq(inc_r[i] + incm_r[i])
            move_in = Mux(move_r & (to_r == i), count_r, 0)
            move_out = Mux(move_r & (from_r == i), count_r, 0)
            m.d.sync += held[i].eq(held[i] + n - self.dec[i] - self.dec_msg[i] +
                                   move_in - move_out)
            m.d.comb += [self.quota[i].eq(quota[i]),
                         self.usage[i].eq(held[i] + n + move_in - move_out)]
            oks = [held[i] + k < quota[i] for k in range(4)]     # from registers
            quota_ok.append(pick(n, oks, 0))
            quota_ok2.append(pick(n, oks, 1))
        pool_ok = pool_ok2 = C(1)
        if self.pool is not None:
            n = Signal(2, name="inflight")
            m.d.comb += n.eq(inc_r.any() + incm_r.any())
            if P > 1:
                used = Signal(range(self.pool + 1))       # entries in use in all
                m.d.sync += used.eq(used + n - self.dec.any() - self.dec_msg.any())
            else:
                used = held[0]
            oks = [used + k < self.pool for k in range(4)]
            pool_ok, pool_ok2 = pick(n, oks, 0), pick(n, oks, 1)
        m.d.comb += [self.entry_ok.eq(Cat(quota_ok) & pool_ok.replicate(P)),
                     self.entry2_ok.eq(Cat(quota_ok2) & pool_ok2.replicate(P))]
        return m
