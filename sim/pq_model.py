"""Cycle-accurate reference model of :class:`atsintc.gateware.pqueue.PriorityQueue`'s ports.

It knows nothing of the systolic array: it keeps a plain list in arrival order and
predicts, for every cycle, exactly what the ports must show.
"""

__all__ = ["PQModel"]


class PQModel:
    def __init__(self, depth):
        self.depth = depth
        self.items = []          # (prio, data), in arrival order

    # -- what the ports must show in the current cycle ------------------------
    @property
    def count(self):
        return len(self.items)

    @property
    def empty(self):
        return not self.items

    @property
    def full(self):
        return len(self.items) == self.depth

    def head(self):
        """The best entry: lowest prio, earliest arrival among equals; None if empty."""
        if not self.items:
            return None
        best = min(range(len(self.items)), key=lambda k: (self.items[k][0], k))
        return self.items[best]

    def enq_ready(self, deq_ready):
        return (not self.full) or bool(deq_ready)

    # -- the clock edge -------------------------------------------------------
    def step(self, enq_valid, enq_prio, enq_data, deq_ready):
        """Apply one clock edge. Returns (enqueue accepted, dequeued entry or None)."""
        enq_xfer = bool(enq_valid) and self.enq_ready(deq_ready)
        out = None
        if deq_ready and self.items:
            out = self.head()
            self.items.remove(out)
        if enq_xfer:
            self.items.append((enq_prio, enq_data))
        return enq_xfer, out
