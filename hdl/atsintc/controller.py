"""ATS-INTC: the task-scheduling interrupt controller.

One Wishbone B4 (classic) slave; the register map is :mod:`atsintc.regmap`.

Blocks
======

* ``processes`` ready queues (:class:`~atsintc.pqueue.PriorityQueue`), one per process
  slot, keyed by the priority field of the task word.
* ``vectors`` blocked queues (FIFO per vector, :class:`~atsintc.fifobank.FifoBank`) and
  a pending-interrupt counter per vector. An interrupt *event* on vector ``v`` is a
  rising edge of ``irq_in[v]`` (edge mode), the line being high while the vector's gate
  is open (level mode; the gate closes at each event and opens at each BLOCK on ``v``),
  or a write to the kernel's ``VEC_RAISE[v]``. Each event increments ``pending[v]``.
  Every cycle the *wake engine* takes the lowest vector with a pending event and a
  blocked task, pops that task and pushes it into the ready queue of the vector's
  owner at the task's own priority, and decrements ``pending[v]``. A BLOCK on a vector
  with a pending event makes the task ready at once. So no wakeup is ever lost,
  whatever the order of events and blocks.
* IPC: per (process, channel) a handler slot and a mailbox FIFO of ``ipc_depth``
  messages. A SEND (needs a capability) appends the message and, if a handler is
  registered, moves the handler task to the receiver's ready queue. A handler
  registered while messages wait becomes ready at once; RECV pops a message.

Bus timing
==========

Every access is executed in the cycle ``cyc & stb`` is first seen and acknowledged in
the next cycle (``ack`` registered; read data with the ack): 2 cycles per access. The
exception is ``DEQUEUE_WAIT``, which holds ``ack`` low until a task is ready (or the
process's ``WAIT_TIMEOUT`` expires). Errors never stall the bus: the access is
acknowledged, nothing is changed, and the window's sticky ERROR register records why.

Interrupt timing: an edge of ``irq_in[v]`` in cycle ``t`` is counted at the end of
``t``; the wake engine moves the task during ``t + 1``; the task is at the head of the
ready queue (on its ``DEQUEUE`` data) in cycle ``t + 2``. A bus enqueue into the same
ready queue in the same cycle takes precedence and delays the wake by one cycle.

``irq_out[p]`` (CPU notification, one per process slot): high while
(``IRQ_ENABLE.NONEMPTY`` and the ready queue is not empty) or (``IRQ_ENABLE.PREEMPT``
and the best ready priority is better than ``CUR_PRIO``). Registered.
"""

from amaranth.hdl import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from . import regmap, wishbone
from .fifobank import FifoBank
from .pqueue import PriorityQueue
from .regmap import ERRORS, PRIO_SHIFT, STRIDE, WINDOW_SIZE, Params, RegisterMap

__all__ = ["ATSIntc"]

ERR = {name: i for i, (name, _) in enumerate(ERRORS)}
PENDING_BITS = 16


class ATSIntc(wiring.Component):
    """The controller. ``params`` is a :class:`atsintc.regmap.Params` (or keyword
    arguments for one); they are validated there with messages giving the limits.

    Ports: ``bus`` (Wishbone slave, data width = xlen, word addresses), ``irq_in``
    (``vectors`` interrupt inputs, synchronous to the clock), ``irq_out``
    (``processes`` CPU notification outputs).
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
        super().__init__({
            "bus": In(wishbone.Signature(addr_width=self.addr_width, data_width=p.xlen,
                                         granularity=8)),
            "irq_in": In(p.vectors),
            "irq_out": Out(p.processes),
        })

    def elaborate(self, platform):
        m = Module()
        p = self.params
        P, V, CH, X = p.processes, p.vectors, p.channels, p.xlen
        bus = self.bus

        # ---- storage --------------------------------------------------------------
        pqs = []
        for i in range(P):
            q = PriorityQueue(depth=p.ready_depth, priorities=p.priorities, width=X)
            m.submodules[f"ready{i}"] = q
            pqs.append(q)
        m.submodules.blocked = blocked = FifoBank(V, p.blocked_depth, X, name="blocked")
        m.submodules.mailbox = mailbox = FifoBank(P * CH, p.ipc_depth, X, name="mailbox")

        pending = [Signal(PENDING_BITS, name=f"pending{v}") for v in range(V)]
        owner = [Signal(range(max(2, P)), name=f"owner{v}") for v in range(V)]
        level = Signal(V)
        gate = Signal(V, init=(1 << V) - 1)
        irq_q = Signal(V)
        handler = [Signal(X, name=f"handler{i}") for i in range(P * CH)]
        handler_v = Signal(P * CH)
        cap = [Signal(P, name=f"cap{i}") for i in range(P)]
        err = [Signal(len(ERRORS), name=f"error{w}") for w in range(P + 1)]  # 0 = kernel
        timeout = [Signal(32, name=f"wait_timeout{i}", init=4096) for i in range(P)]
        irq_en = [Signal(2, name=f"irq_enable{i}") for i in range(P)]
        cur_prio = [Signal(8, name=f"cur_prio{i}", init=0xFF) for i in range(P)]

        # ---- address decode (generated from the register map) ----------------------
        lsb = (self.word_bytes - 1).bit_length()
        byte = Cat(Const(0, lsb), bus.adr)
        win = Signal(range(max(2, 1 << max(0, len(byte) - 12))))
        off = Signal(12)
        m.d.comb += [win.eq(byte[12:]), off.eq(byte[:12])]
        proc = Signal(range(max(2, P)))              # process of a process window
        m.d.comb += proc.eq(win - 1)
        hit, idx = {}, {}
        for w in self.map.windows:
            in_win = (win == 0) if w.name == "KERNEL" else ((win >= 1) & (win <= P))
            for r in w.registers:
                n = r.length(p)
                key = (w.name, r.name)
                h = Signal(name=f"hit_{w.name}_{r.name}".lower())
                m.d.comb += h.eq(in_win & (off >= r.offset) & (off < r.offset + n * STRIDE) &
                                 (off[:3] == 0))
                hit[key] = h
                if r.is_array():
                    ix = Signal(range(max(2, n)), name=f"idx_{w.name}_{r.name}".lower())
                    m.d.comb += ix.eq((off - r.offset)[3:])
                    idx[key] = ix

        def H(name, window="PROCESS"):
            return hit[(window, name)]

        def I(name, window="PROCESS"):
            return idx[(window, name)]

        # ---- bus handshake ----------------------------------------------------------
        # An access is executed in the cycle it is first seen (`req`) and acked in the
        # next one. A DEQUEUE_WAIT that finds no task enters the wait state instead:
        # the master keeps `stb` high and nothing is executed again until it ends.
        wait_state = Signal()
        wait_p = Signal(range(max(2, P)))
        wait_left = Signal(32)
        start_wait = Signal()
        wait_done = Signal()
        req = bus.cyc & bus.stb & ~bus.ack & ~wait_state
        rd = req & ~bus.we
        wr = req & bus.we
        wdata = bus.dat_w
        rdata = Signal(X)
        seterr = Signal(len(ERRORS))        # errors raised by this access
        m.d.sync += [bus.ack.eq((req & ~start_wait) | wait_done), bus.dat_r.eq(rdata)]

        def error(name):
            return seterr[ERR[name]].eq(1)

        # task word checks
        def task_ok(word):
            prio = word[PRIO_SHIFT:PRIO_SHIFT + p.prio_bits]
            return (word != 0) & (prio < p.priorities)

        def task_prio(word):
            return word[PRIO_SHIFT:PRIO_SHIFT + p.prio_bits]

        # requests to the ready queues from the bus side: (process, word)
        bus_enq = Signal()
        bus_enq_p = Signal(range(max(2, P)))
        bus_enq_word = Signal(X)
        bus_deq = Signal()
        bus_deq_p = Signal(range(max(2, P)))
        pq_ready = Array(q.enq.ready for q in pqs)
        pq_valid = Array(q.deq.valid for q in pqs)
        pq_head = Array(q.deq.payload.data for q in pqs)
        # bus-side vector / mailbox operations
        blk_v = Signal(range(max(2, V)))
        blk_touch = Signal()                # this access is a BLOCK on blk_v
        consume = Signal()                  # BLOCK consumed a pending event
        blk_ok = Signal()                   # BLOCK accepted (parked or made ready)
        raise_v = Signal(V)                 # VEC_RAISE writes

        # ---- process-window operations -------------------------------------------------
        def proc_ops():
            pr = proc
            with m.If(H("ENQUEUE") & wr):
                with m.If(~task_ok(wdata)):
                    m.d.comb += error("INVALID")
                with m.Elif(~pq_ready[pr]):
                    m.d.comb += error("READY_FULL")
                with m.Else():
                    m.d.comb += [bus_enq.eq(1), bus_enq_p.eq(pr), bus_enq_word.eq(wdata)]
            with m.Elif(H("DEQUEUE") & rd):
                m.d.comb += [bus_deq.eq(pq_valid[pr]), bus_deq_p.eq(pr),
                             rdata.eq(Mux(pq_valid[pr], pq_head[pr], 0))]
            with m.Elif(H("DEQUEUE_WAIT") & rd):
                with m.If(pq_valid[pr]):
                    m.d.comb += [bus_deq.eq(1), bus_deq_p.eq(pr), rdata.eq(pq_head[pr])]
                with m.Elif(Array(timeout)[pr] != 0):
                    m.d.comb += start_wait.eq(1)
                    m.d.sync += [wait_state.eq(1), wait_p.eq(pr),
                                 wait_left.eq(Array(timeout)[pr])]
            with m.Elif(H("WAIT_TIMEOUT")):
                with m.If(wr):
                    m.d.sync += Array(timeout)[pr].eq(wdata[:32])
                m.d.comb += rdata.eq(Array(timeout)[pr])
            with m.Elif(H("READY_COUNT") & rd):
                m.d.comb += rdata.eq(Array(q.count for q in pqs)[pr])
            with m.Elif(H("ERROR")):
                m.d.comb += rdata.eq(Array(err[1:])[pr])
            with m.Elif(H("IRQ_ENABLE")):
                with m.If(wr):
                    m.d.sync += Array(irq_en)[pr].eq(wdata[:2])
                m.d.comb += rdata.eq(Array(irq_en)[pr])
            with m.Elif(H("CUR_PRIO")):
                with m.If(wr):
                    m.d.sync += Array(cur_prio)[pr].eq(wdata[:8])
                m.d.comb += rdata.eq(Array(cur_prio)[pr])
            with m.Elif(H("BLOCK") & wr):
                v = I("BLOCK")
                m.d.comb += [blk_v.eq(v), blk_touch.eq(1)]
                with m.If(Array(owner)[v] != pr):
                    m.d.comb += error("PERMISSION")
                with m.Elif(~task_ok(wdata)):
                    m.d.comb += error("INVALID")
                with m.Elif(Array(pending)[v] != 0):
                    with m.If(~pq_ready[pr]):
                        m.d.comb += error("READY_FULL")
                    with m.Else():
                        m.d.comb += [bus_enq.eq(1), bus_enq_p.eq(pr), bus_enq_word.eq(wdata),
                                     consume.eq(1), blk_ok.eq(1)]
                with m.Elif(blocked.count(v) == p.blocked_depth):
                    m.d.comb += error("BLOCKED_FULL")
                with m.Else():
                    m.d.comb += [blocked.push.eq(1), blocked.push_idx.eq(v),
                                 blocked.push_data.eq(wdata), blk_ok.eq(1)]
            with m.Elif(H("HANDLER") & wr):
                ch = pr * CH + I("HANDLER")
                with m.If(~task_ok(wdata)):
                    m.d.comb += error("INVALID")
                with m.Elif(handler_v.bit_select(ch, 1)):
                    m.d.comb += error("HANDLER_BUSY")
                with m.Elif(mailbox.count(ch) != 0):
                    with m.If(~pq_ready[pr]):
                        m.d.comb += error("READY_FULL")
                    with m.Else():
                        m.d.comb += [bus_enq.eq(1), bus_enq_p.eq(pr), bus_enq_word.eq(wdata)]
                with m.Else():
                    m.d.sync += [Array(handler)[ch].eq(wdata), handler_v.bit_select(ch, 1).eq(1)]
            with m.Elif(H("RECV") & rd):
                ch = pr * CH + I("RECV")
                m.d.comb += mailbox.head_idx.eq(ch)
                with m.If(mailbox.count(ch) != 0):
                    m.d.comb += [mailbox.pop.eq(1), mailbox.pop_idx.eq(ch),
                                 rdata.eq(mailbox.head)]
            with m.Elif(H("SEND") & wr):
                slot = I("SEND")                     # = q * CH + c
                q = Signal(range(max(2, P)), name="send_q")
                m.d.comb += q.eq(slot // CH if CH > 1 else slot)
                with m.If(~Array(cap)[pr].bit_select(q, 1)):
                    m.d.comb += error("PERMISSION")
                with m.Elif(mailbox.count(slot) == p.ipc_depth):
                    m.d.comb += error("IPC_FULL")
                with m.Elif(handler_v.bit_select(slot, 1) & ~pq_ready[q]):
                    m.d.comb += error("READY_FULL")
                with m.Else():
                    m.d.comb += [mailbox.push.eq(1), mailbox.push_idx.eq(slot),
                                 mailbox.push_data.eq(wdata)]
                    with m.If(handler_v.bit_select(slot, 1)):
                        m.d.comb += [bus_enq.eq(1), bus_enq_p.eq(q),
                                     bus_enq_word.eq(Array(handler)[slot])]
                        m.d.sync += handler_v.bit_select(slot, 1).eq(0)
            with m.Else():
                m.d.comb += error("UNMAPPED")

        # ---- kernel-window operations ------------------------------------------------
        def kernel_ops():
            K = "KERNEL"
            with m.If(H("ID", K) & rd):
                m.d.comb += rdata.eq(self.map.lookup(K, "ID").reset)
            with m.Elif(H("CONFIG0", K) & rd):
                m.d.comb += rdata.eq(self.map.lookup(K, "CONFIG0").reset_value(p))
            with m.Elif(H("CONFIG1", K) & rd):
                m.d.comb += rdata.eq(self.map.lookup(K, "CONFIG1").reset_value(p))
            with m.Elif(H("READY_SUMMARY", K) & rd):
                m.d.comb += rdata.eq(Cat(~q.empty for q in pqs))
            with m.Elif(H("ERROR", K)):
                m.d.comb += rdata.eq(err[0])
            with m.Elif(H("READY_INFO", K) & rd):
                m.d.comb += rdata.eq(Array(
                    Cat(q.count, Const(0, 16 - len(q.count)),
                        Mux(q.deq.valid, q.deq.payload.prio, 0), Const(0, 8 - len(q.deq.payload.prio)),
                        Const(0, 7), ~q.empty) for q in pqs)[I("READY_INFO", K)])
            with m.Elif(H("VEC_CFG", K)):
                v = I("VEC_CFG", K)
                with m.If(wr):
                    with m.If(wdata[:8] >= P):
                        m.d.comb += error("INVALID")
                    with m.Else():
                        m.d.sync += [Array(owner)[v].eq(wdata[:8]),
                                     level.bit_select(v, 1).eq(wdata[8])]
                m.d.comb += rdata.eq(Cat(Array(owner)[v], Const(0, 8 - len(owner[0])),
                                         level.bit_select(v, 1)))
            with m.Elif(H("VEC_STATUS", K) & rd):
                v = I("VEC_STATUS", K)
                m.d.comb += rdata.eq(Cat(Array(pending)[v],
                                         blocked.count(v), Const(0, 15 - len(blocked.counts[0])),
                                         self.irq_in.bit_select(v, 1)))
            with m.Elif(H("VEC_RAISE", K) & wr):
                m.d.comb += raise_v.eq(1 << I("VEC_RAISE", K))
            with m.Elif(H("CAP", K)):
                c = I("CAP", K)
                with m.If(wr):
                    m.d.sync += Array(cap)[c].eq(wdata[:P])
                m.d.comb += rdata.eq(Array(cap)[c])
            with m.Else():
                m.d.comb += error("UNMAPPED")

        with m.If(req):
            with m.If(win == 0):
                kernel_ops()
            with m.Elif(win <= P):
                proc_ops()
            with m.Else():
                m.d.comb += error("UNMAPPED")

        # ---- blocking dequeue: the bus is held until a task arrives or time runs out --
        with m.If(wait_state):
            with m.If(pq_valid[wait_p]):
                m.d.comb += [wait_done.eq(1), bus_deq.eq(1), bus_deq_p.eq(wait_p),
                             rdata.eq(pq_head[wait_p])]
                m.d.sync += wait_state.eq(0)
            with m.Elif(wait_left == 1):
                m.d.comb += wait_done.eq(1)
                m.d.sync += wait_state.eq(0)
            with m.Else():
                m.d.sync += wait_left.eq(wait_left - 1)

        # ---- sticky errors -------------------------------------------------------------
        errwin = Signal(range(P + 1))
        m.d.comb += errwin.eq(Mux(win <= P, win, 0))
        for w in range(P + 1):
            clear = Signal(len(ERRORS), name=f"error_clear{w}")
            is_err_reg = H("ERROR", "KERNEL") if w == 0 else (H("ERROR") & (proc == w - 1))
            m.d.comb += clear.eq(Mux(wr & is_err_reg, wdata[:len(ERRORS)], 0))
            po = 1 << ERR["PENDING_OVERFLOW"]       # not an access error: kernel only
            setb = Mux(req & (errwin == w), seterr & ~po, 0)
            if w == 0:
                setb = setb | (seterr & po)
            m.d.sync += err[w].eq((err[w] & ~clear) | setb)

        # ---- interrupt events and pending counters --------------------------------------
        m.d.sync += irq_q.eq(self.irq_in)
        edge = self.irq_in & ~irq_q
        lvl = self.irq_in & gate
        level_ev = Signal(V)
        event = Signal(V)
        m.d.comb += [level_ev.eq(level & lvl),
                     event.eq(level_ev | (~level & edge) | raise_v)]
        # gate: closes at a level event, opens at every accepted BLOCK on the vector
        blk_open = Signal(V)
        m.d.comb += blk_open.eq(Mux(blk_ok & req, 1 << blk_v, 0))
        m.d.sync += gate.eq((gate & ~level_ev) | blk_open)

        # ---- wake engine: one blocked task per cycle into its owner's ready queue ------
        can_wake = Signal(V)
        for v in range(V):
            own_busy = bus_enq & (bus_enq_p == owner[v])
            m.d.comb += can_wake[v].eq((pending[v] != 0) & (blocked.counts[v] != 0) &
                                       ~(blk_touch & req & (blk_v == v)) & ~own_busy &
                                       pq_ready[owner[v]])
        wake = Signal()
        wake_v = Signal(range(max(2, V)))
        for v in reversed(range(V)):
            with m.If(can_wake[v]):
                m.d.comb += [wake.eq(1), wake_v.eq(v)]
        m.d.comb += [blocked.head_idx.eq(wake_v), blocked.pop.eq(wake),
                     blocked.pop_idx.eq(wake_v)]
        wake_p = Signal(range(max(2, P)))
        m.d.comb += wake_p.eq(Array(owner)[wake_v])

        for v in range(V):
            inc = event[v]
            dec = (wake & (wake_v == v)) | (consume & req & (blk_v == v))
            sat = pending[v] == (1 << PENDING_BITS) - 1
            with m.If(inc & ~dec):
                with m.If(~sat):
                    m.d.sync += pending[v].eq(pending[v] + 1)
            with m.Elif(dec & ~inc):
                m.d.sync += pending[v].eq(pending[v] - 1)
        overflow = Signal()
        m.d.comb += overflow.eq(Cat(event[v] & (pending[v] == (1 << PENDING_BITS) - 1)
                                    for v in range(V)).any())
        m.d.comb += seterr[ERR["PENDING_OVERFLOW"]].eq(overflow)

        # ---- ready-queue ports -----------------------------------------------------------
        for i, q in enumerate(pqs):
            from_bus = bus_enq & (bus_enq_p == i)
            from_wake = wake & (wake_p == i)
            word = Mux(from_bus, bus_enq_word, blocked.head)
            m.d.comb += [
                q.enq.valid.eq(from_bus | from_wake),
                q.enq.payload.data.eq(word),
                q.enq.payload.prio.eq(task_prio(word)),
                q.deq.ready.eq(bus_deq & (bus_deq_p == i)),
            ]

        # ---- CPU notification --------------------------------------------------------------
        for i, q in enumerate(pqs):
            nonempty = irq_en[i][0] & ~q.empty
            preempt = irq_en[i][1] & q.deq.valid & (q.deq.payload.prio < cur_prio[i])
            m.d.sync += self.irq_out[i].eq(nonempty | preempt)
        return m
