"""A programmable interrupt source: models devices for interrupt-latency benchmarks.

Each *vector* drives one interrupt line. A vector produces *events* one-shot,
periodically or at random times. Like a device with a receive ring (a NIC), it never
drops an event that arrives while software is still busy with an earlier one: each
event is time-stamped with the SoC's free-running cycle counter and queued in the
vector's event FIFO of ``fifo_depth`` entries. The line is high while an event is held
and signals the oldest one; software reads its stamp (to measure the latency from the
event to its handler) and acknowledges it, which removes it; the line then goes low for
at least one cycle and rises again if more events are held, so that every event makes
exactly one rising edge (for edge-counting consumers such as the ATS-INTC's edge mode;
the PLIC's level gateway sees the line high again after its complete). Only an event
that falls due while the FIFO is full is lost: it is counted in MISSED.

Ports
=====

``bus``
    Wishbone B4 classic slave (:class:`atsintc.gateware.wishbone.Signature`), 32-bit data, byte
    granularity, ``adr`` is a word address (byte offset / 4), ``addr_width`` = 9 (a 2 KiB
    window).
``irq`` (Out(vectors))
    The lines, active high, registered. Bit v is vector v.
``cycle`` (In(64))
    Free-running cycle counter of the SoC, used for the time stamps.

Registers (byte offsets)
========================

Per vector v (0 <= v < vectors), a block at ``0x20*v``:

======  =========  ===  =================================================================
offset  name       acc  contents
======  =========  ===  =================================================================
0x00    MODE       RW   0 off, 1 one-shot, 2 periodic, 3 random (2 bits). A write re-arms
                        the vector; a write that sets mode 0 also flushes its FIFO.
0x04    PERIOD     RW   N (modes 1, 2: cycles; 0 acts as 1) or mean M (mode 3). A write
                        re-arms the vector.
0x08    ACK        W    any write removes the oldest held event (none held: no effect);
                        read: the line (bit 0)
0x0C    STAMP_LO   R    time stamp of the oldest held event (the one the line signals),
                        low word; 0 while no event is held
0x10    STAMP_HI   R    ... and high word
0x14    COUNT      RW   events accepted into the FIFO so far (read); any write clears it
0x18    MISSED     RW   events dropped because the FIFO was full; any write clears it
0x1C    QUEUED     R    events held, 0..fifo_depth (the one on the line included)
======  =========  ===  =================================================================

Global:

======  =========  ===  =================================================================
0x400   ENABLE     RW   bit v: vector v runs (0 pauses its timer / random draws; the line
                        and the FIFO are not touched). Reset 0.
0x404   LINES      R    the ``irq`` lines
0x408   START      W    any write re-arms all vectors at once (synchronised start)
0x40C   CONFIG     R    bits 7:0 number of vectors, bits 24:16 ``fifo_depth`` (1..256),
                        other bits 0
======  =========  ===  =================================================================

Other offsets read 0 and ignore writes. MODE, PERIOD and ENABLE writes honour ``sel``;
the other writes act whatever their data and ``sel``. Everything resets to 0 (the FIFOs
empty; their storage is not reset, but only held events' stamps can be read).

*Re-arming* a vector (START, or a MODE or PERIOD write to it) reloads its countdown
with N, arms a one-shot again and reseeds its random generator. Re-arming does not
touch the line, the held events, COUNT or MISSED, except that a MODE write whose new
value is 0 (off) also *flushes* the vector: it drops every held event (QUEUED = 0,
the line low from the ack cycle on, not counted in MISSED). COUNT - QUEUED events have
been acknowledged or flushed.

Modes and timing (cycles)
=========================

An event *falls due* in a cycle t. At the end of t it is accepted if the FIFO has room
(QUEUED < ``fifo_depth``, or an ACK removes an event in t): QUEUED and COUNT count it.
Otherwise it is dropped and MISSED counts it. The event's time stamp is the value of
``cycle`` in cycle t + 1 (for an event arriving at an empty FIFO: the first cycle its
line is high); STAMP shows it whenever the event is the oldest held one, from t + 1 on.
The line in cycle t + 1 is high iff an event is held then (QUEUED > 0) and no ACK
removed an event in t. A vector only runs while its ENABLE bit is set.

* Bus: every access is executed in its request cycle and acknowledged in the next (2
  cycles, read data with the ack; the registers are a :class:`atsintc.gateware.csr.Bank`).
* One-shot (1) and periodic (2): re-armed in request cycle t, the vector falls due in
  cycle t + N, so the line is high from t + N + 1 (N cycles after the bus ack) if the
  FIFO was empty. A periodic vector then falls due every N cycles (t + kN), whether or
  not it was acknowledged; a one-shot falls due once per arming.
* Random (3): each running cycle the vector falls due with probability T / 2^32 where
  T = floor(2^32 / M), using a per-vector xorshift32 generator (Marsaglia 2003: a 32-bit
  linear-feedback generator, x ^= x << 13; x ^= x >> 17; x ^= x << 5, period 2^32 - 1)
  seeded with ``(v + 1) * 0x9E3779B9 mod 2^32``: it falls due if the state is below T,
  and then advances. Inter-arrival times are geometric (the discrete exponential
  distribution, i.e. Poisson arrivals) with mean M cycles, minimum 1. M <= 1: due every
  running cycle. T is computed by a shared sequential divider (33 steps) after each
  PERIOD write, and the vector stays quiet meanwhile: after a PERIOD write in request
  cycle t it can fall due from cycle t + 35 on (its line rises at t + 36 at the
  earliest), 34 cycles later for each other vector whose T is being or waiting to be
  computed (lowest vector first).
* ACK written in request cycle t while events are held: the oldest is removed at the
  end of t and the line is low in t + 1 (the ack cycle). If an event is held after it
  (one held before, or one that falls due in t or t + 1), the line is high again from
  t + 2 (STAMP shows the new oldest event's stamp from t + 1 on, or from t + 2 for
  one that falls due in t + 1). So every event raises the line once, after at least
  one low cycle: an event falling due one cycle before, in the same cycle as or one
  cycle after an ACK gives the same line (low in t + 1, high from t + 2). An ACK
  while no event is held changes nothing (an event falling due in t then raises the
  line from t + 1).
* A flush (MODE write of 0) in request cycle t: QUEUED = 0 and the line low from t + 1.
"""

from amaranth.hdl import *
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from atsintc.gateware import csr, wishbone

__all__ = ["InterruptSource", "seed"]

MODE, PERIOD, ACK, STAMP_LO, STAMP_HI, COUNT, MISSED, QUEUED = range(8)   # word in a block
BLOCK = 0x20
ENABLE, LINES, START, CONFIG = 0x400, 0x404, 0x408, 0x40C
CONFIG_DEPTH_SHIFT = 16             # CONFIG bits 24:16: fifo_depth; bits 7:0: vectors
MAX_FIFO_DEPTH = 256
MODE_OFF, MODE_ONESHOT, MODE_PERIODIC, MODE_RANDOM = range(4)


def seed(v):
    """Initial state of vector v's random generator (never 0)."""
    return ((v + 1) * 0x9E3779B9) & 0xFFFFFFFF


def _xorshift32(m, x, name):
    a = Signal(32, name=f"{name}_a")
    b = Signal(32, name=f"{name}_b")
    c = Signal(32, name=f"{name}_c")
    m.d.comb += [a.eq(x ^ (x << 13)[:32]), b.eq(a ^ (a >> 17)), c.eq(b ^ (b << 5)[:32])]
    return c


class InterruptSource(wiring.Component):
    """Programmable interrupt source (see the module documentation).

    Parameters
    ----------
    vectors : int
        Number of vectors (lines), 1..32.
    fifo_depth : int
        Events each vector's FIFO holds, 1..256 (default 16).
    """

    addr_width = 9
    counter_width = 32

    def __init__(self, *, vectors=4, fifo_depth=16):
        if isinstance(vectors, bool) or not isinstance(vectors, int):
            raise TypeError(f"vectors must be an integer, not {vectors!r}")
        if not 1 <= vectors <= 32:
            raise ValueError(f"vectors must be between 1 and 32, not {vectors}")
        if isinstance(fifo_depth, bool) or not isinstance(fifo_depth, int):
            raise TypeError(f"fifo_depth must be an integer, not {fifo_depth!r}")
        if not 1 <= fifo_depth <= MAX_FIFO_DEPTH:
            raise ValueError(f"fifo_depth must be between 1 and {MAX_FIFO_DEPTH} (events "
                             f"held per vector), not {fifo_depth}")
        self.vectors = vectors
        self.fifo_depth = fifo_depth
        super().__init__({
            "bus": In(wishbone.Signature(addr_width=self.addr_width, data_width=32,
                                         granularity=8)),
            "irq": Out(vectors),
            "cycle": In(64),
        })

    def elaborate(self, platform):
        m = Module()
        V, CW, D = self.vectors, self.counter_width, self.fifo_depth
        bus = self.bus

        # ---- state ------------------------------------------------------------------------
        mode = [Signal(2, name=f"mode{v}") for v in range(V)]
        period = [Signal(CW, name=f"period{v}") for v in range(V)]
        left = [Signal(CW, name=f"left{v}") for v in range(V)]
        armed = Signal(V)
        count = [Signal(32, name=f"count{v}") for v in range(V)]
        missed = [Signal(32, name=f"missed{v}") for v in range(V)]
        # event FIFO: the stamps in a memory (written one cycle after the event fell
        # due, when `cycle` is the stamp), held events, oldest entry, next free entry
        held = [Signal(range(D + 1), name=f"held{v}") for v in range(V)]
        head = [Signal(range(D), name=f"head{v}") for v in range(V)]
        tail = [Signal(range(D), name=f"tail{v}") for v in range(V)]
        push = Signal(V)                    # an event was accepted at the last clock edge
        stamp = [Signal(64, name=f"stamp{v}") for v in range(V)]
        for v in range(V):
            m.submodules[f"fifo{v}"] = mem = Memory(shape=64, depth=D, init=[])
            wp, rp = mem.write_port(), mem.read_port(domain="comb")
            m.d.comb += [wp.addr.eq(tail[v]), wp.data.eq(self.cycle), wp.en.eq(push[v]),
                         rp.addr.eq(head[v])]
            # STAMP: 0 with nothing held; the stamp being written if the oldest event
            # is the one that was just accepted; else the storage
            with m.If(held[v] == 0):
                m.d.comb += stamp[v].eq(0)
            with m.Elif(push[v] & (held[v] == 1)):
                m.d.comb += stamp[v].eq(self.cycle)
            with m.Else():
                m.d.comb += stamp[v].eq(rp.data)

        def succ(p):                        # the next FIFO index
            if D & (D - 1) == 0:
                return (p + 1)[:len(p)]
            return Mux(p == D - 1, 0, p + 1)
        rng = [Signal(32, name=f"rng{v}", init=seed(v)) for v in range(V)]
        thr = [Signal(32, name=f"rand_thr{v}") for v in range(V)]
        dirty = Signal(V)                   # thr[v] is out of date
        enable = Signal(V)

        # ---- registers (csr.Bank: request cycle, ack in the next) ---------------------------
        bank = csr.Bank(bus)
        e_enable = bank.add(ENABLE // 4, V, "rw", name="enable")
        e_lines = bank.add(LINES // 4, V, "r", name="lines")
        e_start = bank.add(START // 4, 1, "w", name="start")
        e_config = bank.add(CONFIG // 4, 32, "r", name="config")
        m.d.comb += [e_lines.r_data.eq(self.irq), e_config.r_data.eq(V | D << CONFIG_DEPTH_SHIFT),
                     e_enable.r_data.eq(enable)]
        with m.If(e_enable.w_stb):
            m.d.sync += enable.eq(e_enable.w_data)
        start = e_start.w_stb
        # per vector: strobes w_<name>[v], written values wd_<name>[v]
        w_mode, w_period, w_ack, w_count, w_missed = (Signal(V, name=f"w_{n}") for n in
                                                      ("mode", "period", "ack", "count",
                                                       "missed"))
        wd_mode, wd_period = [], []
        for v in range(V):
            def reg(offset, width, access, name, r_data):
                e = bank.add(v * 8 + offset, width, access, name=f"{name}{v}")
                m.d.comb += e.r_data.eq(r_data)
                return e
            regs = {"mode": reg(MODE, 2, "rw", "mode", mode[v]),
                    "period": reg(PERIOD, CW, "rw", "period", period[v]),
                    "ack": reg(ACK, 1, "rw", "ack", self.irq[v]),
                    "count": reg(COUNT, 32, "rw", "count", count[v]),
                    "missed": reg(MISSED, 32, "rw", "missed", missed[v])}
            reg(STAMP_LO, 32, "r", "stamp_lo", stamp[v][:32])
            reg(STAMP_HI, 32, "r", "stamp_hi", stamp[v][32:])
            reg(QUEUED, len(held[v]), "r", "queued", held[v])
            for n, strobes in (("mode", w_mode), ("period", w_period), ("ack", w_ack),
                               ("count", w_count), ("missed", w_missed)):
                m.d.comb += strobes[v].eq(regs[n].w_stb)
            wd_mode.append(regs["mode"].w_data)
            wd_period.append(regs["period"].w_data)
        bank.elaborate(m)

        # ---- shared divider: thr[v] = 2**32 // period[v] after PERIOD writes ------------------
        div_busy = Signal()
        div_v = Signal(range(max(2, V)))
        div_m = Signal(32)
        div_rem = Signal(32)
        div_q = Signal(32)
        div_cnt = Signal(range(34))
        div_done = Signal()
        with m.If(~div_busy):
            pick = Signal(range(max(2, V)))
            for v in reversed(range(V)):
                with m.If(dirty[v]):
                    m.d.comb += pick.eq(v)
            with m.If(dirty.any()):
                m.d.sync += [div_busy.eq(1), div_v.eq(pick), div_m.eq(Array(period)[pick]),
                             div_rem.eq(0), div_q.eq(0), div_cnt.eq(33)]
        with m.Else():
            # restoring division of 2**32 (33 bits, only the top one set) by div_m
            trial = Signal(33)
            ge = Signal()
            m.d.comb += [trial.eq(Cat(div_cnt == 33, div_rem)), ge.eq(trial >= div_m)]
            m.d.sync += [div_rem.eq(Mux(ge, trial - div_m, trial)),
                         div_q.eq(Cat(ge, div_q[:31])), div_cnt.eq(div_cnt - 1)]
            with m.If(div_cnt == 1):
                m.d.comb += div_done.eq(1)
                m.d.sync += div_busy.eq(0)
                with m.Switch(div_v):
                    for v in range(V):
                        with m.Case(v):
                            m.d.sync += thr[v].eq(Cat(ge, div_q[:31]))
        for v in range(V):
            m.d.sync += dirty[v].eq((dirty[v] & ~(div_done & (div_v == v))) | w_period[v])

        # ---- vectors ----------------------------------------------------------------------------
        for v in range(V):
            due = Signal(name=f"due{v}")
            period_next = Signal(CW, name=f"period_next{v}")
            m.d.comb += period_next.eq(Mux(w_period[v], wd_period[v], period[v]))
            with m.If(w_mode[v]):
                m.d.sync += mode[v].eq(wd_mode[v])
            m.d.sync += period[v].eq(period_next)

            timer_on = enable[v] & ((mode[v] == MODE_PERIODIC) |
                                    ((mode[v] == MODE_ONESHOT) & armed[v]))
            random_on = enable[v] & (mode[v] == MODE_RANDOM) & ~dirty[v]
            with m.If(start | w_mode[v] | w_period[v]):              # re-arm
                m.d.sync += [left[v].eq(Mux(period_next > 1, period_next, 1)),
                             armed[v].eq(1), rng[v].eq(seed(v))]
            with m.Else():
                with m.If(timer_on):
                    with m.If(left[v] <= 1):
                        m.d.comb += due.eq(1)
                        m.d.sync += left[v].eq(Mux(period[v] > 1, period[v], 1))
                        with m.If(mode[v] == MODE_ONESHOT):
                            m.d.sync += armed[v].eq(0)
                    with m.Else():
                        m.d.sync += left[v].eq(left[v] - 1)
                with m.If(random_on):
                    m.d.sync += rng[v].eq(_xorshift32(m, rng[v], f"xs{v}"))
                    m.d.comb += due.eq((period[v] <= 1) | (rng[v] < thr[v]))

            pop = Signal(name=f"pop{v}")            # ACK removes the oldest event
            full = Signal(name=f"full{v}")
            flush = Signal(name=f"flush{v}")        # MODE write of 0
            m.d.comb += [pop.eq(w_ack[v] & (held[v] != 0)), full.eq(held[v] == D),
                         flush.eq(w_mode[v] & (wd_mode[v] == MODE_OFF))]
            # +1 is computed from the register and only selected by the late bus
            # decisions (a bus write's decode followed by a 32-bit carry chain was the
            # SoC's critical path on the ULX3S)
            accept, lost = due & (~full | pop), due & full & ~pop
            tail_next = Mux(push[v], succ(tail[v]), tail[v])
            m.d.sync += [
                # low after a pop: the next event rises again (one edge per event)
                self.irq[v].eq(~flush & ~pop & (accept | (held[v] != 0))),
                push[v].eq(accept),
                tail[v].eq(tail_next),
                count[v].eq(Mux(w_count[v], accept, Mux(accept, count[v] + 1, count[v]))),
                missed[v].eq(Mux(w_missed[v], lost, Mux(lost, missed[v] + 1, missed[v]))),
            ]
            with m.If(flush):
                m.d.sync += [held[v].eq(0), head[v].eq(tail_next)]
            with m.Else():
                with m.If(pop):
                    m.d.sync += head[v].eq(succ(head[v]))
                with m.If(accept & ~pop):
                    m.d.sync += held[v].eq(held[v] + 1)
                with m.Elif(pop & ~accept):
                    m.d.sync += held[v].eq(held[v] - 1)
        return m
