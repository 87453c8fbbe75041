"""The controller's address decoder, generated from the register map."""

from amaranth.hdl import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from atsintc.regmap import STRIDE, WINDOW_SIZE

__all__ = ["AddressDecoder"]


def _key(window, name):
    return f"{window}_{name}"


class AddressDecoder(wiring.Component):
    """Combinational: which register of ``regmap`` (a :class:`atsintc.regmap.RegisterMap`)
    a bus word address ``adr`` selects.

    * ``hit.<WINDOW>_<NAME>``: the address is in that register (element of an array
      register, in the kernel window or in any process window);
    * ``index.<WINDOW>_<NAME>``: the element of an array register;
    * ``proc`` / ``proc_oh``: the process slot of a process window (one-hot: none for
      the kernel window or an address past the last process window);
    * ``mapped``: a register that allows the access's direction (``we``);
    * ``writable``: a register that can be written (whatever ``we``).
    """

    def __init__(self, regmap, addr_width, word_bytes):
        self.map, self.word_bytes = regmap, word_bytes
        p = regmap.params
        hits, index = {}, {}
        for w in regmap.windows:
            for r in w.registers:
                hits[_key(w.name, r.name)] = 1
                if r.is_array():
                    index[_key(w.name, r.name)] = range(max(2, r.length(p)))
        super().__init__({
            "adr": In(addr_width),
            "we": In(1),
            "hit": Out(data.StructLayout(hits)),
            "index": Out(data.StructLayout(index)),
            "proc": Out(range(max(2, p.processes))),
            "proc_oh": Out(p.processes),
            "mapped": Out(1),
            "writable": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        p = self.map.params
        win_bits = (WINDOW_SIZE - 1).bit_length()
        lsb = (self.word_bytes - 1).bit_length()
        byte = Cat(Const(0, lsb), self.adr)
        win = byte[win_bits:]
        off = byte[:win_bits]
        m.d.comb += [self.proc.eq(win - 1),
                     self.proc_oh.eq(Cat(win == i + 1 for i in range(p.processes)))]
        in_window = {"KERNEL": win == 0, "PROCESS": self.proc_oh.any()}
        mapped, writable = [], []
        stride_bits = (STRIDE - 1).bit_length()
        for w in self.map.windows:
            for r in w.registers:
                n = r.length(p)
                k = _key(w.name, r.name)
                h = getattr(self.hit, k)
                m.d.comb += h.eq(in_window[w.name] & self._in_range(off, r.offset,
                                                                     n * STRIDE))
                if r.is_array():
                    span = 1 << (n * STRIDE - 1).bit_length()
                    rel = (off[:(span - 1).bit_length()] if r.offset % span == 0 else
                           off - r.offset)              # no subtraction when aligned
                    m.d.comb += getattr(self.index, k).eq(rel[stride_bits:])
                ok = []
                if "R" in r.access:
                    ok.append(~self.we)
                if "W" in r.access:
                    ok.append(self.we)
                    writable.append(h)
                mapped.append(h & Cat(*ok).any())
        m.d.comb += [self.mapped.eq(Cat(*mapped).any()),
                     self.writable.eq(Cat(*writable).any())]
        return m

    @staticmethod
    def _in_range(off, base, size):
        """``off`` is a register word of ``[base, base + size)`` (a multiple of STRIDE):
        an equality compare of the bits above the range when it is a power of two in
        size and aligned to it (one register, most arrays), else two compares (no carry
        chains for the common case: they cost logic cells on iCE40)."""
        stride_bits = (STRIDE - 1).bit_length()
        word = off[:stride_bits] == 0
        if size & (size - 1) == 0 and base % size == 0:
            k = (size - 1).bit_length()
            return word & (off[k:] == base >> k)
        return word & (off >= base) & (off < base + size)
