"""A bank of ``n`` small FIFOs sharing one memory.

Used for the per-vector blocked queues and the per-channel IPC mailboxes. The storage
is one ``lib.memory.Memory`` of ``n * 2**ceil(log2(depth))`` words with one write port
and one asynchronous read port (distributed/LUT RAM on FPGAs); each FIFO has its own
read/write pointers and a count.

Ports (all single-cycle):

* ``push``/``push_idx``/``push_data``: append to FIFO ``push_idx`` at the clock edge.
  The caller must not push into a full FIFO (``count(idx) == depth``).
* ``pop``/``pop_idx``: drop the head of FIFO ``pop_idx`` at the clock edge. The caller
  must not pop an empty FIFO.
* ``head_idx`` -> ``head``: the head word of FIFO ``head_idx``, combinationally.

A push and a pop in the same cycle must address different FIFOs, or the same
non-empty FIFO.
"""

from amaranth.hdl import *
from amaranth.lib.memory import Memory

__all__ = ["FifoBank"]


class FifoBank(Elaboratable):
    def __init__(self, n, depth, width, *, name="fifobank"):
        if n < 1 or depth < 1 or width < 1:
            raise ValueError(f"FifoBank needs n, depth, width >= 1 (got {n}, {depth}, {width})")
        self.n, self.depth, self.width = n, depth, width
        self._pbits = max(1, (depth - 1).bit_length())
        self._ibits = max(1, (n - 1).bit_length())
        self.push = Signal()
        self.push_idx = Signal(self._ibits)
        self.push_data = Signal(width)
        self.pop = Signal()
        self.pop_idx = Signal(self._ibits)
        self.head_idx = Signal(self._ibits)
        self.head = Signal(width)
        self.counts = [Signal(range(depth + 1), name=f"{name}_count{i}") for i in range(n)]
        self._rd = [Signal(self._pbits, name=f"{name}_rd{i}") for i in range(n)]
        self._wr = [Signal(self._pbits, name=f"{name}_wr{i}") for i in range(n)]

    def count(self, idx):
        """Count of FIFO ``idx`` (a Python int or an Amaranth value)."""
        if isinstance(idx, int):
            return self.counts[idx]
        return Array(self.counts)[idx]

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=self.width, depth=self.n << self._pbits, init=[])
        wp = mem.write_port()
        rp = mem.read_port(domain="comb")
        rd, wr = Array(self._rd), Array(self._wr)

        def bump(p):
            if self.depth == 1 << self._pbits:
                return p + 1
            return Mux(p == self.depth - 1, 0, p + 1)

        m.d.comb += [
            wp.addr.eq(Cat(wr[self.push_idx], self.push_idx)),
            wp.data.eq(self.push_data),
            wp.en.eq(self.push),
            rp.addr.eq(Cat(rd[self.head_idx], self.head_idx)),
            self.head.eq(rp.data),
        ]
        with m.If(self.push):
            m.d.sync += wr[self.push_idx].eq(bump(wr[self.push_idx]))
        with m.If(self.pop):
            m.d.sync += rd[self.pop_idx].eq(bump(rd[self.pop_idx]))
        for i in range(self.n):
            inc = self.push & (self.push_idx == i)
            dec = self.pop & (self.pop_idx == i)
            with m.If(inc & ~dec):
                m.d.sync += self.counts[i].eq(self.counts[i] + 1)
            with m.Elif(dec & ~inc):
                m.d.sync += self.counts[i].eq(self.counts[i] - 1)
        return m
