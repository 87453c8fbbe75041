"""Stable systolic priority queue: the controller's hardware ready queue.

Algorithm
=========

The queue is a linear array of ``ceil(depth / 2)`` *cells*. Cell 0 is at the head.
Every cell holds two *slots* (kept sorted, slot 0 first) and, between cell ``i - 1``
and cell ``i``, one *token* register carrying an entry that is travelling right.
All registers update every cycle; a cell only ever looks at its own registers, the
registers of cell ``i + 1`` and one "pull" bit of cell ``i - 1``. No signal reaches
more than two cells, so the logic per cell, and hence Fmax, does not depend on depth.

Order: entry ``a`` goes before ``b`` if ``a.prio < b.prio`` (0 is the highest
priority) or they have equal priority and ``a`` was enqueued first. Ages are never
stored; they are implied by position plus one flag: a token that came straight from
the enqueue port (``new``) is younger than every entry of its priority that is
physically right of it, any other token is older than them.

Each cycle, in every cell ``i``:

* *take*: cell 0 hands its slot 0 to the dequeue port; cell ``i > 0`` hands its
  *offer* (the better of its token and its slot 0) to cell ``i - 1`` if that cell pulls;
* *pull*: a cell whose slot 1 is empty takes the offer of cell ``i + 1``;
* *insert*: the incoming token (the enqueue port for cell 0) is placed among the
  remaining slot entries and the pulled entry in order;
* *forward*: of the resulting (at most three) entries the last one becomes the token
  for cell ``i + 1`` if there are three, or if it is the incoming token and cell
  ``i + 1`` is not empty (a token may only settle where nothing lies beyond it).

Invariants (checked by the formal proof in ``tests/test_pqueue_formal.py``): a cell's
slots come before everything to its right; a cell with an empty slot 0 has nothing
to its right; so slot 0 of cell 0 is always the best entry, and it is refilled from
cell 1 in the same cycle it is taken. The last cell never overflows while the entry
count is at most ``depth`` (checked exhaustively for small depths in the reference
model and by the formal proof and random tests for the configured ones).

Ports and timing
================

``enq`` (stream in, payload :class:`Entry`): accepted when ``enq.valid & enq.ready``.
``enq.ready = ~full | deq.ready``: a full queue refuses an enqueue unless an entry is
dequeued in the same cycle. An accepted entry can be at the head on the next cycle.

``deq`` (stream out, payload :class:`Entry`): ``deq.valid = ~empty`` and
``deq.payload`` is the best entry, both straight from registers. A dequeue transfers
in the cycle ``deq.ready`` is asserted (0 cycles of latency: the data is already
there); the next best entry is on ``deq.payload`` on the following cycle. One
enqueue and one dequeue are accepted every cycle, indefinitely. Note that, unlike a
FIFO, the head may be replaced by a better entry while ``deq.valid`` is waiting for
``deq.ready``: sample ``deq.payload`` in the cycle you assert ``deq.ready``.

``count``, ``empty``, ``full``: registered; they reflect all transfers of previous
cycles.
"""

from amaranth.hdl import *
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["PriorityQueue", "entry_layout"]


MAX_DEPTH = 4096
MAX_PRIORITIES = 256
MAX_WIDTH = 1024


def _check_int(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi} (inclusive), not {value}")


def entry_layout(priorities, width):
    """Payload of both ports: ``data`` (``width`` bits) and ``prio`` (0 = highest).

    ``prio`` is at least one bit wide (so that no zero-width wires reach the Verilog);
    entries are ordered by its numeric value.
    """
    return data.StructLayout({
        "data": unsigned(width),
        "prio": unsigned(max(1, (priorities - 1).bit_length())),
    })


class _CellDatapath(Elaboratable):
    """The data multiplexers of one cell: three destinations, five sources, one-hot
    selects. Kept as its own module so synthesis sees the select nets as boundaries
    (otherwise ABC re-derives the whole control cone inside every data bit)."""

    SOURCES = ("S0", "S1", "T", "U", "V")
    DESTS = ("next0", "next1", "fwd")

    def __init__(self, width, name):
        self.src = {k: Signal(width, name=f"{k}") for k in self.SOURCES}
        self.sel = {(d, k): Signal(name=f"{d}_from_{k}") for d in self.DESTS for k in self.SOURCES}
        self.dst = {d: Signal(width, name=d) for d in self.DESTS}
        self._width = width

    def elaborate(self, platform):
        m = Module()
        w = self._width
        for d in self.DESTS:
            acc = Const(0, w)
            for k in self.SOURCES:
                acc = acc | (self.src[k] & self.sel[(d, k)].replicate(w))
            m.d.comb += self.dst[d].eq(acc)
        return m


class PriorityQueue(wiring.Component):
    """Stable (FIFO among equal priorities) systolic priority queue.

    Parameters
    ----------
    depth : int
        Capacity in entries, 1..4096.
    priorities : int
        Number of priority levels, 1..256. Level 0 is the highest.
    width : int
        Width of the data field of an entry, 1..1024 bits.

    See the module documentation for the algorithm, port protocol and timing.
    """

    def __init__(self, depth=64, priorities=8, width=32):
        _check_int("depth", depth, 1, MAX_DEPTH)
        _check_int("priorities", priorities, 1, MAX_PRIORITIES)
        _check_int("width", width, 1, MAX_WIDTH)
        self.depth = depth
        self.priorities = priorities
        self.width = width
        self.cells = (depth + 1) // 2
        layout = entry_layout(priorities, width)
        self.entry = layout
        super().__init__({
            "enq": In(stream.Signature(layout)),
            "deq": Out(stream.Signature(layout)),
            "count": Out(range(depth + 1)),
            "empty": Out(1),
            "full": Out(1),
        })
        # Internal state, created here so that formal harnesses can observe it.
        slot = data.StructLayout({"valid": 1, "e": layout})
        tok = data.StructLayout({"valid": 1, "new": 1, "e": layout})
        self._slot_layout = slot
        self._tok_layout = tok
        # Only the valid bits are reset (explicitly, in elaborate); the entry bits are
        # reset-less so that no reset logic sits in front of the data flip-flops.
        self.slot0 = [Signal(slot, name=f"cell{i}_slot0", reset_less=True)
                      for i in range(self.cells)]
        self.slot1 = [Signal(slot, name=f"cell{i}_slot1", reset_less=True)
                      for i in range(self.cells)]
        # token[i] enters cell i; token[0] does not exist (cell 0 takes the enqueue port).
        self.token = [None] + [Signal(tok, name=f"cell{i}_token", reset_less=True)
                               for i in range(1, self.cells)]
        # Asserts if the last cell had to push an entry out of the array. Never happens
        # while count <= depth; exported for verification only.
        self.overflow = Signal(name="overflow")

    def elaborate(self, platform):
        m = Module()
        C = self.cells

        enq_xfer = self.enq.valid & self.enq.ready
        deq_xfer = self.deq.valid & self.deq.ready

        m.d.comb += [
            self.deq.valid.eq(self.slot0[0].valid),
            self.deq.payload.eq(self.slot0[0].e),
            self.enq.ready.eq(~self.full | self.deq.ready),
        ]
        # count, empty and full are all registers (no compare in the handshake path).
        empty = Signal(init=1)
        m.d.comb += self.empty.eq(empty)
        with m.If(enq_xfer & ~deq_xfer):
            m.d.sync += [self.count.eq(self.count + 1), empty.eq(0),
                         self.full.eq(self.count == self.depth - 1)]
        with m.Elif(deq_xfer & ~enq_xfer):
            m.d.sync += [self.count.eq(self.count - 1), self.full.eq(0),
                         empty.eq(self.count == 1)]

        def before(a_prio, a_new, b_valid, b_prio):
            # a (physically left, valid) goes before b: better priority, or equal
            # priority and a is older (it is older unless it is a new token); an
            # empty b is worse than anything. As one compare: {a.prio, new} < {b.prio, 1}.
            return ~b_valid | (Cat(a_new, a_prio) < Cat(Const(1, 1), b_prio))

        # Per cell i >= 1: "token goes before slot 0" (a token that goes first is what
        # cell i offers to cell i - 1) and "non-empty".
        nonempty = [Signal(name=f"cell{i}_nonempty") for i in range(C)] + [Const(0)]
        tok_s0 = [None] + [Signal(name=f"cell{i}_tok_before_s0") for i in range(1, C)]
        tok_first = [None] + [Signal(name=f"cell{i}_tok_first") for i in range(1, C)]
        m.d.comb += nonempty[0].eq(self.slot0[0].valid)
        for i in range(1, C):
            t, s0 = self.token[i], self.slot0[i]
            m.d.comb += [
                nonempty[i].eq(s0.valid | t.valid),
                tok_s0[i].eq(before(t.e.prio, t.new, s0.valid, s0.e.prio)),
                tok_first[i].eq(t.valid & tok_s0[i]),
            ]

        for i in range(C):
            s0, s1 = self.slot0[i], self.slot1[i]
            tok = self._tok_layout
            last = i + 1 == C
            v0, v1 = s0.valid, s1.valid

            # Incoming token (the enqueue port for cell 0).
            tin = Signal(tok, name=f"cell{i}_tin")
            if i == 0:
                m.d.comb += [tin.valid.eq(enq_xfer), tin.new.eq(1), tin.e.eq(self.enq.payload)]
            else:
                m.d.comb += tin.eq(self.token[i])
            tvi = tin.valid

            # --- comparisons of the incoming token, all in parallel ----------------
            a = Signal(name=f"cell{i}_tok_before_s0_")   # T before slot 0
            b = Signal(name=f"cell{i}_tok_before_s1")    # T before slot 1
            bp = Signal(name=f"cell{i}_tok_before_p")    # T before what cell i + 1 offers
            m.d.comb += [
                a.eq(before(tin.e.prio, tin.new, v0, s0.e.prio) if i == 0 else tok_s0[i]),
                b.eq(before(tin.e.prio, tin.new, v1, s1.e.prio)),
            ]
            if not last:
                nt, ns0 = self.token[i + 1], self.slot0[i + 1]
                tf1 = tok_first[i + 1]
                # P is the better of V and U, so "T before P" = T before both (all three
                # compares are exact: each is between a left entry and a right one).
                m.d.comb += bp.eq(before(tin.e.prio, tin.new, nt.valid, nt.e.prio) &
                                  before(tin.e.prio, tin.new, ns0.valid, ns0.e.prio))
                pl = Signal(name=f"cell{i}_pull")
                beyond = nonempty[i + 1]
                m.d.comb += pl.eq(~v1 & beyond)
            else:
                tf1, pl, beyond = Const(0), Const(0), Const(0)
            m_ = Mux(pl, bp, b)          # T before the entry that would follow slot 0

            # --- one-hot selects, each straight from the primitive bits ------------
            # Derived from the case analysis in the module docstring, simplified with the
            # invariants (proved formally): a slot entry goes before everything to its
            # right, so a => b and (pull) a => bp; an empty slot 0 has nothing to its
            # right, so pull => slot 0 valid; a token after slot 0 implies slot 0 valid.
            sel = {}
            if i == 0:
                # D: slot 0 leaves through the dequeue port; E: the enqueue port enters.
                D, E = deq_xfer, tvi
                sel["next0", "T"] = E & Mux(D, m_, a)
                sel["next0", "S0"] = ~D & ~(E & a)
                sel["next0", "S1"] = D & ~pl & ~(E & b)
                sel["next0", "P"] = D & pl & ~(E & bp)
                sel["next1", "S0"] = ~D & E & a
                sel["next1", "S1"] = ~pl & Mux(D, E & b, ~(E & b))
                sel["next1", "T"] = E & Mux(D, ~pl & ~b & ~beyond, ~a & m_)
                sel["next1", "P"] = pl & Mux(D, E & bp, ~(E & bp))
                sel["fwd", "T"] = E & Mux(pl, ~bp, ~b & (~D | beyond))
                sel["fwd", "P"] = ~D & pl & E & bp
                sel["fwd", "S1"] = ~D & ~pl & E & v1 & b
            else:
                # lv: cell i - 1 has slot 1 full, so it does not pull from this cell.
                # Otherwise it takes the token if that goes first (a), else slot 0.
                lv = self.slot1[i - 1].valid
                sel["next0", "T"] = tvi & Mux(lv, a, ~a & m_)
                sel["next0", "S0"] = Mux(lv, ~(tvi & a), ~v0 | (tvi & a))
                sel["next0", "S1"] = ~lv & v0 & ~pl & ~(tvi & b)
                sel["next0", "P"] = ~lv & v0 & pl & ~(tvi & bp)
                sel["next1", "S0"] = lv & tvi & a
                sel["next1", "S1"] = ~pl & Mux(lv, ~(tvi & b), ~v0 | (tvi & b))
                sel["next1", "T"] = tvi & Mux(lv, ~a & m_, ~b & ~beyond)
                sel["next1", "P"] = pl & Mux(lv, ~(tvi & bp), tvi & bp)
                sel["fwd", "T"] = tvi & Mux(pl, ~bp, ~b & (lv | beyond))
                sel["fwd", "P"] = lv & pl & tvi & bp
                sel["fwd", "S1"] = lv & ~pl & tvi & v1 & b

            dp = _CellDatapath(len(Value.cast(s0.e)), name=f"cell{i}_datapath")
            m.submodules[f"cell{i}_datapath"] = dp
            m.d.comb += [dp.src["S0"].eq(s0.e), dp.src["S1"].eq(s1.e), dp.src["T"].eq(tin.e)]
            if not last:
                m.d.comb += [dp.src["U"].eq(ns0.e), dp.src["V"].eq(nt.e)]
            for d in dp.DESTS:
                for k in ("S0", "S1", "T"):
                    m.d.comb += dp.sel[d, k].eq(sel.get((d, k), 0))
                if not last and (d, "P") in sel:
                    m.d.comb += [dp.sel[d, "U"].eq(sel[d, "P"] & ~tf1),
                                 dp.sel[d, "V"].eq(sel[d, "P"] & tf1)]

            def valid(d):
                # the selected source is valid (P always is when selected)
                return (sel.get((d, "T"), 0) | (sel.get((d, "S0"), 0) & v0) |
                        (sel.get((d, "S1"), 0) & v1) | sel.get((d, "P"), 0))

            n1 = Signal(self._slot_layout, name=f"cell{i}_next0")
            n2 = Signal(self._slot_layout, name=f"cell{i}_next1")
            fwd = Signal(tok, name=f"cell{i}_fwd")
            m.d.comb += [
                n1.valid.eq(valid("next0")),
                n2.valid.eq(valid("next1")),
                fwd.valid.eq(valid("fwd")),
                fwd.new.eq(sel["fwd", "T"] & tin.new),
                n1.e.eq(dp.dst["next0"]),
                n2.e.eq(dp.dst["next1"]),
                fwd.e.eq(dp.dst["fwd"]),
            ]

            m.d.sync += [s0.eq(n1), s1.eq(n2)]
            if not last:
                m.d.sync += self.token[i + 1].eq(fwd)
            else:
                m.d.comb += self.overflow.eq(fwd.valid)

        with m.If(ResetSignal()):
            for i in range(C):
                m.d.sync += [self.slot0[i].valid.eq(0), self.slot1[i].valid.eq(0)]
                if i:
                    m.d.sync += self.token[i].valid.eq(0)
        return m
