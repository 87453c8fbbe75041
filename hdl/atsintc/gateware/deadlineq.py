"""Deadline queue: the controller's timers, a sorted shift-register priority queue.

``depth`` cells in a row, cell 0 at the head, each holding ``valid``, a ``key`` (the low
``key_bits`` bits of a deadline) and ``data``. The valid cells are a prefix of the row,
sorted by deadline, and among equal deadlines by insertion order (FIFO).

Keys wrap around: ``a`` is earlier than ``b`` when ``(a - b) mod 2**key_bits`` is at
least ``2**(key_bits - 1)`` (the difference read as a signed number is negative). This
orders correctly every set of keys that lie within ``2**(key_bits - 1) - 1`` of each
other, which the controller guarantees by refusing deadlines more than
``2**(key_bits - 1) - 1`` cycles after the current time (and removing every entry
once its deadline has passed).

Why not the ready queue's systolic array: the timers must also lose an entry from
the middle (CANCEL, a timed wait whose event came first), which a systolic array can
only do by leaving a tombstone that holds its capacity until it reaches the head. A
shift-register queue removes any entry in one cycle; each cell still looks only at
itself, its two neighbours and two bits of common control (the insert's key and
data reach every cell, so the fan-out grows with depth, the logic per cell does not).

Operations (at most one per cycle; applied at the clock edge):

* **insert** (``ins_valid``; refused while ``full``): the new entry goes after every
  entry whose deadline is earlier or equal and before the rest; those shift one cell
  right.
* **remove** (``rm_valid``, ``rm_match``: one bit per cell): the first valid cell
  whose bit is set leaves; the cells after it shift one cell left. Removing the head is
  ``rm_match = 1``. ``rm_data`` / ``rm_found`` show that cell's data and whether there
  is such a cell (combinational, in the same cycle).

Outputs from registers: ``valid``, ``key``, ``data`` of every cell (for the
controller's searches), ``count``, ``full``; combinational: ``head_due`` (cell 0 is
valid and ``time`` has reached its deadline).
"""

from amaranth.hdl import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from atsintc.gateware.muxes import and_or

__all__ = ["DeadlineQueue", "key_before"]

MAX_DEPTH = 64


def key_before(a, b, key_bits):
    """``a`` is strictly earlier than ``b`` (wrap-around compare), as a Value."""
    return (a - b)[key_bits - 1] if key_bits > 0 else C(0)


class DeadlineQueue(wiring.Component):
    """See the module docstring. ``depth`` 1..64 cells, ``key_bits`` >= 2, ``width``
    >= 1 bits of data per entry."""

    def __init__(self, depth, *, key_bits=32, width=32):
        for name, v, lo, hi in (("depth", depth, 1, MAX_DEPTH),
                                ("key_bits", key_bits, 2, 64), ("width", width, 1, 1024)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an integer, not {v!r}")
            if not lo <= v <= hi:
                raise ValueError(f"{name} must be between {lo} and {hi}, not {v}")
        self.depth, self.key_bits, self.width = depth, key_bits, width
        self.entry = data.StructLayout({"key": key_bits, "data": width})
        super().__init__({
            "time": In(key_bits),
            "ins_valid": In(1), "ins_key": In(key_bits), "ins_data": In(width),
            "rm_valid": In(1), "rm_match": In(depth),
            "rm_found": Out(1), "rm_data": Out(width),
            "valid": Out(depth),
            "key": Out(data.ArrayLayout(key_bits, depth)),
            "data": Out(data.ArrayLayout(width, depth)),
            "count": Out(range(depth + 1)),
            "full": Out(1),
            "head_due": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        N, K = self.depth, self.key_bits
        valid, key, dat = self.valid, self.key, self.data

        # insert: g[i] = the new entry goes before cell i (cell i is empty or later)
        g = Signal(N)
        for i in range(N):
            m.d.comb += g[i].eq(~valid[i] | key_before(self.ins_key, key[i], K))
        # remove: ge[i] = cell i is at or after the first matching cell (prefix OR)
        match = Signal(N)
        m.d.comb += match.eq(self.rm_match & valid)
        ge = _prefix_or(m, match)
        first = Signal(N)
        m.d.comb += first.eq(ge & ~(ge << 1))
        m.d.comb += [
            self.rm_found.eq(ge[N - 1]),
            self.rm_data.eq(and_or([(first[i], dat[i]) for i in range(N)], self.width)),
        ]

        ins = self.ins_valid & ~self.full
        rm = self.rm_valid & ~ins
        for i in range(N):
            here = g[i] & (~g[i - 1] if i else 1)       # the insert position
            shift_in = g[i] & g[i - 1] if i else C(0)   # take cell i - 1
            with m.If(ins & here):
                m.d.sync += [valid[i].eq(1), key[i].eq(self.ins_key),
                             dat[i].eq(self.ins_data)]
            with m.Elif(ins & shift_in):
                m.d.sync += [valid[i].eq(valid[i - 1]), key[i].eq(key[i - 1]),
                             dat[i].eq(dat[i - 1])]
            with m.Elif(rm & ge[i]):
                if i + 1 < N:
                    m.d.sync += [valid[i].eq(valid[i + 1]), key[i].eq(key[i + 1]),
                                 dat[i].eq(dat[i + 1])]
                else:
                    m.d.sync += valid[i].eq(0)

        # count and full from registers
        with m.If(ins):
            m.d.sync += self.count.eq(self.count + 1)
        with m.Elif(rm & ge[N - 1]):
            m.d.sync += self.count.eq(self.count - 1)
        m.d.comb += [
            self.full.eq(valid[N - 1]),
            self.head_due.eq(valid[0] & ~key_before(self.time, key[0], K)),
        ]
        return m


def _prefix_or(m, bits):
    """``out[i]`` = OR of ``bits[0..i]``, written as ceil(log4 N) levels of 4-input ORs
    (a radix-4 parallel prefix: 3 LUT levels for 32 cells) rather than N separate ORs,
    which synthesis shared into an N-long chain (the critical path of the first
    version). Not kept wires: with them nextpnr's router did not converge."""
    n = len(bits)
    cur, span, level = bits, 1, 0
    while span < n:
        nxt = Signal(n, name=f"prefix_or_{level}")      # a signal per level: no
        m.d.comb += nxt.eq(Cat(*[                       # replicated sub-expressions
            Cat(*[cur[i - k * span] for k in range(4) if i - k * span >= 0]).any()
            for i in range(n)]))
        cur, span, level = nxt, span * 4, level + 1
    out = Signal(n)
    m.d.comb += out.eq(cur)
    return out
