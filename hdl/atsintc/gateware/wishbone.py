"""Wishbone B4 bus signature, named and shaped like ``amaranth_soc.wishbone`` so that
it can be swapped for it later (amaranth-soc is not on PyPI).

Classic (non-pipelined) cycles: a master asserts ``cyc`` and ``stb`` with ``adr``
(a word address), ``we``, ``sel`` and ``dat_w``; the slave answers with ``ack`` (and
``dat_r`` for reads) in a later cycle; the transfer ends in the cycle ``ack`` is high.
"""

from amaranth.hdl import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Signature", "merge_write"]


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
        unknown = set(features) - {"err"}
        if unknown:
            raise ValueError(f"unsupported Wishbone features {sorted(unknown)}; only 'err'")
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
        super().__init__(members)

    def __eq__(self, other):
        return (isinstance(other, Signature) and self.addr_width == other.addr_width and
                self.data_width == other.data_width and
                self.granularity == other.granularity and self.features == other.features)

    def __repr__(self):
        return (f"wishbone.Signature(addr_width={self.addr_width}, "
                f"data_width={self.data_width}, granularity={self.granularity})")


def merge_write(bus, old):
    """``old`` with the bytes selected by ``bus.sel`` replaced by ``bus.dat_w`` (a byte-
    granular register write); ``old`` may be narrower than the bus."""
    n = len(old)
    lanes = len(bus.sel)
    mask = Cat(bus.sel[k].replicate(len(bus.dat_w) // lanes) for k in range(lanes))[:n]
    return (old & ~mask) | (bus.dat_w[:n] & mask)
