"""The sticky ERROR registers of the controller's windows."""

from amaranth.hdl import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from atsintc.regmap import RegisterMap

__all__ = ["ErrorBank", "error_layout"]


def error_layout():
    """One bit per error, as in the ERROR registers (``atsintc.regmap.ERRORS``)."""
    return RegisterMap().lookup("PROCESS", "ERROR").struct()


class ErrorBank(wiring.Component):
    """ERROR registers of the kernel window (element 0) and of each of ``windows - 1``
    process windows (elements 1..).

    Ports, all taking effect at the clock edge ending the cycle:

    * ``set``, ``window`` (one-hot): the error bits raised by the access executing in
      this cycle and the window it used (the kernel's for an unmapped window);
    * ``overflow``: PENDING_OVERFLOW, raised in the kernel window only;
    * ``clear``: per window, the bits a write of 1s clears (an ERROR write decided in
      this cycle). A bit set and cleared in one cycle stays set.
    * ``err``: the registers.
    """

    def __init__(self, windows):
        self.windows = windows
        layout = error_layout()
        super().__init__({
            "set": In(layout),
            "window": In(windows),
            "overflow": In(1),
            "clear": In(data.ArrayLayout(layout, windows)),
            "err": Out(data.ArrayLayout(layout, windows)),
        })

    def elaborate(self, platform):
        m = Module()
        for w in range(self.windows):
            raised = Mux(self.window[w], self.set.as_value(), 0)
            if w == 0:
                po = Signal(error_layout())
                m.d.comb += po.PENDING_OVERFLOW.eq(self.overflow)
                raised = raised | po.as_value()
            m.d.sync += self.err[w].eq((self.err[w].as_value() & ~self.clear[w].as_value())
                                       | raised)
        return m
