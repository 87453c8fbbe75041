"""Pending-event counters, one per interrupt vector."""

from amaranth.hdl import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["PendingCounters", "pending_next", "PENDING_BITS"]

PENDING_BITS = 16


class PendingCounters(wiring.Component):
    """``vectors`` saturating counters of events not yet given to a task.

    Ports (effects at the clock edge ending the cycle):

    * ``event[v]``: an event of the line (edge, or level with the gate open);
    * ``raised[v]``: a VEC_RAISE write; counted in addition to ``event`` in one cycle;
    * ``take[v]``: one event given to a task (a wake, or a BLOCK that consumes one);
      only when ``pending[v]`` is not 0;
    * ``pending[v]`` and ``nonzero[v]`` (``pending[v] != 0``): registers;
    * ``overflow``: an event of this cycle was not counted (a counter saturated at
      ``2**16 - 1``).
    """

    def __init__(self, vectors):
        self.vectors = vectors
        super().__init__({
            "event": In(vectors),
            "raised": In(vectors),
            "take": In(vectors),
            "pending": Out(data.ArrayLayout(PENDING_BITS, vectors)),
            "nonzero": Out(vectors),
            "overflow": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        lost = []
        for v in range(self.vectors):
            count = Signal(PENDING_BITS, name=f"pending{v}")
            nxt, sat, nonzero = pending_next(m, count, [self.event[v], self.raised[v]],
                                             self.take[v])
            m.d.sync += [count.eq(nxt), self.nonzero[v].eq(nonzero)]
            m.d.comb += self.pending[v].eq(count)
            lost.append(sat)
        m.d.comb += self.overflow.eq(Cat(*lost).any())
        return m


def pending_next(m, pending, events, dec):
    """Next value of a pending counter: ``pending`` plus one for each of the ``events``
    (1-bit sources, all counted even in the same cycle) minus ``dec`` (a wake or a
    consuming BLOCK; only when ``pending`` is not 0), saturating at its maximum.
    Returns (next value, saturated: an event was not counted, next value != 0).

    Timing: ``pending + j`` (saturating) and ``pending - 1`` come straight from the
    register; the number of events selects among them, and ``dec``, which comes late
    in the cycle (it depends on room in a ready queue), only picks one of two."""
    n, k = len(pending), len(events)
    top = (1 << n) - 1
    count = Signal(range(k + 1))
    m.d.comb += count.eq(sum(events))
    up = [(pending, C(0), pending != 0)]              # j events: value, lost, != 0
    for j in range(1, k + 1):
        lost = Signal(name=f"{pending.name}_lost{j}")
        m.d.comb += lost.eq(pending > top - j)
        up.append((Mux(lost, top, pending + j), lost, C(1)))
    down = [(pending - 1, C(0), pending != 1)] + up[:-1]   # the same with a wake
    pick = [Array(v[i] for v in table)[count] for table in (up, down) for i in range(3)]
    return tuple(Mux(dec, pick[3 + i], pick[i]) for i in range(3))
