"""Interrupt events of the input lines: edge detection and the level-mode gate."""

from amaranth.hdl import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["IrqEvents"]


class IrqEvents(wiring.Component):
    """Turns ``vectors`` interrupt lines (synchronous to the clock) into events.

    * Edge mode (``level[v]`` = 0): an event in each cycle ``irq_in[v]`` is high after
      a low cycle. The previous level is sampled in every cycle, during reset too
      (``reset_less``): a line high at the end of reset is not an edge.
    * Level mode (``level[v]`` = 1): an event in a cycle the line is high while the
      vector's gate is open. The gate closes at each such event (edge ending that
      cycle) and opens at each ``open[v]`` (an accepted BLOCK on ``v``); it is open
      after reset.

    ``event`` is combinational from this cycle's lines and registers.
    """

    def __init__(self, vectors):
        self.V = vectors
        super().__init__({
            "irq_in": In(vectors),
            "level": In(vectors),
            "open": In(vectors),
            "event": Out(vectors),
        })

    def elaborate(self, platform):
        m = Module()
        V = self.V
        irq_q = Signal(V, reset_less=True)
        gate = Signal(V, init=(1 << V) - 1)
        m.d.sync += irq_q.eq(self.irq_in)
        level_ev = Signal(V)
        m.d.comb += [level_ev.eq(self.level & self.irq_in & gate),
                     self.event.eq(level_ev | (~self.level & self.irq_in & ~irq_q))]
        m.d.sync += gate.eq((gate & ~level_ev) | self.open)
        return m
