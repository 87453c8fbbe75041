"""Multi-hart support of the SoC: software interrupts (CLINT-style ``msip``) and
hardware spinlocks."""

from amaranth.hdl import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from atsintc.gateware import csr, wishbone

__all__ = ["SMPControl", "MSIP", "LOCK", "HARTID", "LOCKS"]

MSIP = 0x00         # + 4 h: bit 0 = software interrupt pending for hart h
LOCK = 0x40         # + 4 i: hardware spinlock i
HARTID = 0x80       # the reading hart's number (answered by the hart's own bus router)
LOCKS = 8


class SMPControl(wiring.Component):
    """Registers shared by the harts (byte offsets; a :class:`~atsintc.gateware.csr.Bank`:
    2 cycles per access, read data with the ack):

    * ``MSIP[h]`` at ``0x00 + 4 h`` (RW, bit 0): hart h's machine software interrupt
      (``msip[h]``, to its ``softwareInterrupt`` input); an IPI is a write of 1, the
      receiver clears it. Reset 0.
    * ``LOCK[i]`` at ``0x40 + 4 i`` (``LOCKS`` = 8): a read returns 1 and takes the
      lock if it is free, 0 if it is taken (test-and-set in one bus access, so it is
      atomic across harts whatever their caches and AMOs do); any write frees it.
      Reset: all free.
    * ``HARTID`` at ``0x80``: decoded by each hart's bus router before the shared bus
      (it reads the hart's own number); this block reads 0 there.
    """

    addr_width = 6          # 64 words

    def __init__(self, harts):
        if not isinstance(harts, int) or not 1 <= harts <= 16:
            raise ValueError(f"harts must be an integer in 1..16, not {harts!r}")
        self.harts = harts
        super().__init__({
            "bus": In(wishbone.Signature(addr_width=self.addr_width, data_width=32,
                                         granularity=8)),
            "msip": Out(harts),
        })

    def elaborate(self, platform):
        m = Module()
        bank = csr.Bank(self.bus)
        for h in range(self.harts):
            e = bank.add(MSIP // 4 + h, 1, "rw", name=f"msip{h}")
            m.d.comb += e.r_data.eq(self.msip[h])
            with m.If(e.w_stb):
                m.d.sync += self.msip[h].eq(e.w_data)
        held = Signal(LOCKS)
        for i in range(LOCKS):
            e = bank.add(LOCK // 4 + i, 1, "rw", name=f"lock{i}")
            m.d.comb += e.r_data.eq(~held[i])               # 1: this read takes it
            with m.If(e.r_stb):
                m.d.sync += held[i].eq(1)
            with m.If(e.w_stb):
                m.d.sync += held[i].eq(0)
        bank.elaborate(m)
        return m
