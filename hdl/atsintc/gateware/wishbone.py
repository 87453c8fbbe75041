"""Wishbone B4 bus signature, named and shaped like ``amaranth_soc.wishbone`` so that
it can be swapped for it later (amaranth-soc is not on PyPI).

Classic (non-pipelined) cycles: a master asserts ``cyc`` and ``stb`` with ``adr``
(a word address), ``we``, ``sel`` and ``dat_w``; the slave answers with ``ack`` (and
``dat_r`` for reads) in a later cycle; the transfer ends in the cycle ``ack`` is high.
Optional signals (``features``): ``err``, and the registered-feedback burst tags ``cti``
(3 bits, :class:`CycleType`) and ``bte`` (2 bits).

Interconnect (same names, parameters and ``add`` methods as amaranth-soc's):

* :class:`Decoder` -- one master, several slaves at fixed address windows;
  combinational, adds no cycle.
* :class:`Arbiter` -- several masters, one slave; combinational grant, so a handover
  costs no dead cycle (amaranth-soc's registered grant costs one; see the class).

Both drive the sub-buses' signals directly (as amaranth-soc does): a bus passed to
``add`` is the port of a component (``plic.bus``) or an interface made with
``Signature.create()``; it must not be driven from elsewhere.
"""

import enum

from amaranth.hdl import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Signature", "CycleType", "Decoder", "Arbiter", "merge_write"]


class CycleType(enum.IntEnum):
    """``cti`` values (Wishbone B4 3.2.1; amaranth-soc's ``CycleType``)."""
    CLASSIC = 0b000
    CONST_BURST = 0b001
    INCR_BURST = 0b010
    END_OF_BURST = 0b111


class Signature(wiring.Signature):
    """Wishbone signature from the master's point of view (``flipped`` for a slave).

    Parameters
    ----------
    addr_width : int
        Width of ``adr`` (in units of ``data_width // granularity`` bytes... i.e. words).
    data_width : int
        8, 16, 32 or 64.
    granularity : int
        Width of the smallest selectable unit; ``sel`` has ``data_width // granularity``
        bits. Defaults to ``data_width``.
    features : iterable of str
        Optional signals: ``"err"`` (slave to master), ``"cti"`` and ``"bte"`` (master to
        slave).
    """

    def __init__(self, *, addr_width, data_width, granularity=None, features=()):
        if granularity is None:
            granularity = data_width
        if data_width not in (8, 16, 32, 64):
            raise ValueError(f"data width must be 8, 16, 32 or 64, not {data_width}")
        if granularity not in (8, 16, 32, 64) or granularity > data_width:
            raise ValueError(f"granularity must be 8, 16, 32 or 64 and at most the data "
                             f"width, not {granularity}")
        if not isinstance(addr_width, int) or addr_width < 0:
            raise TypeError(f"address width must be a non-negative integer, not {addr_width!r}")
        unknown = set(features) - {"err", "cti", "bte"}
        if unknown:
            raise ValueError(f"unsupported Wishbone features {sorted(unknown)}; only 'err', "
                             f"'cti' and 'bte'")
        self.addr_width = addr_width
        self.data_width = data_width
        self.granularity = granularity
        self.features = frozenset(features)
        members = {
            "adr": Out(addr_width),
            "dat_w": Out(data_width),
            "dat_r": In(data_width),
            "sel": Out(data_width // granularity),
            "cyc": Out(1),
            "stb": Out(1),
            "we": Out(1),
            "ack": In(1),
        }
        if "err" in self.features:
            members["err"] = In(1)
        if "cti" in self.features:
            members["cti"] = Out(3)
        if "bte" in self.features:
            members["bte"] = Out(2)
        super().__init__(members)

    def __eq__(self, other):
        return (isinstance(other, Signature) and self.addr_width == other.addr_width and
                self.data_width == other.data_width and
                self.granularity == other.granularity and self.features == other.features)

    def __repr__(self):
        feats = f", features={sorted(self.features)}" if self.features else ""
        return (f"wishbone.Signature(addr_width={self.addr_width}, "
                f"data_width={self.data_width}, granularity={self.granularity}{feats})")


def merge_write(bus, old):
    """``old`` with the bytes selected by ``bus.sel`` replaced by ``bus.dat_w`` (a byte-
    granular register write); ``old`` may be narrower than the bus."""
    n = len(old)
    lanes = len(bus.sel)
    mask = Cat(bus.sel[k].replicate(len(bus.dat_w) // lanes) for k in range(lanes))[:n]
    return (old & ~mask) | (bus.dat_w[:n] & mask)


def _bus_signature(bus, what):
    """The unflipped :class:`Signature` of an interface (either direction)."""
    sig = getattr(bus, "signature", None)
    if isinstance(sig, wiring.FlippedSignature):
        sig = sig.flip()
    if not isinstance(sig, Signature):
        raise TypeError(f"{what} must be an interface with a wishbone.Signature, not {bus!r}")
    return sig


class Decoder(wiring.Component):
    """Address decoder: one master (``bus``) to slaves at fixed, aligned windows.

    Parameters
    ----------
    addr_width, data_width, granularity, features
        Of ``bus`` (see :class:`Signature`).

    Attributes
    ----------
    bus : ``In(Signature(...))``
        The master's side.

    Semantics (amaranth-soc's ``wishbone.Decoder``, dense windows): a sub-bus of
    address width ``a`` added at byte address ``addr`` occupies the window of
    ``2**a`` words from ``addr // (data_width // 8)``; ``addr`` must be aligned to the
    window's size and windows must not overlap. In the window the sub-bus gets ``cyc``
    (0 outside it), ``adr`` (the low ``a`` bits), and in every cycle ``stb``, ``we``,
    ``sel``, ``dat_w`` and, if it has them, ``cti`` / ``bte`` (classic / linear if the
    master has none); ``bus.dat_r`` and ``bus.ack`` (and ``err``) come from the window
    ``bus.adr`` falls in. Outside every window ``bus.ack`` is 0 and ``bus.dat_r`` 0
    (amaranth-soc behaves the same: put a default slave next to the decoder, see
    :meth:`hit`).

    Timing: purely combinational; an access through the decoder takes exactly the
    cycles the slave takes.
    """

    def __init__(self, *, addr_width, data_width, granularity=None, features=frozenset()):
        super().__init__({"bus": In(Signature(addr_width=addr_width, data_width=data_width,
                                              granularity=granularity, features=features))})
        self._subs = []             # (sub_bus, first word, words)

    def add(self, sub_bus, *, name=None, addr):
        """Map ``sub_bus`` (a slave's port, e.g. ``plic.bus``) at byte address ``addr``.

        Returns ``(start, end, ratio)`` in bytes, as amaranth-soc (``ratio`` is 1)."""
        sig = _bus_signature(sub_bus, "the subordinate bus")
        ours = self.bus.signature
        if sig.data_width != ours.data_width:
            raise ValueError(f"subordinate bus has data width {sig.data_width}, not the "
                             f"decoder's {ours.data_width}")
        if sig.granularity > ours.granularity:
            raise ValueError(f"subordinate bus has granularity {sig.granularity}, greater "
                             f"than the decoder's {ours.granularity}")
        if sig.addr_width > ours.addr_width:
            raise ValueError(f"subordinate bus has address width {sig.addr_width}, wider "
                             f"than the decoder's {ours.addr_width}")
        if "err" in sig.features and "err" not in ours.features:
            raise ValueError("subordinate bus has 'err' but the decoder does not")
        word_bytes = ours.data_width // 8
        words = 1 << sig.addr_width
        if not isinstance(addr, int) or addr < 0 or addr % (words * word_bytes):
            raise ValueError(f"address {addr!r} of {name or 'the subordinate bus'} is not "
                             f"aligned to its window of {words * word_bytes} bytes")
        start = addr // word_bytes
        if start + words > 1 << ours.addr_width:
            raise ValueError(f"window at {addr:#x} is outside the decoder's address space")
        for _, s, n in self._subs:
            if start < s + n and s < start + words:
                raise ValueError(f"window at {addr:#x} overlaps the one at "
                                 f"{s * word_bytes:#x}")
        self._subs.append((sub_bus, start, words))
        return (addr, addr + words * word_bytes, 1)

    def hit(self, adr=None):
        """An expression: ``adr`` (default ``bus.adr``) falls in some window."""
        adr = self.bus.adr if adr is None else adr
        return Cat(self._in_window(adr, start, words) for _, start, words in self._subs).any()

    def _in_window(self, adr, start, words):
        aw = words.bit_length() - 1
        return adr[aw:] == start >> aw

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        sig = bus.signature
        for k, (sub, start, words) in enumerate(self._subs):
            ssig = _bus_signature(sub, "the subordinate bus")
            ratio = sig.granularity // ssig.granularity
            m.d.comb += [sub.adr.eq(bus.adr[:ssig.addr_width]), sub.dat_w.eq(bus.dat_w),
                         sub.sel.eq(Cat(s.replicate(ratio) for s in bus.sel)),
                         sub.we.eq(bus.we), sub.stb.eq(bus.stb)]
            for opt, default in (("cti", CycleType.CLASSIC), ("bte", 0)):
                if opt in ssig.features:
                    m.d.comb += getattr(sub, opt).eq(getattr(bus, opt, default))
            hit = Signal(name=f"hit{k}")
            m.d.comb += hit.eq(self._in_window(bus.adr, start, words))
            with m.If(hit):
                m.d.comb += [sub.cyc.eq(bus.cyc), bus.dat_r.eq(sub.dat_r),
                             bus.ack.eq(sub.ack)]
                if "err" in ssig.features:
                    m.d.comb += bus.err.eq(sub.err)
        return m


class Arbiter(wiring.Component):
    """Round-robin arbiter: several masters (added with :meth:`add`) share ``bus``.

    Parameters
    ----------
    addr_width, data_width, granularity, features
        Of ``bus`` (see :class:`Signature`); every master must have the same address
        and data width and a granularity at least ``granularity``.

    Attributes
    ----------
    bus : ``Out(Signature(...))``
        The shared bus (to the slave).

    Semantics as amaranth-soc's ``wishbone.Arbiter``: the master that owns the bus keeps
    it while its ``cyc`` is high (a burst or a locked sequence is never split); when it
    is low the next requesting master in round-robin order (the owner's successors,
    wrapping) gets it, otherwise the owner stays. The granted master's signals go to
    ``bus``; every master sees ``bus.dat_r``, only the granted one ``bus.ack`` (and
    ``err``).

    Timing: one difference from amaranth-soc, whose grant is a register updated while
    the bus is idle (a handover costs a cycle with ``bus.cyc`` low). Here the grant is
    combinational from the owner register and the requests: when the owner drops
    ``cyc``, a requesting master's access reaches ``bus`` in that same cycle (no dead
    cycle), and the owner register takes the grant at the clock edge. Like amaranth-soc's
    without ``lock``, this relies on slaves that acknowledge only while ``cyc & stb``
    (or only in the cycle after a request they still see): an ack registered for the
    old owner must not land in the new owner's first cycle.
    """

    def __init__(self, *, addr_width, data_width, granularity=None, features=frozenset()):
        super().__init__({"bus": Out(Signature(addr_width=addr_width, data_width=data_width,
                                               granularity=granularity, features=features))})
        self._intrs = []

    def add(self, intr_bus):
        """Add a master (an interface with ``Signature(...)``, e.g. from ``create()``)."""
        sig = _bus_signature(intr_bus, "the initiator bus")
        ours = self.bus.signature
        if sig.addr_width != ours.addr_width:
            raise ValueError(f"initiator bus has address width {sig.addr_width}, not the "
                             f"arbiter's {ours.addr_width}")
        if sig.data_width != ours.data_width:
            raise ValueError(f"initiator bus has data width {sig.data_width}, not the "
                             f"arbiter's {ours.data_width}")
        if sig.granularity < ours.granularity:
            raise ValueError(f"initiator bus has granularity {sig.granularity}, less than "
                             f"the arbiter's {ours.granularity}")
        if "err" in ours.features and "err" not in sig.features:
            raise ValueError("the arbiter has 'err' but the initiator bus does not")
        self._intrs.append(intr_bus)

    def elaborate(self, platform):
        m = Module()
        n = len(self._intrs)
        bus = self.bus
        owner = Signal(range(max(2, n)), name="owner")
        grant = Signal(range(max(2, n)), name="grant")
        requests = Cat(intr.cyc for intr in self._intrs)
        m.d.comb += grant.eq(owner)
        with m.Switch(owner):
            for i in range(n):
                with m.Case(i):
                    with m.If(~requests[i]):
                        # the owner's successors in order, the nearest one wins
                        for j in reversed(range(1, n)):
                            with m.If(requests[(i + j) % n]):
                                m.d.comb += grant.eq((i + j) % n)
        m.d.sync += owner.eq(grant)
        for i, intr in enumerate(self._intrs):
            isig = _bus_signature(intr, "the initiator bus")
            ratio = isig.granularity // bus.signature.granularity
            with m.If(grant == i):
                m.d.comb += [bus.cyc.eq(intr.cyc), bus.stb.eq(intr.stb), bus.we.eq(intr.we),
                             bus.adr.eq(intr.adr), bus.dat_w.eq(intr.dat_w),
                             bus.sel.eq(Cat(s.replicate(ratio) for s in intr.sel))]
                for opt, default in (("cti", CycleType.CLASSIC), ("bte", 0)):
                    if opt in bus.signature.features:
                        m.d.comb += getattr(bus, opt).eq(getattr(intr, opt, default))
            m.d.comb += [intr.ack.eq(bus.ack & (grant == i)), intr.dat_r.eq(bus.dat_r)]
            if "err" in isig.features:
                m.d.comb += intr.err.eq(getattr(bus, "err", 0) & (grant == i))
        return m
