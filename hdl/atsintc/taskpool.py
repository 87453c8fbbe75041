"""A task pool: ``lists`` FIFO lists of words sharing one memory of ``size`` entries.

The storage for the controller's queues when capacity is shared (issue 10): each entry
holds a word and the index of the next entry of its list; a list is its ``head``,
``tail`` and ``count`` registers. Two memories (``DATA``: words, ``NEXT``: links) map to
block RAM; everything per list is registers.

Free entries are the entries never used since reset (``fresh .. size-1``, handed out in
order by a counter) plus a stack of freed entries linked through ``NEXT``. So the pool
needs no memory initialisation and is consistent after any reset.

Operations
==========

One operation per cycle, on ``op`` with its operands; it takes effect at the clock edge
ending the cycle (registered state is updated, memories are written):

* ``PUSH``: append ``word`` to list ``list_b``. Needs ``free != 0``.
* ``POP``: remove the head of list ``list_a`` (its word is ``peek_word`` in this
  cycle). Needs list ``list_a`` not empty and ``peek = list_a`` in the cycle before.
* ``MOVE``: move the head entry of list ``list_a`` to the tail of list ``list_b``
  (``list_b != list_a``) without copying: the entry is relinked, the free list is not
  touched. Same needs as ``POP``.

``peek`` (a list index, any cycle): in the next cycle ``peek_word`` is the word at the
head of that list as it is after this cycle's operation, and ``peek_valid`` says the
list is not empty then. The caller's decide stage peeks the list it will pop in its
execute stage; the word comes out of block RAM with no further logic.

``counts[l]``, ``nonempty[l]`` and ``free`` are registers.

Ports use the memories as: ``DATA`` one write port (PUSH) and one read port (peek);
``NEXT`` one write port (the link written by PUSH/MOVE to a non-empty list, or the
free-stack link written by POP) and two read ports (the peeked head's link, and the
free-stack top's link, prefetched). All read ports are synchronous and transparent to
the write in the same cycle.
"""

from amaranth.hdl import *
from amaranth.lib import data, enum, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["Op", "TaskPool"]


class Op(enum.Enum, shape=2):
    NONE = 0
    PUSH = 1
    POP = 2
    MOVE = 3


class TaskPool(wiring.Component):
    """See the module docstring. ``size`` entries (>= 1), ``lists`` lists (>= 1),
    ``width``-bit words (>= 1)."""

    def __init__(self, *, size, lists, width):
        self._MustUse__silence = True           # no warning if the parameters are refused
        for name, value in (("size", size), ("lists", lists), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer, not {value!r}")
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
        self._MustUse__silence = False
        self.size, self.lists, self.width = size, lists, width
        self.index_bits = ib = max(1, (size - 1).bit_length())
        lb = max(1, (lists - 1).bit_length())
        super().__init__({
            "op": In(Op),
            "list_a": In(lb),
            "list_b": In(lb),
            "word": In(width),
            "peek": In(lb),
            "peek_word": Out(width),
            "peek_valid": Out(1),
            "counts": Out(data.ArrayLayout(range(size + 1), lists)),
            "nonempty": Out(lists),
            "free": Out(range(size + 1), init=size),
        })
        # the memories are built here so that a formal harness can add read ports
        self.data_mem = Memory(shape=width, depth=size, init=[])
        self.next_mem = Memory(shape=ib, depth=size, init=[])
        self.head = Array(Signal(ib, name=f"head{i}") for i in range(lists))
        self.tail = Array(Signal(ib, name=f"tail{i}") for i in range(lists))
        self.stack_top = Signal(ib)
        self.stack_count = Signal(range(size + 1))
        self.fresh = Signal(range(size + 1))

    def elaborate(self, platform):
        m = Module()
        m.submodules.data_mem = self.data_mem
        m.submodules.next_mem = self.next_mem
        data_w = self.data_mem.write_port()
        next_w = self.next_mem.write_port()
        data_r = self.data_mem.read_port(transparent_for=(data_w,))
        next_r = self.next_mem.read_port(transparent_for=(next_w,))      # peeked link
        next_f = self.next_mem.read_port(transparent_for=(next_w,))      # stack link
        self._next_r, self._next_f = next_r, next_f          # for the formal proof
        head, tail, counts = self.head, self.tail, self.counts
        top, stacked, fresh = self.stack_top, self.stack_count, self.fresh
        a, b = self.list_a, self.list_b

        push = self.op == Op.PUSH
        take = (self.op == Op.POP) | (self.op == Op.MOVE)    # the head of list a leaves
        put = push | (self.op == Op.MOVE)                     # an entry joins list b

        # allocation (PUSH): the top of the freed stack, else the next fresh entry
        from_stack = stacked != 0
        new = Signal(self.index_bits)
        m.d.comb += new.eq(Mux(from_stack, top, fresh))
        h = Signal(self.index_bits)                           # head of list a
        m.d.comb += h.eq(head[a])
        node = Mux(push, new, h)                              # the entry joining list b
        b_empty = counts[b] == 0

        # list a loses its head (POP, MOVE): the peeked link is the new head
        with m.If(take):
            m.d.sync += [head[a].eq(next_r.data), counts[a].eq(counts[a] - 1)]
        # list b gains `node` (PUSH, MOVE) at its tail
        with m.If(put):
            m.d.sync += [tail[b].eq(node), counts[b].eq(counts[b] + 1)]
            with m.If(b_empty):
                m.d.sync += head[b].eq(node)
        # the one NEXT write: the link to `node` after list b's old tail, or (POP) the
        # freed head pushed on the free stack
        m.d.comb += [
            next_w.en.eq((put & ~b_empty) | (self.op == Op.POP)),
            next_w.addr.eq(Mux(put, tail[b], h)),
            next_w.data.eq(Mux(put, node, top)),
            data_w.en.eq(push),
            data_w.addr.eq(new),
            data_w.data.eq(self.word),
        ]
        # free stack and fresh counter; the stack's second entry is prefetched
        top_next = Signal(self.index_bits)
        m.d.comb += top_next.eq(top)
        with m.If(self.op == Op.POP):
            m.d.sync += [top.eq(h), stacked.eq(stacked + 1)]
            m.d.comb += top_next.eq(h)
        with m.Elif(push & from_stack):
            m.d.sync += [top.eq(next_f.data), stacked.eq(stacked - 1)]
            m.d.comb += top_next.eq(next_f.data)
        with m.Elif(push):
            m.d.sync += fresh.eq(fresh + 1)
        m.d.comb += next_f.addr.eq(top_next)
        m.d.sync += self.free.eq(self.free + (self.op == Op.POP) - push)

        # peek: read the head the peeked list has after this cycle's operation
        p = self.peek
        peek_head = Signal(self.index_bits)
        peek_count = Signal(range(self.size + 1))
        m.d.comb += [peek_head.eq(head[p]), peek_count.eq(counts[p])]
        with m.If(take & (a == p)):
            m.d.comb += [peek_head.eq(next_r.data), peek_count.eq(counts[p] - 1)]
        with m.If(put & (b == p)):
            m.d.comb += peek_count.eq(counts[p] + 1)
            with m.If(b_empty):
                m.d.comb += peek_head.eq(node)
        m.d.comb += [data_r.addr.eq(peek_head), next_r.addr.eq(peek_head),
                     self.peek_word.eq(data_r.data)]
        m.d.sync += self.peek_valid.eq(peek_count != 0)

        # non-empty after this cycle: gains an entry, or had one and does not lose its last
        last = counts[a] == 1
        for i in range(self.lists):
            m.d.sync += self.nonempty[i].eq((put & (b == i)) |
                                            (self.nonempty[i] & ~(take & (a == i) & last)))
        return m
