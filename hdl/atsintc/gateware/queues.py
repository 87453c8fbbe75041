"""The controller's ready and blocked queues, with two storage backends.

* ``pool`` (default): every ready queue (one FIFO list per process and priority),
  every blocked queue (one FIFO list per vector) and every IPC mailbox (one FIFO list
  per process and channel) is a list of a :class:`~atsintc.gateware.taskpool.TaskPool` in block
  RAM; capacity is shared (the controller admits a new task or message only while
  ``USAGE < QUOTA`` and the pool has room, so a pool never overflows; a mailbox also
  stops at ``ipc_depth`` messages). The ready lists are one pool, the blocked queues
  and mailboxes a second one, each of ``pool`` entries, because a wake pops a blocked
  task and the bus pushes or pops a ready task in the same cycle; together they never
  hold more than ``pool`` entries.
* ``systolic``: one :class:`~atsintc.gateware.pqueue.PriorityQueue` of ``ready_depth`` entries per
  process, a :class:`~atsintc.gateware.fifobank.FifoBank` of ``blocked_depth`` per vector and
  one of ``ipc_depth`` per mailbox.

Both present the same ports, all acting at the clock edge ending the cycle:

ReadyQueues
    ``enq`` (one-hot process) and ``enq_word``: append the word to that process's queue
    at the priority in the word. The caller never enqueues into a full queue (``full``).
    ``peek`` (process, any cycle): in the next cycle ``head_word``/``head_valid`` are the
    best task of that process after this cycle's enqueue (not in a cycle with a ``deq``
    of the same process: the pool backend's choice of list is made before that
    dequeue; the controller never peeks in a dequeue's cycle). ``deq``: remove that task
    (the process peeked in the cycle before; only if ``head_valid``).
    ``count[i]``, ``empty``, ``full`` (always 0 for the pool), ``best[i]`` (priority of
    the best task, valid when not empty): registers.

BlockedQueues (the blocked queues and the mailboxes: list ``v < vectors`` is vector
``v``'s queue, list ``vectors + s`` the mailbox of handler slot ``s``)
    ``push``/``push_idx``/``push_word``: append to list ``push_idx`` (never a full
    one). ``peek`` (list, any cycle): ``head_word`` in the next cycle is that list's
    oldest word after this cycle's operations. ``pop``/``pop_idx``: remove it (the list
    peeked in the cycle before; never an empty list). One push and one pop per cycle.
    ``count[l]`` and ``nonempty`` are registers; ``full`` (a blocked queue: always 0
    for the pool; a mailbox: ``ipc_depth`` messages) is derived from the counts.
"""

from amaranth.hdl import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from atsintc.gateware.fifobank import FifoBank
from atsintc.gateware.pqueue import PriorityQueue
from atsintc.regmap import PRIO_SHIFT
from atsintc.gateware.taskpool import TaskPool

__all__ = ["ReadyQueues", "BlockedQueues"]


def _bits(n):
    return max(1, (n - 1).bit_length())


def _first_set(bits):
    """Index of the lowest set bit of ``bits`` (0 if none): a priority encoder."""
    out = Const(0, _bits(len(bits)))
    for i in reversed(range(len(bits))):
        out = Mux(bits[i], i, out)
    return out


class ReadyQueues(wiring.Component):
    """See the module docstring. ``params``: :class:`atsintc.regmap.Params`."""

    def __init__(self, params):
        self.params = p = params
        P = p.processes
        cap = p.pool if p.queue == "pool" else p.ready_depth
        super().__init__({
            "enq": In(P),
            "enq_word": In(p.xlen),
            "peek": In(_bits(P)),
            "deq": In(1),
            "head_word": Out(p.xlen),
            "head_valid": Out(1),
            "count": Out(data.ArrayLayout(range(cap + 1), P)),
            "empty": Out(P),
            "full": Out(P),
            "best": Out(data.ArrayLayout(p.prio_bits, P)),
        })
        # the storage (built here so that the formal harness can look inside)
        if p.queue == "pool":
            self.pool = TaskPool(size=p.pool, lists=P << p.prio_bits, width=p.xlen,
                                 counts=False)       # counted per process instead
        else:
            self.pqs = [PriorityQueue(depth=p.ready_depth, priorities=p.priorities,
                                      width=p.xlen) for _ in range(P)]

    def _prio(self, word):
        return word[PRIO_SHIFT:PRIO_SHIFT + self.params.prio_bits]

    def elaborate(self, platform):
        return (self._pool if self.params.queue == "pool" else self._systolic)()

    def _systolic(self):
        m = Module()
        peek_r = Signal.like(self.peek)
        m.d.sync += peek_r.eq(self.peek)
        heads, valids = [], []
        for i, q in enumerate(self.pqs):
            m.submodules[f"ready{i}"] = q
            m.d.comb += [
                q.enq.valid.eq(self.enq[i]),
                q.enq.payload.data.eq(self.enq_word),
                q.enq.payload.prio.eq(self._prio(self.enq_word)),
                q.deq.ready.eq(self.deq & (peek_r == i)),
                self.count[i].eq(q.count), self.empty[i].eq(q.empty),
                self.full[i].eq(q.full), self.best[i].eq(q.deq.payload.prio),
            ]
            heads.append(q.deq.payload.data)
            valids.append(q.deq.valid)
        m.d.comb += [self.head_word.eq(Array(heads)[peek_r]),
                     self.head_valid.eq(Array(valids)[peek_r])]
        return m

    def _pool(self):
        m = Module()
        p = self.params
        P, B = p.processes, p.prio_bits
        R = 1 << B                              # lists per process (list = Cat(prio, proc))
        m.submodules.pool = pool = self.pool
        enq_proc = Signal(_bits(P))
        for i in range(P):
            with m.If(self.enq[i]):
                m.d.comb += enq_proc.eq(i)
        enq_list = Cat(self._prio(self.enq_word), enq_proc)
        peek_r = Signal.like(self.peek)
        list_r = Signal(len(pool.peek))
        m.d.sync += [peek_r.eq(self.peek), list_r.eq(pool.peek)]
        # per process, its best non-empty list as a register (from the pool's next
        # non-empty bits), so that the decide stage only selects one by process
        best_r = [Signal(B, name=f"best{i}") for i in range(P)]
        empty_r = Signal(P, init=(1 << P) - 1)
        for i in range(P):
            ne_i = pool.nonempty_next.word_select(i, R)
            m.d.sync += [best_r[i].eq(_first_set(ne_i)), empty_r[i].eq(~ne_i.any())]
        # the peeked process's best list after this cycle's enqueue (a DEQUEUE decided
        # now returns what the enqueue registered before it adds)
        enq_prio = self._prio(self.enq_word)
        best_p = Array(best_r)[self.peek]
        take_enq = self.enq.bit_select(self.peek, 1) & (empty_r.bit_select(self.peek, 1) |
                                                        (enq_prio < best_p))
        m.d.comb += [
            pool.push.eq(self.enq.any()), pool.push_list.eq(enq_list),
            pool.word.eq(self.enq_word),
            pool.peek.eq(Cat(Mux(take_enq, enq_prio, best_p), self.peek)),
            pool.pop.eq(self.deq & self.head_valid), pool.pop_list.eq(list_r),
            self.head_word.eq(pool.peek_word), self.head_valid.eq(pool.peek_valid),
        ]
        for i in range(P):
            cnt = Signal(range(p.pool + 1), name=f"count{i}")
            popped = self.deq & self.head_valid & (peek_r == i)
            m.d.sync += cnt.eq(cnt + self.enq[i] - popped)
            m.d.comb += [self.count[i].eq(cnt), self.empty[i].eq(empty_r[i]),
                         self.best[i].eq(best_r[i])]
        return m


class BlockedQueues(wiring.Component):
    """See the module docstring. ``params``: :class:`atsintc.regmap.Params`.

    Lists ``0 .. vectors-1`` are the blocked queues, ``vectors + s`` the mailbox of
    handler slot ``s = process * channels + channel`` (a mailbox is full at
    ``ipc_depth`` messages: ``full``)."""

    def __init__(self, params):
        self.params = p = params
        V, S = p.vectors, p.processes * p.channels
        L = V + S
        cap = p.pool if p.queue == "pool" else max(p.blocked_depth, p.ipc_depth)
        super().__init__({
            "push": In(1),
            "push_idx": In(_bits(L)),
            "push_word": In(p.xlen),
            "peek": In(_bits(L)),
            "head_word": Out(p.xlen),
            "pop": In(1),
            "pop_idx": In(_bits(L)),
            "count": Out(data.ArrayLayout(range(cap + 1), L)),
            "nonempty": Out(L),
            "full": Out(L),
        })
        if p.queue == "pool":
            self.pool = TaskPool(size=p.pool, lists=L, width=p.xlen)
        else:
            self.fifos = FifoBank(V, p.blocked_depth, p.xlen, name="blocked")
            self.mailboxes = FifoBank(S, p.ipc_depth, p.xlen, name="mailbox")

    def elaborate(self, platform):
        m = Module()
        p = self.params
        V, S = p.vectors, p.processes * p.channels
        if p.queue == "pool":
            m.submodules.pool = q = self.pool
            m.d.comb += [q.push.eq(self.push), q.push_list.eq(self.push_idx),
                         q.word.eq(self.push_word), q.pop.eq(self.pop),
                         q.pop_list.eq(self.pop_idx), q.peek.eq(self.peek),
                         self.head_word.eq(q.peek_word), self.nonempty.eq(q.nonempty)]
            for i in range(V + S):
                m.d.comb += self.count[i].eq(q.counts[i])
            for s in range(S):                  # the per-mailbox bound
                m.d.comb += self.full[V + s].eq(q.counts[V + s] >= p.ipc_depth)
            return m
        # systolic backend: a FIFO bank for the blocked queues, one for the mailboxes
        m.submodules.fifos = bq = self.fifos
        m.submodules.mailboxes = mq = self.mailboxes
        peek_r = Signal.like(self.peek)
        m.d.sync += peek_r.eq(self.peek)
        for bank, base, n in ((bq, 0, V), (mq, V, S)):
            def here(idx, base=base, n=n):
                return (idx >= base) & (idx < base + n)
            m.d.comb += [bank.push.eq(self.push & here(self.push_idx)),
                         bank.push_idx.eq(self.push_idx - base),
                         bank.push_data.eq(self.push_word),
                         bank.pop.eq(self.pop & here(self.pop_idx)),
                         bank.pop_idx.eq(self.pop_idx - base)]
            for i in range(n):
                m.d.comb += self.count[base + i].eq(bank.counts[i])
        m.d.comb += [self.head_word.eq(Array(bq.heads + mq.heads)[peek_r]),
                     self.nonempty.eq(Cat(bq.nonempty, mq.nonempty)),
                     self.full.eq(Cat(bq.full, mq.full))]
        return m
