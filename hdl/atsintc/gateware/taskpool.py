"""A task pool: ``lists`` FIFO lists of words sharing one memory of ``size`` entries.

The storage of the controller's ready and blocked queues with the ``pool`` backend:
each entry holds a word and the index of the next entry of its list; a list is its
``head``, ``tail`` and ``count`` registers. Three memories map to block RAM: ``DATA``
(words), ``NEXT`` (links) and ``FREE`` (a stack of freed entries); everything per list
is registers.

Free entries are the entries never used since reset (``fresh .. size-1``, handed out
in order by a counter) plus the freed ones on the ``FREE`` stack. So the pool needs no
memory initialisation and is consistent after any reset.

Operations
==========

One PUSH and one POP per cycle, on any lists (the same one too); both take effect at
the clock edge ending the cycle (registers are updated, memories are written):

* ``push``: append ``word`` to list ``push_list``. Needs ``free != 0`` at the start of
  the cycle (an entry freed by a POP in the same cycle is not reused in it).
* ``pop``: remove the head of list ``pop_list`` (its word is ``peek_word`` in this
  cycle). Needs list ``pop_list`` not empty and ``peek = pop_list`` in the cycle before.

``peek`` (a list index, any cycle): in the next cycle ``peek_word`` is the word at the
head of that list as it is after this cycle's operations, and ``peek_valid`` says the
list is not empty then. The caller's decide stage peeks the list it will pop in its
execute stage; the word comes out of block RAM with no further logic.

``counts[l]`` (only with ``counts=True``, the default) and ``nonempty[l]`` are
registers; ``nonempty_next`` is what ``nonempty`` will be in the next cycle; ``free``
is derived from registers. Without counts a list's last entry is recognised by ``head == tail``.

Memory ports: ``DATA`` one write port (PUSH) and one read port (peek); ``NEXT`` one
write port (the link from the old tail of a non-empty list to a pushed entry) and one
read port (the peeked head's link); ``FREE`` one write port (POP) and one read port
(the stack's top, prefetched). Read ports are synchronous and transparent to the write
in the same cycle.
"""

from amaranth.hdl import *
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["TaskPool"]


class TaskPool(wiring.Component):
    """See the module docstring. ``size`` entries (>= 1), ``lists`` lists (>= 1),
    ``width``-bit words (>= 1); ``counts``: keep a count register per list."""

    def __init__(self, *, size, lists, width, counts=True):
        self._MustUse__silence = True           # no warning if the parameters are refused
        for name, value in (("size", size), ("lists", lists), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer, not {value!r}")
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
        self._MustUse__silence = False
        self.size, self.lists, self.width = size, lists, width
        self.with_counts = bool(counts)
        self.index_bits = ib = max(1, (size - 1).bit_length())
        lb = max(1, (lists - 1).bit_length())
        super().__init__({
            "push": In(1),
            "push_list": In(lb),
            "word": In(width),
            "pop": In(1),
            "pop_list": In(lb),
            "peek": In(lb),
            "peek_word": Out(width),
            "peek_valid": Out(1),
            **({"counts": Out(data.ArrayLayout(range(size + 1), lists))} if counts else {}),
            "nonempty": Out(lists),
            "nonempty_next": Out(lists),
            "free": Out(range(size + 1)),
        })
        # the memories are built here so that a formal harness can add read ports
        self.data_mem = Memory(shape=width, depth=size, init=[])
        self.next_mem = Memory(shape=ib, depth=size, init=[])
        self.free_mem = Memory(shape=ib, depth=size, init=[])
        self.head = Array(Signal(ib, name=f"head{i}") for i in range(lists))
        self.tail = Array(Signal(ib, name=f"tail{i}") for i in range(lists))
        self.stack_count = Signal(range(size + 1))
        self.fresh = Signal(range(size + 1))

    def elaborate(self, platform):
        m = Module()
        m.submodules.data_mem = self.data_mem
        m.submodules.next_mem = self.next_mem
        m.submodules.free_mem = self.free_mem
        data_w = self.data_mem.write_port()
        next_w = self.next_mem.write_port()
        free_w = self.free_mem.write_port()
        data_r = self.data_mem.read_port(transparent_for=(data_w,))
        next_r = self.next_mem.read_port(transparent_for=(next_w,))      # peeked link
        free_r = self.free_mem.read_port(transparent_for=(free_w,))      # stack top
        self._next_r, self._free_r = next_r, free_r          # for the formal proof
        head, tail = self.head, self.tail
        counts = self.counts if self.with_counts else None
        stacked, fresh = self.stack_count, self.fresh
        a, b = self.pop_list, self.push_list
        push, pop = self.push, self.pop

        # allocation (push): the top of the freed stack, else the next fresh entry
        from_stack = stacked != 0
        new = Signal(self.index_bits)
        m.d.comb += new.eq(Mux(from_stack, free_r.data, fresh[:self.index_bits]))
        h = Signal(self.index_bits)                           # head of the popped list
        m.d.comb += h.eq(head[a])
        # the popped entry is its list's last one; list b is empty after the pop
        last_a = Signal()
        b_gone = Signal()
        if counts is not None:
            # (compares, no subtraction: this is on the peek's path to the RAM address)
            m.d.comb += [last_a.eq(counts[a] == 1),
                         b_gone.eq((counts[b] == 0) | (pop & (a == b) & (counts[b] == 1)))]
        else:
            m.d.comb += [last_a.eq(h == tail[a]),
                         b_gone.eq(~self.nonempty.bit_select(b, 1) |
                                   (pop & (a == b) & last_a))]

        with m.If(pop):                 # list a loses its head: the peeked link
            m.d.sync += head[a].eq(next_r.data)
        with m.If(push):                # list b gains the new entry at its tail
            m.d.sync += tail[b].eq(new)
            with m.If(b_gone):
                m.d.sync += head[b].eq(new)
        for i in range(self.lists):
            if counts is not None:
                m.d.sync += counts[i].eq(counts[i] + (push & (b == i)) - (pop & (a == i)))
            m.d.comb += self.nonempty_next[i].eq(
                (push & (b == i)) | (self.nonempty[i] & ~(pop & (a == i) & last_a)))
        m.d.sync += self.nonempty.eq(self.nonempty_next)
        m.d.comb += [
            next_w.en.eq(push & ~b_gone),
            next_w.addr.eq(tail[b]),
            next_w.data.eq(new),
            data_w.en.eq(push),
            data_w.addr.eq(new),
            data_w.data.eq(self.word),
        ]

        # FREE stack: a pop pushes its entry, a push from the stack takes the top; both
        # at once replace the top. The read port prefetches the top of the next cycle.
        sp_next = Signal.like(stacked)
        m.d.comb += sp_next.eq(stacked + (pop & ~(push & from_stack))
                               - (push & from_stack & ~pop))
        m.d.sync += stacked.eq(sp_next)
        with m.If(push & ~from_stack):
            m.d.sync += fresh.eq(fresh + 1)
        m.d.comb += [
            free_w.en.eq(pop),
            free_w.addr.eq(Mux(push & from_stack, stacked - 1, stacked)),
            free_w.data.eq(h),
            free_r.addr.eq(sp_next - 1),
        ]
        # free entries: derived (no logic left if nobody reads it)
        m.d.comb += self.free.eq(stacked + (self.size - fresh))

        # peek: read the head the peeked list has after this cycle's operations
        p = self.peek
        peek_head = Signal(self.index_bits)
        peek_ne = Signal()                    # the peeked list is not empty after it
        m.d.comb += [peek_head.eq(head[p]), peek_ne.eq(self.nonempty.bit_select(p, 1))]
        with m.If(pop & (a == p)):
            m.d.comb += [peek_head.eq(next_r.data), peek_ne.eq(~last_a)]
        with m.If(push & (b == p)):
            m.d.comb += peek_ne.eq(1)
            with m.If(b_gone):
                m.d.comb += peek_head.eq(new)
        m.d.comb += [data_r.addr.eq(peek_head), next_r.addr.eq(peek_head),
                     self.peek_word.eq(data_r.data)]
        m.d.sync += self.peek_valid.eq(peek_ne)
        return m
