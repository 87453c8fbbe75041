"""Formal properties of the whole controller (SymbiYosys), on a small configuration.

The bus and the interrupt lines are completely unconstrained: any master behaviour
(requests in any cycle, withdrawn at any time, partial byte selects, any address and
data) and edges in every cycle relation to the accesses. Checked in every reachable
cycle up to the depth:

* **no event lost**: for every vector, the interrupts seen (rising edges of its line
  in edge mode, the line high while the gate is open in level mode — the gate is
  modelled here from the documentation — and decided ``VEC_RAISE`` writes) equal the
  tasks woken from it plus its pending counter (plus a raise still in flight);
* **oldest waiter first**: a symbolic task blocked on a symbolic vector is woken by
  the first wake of that vector after the tasks ahead of it, and no BLOCK takes a
  pending event from under it (nor while any task is blocked);
* **ack only while cyc & stb**;
* **every accepted task is in exactly one place**: tasks accepted by ENQUEUE, BLOCK
  and HANDLER, minus tasks returned by completed DEQUEUE/DEQUEUE_WAIT reads, equal
  the tasks in the ready queues, the blocked queues and the handler slots (and the
  registers between them); no queue is ever pushed when full;
* **best first**: a DEQUEUE returns a task of the best priority in its queue (FIFO
  order within a priority list is the task pool's own proof, ``test_taskpool_formal``);
* **quotas**: a new task or message is taken for a process only while its USAGE is
  below its QUOTA (both at once only with room for two; any QUOTA, written by the
  unconstrained bus at any time), and the USAGEs add up to exactly the tasks held plus
  the messages waiting; a mailbox is never pushed beyond IPC_DEPTH; with the pool,
  never more than the pool's size in all, no push into a full pool and no pop of an
  empty list.

Configurations, both backends: 2 processes x 2 priorities, 2 vectors, 1 channel;
systolic: ready queues 1 deep (2 deep in the slow test) and 2-deep blocked queues; pool:
3 entries shared by every ready queue, blocked queue and mailbox (used up within the
depth), and 8 entries. Words written are 9 bits wide
(upper bits 0): the properties are about control, and the solver's time per step
stays small.

Events and returned tasks are counted from the ports; where a property needs a
decision of the controller (an access decided in this cycle, a task accepted) it
reads it from ``ATSIntc._probe``.
"""

import pytest
from amaranth.hdl import *
from amaranth.hdl._ast import AnyConst, AnySeq  # not re-exported by amaranth.hdl in 0.5

from atsintc.tools import toolchain
from atsintc.gateware.controller import ATSIntc
from atsintc.regmap import Params, RegisterMap

PARAMS = Params(processes=2, priorities=2, ready_depth=1, vectors=2, blocked_depth=2,
                channels=1, ipc_depth=1, queue="systolic", timers=0)
# the task pool backend: 3 entries shared by every ready and blocked queue and mailbox
# (used up within the depth), and the size, 8 entries
PARAMS_POOL = Params(processes=2, priorities=2, vectors=2, channels=1, ipc_depth=1, pool=3,
                     timers=0)
PARAMS_POOL8 = Params(processes=2, priorities=2, vectors=2, channels=1, ipc_depth=1, pool=8,
                      timers=0)
# the slow test's configuration: two entries per ready queue
PARAMS_RD2 = Params(processes=2, priorities=2, ready_depth=2, vectors=2, blocked_depth=2,
                    channels=1, ipc_depth=1, queue="systolic", timers=0)
# with timers: a 2-entry deadline queue (the solver's time per step grows several-fold,
# so these run shallower in make test and deeper in the slow suite)
PARAMS_TIMERS = Params(processes=2, priorities=2, ready_depth=1, vectors=2, blocked_depth=2,
                       channels=1, ipc_depth=1, queue="systolic", timers=2)
PARAMS_POOL_TIMERS = Params(processes=2, priorities=2, vectors=2, channels=1, ipc_depth=1,
                            pool=3, timers=2)
CNT = 8                                         # width of the harness's counters


class ControllerFormal(Elaboratable):
    def __init__(self, params=PARAMS, *, data_bits=None, covers=False):
        self.params = params
        self.data_bits = params.xlen if data_bits is None else data_bits
        self.covers = covers
        self.dut = ATSIntc(params)

    def elaborate(self, platform):
        m = Module()
        p = self.params
        dut = self.dut
        m.submodules.dut = dut.elaborate(platform)  # elaborated here to read its probe
        dut._MustUse__silence = True                # (used through its elaboration)
        pr = dut._probe
        bus = dut.bus
        P, V = p.processes, p.vectors
        rmap = RegisterMap(p)
        wb = p.xlen // 8

        m.d.comb += Assume(~ResetSignal())
        for port in (bus.cyc, bus.stb, bus.we, bus.adr, bus.sel, bus.dat_w, dut.irq_in):
            m.d.comb += port.eq(AnySeq(len(port)))
        # the time: any start below 256, then +0 or +1 per cycle (it never goes back).
        # Small, like the words written: the deadline queue's ordering with any time
        # and the keys' wrap-around are test_deadlineq_formal's
        elapsed = Signal(8)
        m.d.sync += elapsed.eq(elapsed + AnySeq(1))
        m.d.comb += dut.mtime.eq(AnyConst(8) + elapsed)
        if self.data_bits < p.xlen:
            # words written are narrow (the properties are about control; the datapath
            # only carries them): keeps the solver's work per step small
            m.d.comb += Assume(bus.dat_w[self.data_bits:] == 0)

        def check(a):
            m.d.comb += Assert(a, src_loc_at=1)     # the failing line names the property

        def addr_is(window, name, index=0, process=0):
            return bus.adr == rmap.address(window, name, index, process) // wb

        # -- ack only in answer to cyc & stb ------------------------------------------
        check(~bus.ack | (bus.cyc & bus.stb))

        # -- events: counted from the ports and the documented gate ---------------------
        line_q = Signal(V, reset_less=True)
        m.d.sync += line_q.eq(dut.irq_in)
        level = Signal(V)
        gate = Signal(V, init=(1 << V) - 1)
        events = [Signal(CNT, name=f"events{v}") for v in range(V)]
        wakes = [Signal(CNT, name=f"wakes{v}") for v in range(V)]
        for v in range(V):
            cfg = pr.wr & addr_is("KERNEL", "VEC_CFG", v) & (bus.dat_w[:8] < P)
            with m.If(cfg):
                m.d.sync += level[v].eq(bus.dat_w[8])
            lvl_ev = level[v] & dut.irq_in[v] & gate[v]
            edge = ~level[v] & dut.irq_in[v] & ~line_q[v]
            raised = pr.wr & addr_is("KERNEL", "VEC_RAISE", v)
            # (and a BLOCK_UNTIL on v that waits or takes an event: topen)
            accepted_block = pr.consume_r[v] | (pr.bpush_r & (pr.bpush_v_r == v)) | \
                pr.topen[v]
            m.d.sync += gate[v].eq((gate[v] & ~lvl_ev) | accepted_block)
            m.d.sync += events[v].eq(events[v] + lvl_ev + edge + raised)
            # (a BLOCK_UNTIL waiter woken by its event takes one too: ewake_v)
            woke = (pr.fire_v & pr.w2_oh[v]) | pr.consume_r[v] | pr.ewake_v[v]
            m.d.sync += wakes[v].eq(wakes[v] + woke)
            # no event lost (and none invented), whatever the timing
            check(events[v] == (wakes[v] + pr.pending[v] + pr.raise_r[v])[:CNT])
            check(pr.pending[v] < (1 << CNT) - 4)   # no wrap-around of the counters
            # a pending event goes to a BLOCK only when nobody waits on the vector
            check(~pr.consume_r[v] | (pr.blocked.count[v] == 0))

        # -- oldest waiter first: follow one symbolic parked task --------------------------
        tv = AnyConst(range(V))
        arm = AnySeq(1)
        tracking = Signal()
        ahead = Signal(range(len(pr.blocked.count[0]) + 1))
        word = Signal(p.xlen)
        pop = pr.fire_v & pr.w2_oh.bit_select(tv, 1)
        count = pr.blocked.count[tv]
        behind = Signal()                            # it had a task ahead of it
        with m.If(~tracking & arm & pr.bpush_r & (pr.bpush_v_r == tv)):
            m.d.sync += [tracking.eq(1), word.eq(pr.push_word_r),
                         ahead.eq(count - pop), behind.eq(count - pop != 0)]
        with m.If(tracking):
            check(ahead < count)                     # still in its blocked queue
            check(~pr.consume_r.bit_select(tv, 1))   # nobody takes an event past it
            check(~pr.ewake_v.bit_select(tv, 1))     # (nor a timed waiter)
            with m.If(pop):
                with m.If(ahead == 0):
                    check(pr.blocked.head_word == word)   # it is the one woken
                    m.d.sync += tracking.eq(0)
                with m.Else():
                    m.d.sync += ahead.eq(ahead - 1)

        # -- every accepted task in exactly one place --------------------------------------
        tasks_in = Signal(CNT)
        tasks_out = Signal(CNT)
        m.d.sync += tasks_in.eq(tasks_in + pr.task_in)
        # a task leaves when a DEQUEUE/DEQUEUE_WAIT read completes (ack, which implies
        # cyc & stb) with a non-zero word; the kind of access is the one decided
        deq_addr = Cat(addr_is("PROCESS", n, 0, q) for q in range(P)
                       for n in ("DEQUEUE", "DEQUEUE_WAIT")).any()
        is_deq = Signal()
        with m.If(pr.req):
            m.d.sync += is_deq.eq(~bus.we & deq_addr)
        dq = pr.dq
        cancelled = pr.cancel_r & dq.rm_found if dq is not None else C(0)
        m.d.sync += tasks_out.eq(tasks_out + (bus.ack & is_deq & (bus.dat_r != 0)) +
                                 cancelled)
        # a DEQUEUE returns a task of the best priority in its process's queue
        deq_proc = Signal(range(max(2, P)))
        with m.If(pr.req):
            for q in range(P):
                with m.If(Cat(addr_is("PROCESS", n, 0, q)
                              for n in ("DEQUEUE", "DEQUEUE_WAIT")).any()):
                    m.d.sync += deq_proc.eq(q)
        prio = bus.dat_r[1:1 + p.prio_bits]
        check(~(bus.ack & is_deq & (bus.dat_r != 0)) |
              (prio == pr.ready.best[deq_proc]))
        # a new task or message is taken for a process only below its QUOTA (both in
        # one cycle: a SEND that makes the handler ready, only with room for two)
        for q in range(P):
            check(~(pr.inc[q] | pr.inc_msg[q]) |
                  (pr.usage[q] + (pr.inc[q] & pr.inc_msg[q]) < pr.quota[q]))

        def popcount(x):
            return sum(x[i] for i in range(len(x)))

        # (sleeping tasks: in the deadline queue, or an insert registered for it)
        sleeping = dq.count + pr.sleep_r if dq is not None else C(0)
        inside = (sum(pr.ready.count[i] for i in range(P)) + popcount(pr.enq_r) +
                  sum(pr.blocked.count[v] for v in range(V)) + pr.bpush_r +
                  popcount(pr.handler_v & ~pr.hclr_oh) + pr.hset_r + sleeping)
        if dq is not None:
            # the deadline queue: never inserted when full, one operation per cycle, a
            # due head moved only in a cycle with no other enqueue
            check(~(dq.ins_valid & dq.full))
            check(~(dq.ins_valid & dq.rm_valid))
            check(~(pr.tmove & (pr.fire | pr.req & pr.wr)))
        check((tasks_in - tasks_out)[:CNT] == inside[:CNT])
        # USAGE: the tasks held (ready, in flight, blocked), not the handlers in slots,
        # and the messages in the mailboxes (lists V.. of the blocked queues)
        messages = sum(pr.blocked.count[V + s] for s in range(P * p.channels)) + pr.mpush_r
        check(sum(pr.usage) ==
              inside - popcount(pr.handler_v & ~pr.hclr_oh) - pr.hset_r + messages)
        # a mailbox is never pushed beyond its bound
        bq = pr.blocked
        check(~(bq.push & (bq.push_idx >= V) & bq.full.bit_select(bq.push_idx, 1)))
        if p.queue == "pool":
            # USAGE is what each process holds, never above QUOTA... unless lowered;
            # the pools are never pushed when empty nor popped when empty
            for pool in (pr.ready.pool, pr.blocked.pool):
                check(~(pool.push & (pool.free == 0)))
                check(~(pool.pop & ~pool.nonempty.bit_select(pool.pop_list, 1)))
            check(sum(pr.usage) <= p.pool)
        else:
            for q in pr.ready.pqs:
                check(~q.overflow)
                check(~(q.enq.valid & ~q.enq.ready))     # never pushed when full
        fifos = [] if p.queue == "pool" else [pr.blocked.fifos, pr.blocked.mailboxes]
        for fifo in fifos:
            check(~(fifo.push & fifo.full.bit_select(fifo.push_idx, 1) &
                    ~(fifo.pop & (fifo.pop_idx == fifo.push_idx))))
            check(~(fifo.pop & ~fifo.nonempty.bit_select(fifo.pop_idx, 1)))

        if self.covers:
            # the properties are not vacuous: these situations are reachable
            covers = [
                # an edge and a raise counted in the same cycle on a vector with waiters
                Cover((pr.raise_r & dut.irq_in & ~line_q & ~level &
                       Cat(pr.blocked.count[v] != 0 for v in range(V))).any()),
                # the symbolic task woken after another task of its vector
                Cover(tracking & pop & (ahead == 0) & behind),
                # a DEQUEUE/DEQUEUE_WAIT of a non-empty queue withdrawn in its ack cycle
                Cover(~pr.live & pr.deq_r.any() & pr.ready.head_valid),
            ]
            if p.queue == "pool":
                # the pool used up (a task may be refused for it)
                covers.append(Cover(sum(pr.usage) == p.pool))
            if dq is not None:
                # a sleeping task moved to its ready queue; a CANCEL that finds its task;
                # a BLOCK_UNTIL waiter woken by its event (only these with covers="timers":
                # the others need a deeper run)
                timer_covers = [Cover(pr.tfire), Cover(cancelled), Cover(pr.ewake_v.any())]
                covers = timer_covers if self.covers == "timers" else covers + timer_covers
            self.cover_count = len(covers)
            m.d.comb += covers
        return m


def run_sby(name, mode, depth, **kwargs):
    top = ControllerFormal(**kwargs)
    return toolchain.run_sby(name, top, mode=mode, depth=depth, script=_script(top.params))


def _script(params):
    # the task pool's memories as flip-flops: smtbmc's cover mode fails on memories
    # ("string index out of range" reading the reached covers)
    return "memory_map" if params.queue == "pool" else ""


# BMC depth: every scenario of issue 9 fits in it (the longest, a deferred wake behind
# a full ready queue, is reached at step 8 by the cover check); the solver's time grows
# about 2x per step (depth 13: ~80 s on one core, 14 with ready_depth 2: ~5 min)
DEPTH = 13


def test_controller_properties_bmc():
    """The properties hold in every reachable cycle up to DEPTH, for any bus master and
    any interrupt timing (bounded model check)."""
    rc, out = run_sby("controller-bmc", "bmc", DEPTH, data_bits=9)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]


# the pool backend's model grows faster with depth (its memories): depth 10 ~40 s,
# 12 ~6 min (slow test)
DEPTH_POOL = 10


def test_controller_properties_bmc_pool():
    """The same properties with the task pool backend (3 entries shared by every queue:
    the pool runs out), plus: USAGE within the pool, no push into a full pool, no pop
    of an empty list."""
    rc, out = run_sby("controller-bmc-pool", "bmc", DEPTH_POOL, params=PARAMS_POOL,
                      data_bits=9)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]


def test_controller_properties_bmc_pool8():
    """The same with 8 pool entries (depth 10: ~30 s; 12 in the slow suite: ~4 min)."""
    rc, out = run_sby("controller-bmc-pool8", "bmc", DEPTH_POOL, params=PARAMS_POOL8,
                      data_bits=9)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]


@pytest.mark.slow
def test_controller_properties_bmc_pool8_deeper():
    rc, out = run_sby("controller-bmc-pool8-12", "bmc", DEPTH_POOL + 2, params=PARAMS_POOL8,
                      data_bits=9)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]


@pytest.mark.slow
def test_controller_properties_bmc_pool_deeper():
    rc, out = run_sby("controller-bmc-pool-12", "bmc", DEPTH_POOL + 2, params=PARAMS_POOL,
                      data_bits=9)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]


@pytest.mark.slow
def test_controller_properties_bmc_deeper():
    """The same with two entries per ready queue, one cycle deeper."""
    rc, out = run_sby("controller-bmc-rd2", "bmc", DEPTH + 1, params=PARAMS_RD2, data_bits=9)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]


# with the deadline queue: depth 10 reaches a DEADLINE write, a SLEEP, its move and a
# DEQUEUE of the task (the cover check below)
DEPTH_TIMERS = 10


@pytest.mark.parametrize("params", [PARAMS_TIMERS, PARAMS_POOL_TIMERS],
                         ids=["systolic", "pool"])
def test_controller_properties_bmc_timers(params):
    """The same properties with a 2-entry deadline queue and the time advancing by 0 or 1
    per cycle: sleeping tasks are among the tasks held and in USAGE, a CANCEL that finds
    its task returns it, the deadline queue is never inserted when full and a due task
    moves only in a cycle with no other enqueue."""
    rc, out = run_sby(f"controller-bmc-timers-{params.queue}", "bmc", DEPTH_TIMERS,
                      params=params, data_bits=9)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("params", [PARAMS_TIMERS, PARAMS_POOL_TIMERS],
                         ids=["systolic", "pool"])
def test_controller_properties_bmc_timers_deeper(params):
    rc, out = run_sby(f"controller-bmc-timers-{params.queue}-deep", "bmc", DEPTH_TIMERS + 1,
                      params=params, data_bits=9)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]


def test_controller_timer_properties_are_not_vacuous():
    """A sleeping task's move and a CANCEL that finds its task are reachable."""
    top = ControllerFormal(PARAMS_TIMERS, data_bits=9, covers="timers")
    rc, out = toolchain.run_sby("controller-cover-timers", top, mode="cover",
                                depth=DEPTH_TIMERS)
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]
    assert out.count("reached cover statement") == top.cover_count, out[-3000:]


@pytest.mark.parametrize("params", [PARAMS, PARAMS_POOL], ids=["systolic", "pool"])
def test_controller_properties_are_not_vacuous(params):
    """The situations the properties are about are reachable: two events in one cycle on
    a vector with waiters, the followed task woken behind another, a dequeue withdrawn
    in its ack cycle."""
    top = ControllerFormal(params, data_bits=9, covers=True)
    depth = DEPTH_POOL if params.queue == "pool" else DEPTH
    rc, out = toolchain.run_sby(f"controller-cover-{params.queue}", top, mode="cover",
                                depth=depth, script=_script(params))
    assert rc == 0 and "DONE (PASS" in out, out[-3000:]
    assert out.count("reached cover statement") == top.cover_count, out[-3000:]


def test_harness_catches_lost_events(monkeypatch):
    """With the pending counter of the first version (an edge and a raise in the same
    cycle counted once), the check finds a counterexample."""
    from atsintc.gateware import pending

    def merged(m, pending, events, dec):
        top = (1 << len(pending)) - 1
        total = Signal(len(pending) + 2)
        m.d.comb += total.eq(pending + Cat(*events).any() - dec)
        return Mux(total > top, top, total[:len(pending)]), total > top, total != 0

    monkeypatch.setattr(pending, "pending_next", merged)
    rc, out = run_sby("controller-mutant", "bmc", 8, data_bits=9)
    assert "DONE (FAIL" in out and "Assert failed" in out, out[-3000:]
    line = next(i for i, text in enumerate(open(__file__), 1)
                if "check(events[v] == (wakes[v]" in text)
    assert f"test_controller_formal.py:{line} " in out, out[-3000:]   # that property
