"""Registers behind a Wishbone slave, shared by the SoC's peripherals (PLIC, interrupt
source, SoC control).

A small subset of amaranth-soc's ``csr`` package with its names and meaning, so that
amaranth-soc could replace it: a register is an :class:`Element` (``r_data``, ``r_stb``,
``w_data``, ``w_stb``, present as its access allows), and :class:`Bank` plays the part of
amaranth-soc's ``csr.Multiplexer`` behind a ``WishboneCSRBridge``: it decodes a Wishbone
slave port (:mod:`atsintc.gateware.wishbone`) onto the elements.

Timing (every peripheral built on a :class:`Bank` has it):

* An access is executed in its *request cycle* (the first cycle with ``cyc & stb`` and no
  ``ack``) and acknowledged in the next one, read data with the ack: 2 cycles per access;
  a master may start its next access in the cycle after the ack.
* In the request cycle of a read, the addressed element's ``r_stb`` is high and its
  ``r_data`` is what the read returns (a read side effect, e.g. a PLIC claim, happens at
  the end of that cycle).
* In the request cycle of a write, ``w_stb`` is high and ``w_data`` is the written value:
  the bytes selected by ``sel`` from ``dat_w``, the others from ``r_data`` (a write of
  some bytes leaves the others as they read; zero for a write-only element).
* An address with no element is acknowledged, reads 0 and writes nothing.
* ``stall`` (optional): a request in a cycle in which it is high waits: no strobe, no ack
  (the SoC's console holds a write while the UART is busy).
"""

import enum

from amaranth.hdl import Const, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from atsintc.gateware.wishbone import merge_write

__all__ = ["Element", "Bank"]


class Element(wiring.PureInterface):
    """One register as the bus sees it (amaranth-soc's ``csr.Element``).

    Members, from the bus side: ``r_data`` (In, readable elements), ``r_stb`` (Out,
    readable), ``w_data`` (Out, writable), ``w_stb`` (Out, writable). The peripheral
    drives ``r_data`` and reads the strobes and ``w_data``."""

    class Access(enum.Enum):
        R = "r"
        W = "w"
        RW = "rw"

        def readable(self):
            return self in (Element.Access.R, Element.Access.RW)

        def writable(self):
            return self in (Element.Access.W, Element.Access.RW)

    class Signature(wiring.Signature):
        def __init__(self, width, access):
            if not isinstance(width, int) or width < 1:
                raise TypeError(f"Element width must be a positive integer, not {width!r}")
            access = Element.Access(access)
            members = {}
            if access.readable():
                members.update(r_data=In(width), r_stb=Out(1))
            if access.writable():
                members.update(w_data=Out(width), w_stb=Out(1))
            self.width, self.access = width, access
            super().__init__(members)

        def create(self, *, path=None, src_loc_at=0):
            return Element(self, path=path, src_loc_at=1 + src_loc_at)

    def __init__(self, signature, *, path=None, src_loc_at=0):
        super().__init__(signature, path=path, src_loc_at=1 + src_loc_at)
        self.width, self.access = signature.width, signature.access


class Bank:
    """Elements at word addresses of one Wishbone slave port (see the module's timing).

    ``bus``: the peripheral's slave interface (``wishbone.Signature`` flipped). Add the
    elements with :meth:`add`, then call :meth:`elaborate` once from the peripheral's
    ``elaborate``."""

    def __init__(self, bus, *, stall=None):
        self.bus = bus
        self.stall = stall
        self._elements = {}

    def add(self, addr, width, access="rw", *, name=None):
        """A new element at word address ``addr`` (``bus.adr`` units); returns it."""
        limit = 1 << len(self.bus.adr)
        if not isinstance(addr, int) or not 0 <= addr < limit:
            raise ValueError(f"register address must be an integer in [0, {limit}), "
                             f"not {addr!r}")
        if addr in self._elements:
            raise ValueError(f"register address {addr:#x} is already taken by "
                             f"{self._elements[addr][0]!r}")
        if width > len(self.bus.dat_r):
            raise ValueError(f"register {name or hex(addr)} is {width} bits wide, wider "
                             f"than the {len(self.bus.dat_r)}-bit bus")
        name = name or f"reg_{addr:x}"
        elem = Element.Signature(width, access).create(path=(name,))
        self._elements[addr] = (name, elem)
        return elem

    def elaborate(self, m):
        bus = self.bus
        go = bus.cyc & bus.stb & ~bus.ack
        if self.stall is not None:
            go = go & ~self.stall
        rd, wr = go & ~bus.we, go & bus.we
        rdata = Signal(len(bus.dat_r), name="bank_rdata")
        with m.Switch(bus.adr):
            for addr, (name, e) in self._elements.items():
                with m.Case(addr):
                    if e.access.readable():
                        m.d.comb += [rdata.eq(e.r_data), e.r_stb.eq(rd)]
                    if e.access.writable():
                        m.d.comb += e.w_stb.eq(wr)
        for name, e in self._elements.values():
            if e.access.writable():
                old = e.r_data if e.access.readable() else Const(0, e.width)
                m.d.comb += e.w_data.eq(merge_write(bus, old))
        m.d.sync += [bus.ack.eq(go), bus.dat_r.eq(Mux(rd, rdata, 0))]
