"""The wake engine: moves one woken task per cycle into a ready queue."""

from amaranth.hdl import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from atsintc.gateware.muxes import onehot_mux

__all__ = ["WakeEngine", "lowest_one"]


class WakeEngine(wiring.Component):
    """Picks, among ``vectors`` vector sources and ``slots`` handler-slot sources
    (``channels`` per process), the lowest one that can move a task, and moves it.

    A vector source can move when an event is pending (or arrives this cycle), a task
    is blocked on it and its owner's ready queue has room; a handler slot when a
    handler is registered, a message waits and the process may take a new ready task.

    Two stages:

    * **select** (cycle ``s``), from registers and this cycle's events: the lowest
      candidate not already in stage 2 (``lowest_one``); ``peek_vector`` is the vector
      whose blocked queue the caller reads in this cycle (the held one while
      ``stall``). Not in a cycle with ``stall`` (a bus write: it may change owners and
      rooms), when stage 2 holds.
    * **move** (``s + 1``): ``fire`` if not ``stall``, the source is ``still`` able to
      move (pending event, or handler with a message not being received) and its
      owner ``room`` (vector) / ``hroom`` (handler) is still there. Outputs of the
      selected source: ``sel`` (one-hot over vectors then slots), ``sel_vector`` (its
      index if a vector), ``is_vector``, ``owner`` (one-hot process, as at selection).

    ``drop``: forget stage 2 (a VEC_CFG write: the owner may change).
    """

    def __init__(self, processes, vectors, channels):
        self.P, self.V, self.CH = processes, vectors, channels
        S = processes * channels
        N = vectors + S
        vb = range(max(2, vectors))
        super().__init__({
            "vec_ready": In(vectors),           # pending or event now, blocked task, room
            "vec_still": In(vectors),           # pending event (stage 2 re-check)
            "vec_owner": In(data.ArrayLayout(processes, vectors)),   # one-hot
            "slot_ready": In(S),                # handler, message, room
            "slot_still": In(S),                # handler, message not being received
            "room": In(processes),
            "hroom": In(processes),
            "stall": In(1),
            "drop": In(1),
            "peek_vector": Out(vb),
            "fire": Out(1),
            "sel": Out(N),
            "sel_vector": Out(vb),
            "is_vector": Out(1),
            "owner": Out(processes),
        })

    def elaborate(self, platform):
        m = Module()
        V, S = self.V, self.P * self.CH
        valid = Signal()
        still = Cat(self.vec_still, self.slot_still)
        room = Mux(self.is_vector, self.room, self.hroom)
        m.d.comb += self.fire.eq(valid & ~self.stall & (still & self.sel).any() &
                                 (room & self.owner).any())
        cand = Signal(V + S)
        m.d.comb += cand.eq(Cat(self.vec_ready, self.slot_ready) &
                            ~Mux(valid, self.sel, 0))
        first = Signal(V + S)
        m.d.comb += first.eq(lowest_one(cand))
        first_v = Signal.like(self.sel_vector)
        m.d.comb += first_v.eq(onehot_mux(first[:V], range(V), len(first_v)))
        m.d.comb += self.peek_vector.eq(Mux(self.stall, self.sel_vector, first_v))
        slot_owner = [Const(1 << (s // self.CH), self.P) for s in range(S)]
        owners = [self.vec_owner[v] for v in range(V)] + slot_owner
        with m.If(~self.stall):
            m.d.sync += [valid.eq(cand.any()), self.sel.eq(first),
                         self.is_vector.eq(first[:V].any()), self.sel_vector.eq(first_v),
                         self.owner.eq(onehot_mux(first, owners, self.P))]
        with m.If(self.drop):
            m.d.sync += valid.eq(0)
        return m


def lowest_one(x, group=4):
    """The lowest set bit of ``x`` as a one-hot value, as a two-level tree (groups of
    ``group`` bits: the first non-empty group, then the first bit in it) instead of a
    carry chain across all of ``x``: three LUT levels for up to 16 bits."""
    n = len(x)
    if n <= group:
        return Cat(x[i] & ~x[:i].any() if i else x[0] for i in range(n))
    groups = [x[g:g + group] for g in range(0, n, group)]
    nonempty = Cat(g.any() for g in groups)
    first_group = lowest_one(nonempty, group)
    return Cat(lowest_one(g, group) & first_group[k].replicate(len(g))
               for k, g in enumerate(groups))
