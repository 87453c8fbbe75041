"""Transaction-level reference model of the ATS-INTC controller.

It executes bus accesses (by byte offset) and interrupt events in order, and predicts
the value of every read and the sticky error bits. It is written from the register
map's descriptions (atsintc.regmap), not from the gateware.

Timing is abstracted: :meth:`settle` runs the wake engine to completion (the hardware
needs at most one cycle per wake). Testbenches compare against the model only after
giving the hardware those cycles.
"""

from atsintc.regmap import ERRORS, PRIO_SHIFT, TIMER_KEY_BITS, WINDOW_SIZE, Params, RegisterMap

__all__ = ["ATSIntcModel"]

ERR = {name: 1 << i for i, (name, _) in enumerate(ERRORS)}
PENDING_MAX = (1 << 16) - 1


class ATSIntcModel:
    def __init__(self, params=Params()):
        p = self.p = params
        self.map = RegisterMap(p)
        P, V, CH = p.processes, p.vectors, p.channels
        self.mask = (1 << p.xlen) - 1
        self.ready = [[] for _ in range(P)]          # (prio, seq, word)
        self.seq = 0
        self.blocked = [[] for _ in range(V)]
        self.pending = [0] * V
        self.owner = [0] * V
        self.level = [0] * V
        self.gate = [1] * V
        self.line = [0] * V
        self.handler = [None] * (P * CH)
        self.mailbox = [[] for _ in range(P * CH)]
        self.cap = [0] * P
        self.hart_procs = [(1 << P) - 1] * p.ports
        self.err = [0] * (P + 1)
        self.timeout = [4096] * P
        self.irq_en = [0] * P
        self.cur_prio = [0xFF] * P
        self.quota = [0xFFFF] * P
        self.usage = [0] * P      # ready + blocked on owned vectors + messages received
        self.pool = p.queue == "pool"
        # timers: the time input (set by the testbench), DEADLINE per process, the
        # deadline queue (deadline, seq, process, word, kind, link), each process's last
        # CANCEL. kind: "sleep", "block" (link: the vector), "handler" (link: channel)
        self.time = 0
        self.deadline = [0] * P
        self.timers = []
        self.cancelled = [0] * P

    # -- helpers ------------------------------------------------------------------
    def prio(self, word):
        return (word >> PRIO_SHIFT) & ((1 << self.p.prio_bits) - 1)

    def task_ok(self, word):
        return word != 0 and self.prio(word) < self.p.priorities

    def _push_ready(self, proc, word, new=True):
        """Append ``word`` to ``proc``'s ready queue; a ``new`` task (not one woken from a
        vector, which stays counted) counts against ``proc``'s USAGE."""
        self.ready[proc].append((self.prio(word), self.seq, word))
        self.seq += 1
        if new:
            self.usage[proc] += 1

    def ready_full(self, proc):
        """No room in the ready queue itself (systolic backend only)."""
        return not self.pool and len(self.ready[proc]) >= self.p.ready_depth

    def entry_ok(self, proc):
        """A new task may be taken for ``proc``: below its QUOTA, and (pool backend)
        the pool has a free entry."""
        return (self.usage[proc] < self.quota[proc] and
                (not self.pool or sum(self.usage) < self.p.pool))

    def ready_room(self, proc):
        """A new task may enter ``proc``'s ready queue."""
        return not self.ready_full(proc) and self.entry_ok(proc)

    def pop_ready(self, proc):
        if not self.ready[proc]:
            return 0
        best = min(self.ready[proc])
        self.ready[proc].remove(best)
        self.usage[proc] -= 1
        return best[2]

    def best_prio(self, proc):
        return min(self.ready[proc])[0] if self.ready[proc] else None

    def irq_out(self, proc):
        en = self.irq_en[proc]
        best = self.best_prio(proc)
        return int(bool((en & 1 and best is not None) or
                        (en & 2 and best is not None and best < self.cur_prio[proc])))

    def hart_irq(self, hart):
        return int(any(self.irq_out(q) for q in range(self.p.processes)
                       if self.hart_procs[hart] >> q & 1))

    # -- interrupts ------------------------------------------------------------------
    def event(self, v):
        if self.pending[v] == PENDING_MAX:
            self.err[0] |= ERR["PENDING_OVERFLOW"]
        else:
            self.pending[v] += 1

    def set_line(self, v, value):
        """The line is driven for at least one cycle: an edge counts in edge mode, a
        high level with the gate open counts in level mode."""
        rising = value and not self.line[v]
        self.line[v] = int(bool(value))
        if rising and not self.level[v]:
            self.event(v)
        self._level_events()

    def _level_events(self):
        changed = False
        for v in range(self.p.vectors):
            if self.level[v] and self.line[v] and self.gate[v]:
                self.gate[v] = 0
                self.event(v)
                changed = True
        return changed

    def _wake_sources(self, exclude):
        """Sources the wake engine may move now, lowest first: vectors (an event
        pending, a task blocked), then handler slots (a handler registered, a message
        waiting); each needs room in its owner's ready queue."""
        V, CH = self.p.vectors, self.p.channels
        for v in range(V):
            if (v != exclude and self.pending[v] and self.blocked[v]
                    and not self.ready_full(self.owner[v])):
                yield v
        for s in range(self.p.processes * CH):
            if (V + s != exclude and self.handler[s] is not None and self.mailbox[s]
                    and self.ready_room(s // CH)):
                yield V + s

    def settle(self):
        """Level-mode events and wakes, until nothing changes. Returns the number of
        tasks woken. Like the hardware, each step takes the lowest source that can
        move, other than the one moved in the step before (the hardware moves one
        task per cycle, one every other cycle from the same source)."""
        woken = self._expire_timers() + self._event_wakes()
        last = None
        while True:
            self._level_events()
            src = next(self._wake_sources(last), None)
            if src is None:
                if last is None:
                    return woken
                last = None
                continue
            last = src
            woken += 1
            if src < self.p.vectors:
                self._push_ready(self.owner[src], self.blocked[src].pop(0), new=False)
                self.pending[src] -= 1
            else:
                s = src - self.p.vectors
                self._push_ready(s // self.p.channels, self.handler[s])
                self.handler[s] = None

    # -- timers ------------------------------------------------------------------------
    def set_time(self, t):
        self.time = t & ((1 << 64) - 1)

    def _expire_timers(self):
        """Due sleeping tasks (deadline <= time) move to their process's ready queue,
        earliest deadline first (equal ones in SLEEP order); with the systolic backend
        only while the ready queue has room (the head waits, and those behind it).
        They stay counted (their entry was taken at the SLEEP)."""
        moved = 0
        self.timers.sort(key=lambda t: (t[0], t[1]))
        while self.timers and self.timers[0][0] <= self.time:
            _, _, proc, word, kind, _ = self.timers[0]
            if self.ready_full(proc):
                break
            self.timers.pop(0)
            if kind != "sleep":
                word |= 1                       # woken by the deadline
            self._push_ready(proc, word, new=False)
            moved += 1
        return moved

    def timed_waiter(self, kind, proc, link):
        return any(t[4] == kind and t[5] == link and (kind == "block" or t[2] == proc)
                   for t in self.timers)

    def _event_wakes(self):
        """Timed waiters whose event has come (a pending event on the vector and no
        BLOCK waiter there; a message in the channel), earliest deadline first, each
        into its process's ready queue with bit 0 cleared. One at a time, like the
        hardware; returns the number moved."""
        moved = 0
        while True:
            self.timers.sort(key=lambda t: (t[0], t[1]))
            for i, (_, _, proc, word, kind, link) in enumerate(self.timers):
                if self.ready_full(proc):
                    continue
                if kind == "block" and self.pending[link] and not self.blocked[link]:
                    self.pending[link] -= 1
                    break
                if kind == "handler" and self.mailbox[proc * self.p.channels + link]:
                    break
            else:
                return moved
            del self.timers[i]
            self._push_ready(proc, word & ~1, new=False)
            moved += 1

    # -- bus -------------------------------------------------------------------------
    def access(self, offset, write, value=0, sel=None):
        """One bus access at byte ``offset``. Returns the read value (0 for writes).
        ``sel``: the byte lanes of a write (default all); a write to a register that
        does not select every lane is refused with INVALID."""
        value &= self.mask
        full = sel is None or sel == (1 << (self.p.xlen // 8)) - 1
        d = self.map.decode(offset)
        win = offset // WINDOW_SIZE
        errwin = win if win <= self.p.processes else 0
        if d is None:
            self.err[errwin] |= ERR["UNMAPPED"]
            return 0
        wname, proc, reg, idx = d
        fn = getattr(self, f"_{wname.lower()}_{reg.name.lower()}")
        ok_dir = ("W" in reg.access) if write else ("R" in reg.access)
        if not ok_dir:
            self.err[errwin] |= ERR["UNMAPPED"]
            return 0
        if write and not full:
            self.err[errwin] |= ERR["INVALID"]
            return 0
        res = fn(proc, idx, write, value)
        if isinstance(res, str):
            self.err[errwin] |= ERR[res]
            return 0
        return (res or 0) & self.mask

    def read(self, offset):
        return self.access(offset, False)

    def write(self, offset, value, sel=None):
        self.access(offset, True, value, sel)

    # kernel window
    def _kernel_id(self, proc, idx, w, v):
        return 0x41545349

    def _kernel_config0(self, proc, idx, w, v):
        p = self.p
        return p.processes | p.priorities << 8 | p.vectors << 16 | p.channels << 24

    def _kernel_config1(self, proc, idx, w, v):
        p = self.p
        depths = 0 if self.pool else p.ready_depth | p.blocked_depth << 16
        return depths | p.ipc_depth << 24

    def _kernel_config2(self, proc, idx, w, v):
        return (self.p.pool if self.pool else 0) | self.p.ports << 24

    def _kernel_config3(self, proc, idx, w, v):
        t = self.p.timers
        return t | ((TIMER_KEY_BITS if t else 0) << 8)

    def _kernel_time(self, proc, idx, w, v):
        return self.time

    def _kernel_time_hi(self, proc, idx, w, v):
        return self.time >> 32

    def _kernel_timer_count(self, proc, idx, w, v):
        return len(self.timers)

    def _kernel_hart_procs(self, proc, idx, w, v):
        if w:
            self.hart_procs[idx] = v & ((1 << self.p.processes) - 1)
            return 0
        return self.hart_procs[idx]

    def _kernel_quota(self, proc, idx, w, v):
        if w:
            self.quota[idx] = v & 0xFFFF
            return 0
        return self.quota[idx]

    def _kernel_usage(self, proc, idx, w, v):
        return self.usage[idx]

    def _kernel_ready_summary(self, proc, idx, w, v):
        return sum(1 << i for i in range(self.p.processes) if self.ready[i])

    def _kernel_error(self, proc, idx, w, v):
        if w:
            self.err[0] &= ~v
            return 0
        return self.err[0]

    def _kernel_ready_info(self, proc, idx, w, v):
        n = len(self.ready[idx])
        return n | ((self.best_prio(idx) or 0) << 16) | (int(n > 0) << 31)

    def _kernel_vec_cfg(self, proc, idx, w, v):
        if w:
            if (v & 0xFF) >= self.p.processes:
                return "INVALID"
            new = v & 0xFF
            moved = len(self.blocked[idx])       # blocked tasks count against the owner
            self.usage[self.owner[idx]] -= moved
            self.usage[new] += moved
            self.owner[idx] = new
            self.level[idx] = (v >> 8) & 1
            return 0
        return self.owner[idx] | self.level[idx] << 8

    def _kernel_vec_status(self, proc, idx, w, v):
        return self.pending[idx] | len(self.blocked[idx]) << 16 | self.line[idx] << 31

    def _kernel_vec_raise(self, proc, idx, w, v):
        self.event(idx)

    def _kernel_cap(self, proc, idx, w, v):
        if w:
            self.cap[idx] = v & ((1 << self.p.processes) - 1)
            return 0
        return self.cap[idx]

    # process windows
    def _process_enqueue(self, proc, idx, w, v):
        if not self.task_ok(v):
            return "INVALID"
        if not self.ready_room(proc):
            return "READY_FULL"
        self._push_ready(proc, v)

    def _process_dequeue(self, proc, idx, w, v):
        return self.pop_ready(proc)

    def _process_dequeue_wait(self, proc, idx, w, v):
        # the model is asked only when the outcome does not depend on timing
        return self.pop_ready(proc)

    def _process_wait_timeout(self, proc, idx, w, v):
        if w:
            self.timeout[proc] = v & 0xFFFFFFFF
            return 0
        return self.timeout[proc]

    def _process_ready_count(self, proc, idx, w, v):
        return len(self.ready[proc])

    def _process_error(self, proc, idx, w, v):
        if w:
            self.err[proc + 1] &= ~v
            return 0
        return self.err[proc + 1]

    def _process_irq_enable(self, proc, idx, w, v):
        if w:
            self.irq_en[proc] = v & 3
            return 0
        return self.irq_en[proc]

    def _process_cur_prio(self, proc, idx, w, v):
        if w:
            self.cur_prio[proc] = v & 0xFF
            return 0
        return self.cur_prio[proc]

    def _process_block(self, proc, v_idx, w, word):
        if self.owner[v_idx] != proc:
            return "PERMISSION"
        if not self.task_ok(word):
            return "INVALID"
        if (self.pending[v_idx] and not self.blocked[v_idx] and
                not self.timed_waiter("block", proc, v_idx) and self.ready_room(proc)):
            # the event is taken at once only when nobody waits (oldest waiter first)
            self.pending[v_idx] -= 1
            self._push_ready(proc, word)
            self.gate[v_idx] = 1
            return 0
        if (not self.entry_ok(proc) or
                not self.pool and len(self.blocked[v_idx]) >= self.p.blocked_depth):
            return "BLOCKED_FULL"
        self.blocked[v_idx].append(word)
        self.usage[proc] += 1
        self.gate[v_idx] = 1

    def _process_handler(self, proc, c, w, word):
        ch = proc * self.p.channels + c
        if not self.task_ok(word):
            return "INVALID"
        if self.handler[ch] is not None or self.timed_waiter("handler", proc, c):
            return "HANDLER_BUSY"
        if self.mailbox[ch] and self.ready_room(proc):
            self._push_ready(proc, word)
            return 0
        self.handler[ch] = word             # waits for a message, or for room

    def _process_recv(self, proc, c, w, v):
        ch = proc * self.p.channels + c
        if not self.mailbox[ch]:
            return 0
        self.usage[proc] -= 1
        return self.mailbox[ch].pop(0)

    def _process_send(self, proc, slot, w, msg):
        q = slot // self.p.channels
        if not (self.cap[proc] >> q) & 1:
            return "PERMISSION"
        if msg == 0:
            return "INVALID"
        if len(self.mailbox[slot]) >= self.p.ipc_depth or not self.entry_ok(q):
            return "IPC_FULL"
        self.mailbox[slot].append(msg)
        self.usage[q] += 1                  # the message counts against the receiver
        h = self.handler[slot]
        if h is not None and self.ready_room(q):
            self.handler[slot] = None
            self._push_ready(q, h)

    def _process_deadline(self, proc, idx, w, v):
        if not self.p.timers:               # no deadline registers: reads 0
            return 0
        x = self.p.xlen
        if w:
            self.deadline[proc] = (self.deadline[proc] >> x << x) | v
            return 0
        return self.deadline[proc]

    def _process_deadline_hi(self, proc, idx, w, v):
        if not self.p.timers:
            return 0
        if w:
            self.deadline[proc] = (self.deadline[proc] & 0xFFFFFFFF) | (v & 0xFFFFFFFF) << 32
            return 0
        return self.deadline[proc] >> 32

    def _timed(self, proc, word, now, kind, link):
        """SLEEP / BLOCK_UNTIL / HANDLER_UNTIL once their own checks passed: ``now`` (a
        word, or None) -> ready at once; else a reached deadline -> ready at once
        (bit 0 set for a timed wait); else the deadline queue."""
        diff = (self.deadline[proc] - self.time) % (1 << 64)
        reached = diff == 0 or diff >= 1 << 63
        # too far: from the time, or from the earliest deadline held if it has passed
        lag = max([0] + [self.time - t[0] for t in self.timers])
        if not reached and diff + lag >= 1 << (TIMER_KEY_BITS - 1):
            return "INVALID"
        if now is not None:
            self._push_ready(proc, now)
            return 0
        if reached:
            if not self.ready_room(proc):
                return "READY_FULL"
            self._push_ready(proc, word if kind == "sleep" else word | 1)
            return 0
        if len(self.timers) >= self.p.timers or not self.entry_ok(proc):
            return "TIMER_FULL"
        self.timers.append((self.deadline[proc], self.seq, proc, word, kind, link))
        self.seq += 1
        self.usage[proc] += 1
        return 0

    def _process_sleep(self, proc, idx, w, word):
        if not self.p.timers:               # no deadline queue: every timed
            return "TIMER_FULL"            # operation is refused
        if not self.task_ok(word):
            return "INVALID"
        return self._timed(proc, word, None, "sleep", 0)

    def _process_block_until(self, proc, v, w, word):
        if not self.p.timers:               # no deadline queue: every timed
            return "TIMER_FULL"            # operation is refused
        if self.owner[v] != proc:
            return "PERMISSION"
        if not self.task_ok(word) or not word >> 1:
            return "INVALID"
        take = (self.pending[v] and not self.blocked[v] and
                not self.timed_waiter("block", proc, v) and self.ready_room(proc))
        n = len(self.timers)
        r = self._timed(proc, word, word & ~1 if take else None, "block", v)
        if r == 0 and take:
            self.pending[v] -= 1
        if r == 0 and (take or len(self.timers) > n):       # waiting or served: the
            self.gate[v] = 1                                # level-mode gate opens
        return r

    def _process_handler_until(self, proc, c, w, word):
        if not self.p.timers:               # no deadline queue: every timed
            return "TIMER_FULL"            # operation is refused
        ch = proc * self.p.channels + c
        if not self.task_ok(word) or not word >> 1:
            return "INVALID"
        if self.handler[ch] is not None or self.timed_waiter("handler", proc, c):
            return "HANDLER_BUSY"
        now = word & ~1 if self.mailbox[ch] and self.ready_room(proc) else None
        return self._timed(proc, word, now, "handler", c)

    def _process_cancel(self, proc, idx, w, word):
        if not self.task_ok(word):
            return "INVALID"
        self.timers.sort(key=lambda t: (t[0], t[1]))
        for i, (_, _, q, tw, _, _) in enumerate(self.timers):
            if q == proc and tw == word:
                del self.timers[i]
                self.usage[proc] -= 1
                self.cancelled[proc] = 1
                return 0
        self.cancelled[proc] = 0

    def _process_timer_status(self, proc, idx, w, v):
        return self.cancelled[proc]
