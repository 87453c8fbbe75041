"""CPU notification: one ``irq_out`` line per process slot."""

from amaranth.hdl import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from atsintc.regmap import RegisterMap

__all__ = ["Notification"]


class Notification(wiring.Component):
    """``irq[p]`` is high while (``enable[p].NONEMPTY`` and process ``p``'s ready queue
    is not empty) or (``enable[p].PREEMPT`` and its best ready task's priority
    ``best[p]`` is better, i.e. lower, than ``cur_prio[p]``). Registered: it follows
    the inputs one cycle later."""

    def __init__(self, processes, prio_bits):
        enable = RegisterMap().lookup("PROCESS", "IRQ_ENABLE").struct()
        super().__init__({
            "enable": In(data.ArrayLayout(enable, processes)),
            "cur_prio": In(data.ArrayLayout(8, processes)),
            "empty": In(processes),
            "best": In(data.ArrayLayout(prio_bits, processes)),
            "irq": Out(processes),
        })
        self.processes = processes

    def elaborate(self, platform):
        m = Module()
        for i in range(self.processes):
            en = self.enable[i]
            ready = ~self.empty[i]
            m.d.sync += self.irq[i].eq((en.NONEMPTY & ready) |
                                       (en.PREEMPT & ready & (self.best[i] < self.cur_prio[i])))
        return m
