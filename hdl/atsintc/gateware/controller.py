"""ATS-INTC: the task-scheduling interrupt controller.

One Wishbone B4 (classic) slave, or with ``ports`` > 1 one per hart in front of a
:class:`~atsintc.gateware.ports.PortArbiter` (operations applied one after the other,
round robin; see there for the timing); the register map is :mod:`atsintc.regmap`.

Blocks
======

* A ready queue per process slot and a blocked queue per vector
  (:mod:`atsintc.gateware.queues`): with the default ``pool`` backend, FIFO lists (one per
  process and priority, one per vector) in a block-RAM task pool shared by all, a new
  task admitted while the process's ``USAGE < QUOTA`` and the pool has room; with the
  ``systolic`` backend, a :class:`~atsintc.gateware.pqueue.PriorityQueue` of ``ready_depth``
  per process and a FIFO of ``blocked_depth`` per vector (QUOTA applies too).
* A pending-event counter per vector (:class:`~atsintc.gateware.pending.PendingCounters`). An
  *event* on vector ``v`` is a rising edge of ``irq_in[v]`` (edge mode; the previous
  level is sampled during reset too), the line high while the vector's gate is open
  (level mode; the gate closes at each such event and opens at each accepted BLOCK on
  ``v``), or a write to ``VEC_RAISE[v]``. Every event counts, also several in one
  cycle. The *wake engine* (:class:`~atsintc.gateware.wake.WakeEngine`) gives each pending
  event to the oldest task blocked on ``v`` and moves it into the ready queue of the
  vector's owner, at the task's own priority (with the systolic backend, when that
  queue has room). A BLOCK takes a pending event itself only when no task is blocked
  on ``v`` (and there is room); otherwise it parks. So no event is lost and no task
  overtakes an older waiter, whatever the order and timing of events and blocks.
* IPC: per (process, channel) a handler slot and a mailbox FIFO of at most
  ``ipc_depth`` messages (lists of the blocked queues' storage, after the vectors'; a
  message counts against the receiver's USAGE until received). A SEND (needs a
  capability; message word not 0; the receiver below its QUOTA) appends the message
  and, if a handler is registered and the receiver may take one more new ready task,
  moves the handler task there. A handler with messages waiting is made ready at once if it may,
  otherwise by the wake engine as soon as it may; RECV pops a message.
* Sticky errors (:class:`~atsintc.gateware.errorbank.ErrorBank`) and ``irq_out``
  (:class:`~atsintc.gateware.notify.Notification`).

Pipeline and bus timing
=======================

Every queue is driven from registers (a pool's read address comes from the decide
stage: it reads the head the execute stage pops), so that no bus-decode logic sits in
front of the queues' own logic (timing: see ``docs/performance.md``):

* **Decide** (cycle ``t``, the first cycle ``cyc & stb`` is seen): the address is
  decoded, the access checked against registered state and its effects registered:
  at most one enqueue (one-hot queue + task word), one dequeue, one blocked-queue or
  mailbox push, register writes and the sticky error bits.
* **Execute** (``t + 1``): the registered enqueue/dequeue/push is applied, and
  ``ack`` is high. ``dat_r`` is the head of the dequeued queue (or mailbox) in that
  cycle, selected by registers, or the read data registered at ``t``.

So every access still takes 2 cycles (data with the ack), and the next access (at
``t + 2`` at the earliest) sees all its effects. ``ack`` is gated by ``cyc & stb``.
Writes act at ``t`` and must select every byte lane (else INVALID, no effect); reads
that remove something (DEQUEUE, DEQUEUE_WAIT, RECV) act at the edge ending ``t + 1``
and only if ``cyc & stb`` are still high, so a withdrawn read removes nothing.
``DEQUEUE_WAIT`` holds ``ack`` low until a task is ready (or the process's
``WAIT_TIMEOUT`` expires; withdrawing the read ends the wait). Errors never stall
the bus: the access is acknowledged, nothing is changed, and the window's sticky ERROR
register records why.

Each queue's *occupancy* (entries in it plus an enqueue registered for it) is kept
in a register, so "is there room" is a compare of a register, and a queue never
receives an enqueue it cannot take.

The wake engine has two stages. **Select** (cycle ``s``) picks the lowest source —
a vector with a pending event (or an event this cycle) and a blocked task, or then a
handler slot with a handler and a message — with room in its owner's queue and not
already in the second stage, from registered state. **Move** (``s + 1``) re-checks
that source (pending event, or handler and a message not being received; room in the
owner's queue now), pops its task into the enqueue register and decrements
``pending`` (or frees the handler slot). A bus write in the move cycle stalls it by
one cycle (a write can only happen every other cycle), so bus enqueues and wakes
never meet at a queue. A VEC_CFG write drops the selection in stage 2 (it was made with the
vector's old owner); so does a RECV being decided (it peeks its mailbox in the blocked
queues' storage in that cycle and pops it in the next, where the move would pop).

Interrupt timing: an edge of ``irq_in[v]`` in cycle ``t`` is selected in ``t``,
moved in ``t + 1`` and enqueued in ``t + 2``; the task is at the head of the ready
queue (on its ``DEQUEUE`` data) in cycle ``t + 3``, and a ``DEQUEUE_WAIT`` waiting
for it is acknowledged with it in ``t + 3``. One task per cycle leaves the blocked
queues when they are on different vectors, one every other cycle from one vector.

``irq_out[p]`` (CPU notification, one per process slot): high while
(``IRQ_ENABLE.NONEMPTY`` and the ready queue is not empty) or (``IRQ_ENABLE.PREEMPT``
and the best ready priority is better than ``CUR_PRIO``). Registered.
"""

from types import SimpleNamespace

from amaranth.hdl import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from atsintc.gateware import wishbone
from atsintc.gateware.admission import Admission
from atsintc.gateware.blockingdeq import BlockingDequeue
from atsintc.gateware.deadlineq import DeadlineQueue
from atsintc.gateware.decoder import AddressDecoder
from atsintc.gateware.errorbank import ErrorBank
from atsintc.gateware.irqevents import IrqEvents
from atsintc.gateware.muxes import and_or, any_of, onehot_mux
from atsintc.gateware.notify import Notification
from atsintc.gateware.pending import PendingCounters
from atsintc.gateware.ports import PortArbiter
from atsintc.gateware.queues import BlockedQueues, ReadyQueues
from atsintc.regmap import (ERRORS, PRIO_SHIFT, TIMER_KEY_BITS, WINDOW_SIZE, Params,
                            RegisterMap)
from atsintc.gateware.wake import WakeEngine

__all__ = ["ATSIntc"]

ERR = {name: i for i, (name, _) in enumerate(ERRORS)}
# kinds of deadline-queue entries
KIND_SLEEP, KIND_BLOCK, KIND_HANDLER = 0, 1, 2


class ATSIntc(wiring.Component):
    """The controller. ``params`` is a :class:`atsintc.regmap.Params` (or keyword
    arguments for one); they are validated there with messages giving the limits.

    Ports: ``bus`` (Wishbone slave, data width = xlen, word addresses; 2 cycles per
    access, ``dat_r`` valid with ``ack``; with ``ports`` > 1 an array of that many,
    ``bus[i]``, 3 cycles per access without contention), ``irq_in`` (``vectors``
    interrupt inputs, synchronous to the clock), ``irq_out`` (``processes`` CPU
    notification outputs, registered), ``hart_irq`` (``ports`` outputs: the OR of the
    ``irq_out`` lines of the processes in ``HART_PROCS[h]``), ``mtime`` (64-bit input, the
    timers' time: the SoC's ``mtime``, or any counter that never goes back and advances by at most
    2**31 - 1 per cycle; deadlines are in its units).
    """

    def __init__(self, params=None, **kwargs):
        if params is None:
            params = Params(**kwargs)
        elif kwargs:
            raise TypeError("give either params or keyword arguments, not both")
        self.params = p = params
        self.map = RegisterMap(p)
        self.word_bytes = p.xlen // 8
        self.addr_width = (p.size // self.word_bytes - 1).bit_length()
        sig = wishbone.Signature(addr_width=self.addr_width, data_width=p.xlen,
                                 granularity=8)
        super().__init__({
            "bus": In(sig) if p.ports == 1 else In(sig).array(p.ports),
            "irq_in": In(p.vectors),
            "irq_out": Out(p.processes),
            "hart_irq": Out(p.ports),
            "mtime": In(64),
        })

    def elaborate(self, platform):
        m = Module()
        st = SimpleNamespace()          # the signals the stages share
        st.bus, arbiter = self._ports(m)
        self._storage(m, st)
        self._timer_storage(m, st)
        self._bus(m, st)
        self._decide_process(m, st)
        self._decide_ipc(m, st)
        self._decide_kernel(m, st)
        self._decide_timer(m, st)
        self._execute(m, st)
        self._timer_ready(m, st)
        self._wake(m, st)
        self._timer_move(m, st)
        self._enqueue(m, st)
        self._errors(m, st)
        self._probe_view(m, st)
        self._notify(m, st)
        if arbiter is not None:
            m.d.comb += [arbiter.waiting.eq(st.wait_state), arbiter.avail.eq(st.avail)]
        return m

    def _ports(self, m):
        """The bus the decide stage serves: ``bus`` itself, or with several ports a
        :class:`~atsintc.gateware.ports.PortArbiter` serializing them."""
        p = self.params
        if p.ports == 1:
            return self.bus, None
        m.submodules.ports = arb = PortArbiter(
            p.ports, addr_width=self.addr_width, data_width=p.xlen, processes=p.processes,
            window_shift=(WINDOW_SIZE // self.word_bytes - 1).bit_length())
        for i in range(p.ports):
            wiring.connect(m, wiring.flipped(self.bus[i]), arb.bus[i])
        return arb.core, arb

    def _storage(self, m, st):
        """The queues, counters and registers that the stages share."""
        p = self.params
        P, V, CH, X = p.processes, p.vectors, p.channels, p.xlen
        S = P * CH                          # handler slots / mailboxes
        D = p.ready_depth
        bus = st.bus

        # ---- storage --------------------------------------------------------------
        pool = p.queue == "pool"
        m.submodules.ready = ready = ReadyQueues(p)
        # the blocked queues (lists 0..V-1) and the mailboxes (lists V..V+S-1)
        m.submodules.blocked = blocked = BlockedQueues(p)

        m.submodules.pending = pcount = PendingCounters(V)
        pending = [pcount.pending[v] for v in range(V)]
        pnz = pcount.nonzero                # pending[v] != 0, as a register
        owner = [Signal(range(max(2, P)), name=f"owner{v}") for v in range(V)]
        level = Signal(V)
        handler = [Signal(X, name=f"handler{i}") for i in range(P * CH)]
        handler_v = Signal(S)
        cap = [Signal(P, name=f"cap{i}") for i in range(P)]
        err = [Signal(len(ERRORS), name=f"error{w}") for w in range(P + 1)]  # 0 = kernel
        timeout = [Signal(32, name=f"wait_timeout{i}", init=4096) for i in range(P)]
        irq_en = [Signal(2, name=f"irq_enable{i}") for i in range(P)]
        cur_prio = [Signal(8, name=f"cur_prio{i}", init=0xFF) for i in range(P)]
        # execute-stage registers (decided in the cycle before)
        enq_r = Signal(P)                   # one-hot: queue taking enq_word_r
        enq_word_r = Signal(X)
        deq_r = Signal(P)                   # one-hot: queue popped (if not empty)
        recv_ch_r = Signal(range(max(2, P * CH)))
        recv_oh_r = Signal(P * CH)          # RECV of a non-empty mailbox (one-hot)
        rdata_r = Signal(X)                 # dat_r otherwise
        bpush_r = Signal()
        bpush_v_r = Signal(range(max(2, V)))
        mpush_r = Signal()
        mpush_ch_r = Signal(range(max(2, P * CH)))
        push_word_r = Signal(X)
        consume_r = Signal(V)               # one-hot: BLOCK consumed a pending event
        raise_r = Signal(V)                 # VEC_RAISE
        errwin_r = Signal(P + 1)            # window of the access (one-hot, 0 = kernel)
        hset_r = Signal()                   # HANDLER registered (word: push_word_r)
        hset_ch_r = Signal(range(max(2, P * CH)))
        hclr_r = Signal()                   # SEND moved the handler
        hclr_ch_r = Signal(range(max(2, P * CH)))

        # occupancy of each ready queue: its entries plus an enqueue registered for it;
        # "room" is a compare of registers (the queue's count and full flag, enq_r)
        # (the pool backend's ready queues are never full: admission is by QUOTA and
        # the pool's size, below)
        qcap = p.pool if pool else D
        occ = [Signal(range(qcap + 1), name=f"occupancy{i}") for i in range(P)]
        room = Signal(P)
        for i in range(P):
            cnt = ready.count[i]
            m.d.comb += occ[i].eq(cnt + enq_r[i])
            if pool:
                m.d.comb += room[i].eq(1)
            else:
                m.d.comb += room[i].eq(~ready.full[i] & ~(enq_r[i] & (cnt == D - 1)))

        # entries held per process (USAGE, QUOTA) and in the pool; admission of new ones
        # a process holds at most the pool, or its ready queue, every blocked queue, its
        # mailboxes and the deadline queue
        most = p.pool if pool else D + V * p.blocked_depth + CH * p.ipc_depth + p.timers
        m.submodules.admission = adm = Admission(P, most, p.pool if pool else None)
        quota, usage = [adm.quota[i] for i in range(P)], [adm.usage[i] for i in range(P)]
        hroom = Signal(P)                       # a new task may enter ready queue p
        m.d.comb += hroom.eq(room & adm.entry_ok)
        # for the later stages
        st.CH, st.P, st.S, st.V, st.X, st.adm, st.blocked = CH, P, S, V, X, adm, blocked
        st.bpush_r, st.bpush_v_r, st.bus, st.cap = bpush_r, bpush_v_r, bus, cap
        st.consume_r, st.cur_prio, st.deq_r, st.enq_r = consume_r, cur_prio, deq_r, enq_r
        st.enq_word_r, st.err, st.errwin_r, st.handler = enq_word_r, err, errwin_r, handler
        st.handler_v, st.hclr_ch_r, st.hclr_r, st.hroom = handler_v, hclr_ch_r, hclr_r, hroom
        st.hset_ch_r, st.hset_r, st.irq_en, st.level = hset_ch_r, hset_r, irq_en, level
        st.mpush_ch_r, st.mpush_r, st.occ, st.owner, st.p = mpush_ch_r, mpush_r, occ, owner, p
        st.pcount, st.pending, st.pnz, st.push_word_r = pcount, pending, pnz, push_word_r
        st.quota, st.raise_r, st.rdata_r, st.ready = quota, raise_r, rdata_r, ready
        st.recv_ch_r, st.recv_oh_r, st.room, st.timeout = recv_ch_r, recv_oh_r, room, timeout
        st.usage = usage

    def _bus(self, m, st):
        """Address decode and the bus handshake: ``req`` is high in the decide cycle of
        an access; helpers that the decide stage uses to record errors and read data."""
        p, bus, CH, hroom, adm = st.p, st.bus, st.CH, st.hroom, st.adm
        # ---- address decode (generated from the register map) ----------------------
        m.submodules.decoder = decode = AddressDecoder(self.map, self.addr_width,
                                                    self.word_bytes)
        m.d.comb += [decode.adr.eq(bus.adr), decode.we.eq(bus.we)]
        proc, proc_oh = decode.proc, decode.proc_oh           # process of a process window
        in_proc = proc_oh.any()

        wait_state = Signal()
        ack_r = Signal()
        live = Signal()                     # the master requests (cyc & stb)
        req = Signal()                      # an access is decided this cycle
        m.d.comb += [live.eq(bus.cyc & bus.stb),
                     req.eq(live & ~ack_r & ~wait_state),
                     # ack only in answer to cyc & stb (a withdrawn access gets none)
                     bus.ack.eq(ack_r & live)]
        full_sel = Signal()
        m.d.comb += full_sel.eq(bus.sel.all())
        rd = req & ~bus.we
        wr = req & bus.we & full_sel        # only whole-word writes take effect
        wr_part = req & bus.we & ~full_sel  # refused with INVALID
        wr_req = Signal()                   # a write (any sel) is decided this cycle
        m.d.comb += wr_req.eq(req & bus.we)
        wdata = bus.dat_w

        def view(window, name):
            """The layout of a register's fields (from the register map)."""
            return self.map.lookup(window, name).layout()

        def H(name, window="PROCESS"):
            """The decoder's hit: the access is to register ``name`` of ``window``."""
            return getattr(decode.hit, f"{window}_{name}")

        def IX(name, window="PROCESS"):
            """The decoder's element index within register array ``name``."""
            return getattr(decode.index, f"{window}_{name}")

        seterr = {name: [] for name in ERR}         # terms raising each error bit
        rdata_terms = []                            # (condition, value) of reads

        def error(name, cond):
            seterr[name].append(cond)

        def read(cond, value):
            rdata_terms.append((cond, value))

        def task_ok(word):
            return (word != 0) & (task_prio(word) < p.priorities)

        def task_prio(word):
            return word[PRIO_SHIFT:PRIO_SHIFT + p.prio_bits]

        def onehot(idx_value, n):
            return Cat(idx_value == i for i in range(n))

        # (process, channel) -> mailbox / handler slot; a concatenation if CH is 2**k
        pow2 = CH & (CH - 1) == 0
        cbits = (CH - 1).bit_length()

        def chan(pr, c):
            return Cat(c[:cbits], pr) if pow2 else pr * CH + c

        room_pr = hroom.bit_select(proc, 1)        # room for a new ready task
        entry_ok = adm.entry_ok.bit_select(proc, 1)   # an entry for a new task
        ok_w = Signal()
        m.d.comb += ok_w.eq(task_ok(wdata))
        bus_enq = []                    # (condition, one-hot queue, word)
        # for the later stages
        st.H, st.IX, st.ack_r, st.bus_enq, st.cbits, st.chan = H, IX, ack_r, bus_enq, cbits, chan
        st.decode, st.entry_ok, st.error, st.in_proc = decode, entry_ok, error, in_proc
        st.live, st.ok_w, st.onehot, st.pow2, st.proc = live, ok_w, onehot, pow2, proc
        st.proc_oh, st.rd, st.rdata_terms, st.read, st.req = proc_oh, rd, rdata_terms, read, req
        st.room_pr, st.seterr, st.view, st.wait_state = room_pr, seterr, view, wait_state
        st.wdata, st.wr, st.wr_part, st.wr_req = wdata, wr, wr_part, wr_req

    def _decide_process(self, m, st):
        """Decide stage, process windows: each operation's checks, errors, read data
        and effects (registered for the execute stage): the ready queue's operations,
        its registers and BLOCK."""
        proc, wr, H, err, error, IX, V = st.proc, st.wr, st.H, st.err, st.error, st.IX, st.V
        ok_w, room_pr, bus_enq, entry_ok = st.ok_w, st.room_pr, st.bus_enq, st.entry_ok
        proc_oh, wdata, P, ready, read = st.proc_oh, st.wdata, st.P, st.ready, st.read
        enq_r, rd, timeout, irq_en = st.enq_r, st.rd, st.timeout, st.irq_en
        cur_prio, occ, onehot, owner, pnz = st.cur_prio, st.occ, st.onehot, st.owner, st.pnz
        blocked = st.blocked
        # ---- process-window operations -------------------------------------------------
        # ENQUEUE
        c = wr & H("ENQUEUE")
        error("INVALID", c & ~ok_w)
        error("READY_FULL", c & ok_w & ~room_pr)
        bus_enq.append((c & ok_w & room_pr, proc_oh, wdata))

        # DEQUEUE / DEQUEUE_WAIT: a task is there in t + 1 if there is one now or one is
        # being enqueued now (nothing else dequeues meanwhile)
        avail = Signal(P)
        m.d.comb += avail.eq(~ready.empty | enq_r)
        deq_now = Signal()
        start_wait = Signal()
        c_wait = rd & H("DEQUEUE_WAIT")
        m.d.comb += [
            deq_now.eq((rd & H("DEQUEUE")) | (c_wait & avail.bit_select(proc, 1))),
            start_wait.eq(c_wait & ~avail.bit_select(proc, 1) & (Array(timeout)[proc] != 0)),
        ]

        # WAIT_TIMEOUT, READY_COUNT, ERROR, IRQ_ENABLE, CUR_PRIO
        for name, regs, bits in (("WAIT_TIMEOUT", timeout, 32), ("IRQ_ENABLE", irq_en, 2),
                                 ("CUR_PRIO", cur_prio, 8)):
            with m.If(wr & H(name)):
                m.d.sync += Array(regs)[proc].eq(wdata[:bits])
            read(H(name), Array(regs)[proc])
        read(H("READY_COUNT"), Array(occ)[proc])
        read(H("ERROR"), Array(err[1:])[proc])

        # BLOCK
        blk_v = IX("BLOCK")
        blk_oh = Signal(V)
        m.d.comb += blk_oh.eq(onehot(blk_v, V))
        c = wr & H("BLOCK")
        own = Signal()
        m.d.comb += own.eq(Array(owner)[blk_v] == proc)
        pend_v = pnz.bit_select(blk_v, 1)
        bfull = blocked.full                 # 0 with the pool backend
        error("PERMISSION", c & ~own)
        error("INVALID", c & own & ~ok_w)
        c_blk = c & own & ok_w
        # a pending event goes to the oldest waiter: the BLOCK takes it only when no
        # task is blocked on v (and the ready queue has room); otherwise the task joins
        # the tail and the wake engine moves the head
        consume = Signal()
        park = Signal()
        no_waiter = ~blocked.nonempty.bit_select(blk_v, 1) & ~st.timed_v.bit_select(blk_v, 1)
        to_ready = pend_v & no_waiter & room_pr
        m.d.comb += [consume.eq(c_blk & to_ready),
                     park.eq(c_blk & ~to_ready & ~bfull.bit_select(blk_v, 1) & entry_ok)]
        error("BLOCKED_FULL", c_blk & ~to_ready & (bfull.bit_select(blk_v, 1) | ~entry_ok))
        bus_enq.append((consume, proc_oh, wdata))
        # for the later stages
        st.avail, st.blk_oh, st.blk_v, st.consume = avail, blk_oh, blk_v, consume
        st.deq_now, st.park, st.start_wait = deq_now, park, start_wait

    def _decide_ipc(self, m, st):
        """Decide stage, process windows: HANDLER, RECV and SEND."""
        proc, wr, rd, H, IX, error, V, P, CH = (st.proc, st.wr, st.rd, st.H, st.IX, st.error,
                                               st.V, st.P, st.CH)
        ok_w, room, room_pr, bus_enq, proc_oh, wdata = (st.ok_w, st.room, st.room_pr,
                                                        st.bus_enq, st.proc_oh, st.wdata)
        onehot, blocked, chan, cbits, pow2 = st.onehot, st.blocked, st.chan, st.cbits, st.pow2
        handler_v, handler, cap, adm = st.handler_v, st.handler, st.cap, st.adm

        # HANDLER
        hch = Signal(range(max(2, P * CH)))
        m.d.comb += hch.eq(chan(proc, IX("HANDLER")))
        mnz, mfull = blocked.nonempty[V:], blocked.full[V:]   # the mailboxes
        c = wr & H("HANDLER")
        busy = handler_v.bit_select(hch, 1) | st.timed_h.bit_select(hch, 1)
        waiting = mnz.bit_select(hch, 1)
        error("INVALID", c & ~ok_w)
        error("HANDLER_BUSY", c & ok_w & busy)
        # messages waiting: ready at once if there is room, else it waits in the slot
        # and the wake engine moves it when room appears
        bus_enq.append((c & ok_w & ~busy & waiting & room_pr, proc_oh, wdata))
        hset = c & ok_w & ~busy & ~(waiting & room_pr)

        # RECV: the message is read and popped in t + 1
        c_recv = rd & H("RECV")
        rch = Signal(range(max(2, P * CH)))
        m.d.comb += rch.eq(chan(proc, IX("RECV")))

        # SEND
        slot = IX("SEND")                     # = q * CH + c
        sq = Signal(range(max(2, P)), name="send_q")
        m.d.comb += sq.eq(slot[cbits:] if pow2 else slot // CH)
        c = wr & H("SEND")
        capok = Array(cap)[proc].bit_select(sq, 1)
        hv = handler_v.bit_select(slot, 1)
        # the message counts against the receiver: an entry for it, and for the
        # handler too if the SEND makes it ready
        m_ok = ~mfull.bit_select(slot, 1) & adm.entry_ok.bit_select(sq, 1)
        sroom = room.bit_select(sq, 1) & adm.entry2_ok.bit_select(sq, 1)
        msg_ok = wdata != 0                  # 0 is what RECV returns for "none"
        error("PERMISSION", c & ~capok)
        error("INVALID", c & capok & ~msg_ok)
        error("IPC_FULL", c & capok & msg_ok & ~m_ok)
        c_send_ok = Signal()
        m.d.comb += c_send_ok.eq(c & capok & msg_ok & m_ok)
        # a waiting handler moves at once if its process has room; otherwise it stays
        # in its slot and the wake engine moves it when room appears
        send_word = Array(handler)[slot]
        bus_enq.append((c_send_ok & hv & sroom, onehot(sq, P), send_word))
        hclr = c_send_ok & hv & sroom
        # for the later stages
        st.c_recv, st.c_send_ok, st.hch, st.hclr, st.hset = c_recv, c_send_ok, hch, hclr, hset
        st.mnz, st.rch, st.send_word, st.slot, st.sq = mnz, rch, send_word, slot, sq

    def _decide_kernel(self, m, st):
        """Decide stage, kernel window."""
        p, read, H, IX, occ, err, P = st.p, st.read, st.H, st.IX, st.occ, st.err, st.P
        view, ready, V, wr, wdata, error = st.view, st.ready, st.V, st.wr, st.wdata, st.error
        level, owner, pending, blocked = st.level, st.owner, st.pending, st.blocked
        onehot, cap, adm, quota, usage = st.onehot, st.cap, st.adm, st.quota, st.usage
        req, decode, wr_part = st.req, st.decode, st.wr_part
        # ---- kernel-window operations ------------------------------------------------
        K = "KERNEL"
        read(H("ID", K), self.map.lookup(K, "ID").reset)
        read(H("CONFIG0", K), self.map.lookup(K, "CONFIG0").reset_value(p))
        read(H("CONFIG1", K), self.map.lookup(K, "CONFIG1").reset_value(p))
        read(H("READY_SUMMARY", K), Cat(o != 0 for o in occ))
        read(H("ERROR", K), err[0])
        infos = []
        for i in range(P):
            info = Signal(view(K, "READY_INFO"), name=f"ready_info{i}")
            m.d.comb += [info.COUNT.eq(occ[i]), info.NONEMPTY.eq(occ[i] != 0),
                         info.BEST_PRIO.eq(Mux(ready.empty[i], 0, ready.best[i]))]
            infos.append(info.as_value())
        read(H("READY_INFO", K), Array(infos)[IX("READY_INFO", K)])
        cv = IX("VEC_CFG", K)
        c = wr & H("VEC_CFG", K)
        cfg_w = data.View(view(K, "VEC_CFG"), wdata[:32])
        error("INVALID", c & (cfg_w.OWNER >= P))
        with m.If(c & (cfg_w.OWNER < P)):
            m.d.sync += level.bit_select(cv, 1).eq(cfg_w.LEVEL)
            if P > 1:                       # (with one process every owner is 0)
                m.d.sync += Array(owner)[cv].eq(cfg_w.OWNER)
        cfg_r = Signal(view(K, "VEC_CFG"))
        m.d.comb += [cfg_r.OWNER.eq(Array(owner)[cv]), cfg_r.LEVEL.eq(level.bit_select(cv, 1))]
        read(H("VEC_CFG", K), cfg_r.as_value())
        sv = IX("VEC_STATUS", K)
        status = Signal(view(K, "VEC_STATUS"))
        m.d.comb += [status.PENDING.eq(Array(pending)[sv]), status.BLOCKED.eq(blocked.count[sv]),
                     status.LINE.eq(self.irq_in.bit_select(sv, 1))]
        read(H("VEC_STATUS", K), status.as_value())
        raise_v = Signal(V)
        m.d.comb += raise_v.eq(Mux(wr & H("VEC_RAISE", K), onehot(IX("VEC_RAISE", K), V), 0))
        cc = IX("CAP", K)
        with m.If(wr & H("CAP", K)):
            m.d.sync += Array(cap)[cc].eq(wdata[:P])
        read(H("CAP", K), Array(cap)[cc])
        qi = IX("QUOTA", K)
        m.d.comb += [adm.quota_we.eq(wr & H("QUOTA", K)), adm.quota_idx.eq(qi),
                     adm.quota_data.eq(data.View(view(K, "QUOTA"), wdata[:32]).QUOTA)]
        read(H("QUOTA", K), Array(quota)[qi])
        read(H("USAGE", K), Array(usage)[IX("USAGE", K)])
        read(H("CONFIG2", K), self.map.lookup(K, "CONFIG2").reset_value(p))
        harts = [Signal(P, name=f"hart_procs{h}", init=(1 << P) - 1) for h in range(p.ports)]
        hi = IX("HART_PROCS", K)
        with m.If(wr & H("HART_PROCS", K)):
            m.d.sync += Array(harts)[hi].eq(wdata[:P])
        read(H("HART_PROCS", K), Array(harts)[hi])
        # a VEC_CFG that changes the owner moves the vector's blocked tasks' count
        vcfg = Signal()
        if P > 1:
            m.d.comb += vcfg.eq(c & (cfg_w.OWNER < P) & (cfg_w.OWNER != Array(owner)[cv]))
        vcfg_old, vcfg_cnt = Array(owner)[cv], blocked.count[cv]

        error("UNMAPPED", req & ~decode.mapped)
        error("INVALID", wr_part & decode.writable)
        # for the later stages
        st.K, st.cfg_w, st.raise_v, st.vcfg, st.vcfg_cnt = K, cfg_w, raise_v, vcfg, vcfg_cnt
        st.vcfg_old, st.harts = vcfg_old, harts

    def _timer_storage(self, m, st):
        """The deadline queue (``timers`` cells of key + {task word, process, kind, link})
        and what the decide stage reads of it: which vectors and handler slots have a
        timed waiter."""
        p, P, V, CH, X, S = st.p, st.P, st.V, st.CH, st.X, st.S
        pb = max(1, (P - 1).bit_length())
        lb = max(1, (max(V, CH) - 1).bit_length())
        st.tlay = lay = SimpleNamespace(pb=pb, lb=lb, width=X + pb + 2 + lb)
        timed_v, timed_h = Signal(V), Signal(S)
        st.timed_v, st.timed_h = timed_v, timed_h
        if not p.timers:
            st.dq = None
            return
        m.submodules.timers = dq = DeadlineQueue(p.timers, key_bits=TIMER_KEY_BITS,
                                                 width=lay.width)
        st.dq = dq
        cells = [self._cell(dq.data[i], st) for i in range(p.timers)]
        st.tcells = cells
        for v in range(V):
            m.d.comb += timed_v[v].eq(Cat(dq.valid[i] & (c.kind == KIND_BLOCK) & (c.link == v)
                                          for i, c in enumerate(cells)).any())
        for sl in range(S):
            q, ch = divmod(sl, CH)
            m.d.comb += timed_h[sl].eq(Cat(dq.valid[i] & (c.kind == KIND_HANDLER) &
                                           (c.proc == q) & (c.link == ch)
                                           for i, c in enumerate(cells)).any())

    @staticmethod
    def _cell(d, st):
        """A deadline-queue cell's data: task word, process, kind, link (vector or
        channel)."""
        X, lay = st.X, st.tlay
        return SimpleNamespace(word=d[:X], proc=d[X:X + lay.pb],
                               kind=d[X + lay.pb:X + lay.pb + 2], link=d[X + lay.pb + 2:])

    def _decide_timer(self, m, st):
        """Decide stage, timers: TIME, DEADLINE, SLEEP, BLOCK_UNTIL, HANDLER_UNTIL,
        CANCEL, TIMER_STATUS; the deadline queue's operations (registered for the
        execute stage)."""
        p, P, X, read, H, IX, wr, wdata, error = (st.p, st.P, st.X, st.read, st.H, st.IX,
                                                  st.wr, st.wdata, st.error)
        proc, proc_oh, ok_w, room_pr, entry_ok = (st.proc, st.proc_oh, st.ok_w, st.room_pr,
                                                  st.entry_ok)
        V, onehot, owner, pnz, blocked = st.V, st.onehot, st.owner, st.pnz, st.blocked
        dq, lay = st.dq, st.tlay
        K, KB, time = "KERNEL", TIMER_KEY_BITS, self.mtime
        read(H("TIME", K), time[:X])
        read(H("TIME_HI", K), time[32:])
        read(H("CONFIG3", K), self.map.lookup(K, "CONFIG3").reset_value(p))
        if dq is None:
            self._decide_no_timers(m, st)
            return
        deadline = [Signal(64, name=f"deadline{i}") for i in range(P)]
        for i in range(P):
            with m.If(wr & H("DEADLINE") & proc_oh[i]):
                m.d.sync += deadline[i][:X].eq(wdata)
            with m.If(wr & H("DEADLINE_HI") & proc_oh[i]):
                m.d.sync += deadline[i][32:].eq(wdata[:32])
        read(H("DEADLINE"), Array(deadline)[proc][:X])
        read(H("DEADLINE_HI"), Array(deadline)[proc][32:])
        # per process, registered: the deadline has been reached (deadline <= time), or
        # it is too far for the queue's keys: 2**(KB-1) or more after the time, or after
        # the earliest deadline held if that has passed (a due task still waiting for
        # room in a full systolic ready queue): held keys stay within the compare window
        lag = Signal(KB)                    # time - the head's deadline, if due (else 0)
        if dq is not None:
            m.d.comb += lag.eq(Mux(dq.head_due, time[:KB] - dq.key[0], 0))
        passed, far = Signal(P), Signal(P)
        for i in range(P):
            diff = Signal(64, name=f"deadline_diff{i}")
            ahead = Signal(KB + 1, name=f"deadline_span{i}")
            m.d.comb += [diff.eq(deadline[i] - time), ahead.eq(diff[:KB] + lag)]
            m.d.sync += [passed[i].eq(diff[63] | (diff == 0)),
                         far[i].eq(~diff[63] & ((diff[KB - 1:] != 0) |
                                                (ahead[KB - 1:] != 0)))]
        pa, fa = passed.bit_select(proc, 1), far.bit_select(proc, 1)
        tfree = ~dq.full if dq is not None else C(0)
        park_ok = tfree & entry_ok                  # a cell and an entry for the task
        word0, word1 = Cat(C(0, 1), wdata[1:]), Cat(C(1, 1), wdata[1:])   # bit 0: cause
        clear0, set0 = [], []                   # the enqueued word's bit 0: 0 / 1

        def timed(c, ready_now, ready_word):
            """The common decision of SLEEP / BLOCK_UNTIL / HANDLER_UNTIL accepted so far
            (``c``): ``ready_now`` -> ready at once with ``ready_word`` (the caller has
            checked room); else a reached deadline -> ready at once (its word), READY_FULL
            without room; else into the deadline queue, TIMER_FULL without a cell or an
            entry. Returns the condition for the deadline queue."""
            error("INVALID", c & ~pa & fa)
            c = c & ~(~pa & fa)
            st.bus_enq.append((c & ready_now, proc_oh, ready_word))
            rest = c & ~ready_now
            error("READY_FULL", rest & pa & ~room_pr)
            timeout_now = rest & pa & room_pr
            st.bus_enq.append((timeout_now, proc_oh, wdata if ready_word is wdata else word1))
            if ready_word is not wdata:         # a timed wait: bit 0 is the cause
                clear0.append(c & ready_now)
                set0.append(timeout_now)
            error("TIMER_FULL", rest & ~pa & ~park_ok)
            return rest & ~pa & park_ok, (c & ready_now) | timeout_now

        # SLEEP: the word unchanged either way
        c = wr & H("SLEEP")
        error("INVALID", c & ~ok_w)
        s_park, s_now = timed(c & ok_w, C(0), wdata)
        # BLOCK_UNTIL[v]: a pending event with no waiter -> ready now (bit 0 = 0)
        # (a timed wait's word must not be 0 without bit 0: bit 0 becomes the cause)
        ok_t = ok_w & (wdata[1:] != 0)
        c = wr & H("BLOCK_UNTIL")
        bv = IX("BLOCK_UNTIL")
        own = Array(owner)[bv] == proc
        error("PERMISSION", c & ~own)
        error("INVALID", c & own & ~ok_t)
        no_waiter = ~blocked.nonempty.bit_select(bv, 1) & ~st.timed_v.bit_select(bv, 1)
        take = pnz.bit_select(bv, 1) & no_waiter & room_pr
        b_park, b_now = timed(c & own & ok_t, take, word0)
        u_consume = c & own & ok_t & ~(~pa & fa) & take
        # HANDLER_UNTIL[c]: a message waiting -> ready now (bit 0 = 0)
        c = wr & H("HANDLER_UNTIL")
        hs = Signal.like(st.hch)
        m.d.comb += hs.eq(st.chan(proc, IX("HANDLER_UNTIL")))
        busy = st.handler_v.bit_select(hs, 1) | st.timed_h.bit_select(hs, 1)
        error("INVALID", c & ~ok_t)
        error("HANDLER_BUSY", c & ok_t & busy)
        h_park, h_now = timed(c & ok_t & ~busy, st.mnz.bit_select(hs, 1) & room_pr, word0)

        # CANCEL
        c_cancel = wr & H("CANCEL")
        error("INVALID", c_cancel & ~ok_w)
        cancelled = Signal(P)
        read(H("TIMER_STATUS"), cancelled.bit_select(proc, 1))
        # registered for the execute stage (the word is push_word_r)
        ins_r, cancel_r = Signal(), Signal()
        tkey_r = Signal(KB)
        tproc_r = Signal.like(proc)
        tkind_r = Signal(2)
        tlink_r = Signal(lay.lb)
        sleep_ins = Signal()
        m.d.comb += sleep_ins.eq(s_park | b_park | h_park)
        u_consume_oh = Signal(V)
        topen = Signal(V)                   # the level-mode gate opens (accepted wait)
        m.d.sync += [ins_r.eq(sleep_ins), cancel_r.eq(c_cancel & ok_w),
                     tkey_r.eq(Array(deadline)[proc][:KB]), tproc_r.eq(proc),
                     tkind_r.eq(Mux(b_park, KIND_BLOCK, Mux(h_park, KIND_HANDLER,
                                                             KIND_SLEEP))),
                     tlink_r.eq(Mux(b_park, bv, IX("HANDLER_UNTIL"))),
                     topen.eq(Mux(u_consume | b_park, onehot(bv, V), 0))]
        # (decide stage: the execute stage registers it into consume_r, like BLOCK's)
        m.d.comb += u_consume_oh.eq(Mux(u_consume, onehot(bv, V), 0))
        read(H("TIMER_COUNT", K), dq.count if dq is not None else C(0))
        st.sleep_ins, st.sleep_now = sleep_ins, s_now | b_now | h_now
        st.sleep_r, st.cancel_r, st.tkey_r, st.tproc_r = ins_r, cancel_r, tkey_r, tproc_r
        st.tkind_r, st.tlink_r, st.cancelled = tkind_r, tlink_r, cancelled
        st.u_consume_oh, st.topen = u_consume_oh, topen
        st.enq_bit0 = Mux(any_of(set0), 1, Mux(any_of(clear0), 0, wdata[0]))

    def _decide_no_timers(self, m, st):
        """Decide stage without a deadline queue (``timers = 0``): no deadline registers
        and no compare. DEADLINE / DEADLINE_HI / TIMER_COUNT / TIMER_STATUS read 0 and
        ignore writes; every SLEEP, BLOCK_UNTIL and HANDLER_UNTIL is refused with
        TIMER_FULL; CANCEL finds nothing (INVALID for a word that is not a task)."""
        wr, H, error, P, V = st.wr, st.H, st.error, st.P, st.V
        for name in ("SLEEP", "BLOCK_UNTIL", "HANDLER_UNTIL"):
            error("TIMER_FULL", wr & H(name))
        error("INVALID", wr & H("CANCEL") & ~st.ok_w)
        st.sleep_ins, st.sleep_now = C(0), C(0)
        st.sleep_r, st.cancel_r = C(0), C(0)
        st.tkey_r = st.tproc_r = st.tkind_r = st.tlink_r = None
        st.cancelled = Signal(P)
        st.u_consume_oh, st.topen = C(0, V), C(0, V)
        st.enq_bit0 = st.wdata[0]

    def _timer_ready(self, m, st):
        """The move out of the deadline queue into a ready queue, one per cycle, in a
        cycle with no bus write being decided and no operation of the queue itself (it
        goes before the wake engine, which it stalls): a due head (``tfire``; the
        word's bit 0 set for a timed wait), else the timed waiter with the earliest
        deadline whose event is pending (and no BLOCK waiter on its vector) or whose
        channel has a message (no RECV in progress) (``ewake``; bit 0 cleared)."""
        dq, room, CH = st.dq, st.room, st.CH
        tfire, ewake, move = Signal(), Signal(), Signal()
        st.tfire, st.ewake, st.tmove = tfire, ewake, move
        if dq is None:
            return
        N, cells = dq.depth, st.tcells
        free = ~st.wr_req & ~st.sleep_r & ~st.cancel_r
        recv_busy = st.c_recv | st.recv_oh_r.any()
        pnz_eff = st.pnz & ~st.consume_r
        cand = Signal(N)                      # timed waiters whose event has come
        for i, c in enumerate(cells):
            ev = (c.kind == KIND_BLOCK) & pnz_eff.bit_select(c.link, 1) & \
                ~st.blocked.nonempty.bit_select(c.link, 1)
            msg = (c.kind == KIND_HANDLER) & ~recv_busy & \
                st.mnz.bit_select(st.chan(c.proc, c.link[:max(1, (CH - 1).bit_length())]), 1)
            m.d.comb += cand[i].eq(dq.valid[i] & (ev | msg) & room.bit_select(c.proc, 1))
        m.d.comb += [
            tfire.eq(dq.head_due & free & room.bit_select(cells[0].proc, 1)),
            ewake.eq(cand.any() & free & ~tfire),
            move.eq(tfire | ewake),
        ]
        st.tcand = cand

    def _timer_move(self, m, st):
        """The deadline queue's execute-stage operations (inserts, CANCEL's removal) and
        the move decided by ``_timer_ready``."""
        dq, P, V, X, onehot = st.dq, st.P, st.V, st.X, st.onehot
        sleep_r, cancel_r, tkey_r, tproc_r = st.sleep_r, st.cancel_r, st.tkey_r, st.tproc_r
        tfire, ewake, move = st.tfire, st.ewake, st.tmove
        cancel_dec, ewake_v = Signal(P), Signal(V)
        st.ewake_v, st.cancel_dec = ewake_v, cancel_dec
        if dq is None:
            m.d.comb += st.cancelled.eq(0)
            st.tfire_oh, st.tfire_word = C(0, P), C(0, X)
            return
        cells, word = st.tcells, st.push_word_r
        cmatch = Signal(dq.depth)
        m.d.comb += cmatch.eq(Cat((c.word == word) & (c.proc == tproc_r) for c in cells))
        m.d.comb += [
            dq.time.eq(self.mtime[:dq.key_bits]),
            dq.ins_valid.eq(sleep_r), dq.ins_key.eq(tkey_r),
            dq.ins_data.eq(Cat(word, tproc_r, st.tkind_r, st.tlink_r)),
            dq.rm_valid.eq(cancel_r | move),
            dq.rm_match.eq(Mux(cancel_r, cmatch, Mux(tfire, 1, st.tcand))),
            cancel_dec.eq(Mux(cancel_r & dq.rm_found, onehot(tproc_r, P), 0)),
        ]
        out = self._cell(dq.rm_data, st)
        m.d.comb += ewake_v.eq(Mux(ewake & (out.kind == KIND_BLOCK), onehot(out.link, V), 0))
        with m.If(cancel_r):
            m.d.sync += st.cancelled.bit_select(tproc_r, 1).eq(dq.rm_found)
        # bit 0 = the cause of a timed wait's wake (1: the deadline); SLEEP: unchanged
        cause = Mux(out.kind == KIND_SLEEP, out.word[0], tfire)
        st.tfire_oh = Mux(move, onehot(out.proc, P), 0)
        st.tfire_word = Cat(cause, out.word[1:])

    def _execute(self, m, st):
        """The read data, the DEQUEUE_WAIT state, the decide -> execute registers and
        the execute stage (queue pushes and pops, ``dat_r``)."""
        S, X, rdata_terms, bus, P = st.S, st.X, st.rdata_terms, st.bus, st.P
        start_wait, proc, timeout, live = st.start_wait, st.proc, st.timeout, st.live
        avail, wait_state, ack_r, req = st.avail, st.wait_state, st.ack_r, st.req
        rdata_r, deq_r, deq_now, proc_oh = st.rdata_r, st.deq_r, st.deq_now, st.proc_oh
        onehot, recv_ch_r, rch, recv_oh_r = st.onehot, st.recv_ch_r, st.rch, st.recv_oh_r
        c_recv, mnz, CH, bpush_r, park = st.c_recv, st.mnz, st.CH, st.bpush_r, st.park
        bpush_v_r, blk_v, mpush_r, c_send_ok = st.bpush_v_r, st.blk_v, st.mpush_r, st.c_send_ok
        mpush_ch_r, slot, push_word_r, wdata = st.mpush_ch_r, st.slot, st.push_word_r, st.wdata
        consume, consume_r, blk_oh, raise_r = st.consume, st.consume_r, st.blk_oh, st.raise_r
        raise_v, errwin_r, in_proc, hset_r = st.raise_v, st.errwin_r, st.in_proc, st.hset_r
        hset, hset_ch_r, hch, hclr, hclr_r = st.hset, st.hset_ch_r, st.hch, st.hclr, st.hclr_r
        hclr_ch_r, handler, V, blocked = st.hclr_ch_r, st.handler, st.V, st.blocked
        ready = st.ready
        # ---- read data -----------------------------------------------------------------
        rdata = Signal(X)
        m.d.comb += rdata.eq(and_or(rdata_terms, X))

        # ---- blocking dequeue: the bus is held until a task arrives or time runs out --
        m.submodules.wait = bdq = BlockingDequeue(P)
        m.d.comb += [bdq.start.eq(start_wait), bdq.proc.eq(proc),
                     bdq.timeout.eq(Array(timeout)[proc]), bdq.live.eq(live),
                     bdq.avail.eq(avail),
                     wait_state.eq(bdq.waiting)]
        wait_p, wait_done, wait_deq = bdq.wait_proc, bdq.done, bdq.deq

        # ---- decide -> execute registers ----------------------------------------------
        m.d.sync += [
            ack_r.eq((req & ~start_wait) | wait_done),
            rdata_r.eq(Mux(req & ~bus.we, rdata, 0)),
            deq_r.eq(Mux(deq_now, proc_oh, Mux(wait_deq, onehot(wait_p, P), 0))),
            recv_ch_r.eq(rch), recv_oh_r.eq(Mux(c_recv & mnz.bit_select(rch, 1),
                                                onehot(rch, P * CH), 0)),
            bpush_r.eq(park), bpush_v_r.eq(blk_v),
            mpush_r.eq(c_send_ok), mpush_ch_r.eq(slot),
            push_word_r.eq(wdata),
            consume_r.eq(Mux(consume, blk_oh, 0) | st.u_consume_oh),
            raise_r.eq(raise_v),
            errwin_r.eq(Cat(~in_proc, proc_oh)),
            hset_r.eq(hset), hset_ch_r.eq(hch),
            hclr_r.eq(hclr), hclr_ch_r.eq(slot),
        ]
        with m.If(hset_r):
            m.d.sync += Array(handler)[hset_ch_r].eq(push_word_r)
        hset_oh = Signal(S)                 # HANDLER registered (applied this cycle)
        hclr_oh = Signal(S)                 # SEND moved the handler (applied this cycle)
        m.d.comb += [hset_oh.eq(Mux(hset_r, onehot(hset_ch_r, S), 0)),
                     hclr_oh.eq(Mux(hclr_r, onehot(hclr_ch_r, S), 0))]
        # reads that remove something (DEQUEUE, DEQUEUE_WAIT, RECV) act in the ack
        # cycle, and only if the master still holds cyc & stb: a withdrawn read
        # removes nothing
        m.d.comb += [
            # a BLOCK parks its task or a SEND appends its message (never both)
            blocked.push.eq(bpush_r | mpush_r),
            blocked.push_idx.eq(Mux(mpush_r, V + mpush_ch_r, bpush_v_r)),
            blocked.push_word.eq(push_word_r),
            # the ready queue peeked by the access decided now (or the DEQUEUE_WAIT
            # ending now) is the one its execute cycle pops
            ready.peek.eq(Mux(wait_state, wait_p, proc)),
            ready.deq.eq(deq_r.any() & live),
            # one of these is selected (one-hot registers), the others are 0
            bus.dat_r.eq(Mux(deq_r.any() & ready.head_valid, ready.head_word, 0) |
                         Mux(recv_oh_r.any(), blocked.head_word, 0) | rdata_r),
        ]
        # for the later stages
        st.hclr_oh, st.hset_oh = hclr_oh, hset_oh

    def _wake(self, m, st):
        """Interrupt events, the wake engine and the blocked queues' pops."""
        level, K, V, consume_r, bpush_r = st.level, st.K, st.V, st.consume_r, st.bpush_r
        onehot, bpush_v_r, S, blocked, room = st.onehot, st.bpush_v_r, st.S, st.blocked, st.room
        owner, pnz, handler_v, hclr_oh, mnz = st.owner, st.pnz, st.handler_v, st.hclr_oh, st.mnz
        P, hroom, CH, H, recv_oh_r, wr = st.P, st.hroom, st.CH, st.H, st.recv_oh_r, st.wr
        wr_req, c_recv, live, rch = st.wr_req, st.c_recv, st.live, st.rch
        recv_ch_r, hset_oh = st.recv_ch_r, st.hset_oh
        # ---- interrupt events --------------------------------------------------------
        # the gate (level mode) opens at every accepted BLOCK on the vector
        m.submodules.irq_events = irqev = IrqEvents(V)
        hw_event = irqev.event
        m.d.comb += [irqev.irq_in.eq(self.irq_in), irqev.level.eq(level),
                     irqev.open.eq(consume_r | Mux(bpush_r, onehot(bpush_v_r, V), 0) |
                                   st.topen)]

        # ---- wake engine -----------------------------------------------------------------
        # Sources: V vectors (a pending event and a blocked task) and S handler slots (a
        # registered handler and a message waiting), each with room in its owner's queue.
        # A pending event being consumed by a BLOCK (applied this cycle) is not counted.
        pnz_eff = Signal(V)
        m.d.comb += pnz_eff.eq(pnz & ~consume_r)
        hwait = Signal(S)                   # handler with a message, not moved by a SEND
        m.d.comb += hwait.eq(handler_v & ~hclr_oh & mnz)
        # stage 1 selects from registers: room in the owner's queue as of the cycle
        # before (stage 2 re-checks it)
        room_q = Signal(P)
        m.d.sync += room_q.eq(hroom)
        room_v = Signal(V)
        m.d.sync += room_v.eq(Cat(room.bit_select(owner[v], 1) for v in range(V)))
        m.submodules.wake = wake = WakeEngine(P, V, CH)
        m.d.comb += [
            wake.vec_ready.eq((pnz_eff | hw_event) & blocked.nonempty[:V] & room_v),
            wake.vec_still.eq(pnz_eff),
            wake.slot_ready.eq(hwait & Cat(room_q[s // CH] for s in range(S))),
            wake.slot_still.eq(hwait & ~recv_oh_r),
            wake.room.eq(room), wake.hroom.eq(hroom),
            # a bus write being decided, or a move out of the deadline queue (which
            # goes first: its task already holds its entry)
            wake.stall.eq(wr_req | st.tmove),
            # a VEC_CFG write drops the selection (made with the old owner); so does
            # a RECV (its execute cycle pops a mailbox, the move would pop a vector)
            wake.drop.eq((wr & H("VEC_CFG", K)) | c_recv),
        ]
        for v in range(V):
            m.d.comb += wake.vec_owner[v].eq(onehot(owner[v], P))
        fire, w2_oh, w2_v, w2_isv, w2_poh = (wake.fire, wake.sel, wake.sel_vector,
                                             wake.is_vector, wake.owner)
        fire_v = Signal()
        fire_h = Signal(S)
        m.d.comb += [fire_v.eq(fire & w2_isv),
                     fire_h.eq(Mux(fire, w2_oh[V:], 0))]
        # the blocked queue's head is read in the select cycle; a vector's task leaves
        # its blocked queue when the wake fires. A RECV decided now peeks its mailbox
        # instead and pops it in its execute cycle (the wake's selection is dropped)
        recv_pop = Signal()
        m.d.comb += [recv_pop.eq(recv_oh_r.any() & live),
                     blocked.peek.eq(Mux(c_recv, V + rch, wake.peek_vector)),
                     blocked.pop.eq(fire_v | recv_pop),
                     blocked.pop_idx.eq(Mux(recv_oh_r.any(), V + recv_ch_r, w2_v))]
        m.d.sync += handler_v.eq((handler_v | hset_oh) & ~hclr_oh & ~fire_h)
        # for the later stages
        st.fire, st.fire_v, st.hw_event, st.recv_pop = fire, fire_v, hw_event, recv_pop
        st.pnz_eff = pnz_eff
        st.w2_isv, st.w2_oh, st.w2_poh = w2_isv, w2_oh, w2_poh

    def _enqueue(self, m, st):
        """The enqueue register (a bus enqueue or a wake), USAGE's increments and
        decrements, and the pending counters' inputs."""
        wr_req, bus_enq, P, ready, park = st.wr_req, st.bus_enq, st.P, st.ready, st.park
        handler, blocked, proc_oh, fire = st.handler, st.blocked, st.proc_oh, st.fire
        w2_isv, w2_poh, deq_r, live = st.w2_isv, st.w2_poh, st.deq_r, st.live
        c_send_ok, onehot, sq, errwin_r = st.c_send_ok, st.onehot, st.sq, st.errwin_r
        recv_pop, adm, vcfg, vcfg_old = st.recv_pop, st.adm, st.vcfg, st.vcfg_old
        cfg_w, vcfg_cnt, enq_r, enq_word_r = st.cfg_w, st.vcfg_cnt, st.enq_r, st.enq_word_r
        H, send_word, wdata, w2_oh, V, X = st.H, st.send_word, st.wdata, st.w2_oh, st.V, st.X
        pcount, hw_event, raise_r, fire_v = st.pcount, st.hw_event, st.raise_r, st.fire_v
        consume_r = st.consume_r
        # enqueue register: a bus enqueue or a wake (never both: a wake needs ~wr_req)
        bus_enq_oh = Signal(P)
        m.d.comb += bus_enq_oh.eq(and_or([(cnd, oh) for cnd, oh, _ in bus_enq], P))
        # USAGE: +1 for a task accepted by the bus (ready or parked) or a handler woken
        # by the wake engine, -1 for a task dequeued; a woken blocked task stays counted.
        # +1 for a message accepted by a SEND (the receiver's), -1 for a message received
        inc = Signal(P)
        dec = Signal(P)
        inc_msg = Signal(P)
        dec_msg = Signal(P)
        m.d.comb += [inc.eq(bus_enq_oh | Mux(park | st.sleep_ins, proc_oh, 0) |
                            Mux(fire & ~w2_isv, w2_poh, 0)),
                     dec.eq(Mux(deq_r.any() & live & ready.head_valid, deq_r, 0) |
                            st.cancel_dec),
                     inc_msg.eq(Mux(c_send_ok, onehot(sq, P), 0)),
                     # (errwin_r[1:]: the process of the access in its execute cycle)
                     dec_msg.eq(Mux(recv_pop, errwin_r[1:], 0))]
        m.d.comb += [adm.inc.eq(inc), adm.inc_msg.eq(inc_msg), adm.dec.eq(dec),
                     adm.dec_msg.eq(dec_msg), adm.move.eq(vcfg), adm.move_from.eq(vcfg_old),
                     adm.move_to.eq(cfg_w.OWNER), adm.move_count.eq(vcfg_cnt)]
        m.d.sync += [
            enq_r.eq(bus_enq_oh | Mux(fire, w2_poh, 0) | st.tfire_oh),
            enq_word_r.eq(Mux(wr_req, Mux(H("SEND"), send_word, Cat(st.enq_bit0, wdata[1:])),
                              Mux(st.tmove, st.tfire_word,
                                  Mux(w2_isv, blocked.head_word,
                                      onehot_mux(w2_oh[V:], handler, X))))),
        ]

        m.d.comb += [ready.enq.eq(enq_r), ready.enq_word.eq(enq_word_r)]

        # every event of every source counts, also when several meet in one cycle
        m.d.comb += [pcount.event.eq(hw_event), pcount.raised.eq(raise_r),
                     pcount.take.eq(Mux(fire_v, w2_oh[:V], 0) | consume_r | st.ewake_v)]
        overflow = pcount.overflow
        # for the later stages
        st.inc, st.inc_msg, st.overflow = inc, inc_msg, overflow

    def _errors(self, m, st):
        """The sticky error bits: every term registered, then the error bank."""
        err, P, seterr, errwin_r, overflow = st.err, st.P, st.seterr, st.errwin_r, st.overflow
        H, proc_oh, wr, wdata = st.H, st.proc_oh, st.wr, st.wdata
        # ---- sticky errors -------------------------------------------------------------
        # access errors are set in the execute cycle: every term of every error bit is
        # registered on its own (no OR in the decide cycle), with the access's window
        # (one-hot; the kernel's for unmapped windows). PENDING_OVERFLOW is not an
        # access error: kernel window only.
        seterr_r = Signal(len(ERRORS))
        for name, terms in seterr.items():
            regs = []
            for j, term in enumerate(terms):
                r = Signal(name=f"err_{name.lower()}_{j}_r")
                m.d.sync += r.eq(term)
                regs.append(r)
            m.d.comb += seterr_r[ERR[name]].eq(any_of(regs))
        m.submodules.errors = errors = ErrorBank(P + 1)
        m.d.comb += [errors.set.eq(seterr_r), errors.window.eq(errwin_r),
                     errors.overflow.eq(overflow)]
        for w in range(P + 1):
            is_err_reg = H("ERROR", "KERNEL") if w == 0 else (H("ERROR") & proc_oh[w - 1])
            m.d.comb += [errors.clear[w].eq(Mux(wr & is_err_reg, wdata, 0)),
                         err[w].eq(errors.err[w])]

    def _probe_view(self, m, st):
        """A white-box view of internal signals for the formal harness
        (``tests/test_controller_formal.py``)."""
        req, wr, live, pending, ready = st.req, st.wr, st.live, st.pending, st.ready
        blocked, usage, quota, inc, inc_msg = st.blocked, st.usage, st.quota, st.inc, st.inc_msg
        mpush_r, enq_r, deq_r, consume_r = st.mpush_r, st.enq_r, st.deq_r, st.consume_r
        fire_v, w2_oh, bpush_r, bpush_v_r = st.fire_v, st.w2_oh, st.bpush_r, st.bpush_v_r
        push_word_r, hset_r, hset, hclr_oh = st.push_word_r, st.hset_r, st.hset, st.hclr_oh
        handler_v, raise_r, park, bus_enq = st.handler_v, st.raise_r, st.park, st.bus_enq
        # white-box view for the formal proof (tests/test_controller_formal.py)
        self._probe = SimpleNamespace(
            req=req, wr=wr, live=live, pending=pending, ready=ready, blocked=blocked,
            usage=usage, quota=quota, inc=inc, inc_msg=inc_msg, mpush_r=mpush_r,
            enq_r=enq_r, deq_r=deq_r, consume_r=consume_r, fire_v=fire_v,
            w2_oh=w2_oh, bpush_r=bpush_r, bpush_v_r=bpush_v_r, push_word_r=push_word_r,
            hset_r=hset_r, hclr_oh=hclr_oh, handler_v=handler_v, raise_r=raise_r,
            dq=st.dq, sleep_r=st.sleep_r, cancel_r=st.cancel_r, tfire=st.tfire, fire=st.fire,
            tmove=st.tmove, ewake_v=st.ewake_v, topen=st.topen,
            # a task word accepted into the controller by the access decided now:
            # ENQUEUE, BLOCK (made ready or parked), HANDLER (made ready or kept)
            task_in=any_of([cond for cond, _, _ in bus_enq[:3]] +
                           [park, hset, st.sleep_now, st.sleep_ins]))

    def _notify(self, m, st):
        """``irq_out`` and ``hart_irq``."""
        P, p, ready, irq_en, cur_prio = st.P, st.p, st.ready, st.irq_en, st.cur_prio
        # ---- CPU notification --------------------------------------------------------------
        m.submodules.notify = notify = Notification(P, p.prio_bits)
        m.d.comb += [notify.empty.eq(ready.empty), self.irq_out.eq(notify.irq)]
        for i in range(P):
            m.d.comb += [notify.enable[i].eq(irq_en[i]), notify.cur_prio[i].eq(cur_prio[i]),
                         notify.best[i].eq(ready.best[i])]
        for h, procs in enumerate(st.harts):
            m.d.comb += self.hart_irq[h].eq((notify.irq & procs).any())
