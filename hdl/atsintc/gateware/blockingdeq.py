"""The DEQUEUE_WAIT state: an access held until a task is ready or time runs out."""

from amaranth.hdl import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["BlockingDequeue"]


class BlockingDequeue(wiring.Component):
    """Holds one DEQUEUE_WAIT of process ``proc`` at a time.

    Ports:

    * ``start`` (the decide cycle ``t`` of a DEQUEUE_WAIT that finds no task and has a
      ``timeout`` != 0): ``waiting`` is high from ``t + 1``, for process ``proc`` (as
      given at ``t``; ``wait_proc``), with ``timeout`` cycles to go;
    * in each ``waiting`` cycle: if the master has withdrawn the access (``live`` low),
      the wait ends (nothing popped, no ack); else if ``avail[wait_proc]`` (a task is
      ready, or one is being enqueued) ``done`` and ``deq`` are high (the caller acks
      in the next cycle with the task and pops it); else on the last cycle ``done``
      alone (the caller acks with 0). ``waiting`` drops in the cycle after ``done``.
    """

    def __init__(self, processes):
        self.P = processes
        super().__init__({
            "start": In(1),
            "proc": In(range(max(2, processes))),
            "timeout": In(32),
            "live": In(1),
            "avail": In(processes),
            "waiting": Out(1),
            "wait_proc": Out(range(max(2, processes))),
            "done": Out(1),
            "deq": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        left = Signal(32)
        with m.If(self.start):
            m.d.sync += [self.waiting.eq(1), self.wait_proc.eq(self.proc),
                         left.eq(self.timeout)]
        with m.If(self.waiting):
            with m.If(~self.live):
                m.d.sync += self.waiting.eq(0)
            with m.Elif(self.avail.bit_select(self.wait_proc, 1)):
                m.d.comb += [self.done.eq(1), self.deq.eq(1)]
                m.d.sync += self.waiting.eq(0)
            with m.Elif(left == 1):
                m.d.comb += self.done.eq(1)
                m.d.sync += self.waiting.eq(0)
            with m.Else():
                m.d.sync += left.eq(left - 1)
        return m
