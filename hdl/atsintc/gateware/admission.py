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
    * ``quota[p]``, ``usage[p]``: the registers;
    * ``entry_ok[p]``: ``usage[p] < quota[p]`` and a pool entry is free: a new entry
      may be taken; ``entry2_ok[p]``: two may (``usage[p] + 1 < quota[p]``, two free).

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
        usage = [Signal(range(self.most + 1), name=f"usage{i}") for i in range(P)]
        with m.If(self.quota_we):
            m.d.sync += Array(quota)[self.quota_idx].eq(self.quota_data)
        for i in range(P):
            move_in = Mux(self.move & (self.move_to == i), self.move_count, 0)
            move_out = Mux(self.move & (self.move_from == i), self.move_count, 0)
            m.d.sync += usage[i].eq(usage[i] + self.inc[i] + self.inc_msg[i] - self.dec[i] -
                                    self.dec_msg[i] + move_in - move_out)
            m.d.comb += [self.quota[i].eq(quota[i]), self.usage[i].eq(usage[i])]
        pool_ok = pool_ok2 = C(1)
        if self.pool is not None:
            if P > 1:
                used = Signal(range(self.pool + 1))       # entries in use in all
                m.d.sync += used.eq(used + self.inc.any() + self.inc_msg.any() -
                                    self.dec.any() - self.dec_msg.any())
            else:
                used = usage[0]
            pool_ok, pool_ok2 = used < self.pool, used + 1 < self.pool
        m.d.comb += [
            self.entry_ok.eq(Cat(u < q for u, q in zip(usage, quota)) &
                             pool_ok.replicate(P)),
            self.entry2_ok.eq(Cat(u + 1 < q for u, q in zip(usage, quota)) &
                              pool_ok2.replicate(P)),
        ]
        return m
