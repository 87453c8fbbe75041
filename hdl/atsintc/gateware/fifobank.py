"""A bank of ``n`` small FIFOs.

Used for the per-vector blocked queues and the per-channel IPC mailboxes. Each FIFO
has its own memory (``lib.memory.Memory`` of ``2**ceil(log2(depth))`` words, one write
port, one asynchronous read port: distributed/LUT RAM on FPGAs) addressed by its own
read pointer, so every FIFO's head word is one RAM read away from registers
(``heads[i]``); a one-hot select of them is a flat AND-OR. Read/write pointers,
``counts``, ``nonempty`` and ``full`` are registers.

Ports (all single-cycle):

* ``push``/``push_idx``/``push_data``: append to FIFO ``push_idx`` at the clock edge.
  The caller must not push into a full FIFO (``full[idx]``).
* ``pop``/``pop_idx``: drop the head of FIFO ``pop_idx`` at the clock edge. The caller
  must not pop an empty FIFO.
* ``heads[i]``: the head word of FIFO ``i`` (combinational from registers and RAM).
* ``counts[i]``, ``nonempty[i]`` and ``full[i]``: registers.

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
        self.heads = [Signal(width, name=f"{name}_head{i}") for i in range(n)]
        self.counts = [Signal(range(depth + 1), name=f"{name}_count{i}") for i in range(n)]
        self.nonempty = Signal(n, name=f"{name}_nonempty")
        self.full = Signal(n, name=f"{name}_full")
        self._rd = [Signal(self._pbits, name=f"{name}_rd{i}") for i in range(n)]
        self._wr = [Signal(self._pbits, name=f"{name}_wr{i}") for i in range(n)]

    def elaborate(self, platform):
        m = Module()

        def bump(p):
            if self.depth == 1 << self._pbits:
                return p + 1
            return Mux(p == self.depth - 1, 0, p + 1)

        for i in range(self.n):
            mem = Memory(shape=self.width, depth=1 << self._pbits, init=[])
            m.submodules[f"mem{i}"] = mem
            wp = mem.write_port()
            rp = mem.read_port(domain="comb")
            inc = self.push & (self.push_idx == i)
            dec = self.pop & (self.pop_idx == i)
            m.d.comb += [wp.addr.eq(self._wr[i]), wp.data.eq(self.push_data), wp.en.eq(inc),
                         rp.addr.eq(self._rd[i]), self.heads[i].eq(rp.data)]
            with m.If(inc):
                m.d.sync += self._wr[i].eq(bump(self._wr[i]))
            with m.If(dec):
                m.d.sync += self._rd[i].eq(bump(self._rd[i]))
            with m.If(inc & ~dec):
                m.d.sync += [self.counts[i].eq(self.counts[i] + 1), self.nonempty[i].eq(1),
                             self.full[i].eq(self.counts[i] == self.depth - 1)]
            with m.Elif(dec & ~inc):
                m.d.sync += [self.counts[i].eq(self.counts[i] - 1), self.full[i].eq(0),
                             self.nonempty[i].eq(self.counts[i] != 1)]
        return m
