"""Stable systolic priority queue: the controller's hardware ready queue.

Algorithm
=========

The queue is a linear array of ``ceil(depth / 2)`` *cells*. Cell 0 is at the head.
Every cell holds two *slots* (kept sorted, slot 0 first) and, between cell ``i - 1``
and cell ``i``, one *token* register carrying an entry that is travelling right.
All registers update every cycle; a cell only ever looks at its own registers, the
registers of cell ``i + 1`` and one bit of cell ``i - 1`` (its slot 1 is full, so it
does not pull). No signal reaches
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
count is at most ``depth``: proved for depths 4-6, and an overflow would show up as a
lost entry in the random differential tests at the larger depths.

Implementation
==============

The logic of a cell is three modules, each a synthesis boundary (their names contain
``datapath``, which :mod:`atsintc.tools.synth` keeps as hierarchy so that ABC maps each on
its own). This fixes every register-to-register path at five LUT4 levels, for any
depth:

* ``_CellCompare`` (two levels): the incoming token ``T`` compared with slot 0, slot 1
  and with the token ``V`` and slot 0 ``U`` of cell ``i + 1``;
* ``_CellSelect`` (one level): the one-hot selects, each a single LUT of those results
  and of terms of valid bits computed in parallel with the comparisons; the select of
  ``T`` needs two levels and is handed on as two products;
* ``_CellDatapath`` (two levels): the multiplexers of {entry, valid} into slot 0,
  slot 1 and the forwarded token, the select of ``T`` entering only the second level;
  in slices of at most ``SLICE_BITS`` bits, each with its own copy of that select.

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


def _pin(m, name, value):
    """A wire that synthesis keeps (``keep``): ABC maps the logic on either side of it
    separately. Used to impose the LUT structure where ABC would pick a deeper one."""
    sig = Signal(len(Value.cast(value)), name=name, attrs={"keep": 1})
    m.d.comb += sig.eq(value)
    return sig


class _CellDatapath(Elaboratable):
    """The data multiplexers of one cell: destinations ``next0``, ``next1`` and ``fwd``
    from sources ``S0``, ``S1``, ``T`` and ``P`` (the offer of cell i + 1: ``V`` if
    ``tf1``, else ``U``), with one-hot selects. The select of ``T`` arrives in two
    products, ``t = t0 & t1 | t2 & t3``, and is formed here, so that it only enters the
    last of the two LUT levels of every bit::

        out = (S0 & s0 | S1 & s1) | ((tf1 ? V : U) & p) | (T & t)

    Kept as its own module (a synthesis boundary, like the other ``*datapath*``
    modules) so that ABC does not re-derive the control cone inside every data bit."""

    DESTS = ("next0", "next1", "fwd")

    def __init__(self, width, right):
        self.right = right
        keys = ("S0", "S1", "T", "U", "V") if right else ("S0", "S1", "T")
        self.src = {k: Signal(width, name=k) for k in keys}
        self.sel = {(d, k): Signal(name=f"{d}_from_{k}")
                    for d in self.DESTS for k in ("S0", "S1", "P")
                    if (right or k != "P") and (d != "fwd" or k != "S0")}
        self.t_parts = {d: [Signal(name=f"{d}_t{j}") for j in range(4)] for d in self.DESTS}
        self.t_sel = {d: Signal(name=f"{d}_from_T") for d in self.DESTS}
        self.tf1 = Signal(name="tf1")
        self.dst = {d: Signal(width, name=d) for d in self.DESTS}
        self._width = width

    def elaborate(self, platform):
        m = Module()
        w = self._width

        def term(d, k, src):
            return src & self.sel[d, k].replicate(w) if (d, k) in self.sel else Const(0, w)

        for d in self.DESTS:
            t0, t1, t2, t3 = self.t_parts[d]
            m.d.comb += self.t_sel[d].eq(t0 & t1 | t2 & t3)
            slots = _pin(m, f"{d}_slots", term(d, "S0", self.src["S0"]) |
                         term(d, "S1", self.src["S1"]))
            acc = slots | (self.src["T"] & self.t_sel[d].replicate(w))
            if self.right:
                p = Mux(self.tf1, self.src["V"], self.src["U"])
                acc = acc | _pin(m, f"{d}_offer", term(d, "P", p))
            m.d.comb += self.dst[d].eq(acc)
        return m


def _lt_eq(a, b):
    """``(a < b, a == b)`` for unsigned values, as a balanced tree of 2-bit compares
    (two LUT levels for 4 bits)."""
    if len(a) <= 2:
        return a < b, a == b
    h = len(a) // 2
    lt_lo, eq_lo = _lt_eq(a[:h], b[:h])
    lt_hi, eq_hi = _lt_eq(a[h:], b[h:])
    return lt_hi | (eq_hi & lt_lo), eq_hi & eq_lo


def _before(a_prio, a_new, b_valid, b_prio):
    """``a`` (physically left of ``b``, valid) goes before ``b``: better priority, or
    equal priority and ``a`` is older (it is older unless it is a new token); an empty
    ``b`` is worse than anything. As one compare: ``{a.prio, new} < {b.prio, 1}``."""
    return ~b_valid | _lt_eq(Cat(a_new, a_prio), Cat(Const(1, 1), b_prio))[0]


class _CellCompare(Elaboratable):
    """The priority comparisons of one cell's incoming token ``T`` with ``S0``, ``S1``,
    ``U`` and ``V`` (``U``/``V`` only if ``right``). A synthesis boundary like
    :class:`_CellDatapath`: every output is then exactly two LUT levels deep and the
    select logic behind it is mapped on its own."""

    def __init__(self, prio_width, right):
        self.t_prio = Signal(prio_width, name="t_prio")
        self.t_new = Signal(name="t_new")
        self.prio = {k: Signal(prio_width, name=f"{k}_prio") for k in ("S0", "S1", "U", "V")}
        self.valid = {k: Signal(name=f"{k}_valid") for k in ("S0", "S1", "U", "V")}
        self.before = {k: Signal(name=f"t_before_{k}") for k in ("S0", "S1", "U", "V")}
        self._keys = ("S0", "S1", "U", "V") if right else ("S0", "S1")

    def elaborate(self, platform):
        m = Module()
        for k in self._keys:
            m.d.comb += self.before[k].eq(
                _before(self.t_prio, self.t_new, self.valid[k], self.prio[k]))
        return m


class _CellSelect(Elaboratable):
    """The control of one cell: the one-hot selects of :class:`_CellDatapath`, straight
    from the comparison results of :class:`_CellCompare` and a few valid bits.

    Inputs: ``a``/``b``/``cv``/``cu``: the incoming token T goes before slot 0, slot 1,
    token V and slot 0 U of cell i + 1; ``a1``: V goes before U; valid bits ``v0``,
    ``v1``, ``tv`` (T), ``vv``, ``uv``; and how cell i loses an entry on the left:
    ``lv`` (slot 1 of cell i - 1 is full, so it does not pull) or, for cell 0, the
    handshake bits ``deq_ready``, ``enq_valid`` and ``full``.

    The equations come from the take / pull / insert / forward steps in the module
    documentation: after the take, the slot entries left followed by the pulled entry
    ``P`` are ``q0``, ``q1``; the token goes first, in the middle or last among them;
    ``next0`` = T if first, else q0; ``next1`` = q0 if T is first, T if it is in the
    middle (unless it is then the last entry and cell i + 1 is not empty), else q1;
    ``fwd`` = T if it is last (or in that exception), else q1 if T came before it.
    They are simplified with the invariants: a slot entry goes before everything to
    its right (so a => b, and a => c when pulling, c = T before both V and U, which is
    T before P as P is the better of the two); a cell with an empty slot 0 has
    nothing to its right (so pulling implies slot 0 valid, and so does a valid token
    that does not go before slot 0).

    Timing: the comparisons arrive late (two LUT levels). Every output here is a single
    LUT of them and of *early* terms: functions of valid bits only, computed in parallel
    with the comparisons by the child module ``early`` (for a select with one late
    input, its two cofactors). Both modules are synthesis boundaries (``*datapath*``),
    so ABC maps every output as one LUT. The select of ``T`` needs two levels; it is
    handed over as two products and finished in the datapath.
    """

    INPUTS = ("a", "b", "cv", "cu", "a1", "v0", "v1", "tv", "uv", "vv", "lv",
              "deq_ready", "enq_valid", "full")

    def __init__(self, first, last):
        self.first, self.last = first, last
        for k in self.INPUTS:
            setattr(self, k, Signal(name=k))
        self.sel = {(d, k): Signal(name=f"{d}_from_{k}")
                    for d in _CellDatapath.DESTS for k in ("S0", "S1", "P")
                    if (not last or k != "P") and (d != "fwd" or k != "S0")}
        self.t_parts = {d: [Signal(name=f"{d}_t{j}") for j in range(4)]
                        for d in _CellDatapath.DESTS}
        self.tf1 = Signal(name="tf1")

    def elaborate(self, platform):
        m = Module()
        early = Module()
        m.submodules.early = early

        def e(name, value):
            sig = Signal(name=f"e_{name}")
            early.d.comb += sig.eq(value)
            return sig

        a, b, v0, v1, tv = self.a, self.b, self.v0, self.v1, self.tv
        if self.last:
            uv = vv = a1 = Const(0)
            cv = cu = Const(1)
        else:
            uv, vv, a1, cv, cu = self.uv, self.vv, self.a1, self.cv, self.cu
        c = cv & cu                                  # T before P (= the better of V, U)
        nb = uv | vv                                 # cell i + 1 is not empty
        pl = ~v1 & nb                                # cell i pulls from cell i + 1
        m.d.comb += self.tf1.eq(vv & a1)             # ... and gets V (else U)
        h = v1 | c                                   # T before what follows slot 0, if b
        # sel: the one-level selects; t[d] = [t0, t1, t2, t3]: select of T for d is
        # t0 & t1 | t2 & t3 (first/middle/last cases as above).
        sel = {}
        if self.first:
            # dr: a dequeue takes slot 0 (if valid); E: the enqueue port enters.
            dr, ev, full = self.deq_ready, self.enq_valid, self.full
            D = v0 & dr
            E = ev & (~full | dr)
            sel["next0", "S0"] = Mux(a, e("n0s0_a", Mux(dr, ~v0 & ~ev, ~(ev & ~full))),
                                     e("n0s0_na", Mux(dr, ~v0 & ~ev, 1)))
            sel["next0", "S1"] = e("n0s1", dr & (v1 | v0 & ~nb)) & ~(ev & b)
            sel["next0", "P"] = e("n0p", dr & pl) & ~(ev & c)
            sel["next1", "S0"] = Mux(a, e("n1s0_a", Mux(dr, ~v0 & ev, ev & ~full)),
                                     e("n1s0_na", dr & ~v0 & ev))
            sel["next1", "S1"] = Mux(b, e("n1s1_b", ~pl & Mux(D, ev, ~E)),
                                     e("n1s1_nb", ~pl & ~D))
            sel["next1", "P"] = Mux(c, e("n1p_c", pl & Mux(dr, ev, ~(ev & ~full))),
                                    e("n1p_nc", pl & ~dr))
            sel["fwd", "P"] = e("fp", ~dr & ev & ~full & pl) & c
            sel["fwd", "S1"] = e("fs1", ~dr & ev & ~full & v1) & b
            t = {"next0": [ev & dr & b, h, e("t0", ev & ~dr & ~full) & a, 1],
                 "next1": [e("t1", ev & ~dr & ~full) & ~a & b, h, ev & dr & ~b & ~uv, ~vv],
                 "fwd": [e("tf_s1", E & v1 & (~dr | nb)) & ~b, 1, e("tf_p", E & ~v1) & ~c, 1]}
        else:
            # lv = 0: cell i - 1 pulls; it takes the token if that goes first (a),
            # else slot 0.
            lv = self.lv
            sel["next0", "S0"] = Mux(lv, ~(tv & a), ~v0 | (tv & a))
            sel["next0", "S1"] = e("n0s1", ~lv & (v1 | v0 & ~nb)) & ~(tv & b)
            sel["next0", "P"] = e("n0p", ~lv & pl) & ~(tv & c)
            sel["next1", "S0"] = lv & tv & a
            sel["next1", "S1"] = Mux(b, e("n1s1_b", Mux(lv, ~pl & ~tv, ~v0 | ~pl & tv)),
                                     e("n1s1_nb", Mux(lv, ~pl, ~v0)))
            sel["next1", "P"] = Mux(c, e("n1p_c", pl & (lv ^ tv)), e("n1p_nc", pl & lv))
            sel["fwd", "P"] = e("fp", lv & pl & tv) & c
            sel["fwd", "S1"] = e("fs1", lv & tv & v1) & b
            t = {"next0": [tv & ~lv & ~a & b, h, tv & lv & a, 1],
                 "next1": [tv & lv & ~a & b, h, tv & ~lv & ~b & ~uv, ~vv],
                 "fwd": [e("tf_s1", tv & v1 & (lv | nb)) & ~b, 1, tv & ~v1 & ~c, 1]}
        for key, out in self.sel.items():
            m.d.comb += out.eq(sel[key])
        for d, parts in t.items():
            m.d.comb += [out.eq(v) for out, v in zip(self.t_parts[d], parts)]
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

    SLICE_BITS = 12     # datapath bits per copy of the T select nets

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

        # Incoming token of every cell (the enqueue port for cell 0) and its comparisons
        # with the cell's slots and with what lies in cell i + 1 (token V, slot 0 U).
        tins, cmps = [], []
        for i in range(C):
            tin = Signal(self._tok_layout, name=f"cell{i}_tin")
            if i == 0:
                m.d.comb += [tin.valid.eq(enq_xfer), tin.new.eq(1), tin.e.eq(self.enq.payload)]
            else:
                m.d.comb += tin.eq(self.token[i])
            right = i + 1 < C
            cmp = _CellCompare(len(tin.e.prio), right)
            m.submodules[f"cell{i}_datapath_compare"] = cmp
            srcs = {"S0": self.slot0[i], "S1": self.slot1[i]}
            if right:
                srcs.update(U=self.slot0[i + 1], V=self.token[i + 1])
            m.d.comb += [cmp.t_prio.eq(tin.e.prio), cmp.t_new.eq(tin.new)]
            for k, src in srcs.items():
                m.d.comb += [cmp.prio[k].eq(src.e.prio), cmp.valid[k].eq(src.valid)]
            tins.append(tin)
            cmps.append(cmp)

        for i in range(C):
            s0, s1 = self.slot0[i], self.slot1[i]
            last = i + 1 == C
            tin = tins[i]

            ctl = _CellSelect(first=i == 0, last=last)
            m.submodules[f"cell{i}_datapath_select"] = ctl
            m.d.comb += [
                ctl.a.eq(cmps[i].before["S0"]), ctl.b.eq(cmps[i].before["S1"]),
                ctl.v0.eq(s0.valid), ctl.v1.eq(s1.valid), ctl.tv.eq(tin.valid),
            ]
            if i == 0:
                m.d.comb += [ctl.deq_ready.eq(self.deq.ready), ctl.enq_valid.eq(self.enq.valid),
                             ctl.full.eq(self.full)]
            else:
                m.d.comb += ctl.lv.eq(self.slot1[i - 1].valid)
            if not last:
                nt, ns0 = self.token[i + 1], self.slot0[i + 1]
                m.d.comb += [
                    ctl.cv.eq(cmps[i].before["V"]), ctl.cu.eq(cmps[i].before["U"]),
                    ctl.a1.eq(cmps[i + 1].before["S0"]), ctl.vv.eq(nt.valid),
                    ctl.uv.eq(ns0.valid),
                ]

            # The datapath moves {e, valid}; the selected source's valid bit is the
            # destination's valid bit. It is split into slices of at most SLICE_BITS
            # bits, each forming its own copy of the T selects (shorter select nets).
            srcs = {"S0": Cat(s0.e, s0.valid), "S1": Cat(s1.e, s1.valid),
                    "T": Cat(tin.e, tin.valid)}
            if not last:
                srcs.update(U=Cat(ns0.e, ns0.valid), V=Cat(nt.e, nt.valid))
            w = len(srcs["S0"])
            n = -(-w // self.SLICE_BITS)
            bounds = [w * j // n for j in range(n + 1)]
            dsts = {d: [] for d in _CellDatapath.DESTS}
            for j in range(n):
                lo, hi = bounds[j], bounds[j + 1]
                dp = _CellDatapath(hi - lo, right=not last)
                m.submodules[f"cell{i}_datapath{j}"] = dp
                m.d.comb += [dp.src[k].eq(v[lo:hi]) for k, v in srcs.items()]
                if not last:
                    m.d.comb += dp.tf1.eq(ctl.tf1)
                for key, v in ctl.sel.items():
                    m.d.comb += dp.sel[key].eq(v)
                for d, parts in ctl.t_parts.items():
                    m.d.comb += [x.eq(y) for x, y in zip(dp.t_parts[d], parts)]
                    dsts[d].append(dp.dst[d])
                if j == 0:
                    t_fwd = dp.t_sel["fwd"]

            n1 = Signal(self._slot_layout, name=f"cell{i}_next0")
            n2 = Signal(self._slot_layout, name=f"cell{i}_next1")
            fwd = Signal(self._tok_layout, name=f"cell{i}_fwd")
            m.d.comb += [
                Cat(n1.e, n1.valid).eq(Cat(*dsts["next0"])),
                Cat(n2.e, n2.valid).eq(Cat(*dsts["next1"])),
                Cat(fwd.e, fwd.valid).eq(Cat(*dsts["fwd"])),
                fwd.new.eq(t_fwd & tin.new),
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
