"""The ATS-INTC register map: the single source of truth.

Everything else is generated from the objects here: the controller's Wishbone address
decoder (``controller.py``), the C header (``atsintc generate header``), the CMSIS-SVD
file (``atsintc generate svd``) and ``docs/registers.md`` (``atsintc generate docs``).

Address space (byte offsets from the controller's base address)::

    0x0000 - 0x0FFF   kernel window (kernel only: vector ownership, capabilities, ...)
    0x1000 * (p + 1)  window of process slot p (p = 0 is the kernel's own process)

Each window is 4 KiB, so an MMU or PMP can give a process exactly its own window. A
register is one bus word wide (XLEN bits) and registers are 8 bytes apart whatever
XLEN is, so the map is the same for RV32 and RV64. The process issuing an access is
identified by the window it uses.

Task word (XLEN bits)::

    [XLEN-1 : 4]  pointer to the task control block (16-byte aligned)
    [PRIO_BITS:1] priority, 0 is the highest (3 bits for 8 levels)
    [0]           flag, software-defined, carried unchanged

A task word of 0 means "no task" (a dequeue of an empty queue returns 0). The priority
field is ``ceil(log2(priorities))`` bits (at least one) starting at bit 1, so the
pointer must be aligned to ``2 ** (1 + prio_bits)`` bytes: 16 bytes for 5..8 levels.
"""

from dataclasses import dataclass
from typing import Optional

__all__ = ["Field", "Register", "Window", "ERRORS", "Params", "RegisterMap",
           "task_word", "task_prio"]

WINDOW_SIZE = 0x1000
STRIDE = 8
PRIO_SHIFT = 1
TIMER_KEY_BITS = 32             # deadline bits the deadline queue compares

# Sticky error bits, shared by every window's ERROR register.
ERRORS = [
    ("READY_FULL", "an enqueue was refused: the ready queue was full (systolic backend), "
                   "or the process's QUOTA was reached or the task pool was empty"),
    ("BLOCKED_FULL", "a block was refused: the vector's blocked queue was full (systolic "
                     "backend), or the process's QUOTA was reached or the task pool was "
                     "empty"),
    ("IPC_FULL", "a send was refused: the receiver's channel already held IPC_DEPTH "
                 "messages, or the receiver's QUOTA was reached or the task pool was "
                 "empty"),
    ("PERMISSION", "refused: vector not owned by this process, or no capability to send "
                   "to the receiver"),
    ("INVALID", "refused: task word 0 (for BLOCK_UNTIL / HANDLER_UNTIL: 0 without bit "
                "0) or priority out of range, message word 0, an invalid process number, "
                "a deadline too far for the timers, or a write that does not select every "
                "byte lane (wb_sel)"),
    ("UNMAPPED", "access to an address with no register (write ignored, read returns 0)"),
    ("PENDING_OVERFLOW", "an interrupt arrived while the vector's pending counter was "
                         "saturated (kernel window only; always 0 in process windows)"),
    ("HANDLER_BUSY", "a handler was registered on a channel that already has one waiting"),
    ("TIMER_FULL", "a SLEEP was refused: the deadline queue was full (or the controller "
                   "has none: TIMERS = 0), or the process's QUOTA was reached or the task "
                   "pool was empty"),
]


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int
    width: int
    description: str = ""


@dataclass(frozen=True)
class Register:
    name: str
    offset: int                 # byte offset within the window of the first element
    access: str                 # "R", "W", "RW", "RW1C"
    description: str
    count: Optional[str] = None  # name of the parameter giving the array length
    fields: tuple = ()
    reset: object = 0           # an int, or a function of the Params

    def reset_value(self, params):
        return self.reset(params) if callable(self.reset) else self.reset

    def length(self, params):
        return 1 if self.count is None else getattr(params, self.count)

    def is_array(self):
        return self.count is not None

    def struct(self):
        """The fields as an ``amaranth.lib.data.StructLayout`` of just their bits (the
        fields must be contiguous from bit 0): for registers stored narrower than a
        bus word."""
        from amaranth.lib import data
        fields = sorted(self.fields, key=lambda f: f.lsb)
        if [f.lsb for f in fields] != [sum(g.width for g in fields[:i])
                                       for i in range(len(fields))]:
            raise ValueError(f"{self.name}: fields are not contiguous from bit 0")
        return data.StructLayout({f.name: f.width for f in fields})

    def layout(self):
        """The register's fields as an ``amaranth.lib.data`` layout of 32 bits (each
        field at its bit position; other bits read 0)."""
        from amaranth.lib import data
        return data.FlexibleLayout(32, {f.name: data.Field(f.width, f.lsb)
                                        for f in self.fields})


@dataclass(frozen=True)
class Window:
    name: str
    description: str
    registers: tuple


def _error_fields():
    return tuple(Field(n, i, 1, d) for i, (n, d) in enumerate(ERRORS))


KERNEL = Window("KERNEL", "Kernel-only control window at offset 0x0000.", (
    Register("ID", 0x000, "R", "Identification: 0x41545349, 'ATSI' read as a number "
             "(the bytes in little-endian memory are 'ISTA').", reset=0x41545349),
    Register("CONFIG0", 0x008, "R", "Build parameters (constant).", fields=(
        Field("PROCESSES", 0, 8, "process slots"),
        Field("PRIORITIES", 8, 8, "priority levels"),
        Field("VECTORS", 16, 8, "interrupt vectors"),
        Field("CHANNELS", 24, 8, "IPC channels per process")),
        reset=lambda p: p.processes | p.priorities << 8 | p.vectors << 16 | p.channels << 24),
    Register("CONFIG1", 0x010, "R", "Build parameters: queue depths (constant).", fields=(
        Field("READY_DEPTH", 0, 16, "ready-queue depth per process (systolic backend; 0 "
              "with the task pool)"),
        Field("BLOCKED_DEPTH", 16, 8, "blocked-queue depth per vector (systolic backend; "
              "0 with the task pool)"),
        Field("IPC_DEPTH", 24, 8, "pending messages per channel (at most; with the "
              "task pool they also take pool entries and count against the receiver's "
              "QUOTA)")),
        reset=lambda p: (0 if p.queue == "pool" else p.ready_depth | p.blocked_depth << 16)
        | p.ipc_depth << 24),
    Register("CONFIG2", 0x028, "R", "Build parameters: the task pool (constant).", fields=(
        Field("POOL", 0, 24, "entries of the task pool shared by every ready queue, "
              "blocked queue and mailbox; 0 with the systolic backend (fixed depths, "
              "CONFIG1)"),
        Field("PORTS", 24, 8, "bus ports (one per hart)")),
        reset=lambda p: (p.pool if p.queue == "pool" else 0) | p.ports << 24),
    Register("TIME", 0x030, "R", "The time input (the SoC's mtime), bits XLEN-1..0. "
             "On RV32 read TIME_HI, TIME, TIME_HI again and retry if TIME_HI changed."),
    Register("TIME_HI", 0x038, "R", "The time input, bits 63..32."),
    Register("CONFIG3", 0x040, "R", "Build parameters: the timers (constant).", fields=(
        Field("TIMERS", 0, 8, "entries of the deadline queue (0: no timers)"),
        Field("KEY_BITS", 8, 8, "deadline bits the queue compares: a SLEEP deadline must "
              "be less than 2**(KEY_BITS-1) cycles after the time")),
        reset=lambda p: p.timers | (TIMER_KEY_BITS if p.timers else 0) << 8),
    Register("TIMER_COUNT", 0x048, "R", "Entries in the deadline queue now (all "
             "processes)."),
    Register("READY_SUMMARY", 0x018, "R",
             "Bit p is set when process slot p has at least one ready task."),
    Register("ERROR", 0x020, "RW1C", "Sticky error bits of the kernel window; write 1 to "
             "clear.", fields=_error_fields()),
    Register("READY_INFO", 0x100, "R",
             "Kernel view of process p's ready queue.", count="processes", fields=(
                 Field("COUNT", 0, 16, "number of ready tasks"),
                 Field("BEST_PRIO", 16, 8, "priority of the best ready task"),
                 Field("NONEMPTY", 31, 1, "1 if COUNT > 0 (BEST_PRIO valid)"))),
    Register("VEC_CFG", 0x200, "RW", "Configuration of interrupt vector v.",
             count="vectors", fields=(
                 Field("OWNER", 0, 8, "process slot that may block on this vector and "
                       "receives its wakes"),
                 Field("LEVEL", 8, 1, "0: a rising edge of the line is an event; 1: "
                       "level mode: the line high while the vector's gate is open is an "
                       "event; the gate closes at each such event and opens at each "
                       "accepted BLOCK on the vector (open after reset)"))),
    Register("VEC_STATUS", 0x400, "R", "State of interrupt vector v.", count="vectors",
             fields=(
                 Field("PENDING", 0, 16, "events counted and not yet given to a task "
                       "(saturates at 65535: PENDING_OVERFLOW)"),
                 Field("BLOCKED", 16, 15, "tasks blocked on this vector"),
                 Field("LINE", 31, 1, "current level of the interrupt input"))),
    Register("VEC_RAISE", 0x600, "W",
             "Test/software trigger: any write counts one event on vector v (in "
             "either mode), in addition to any event of its input in the same cycle.",
             count="vectors"),
    Register("CAP", 0x800, "RW",
             "Send capabilities of process p: bit q set = p may send to process q "
             "(none at reset; the kernel grants them, its own included).",
             count="processes"),
    Register("QUOTA", 0x900, "RW",
             "Entries process p may hold: its ready tasks, the tasks blocked on the "
             "vectors it owns (a task woken from a vector stays counted, now as ready; a "
             "VEC_CFG that gives a vector to another process moves its blocked tasks' "
             "count with it), the messages waiting in its channels (counted from the "
             "SEND that delivers them to the RECV that takes them) and its sleeping tasks "
             "(from the SLEEP to the DEQUEUE that takes them, or the CANCEL). A handler "
             "waiting in its slot is not counted. An ENQUEUE or BLOCK beyond it is refused "
             "(READY_FULL/BLOCKED_FULL), a SEND too (IPC_FULL), a SLEEP too "
             "(TIMER_FULL); a handler that would become ready beyond it waits in its "
             "slot, as for a full ready queue (a SEND "
             "to a waiting handler needs an entry for the message and one for the "
             "handler, else the message is taken and the handler waits). A channel holds "
             "at most IPC_DEPTH messages, so senders can take at most IPC_DEPTH entries "
             "per channel of the receiver's quota. Lowering QUOTA below USAGE removes "
             "nothing.",
             count="processes", fields=(Field("QUOTA", 0, 16, "limit (65535 at reset: no "
                                                            "limit but the pool)"),),
             reset=0xFFFF),
    Register("USAGE", 0x980, "R", "Entries process p holds now (see QUOTA).",
             count="processes"),
    Register("HART_PROCS", 0xA00, "RW",
             "Processes hart h runs (the hart on bus port h): bit p set = hart_irq[h] "
             "follows irq_out[p]. hart_irq[h] is high while irq_out[p] is high for some "
             "p in HART_PROCS[h] (registered with irq_out, the same cycle). Reset: every "
             "process, so with one port hart_irq[0] is the OR of irq_out.",
             count="ports", reset=lambda p: (1 << p.processes) - 1),
))

PROCESS = Window("PROCESS", "Window of process slot p at offset 0x1000 * (p + 1).", (
    Register("ENQUEUE", 0x000, "W", "Push a task word into this process's ready queue "
             "at the priority in the word."),
    Register("DEQUEUE", 0x008, "R", "Pop the best ready task (highest priority, FIFO "
             "among equals); 0 if none. Atomic with respect to other bus masters. The "
             "task is removed at the edge that completes the read (ack with cyc & stb): "
             "a read withdrawn before that removes nothing."),
    Register("DEQUEUE_WAIT", 0x010, "R",
             "Blocking dequeue: the read completes when a task is ready (returning it), "
             "or after WAIT_TIMEOUT cycles (returning 0). Holds the bus meanwhile. "
             "Withdrawing the read (cyc or stb low) ends the wait and removes nothing."),
    Register("WAIT_TIMEOUT", 0x018, "RW", "Maximum cycles DEQUEUE_WAIT waits (0: does "
             "not wait).", reset=4096),
    Register("READY_COUNT", 0x020, "R", "Number of tasks in this process's ready queue."),
    Register("ERROR", 0x028, "RW1C", "Sticky error bits of this window; write 1 to clear.",
             fields=_error_fields()),
    Register("IRQ_ENABLE", 0x030, "RW", "CPU notification (irq_out[p]) enables.", fields=(
        Field("NONEMPTY", 0, 1, "assert irq_out[p] while the ready queue is not empty"),
        Field("PREEMPT", 1, 1, "assert irq_out[p] while the best ready task has a better "
              "priority than CUR_PRIO"))),
    Register("CUR_PRIO", 0x038, "RW", "Priority of the task running now (for the "
             "preemption hint).", reset=0xFF),
    Register("DEADLINE", 0x040, "RW", "Deadline for SLEEP, bits XLEN-1..0 (on RV64 the "
             "whole 64-bit deadline, in the time input's units). Without timers "
             "(CONFIG3.TIMERS = 0) it reads 0 and ignores writes, and every SLEEP, "
             "BLOCK_UNTIL and HANDLER_UNTIL is refused with TIMER_FULL."),
    Register("DEADLINE_HI", 0x048, "RW", "Deadline for SLEEP, bits 63..32 (RV32; on RV64 "
             "the upper half of DEADLINE). Reads 0 without timers."),
    Register("SLEEP", 0x050, "W",
             "Put a task to sleep until DEADLINE: it waits in the deadline queue and, "
             "once the time has reached its deadline, moves into this process's ready "
             "queue at its own priority (tasks leave the deadline queue in deadline "
             "order, equal deadlines in SLEEP order). It is at the head of an empty "
             "ready queue 2 cycles after the first cycle in which the time is at or past "
             "the deadline, unless the move waits (one cycle each) for a bus write being "
             "decided, a SLEEP or CANCEL being applied or a wake-engine move in that "
             "cycle, or (systolic backend) for room in the ready queue. A deadline "
             "already reached when the SLEEP is decided makes the task ready at once, as "
             "ENQUEUE would (READY_FULL if it may not). A deadline 2**(KEY_BITS-1) or "
             "more cycles after the time (or after the earliest deadline held, if that "
             "has passed and its task still waits for room) is refused with INVALID. "
             "A sleeping task counts against the process's QUOTA (and holds a pool "
             "entry) from the SLEEP until "
             "it is dequeued or cancelled; refused with TIMER_FULL when the deadline "
             "queue is full or the process may not take a new task."),
    Register("CANCEL", 0x058, "W",
             "Remove a sleeping task of this process: the deadline queue's entry with "
             "exactly this task word (the earliest deadline if several) leaves it and "
             "will not become ready; TIMER_STATUS.CANCELLED says whether one was found. "
             "A task whose deadline has passed and which has moved to the ready queue "
             "is not found there."),
    Register("TIMER_STATUS", 0x060, "R", "Timers of this process.", fields=(
        Field("CANCELLED", 0, 1, "1 if this process's last CANCEL found and removed "
              "its task, 0 if not (or no CANCEL yet)"),)),
    Register("BLOCK", 0x100, "W", "Block a task on interrupt vector v (v must be owned "
             "by this process). Tasks blocked on v are woken oldest first, one per event. "
             "If an event is pending on v, no task is blocked on v and the process may "
             "take a new ready task, the task becomes ready at once; otherwise it joins "
             "v's blocked queue (BLOCKED_FULL at QUOTA, with the pool used up, or when "
             "the systolic backend's blocked queue is full).", count="vectors"),
    Register("HANDLER", 0x400, "W", "Register a handler task on IPC channel c; it becomes "
             "ready when a message is waiting on c (at once if one is and the process may "
             "take a new ready task: room, QUOTA, pool; otherwise as soon as it may).",
             count="channels"),
    Register("RECV", 0x480, "R", "Pop the oldest message of channel c; 0 if none. "
             "Removed only when the read completes, like DEQUEUE; its entry is freed "
             "(USAGE - 1).", count="channels"),
    Register("SEND", 0x500, "W", "Send a message word (not 0) to process q, channel c: "
             "element index q * CHANNELS + c. Needs CAP[this process] bit q. Refused "
             "(IPC_FULL) when the channel holds IPC_DEPTH messages or q is at its QUOTA "
             "or the pool is used up. A handler waiting on the channel is made ready "
             "(when q may take a new ready task after the message: room, QUOTA, pool; "
             "otherwise as soon as it may).",
             count="sendslots"),
    Register("BLOCK_UNTIL", 0xD00, "W",
             "Block a task on interrupt vector v (owned by this process, else "
             "PERMISSION) until an event or DEADLINE, whichever comes first (a wait with "
             "a timeout). The controller sets bit 0 of the task word it makes ready to "
             "the cause: 0 = the event, 1 = the deadline. If an event is pending on v and "
             "no task waits on v, the task becomes ready at once with the event (bit 0 = "
             "0), if the process may take it; otherwise, if the deadline has been "
             "reached, at once with bit 0 = 1 (READY_FULL if it may not); otherwise it "
             "waits in the deadline queue, counted against the process's QUOTA like a "
             "sleeping task (TIMER_FULL as for SLEEP; INVALID for a deadline too far, as "
             "for SLEEP). An event on v goes to the oldest task in v's blocked queue "
             "(BLOCK) first; only when none waits there does it wake the BLOCK_UNTIL "
             "waiter with the earliest deadline (FIFO among equal ones), which leaves the "
             "deadline queue and enters the ready queue of the process that blocked it "
             "within a few cycles (see docs/architecture.md, Timers). The first of the two "
             "wakes it; an event after its timeout stays pending for the next waiter, "
             "never a second wake. CANCEL removes it like a sleeping task. INVALID also "
             "for a word that is 0 without bit 0. Its waiters "
             "are not in VEC_STATUS.BLOCKED; TIMER_COUNT counts them.",
             count="vectors"),
    Register("HANDLER_UNTIL", 0xF00, "W",
             "Register a handler task on IPC channel c until a message arrives or "
             "DEADLINE, whichever comes first; bit 0 of the task word made ready is the "
             "cause (0 = a message, 1 = the deadline). HANDLER_BUSY if the channel has a "
             "handler (HANDLER or HANDLER_UNTIL). A message already waiting makes it "
             "ready at once (bit 0 = 0) if the process may take it; a deadline reached "
             "makes it ready at once with bit 0 = 1 (READY_FULL if it may not); otherwise "
             "it waits in the deadline queue, counted against the QUOTA (unlike a HANDLER "
             "waiting in its slot), TIMER_FULL / INVALID as for SLEEP. A message sent to "
             "the channel makes it ready within a few cycles; the message stays in the "
             "channel for RECV. CANCEL removes it like a sleeping task. INVALID also for "
             "a word that is 0 without bit 0.",
             count="channels"),
))

WINDOWS = (KERNEL, PROCESS)


@dataclass(frozen=True)
class Params:
    """Controller parameters, validated at construction."""
    processes: int = 4
    priorities: int = 8
    ready_depth: int = 64
    vectors: int = 16
    blocked_depth: int = 16
    channels: int = 4
    ipc_depth: int = 4
    xlen: int = 32
    queue: str = "pool"
    pool: int = 1024
    ports: int = 1
    timers: int = 32

    LIMITS = {
        "processes": (1, 16), "priorities": (1, 8), "ready_depth": (1, 1024),
        "vectors": (1, 64), "blocked_depth": (1, 255), "channels": (1, 16),
        "ipc_depth": (1, 255), "pool": (2, 16384), "ports": (1, 8),
        "timers": (0, 64),
    }
    QUEUES = ("pool", "systolic")

    def __post_init__(self):
        for name, (lo, hi) in self.LIMITS.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an integer, not {v!r}")
            if not lo <= v <= hi:
                raise ValueError(f"{name} must be between {lo} and {hi}, not {v}")
        if self.queue not in self.QUEUES:
            raise ValueError(f"queue must be one of {', '.join(self.QUEUES)}, "
                             f"not {self.queue!r}")
        if self.xlen not in (32, 64):
            raise ValueError(f"xlen (data width) must be 32 or 64, not {self.xlen!r}")

    @property
    def sendslots(self):
        return self.processes * self.channels

    @property
    def prio_bits(self):
        return max(1, (self.priorities - 1).bit_length())

    @property
    def windows(self):
        return self.processes + 1

    @property
    def size(self):
        """Bytes of address space the controller decodes."""
        return WINDOW_SIZE * self.windows


def task_word(pointer, prio, flag=0, params=Params()):
    """Compose a task word (for tests and firmware tools)."""
    if pointer & ((1 << (PRIO_SHIFT + params.prio_bits)) - 1):
        raise ValueError(f"task pointer {pointer:#x} is not aligned to "
                         f"{1 << (PRIO_SHIFT + params.prio_bits)} bytes")
    if not 0 <= prio < params.priorities:
        raise ValueError(f"priority must be in 0..{params.priorities - 1}, not {prio}")
    return pointer | (prio << PRIO_SHIFT) | (flag & 1)


def task_prio(word, params=Params()):
    return (word >> PRIO_SHIFT) & ((1 << params.prio_bits) - 1)


class RegisterMap:
    """The concrete map for a set of parameters: every register with its address."""

    def __init__(self, params=Params()):
        self.params = params
        self.windows = WINDOWS
        for w in WINDOWS:
            self._check(w)

    def _check(self, window):
        spans = []
        for r in window.registers:
            n = r.length(self.params)
            lo, hi = r.offset, r.offset + n * STRIDE
            if hi > WINDOW_SIZE:
                raise ValueError(f"{window.name}.{r.name} ends at {hi:#x}, past the window")
            for (a, b, other) in spans:
                if lo < b and a < hi:
                    raise ValueError(f"{window.name}.{r.name} overlaps {other}")
            spans.append((lo, hi, r.name))

    def registers(self, window):
        return window.registers

    def lookup(self, window_name, name):
        for w in self.windows:
            if w.name == window_name:
                for r in w.registers:
                    if r.name == name:
                        return r
        raise KeyError(f"{window_name}.{name}")

    def address(self, window_name, name, index=0, process=0):
        """Byte offset of a register (element ``index``) from the controller base."""
        r = self.lookup(window_name, name)
        if not 0 <= index < r.length(self.params):
            raise IndexError(f"{window_name}.{name}[{index}] out of range")
        if window_name != "KERNEL" and not 0 <= process < self.params.processes:
            raise IndexError(f"process {process} out of range 0..{self.params.processes - 1}")
        base = 0 if window_name == "KERNEL" else WINDOW_SIZE * (process + 1)
        return base + r.offset + index * STRIDE

    def decode(self, byte_offset):
        """(window name, process or None, register, index) for an offset, or None."""
        win = byte_offset // WINDOW_SIZE
        off = byte_offset % WINDOW_SIZE
        if win >= self.params.windows or off % STRIDE:
            return None
        window = KERNEL if win == 0 else PROCESS
        for r in window.registers:
            n = r.length(self.params)
            if r.offset <= off < r.offset + n * STRIDE:
                return (window.name, None if win == 0 else win - 1, r,
                        (off - r.offset) // STRIDE)
        return None
