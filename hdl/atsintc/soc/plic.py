"""A standard RISC-V Platform-Level Interrupt Controller (PLIC).

Follows the RISC-V PLIC specification (https://github.com/riscv/riscv-plic-spec,
1.0.0): per-source gateways for level-triggered sources, pending bits, per-source
priorities, per-context enables, thresholds and claim/complete registers, at the
standard byte offsets.

Ports
=====

``bus``
    Wishbone B4 classic slave (:class:`atsintc.gateware.wishbone.Signature`), 32-bit data,
    byte granularity, ``adr`` is a *word* address (byte offset / 4). Only the low
    ``addr_width`` bits of the standard 64 MiB map are decoded (22 byte-address bits
    for up to 4 contexts, so a 4 MiB window): the SoC maps the PLIC at any 4 MiB
    aligned base. The offsets below are the standard ones.
``src`` (In(sources))
    Level-sensitive interrupt lines, synchronous to the clock, active high.
    **Bit i-1 is source i** (source IDs are 1..sources; ID 0 means "no interrupt").
``irq`` (Out(targets))
    External interrupt notification per context (e.g. ``meip`` of a hart), registered.

Register map (byte offsets)
===========================

====================================  ===  ==============================================
offset                                acc  contents
====================================  ===  ==============================================
``0x000000 + 4*i``, i = 1..sources    RW   priority of source i (``priority_bits`` bits,
                                           WARL; 0 = never interrupts). ``0x000000``
                                           (source 0) reads 0.
``0x001000 + 4*w``                    R    pending bits of sources 32w..32w+31 (bit
                                           i mod 32); bit 0 of word 0 reads 0. Writes
                                           are ignored.
``0x002000 + 0x80*c + 4*w``           RW   enable bits of context c, same layout; bits
                                           of source 0 and of absent sources read 0.
``0x200000 + 0x1000*c``               RW   priority threshold of context c (WARL).
``0x200004 + 0x1000*c``               R    claim: returns the ID of the best claimable
                                           source for context c (0 if none) and clears
                                           its pending bit atomically.
``0x200004 + 0x1000*c``               W    complete: writing source ID i re-opens the
                                           gateway of source i, if 1 <= i <= sources and
                                           i is enabled for context c; otherwise the
                                           write is ignored (as the spec requires).
====================================  ===  ==============================================

Everything else reads 0 and ignores writes. Priority, enable and threshold writes
honour ``sel`` (byte enables); complete uses the whole ``dat_w`` as the ID.

Semantics
=========

* Gateway (level-triggered, one per source): while source i is not *in flight*, a
  high line sets pending[i] and puts the source in flight; the gateway forwards no
  further request from it until a complete of ID i. A claim clears pending[i] but the
  source stays in flight until completed.
* A source is *eligible* for context c if it is pending, enabled for c and its priority
  is above c's threshold (so priority 0 never interrupts). The best eligible source is
  the one with the highest priority, ties going to the lowest ID.
* ``irq[c]`` is high iff some source is eligible for context c.
* Claim returns the best eligible source. Note: the spec text says the claim "is not
  affected by the setting of the priority threshold register"; implementations differ
  (QEMU's and OpenTitan's claims honour the threshold, Rocket Chip's does not). By
  default this PLIC honours the threshold, so a claim returns nonzero exactly when the
  context's ``irq`` is (or is about to be) high. With ``claim_ignores_threshold=True``
  a claim returns the best source that is pending, enabled and of nonzero priority,
  whatever the threshold (the spec's literal text); ``irq`` is unaffected.

Timing (cycles of the clock)
============================

* Bus: an access is executed in the cycle ``cyc & stb`` is first seen (the request
  cycle) and acknowledged in the next one, read data with the ack: 2 cycles per access.
  A master may start the next access in the cycle after the ack (the registers are a
  :class:`atsintc.gateware.csr.Bank`).
* Line to notification: if ``src`` goes high in cycle t (and the gateway is open),
  pending is set at the end of t and ``irq[c]`` is high from cycle **t + 2**. A claim
  whose request cycle is t + 2 or later sees the source: the best source of each
  context is computed from the state of a cycle and registered at its end (``irq`` is
  registered from the same state), and a claim in request cycle r returns the best
  source of cycle r - 1. (Only line events can change the state between r - 1 and r,
  since requests are at least 2 cycles apart: the returned source is still pending and
  eligible, and a source that arrived in r - 1 is claimed by a later claim.) So a claim
  returns nonzero whenever ``irq`` is high in its request cycle.
* Register writes (priority, enable, threshold) in request cycle t act on ``irq`` and on
  claims from cycle t + 2. A claim in request cycle t clears pending at the end of t,
  ``irq`` reflects it from t + 2 (one cycle after the ack), and so does the next claim
  (at t + 2 at the earliest). A complete in request cycle t re-opens the gateway at the
  end of t; a line that is still high sets pending again at the end of t + 1, so ``irq``
  can rise at t + 3.
"""

from amaranth.hdl import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from atsintc.gateware import csr, wishbone

__all__ = ["PLIC"]

PRIORITY_BASE = 0x000000
PENDING_BASE = 0x001000
ENABLE_BASE = 0x002000
ENABLE_STRIDE = 0x80
CONTEXT_BASE = 0x200000
CONTEXT_STRIDE = 0x1000
THRESHOLD_OFFSET = 0x0
CLAIM_OFFSET = 0x4

LIMITS = {"sources": (1, 63), "targets": (1, 4), "priority_bits": (1, 8)}


def _check_int(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, not {value}")


class PLIC(wiring.Component):
    """RISC-V PLIC (see the module documentation for the register map and timing).

    Parameters
    ----------
    sources : int
        Number of interrupt sources, 1..63 (IDs 1..sources).
    targets : int
        Number of contexts, 1..4.
    priority_bits : int
        Width of the priority and threshold registers, 1..8 (default 3: priorities
        0..7, 0 = never interrupts).
    claim_ignores_threshold : bool
        ``False`` (default): claims return only sources above the threshold.
        ``True``: claims ignore the threshold, as in the spec's text.

    Attributes
    ----------
    addr_width : int
        Width of ``bus.adr`` (word address): enough for ``0x200000 + 0x1000*targets``.
    words : int
        32-bit words in the pending array and in each context's enable array.
    """

    def __init__(self, *, sources=31, targets=1, priority_bits=3,
                 claim_ignores_threshold=False):
        for name, value in (("sources", sources), ("targets", targets),
                            ("priority_bits", priority_bits)):
            _check_int(name, value, *LIMITS[name])
        if not isinstance(claim_ignores_threshold, bool):
            raise TypeError(f"claim_ignores_threshold must be a bool, "
                            f"not {claim_ignores_threshold!r}")
        self.sources = sources
        self.targets = targets
        self.priority_bits = priority_bits
        self.claim_ignores_threshold = claim_ignores_threshold
        self.words = (sources + 1 + 31) // 32
        self.byte_width = (CONTEXT_BASE + CONTEXT_STRIDE * targets - 1).bit_length()
        self.addr_width = self.byte_width - 2
        super().__init__({
            "bus": In(wishbone.Signature(addr_width=self.addr_width, data_width=32,
                                         granularity=8)),
            "src": In(sources),
            "irq": Out(targets),
        })

    # The eligibility rule, a method so that tests can build mutants (see
    # tests/test_plic.py); ``prio`` is a source's priority, ``threshold`` the
    # context's, ``claim`` tells whether it is for the claim or for ``irq``.
    def _eligible(self, prio, threshold, claim):
        if claim and self.claim_ignores_threshold:
            return prio != 0
        return prio > threshold

    def elaborate(self, platform):
        m = Module()
        S, T, PB, W = self.sources, self.targets, self.priority_bits, self.words
        bus = self.bus

        # ---- state ------------------------------------------------------------------
        prio = [None] + [Signal(PB, name=f"priority{i}") for i in range(1, S + 1)]
        pending = Signal(S)                 # bit i-1: source i
        busy = Signal(S)                    # gateway closed (in flight) for source i
        enable = [Signal(S, name=f"enable{c}") for c in range(T)]
        threshold = [Signal(PB, name=f"threshold{c}") for c in range(T)]

        claim_clear = Signal(S)
        complete = Signal(S)

        # ---- best eligible source per context (priority tree, ties -> lowest ID) ------
        best_id, best_prio, notify = [], [], []
        for c in range(T):
            for claim in (True, False):
                if not claim and not self.claim_ignores_threshold:
                    notify.append(best_prio[c] != 0)
                    break
                nodes = []
                for i in range(1, S + 1):
                    ok = pending[i - 1] & enable[c][i - 1] & self._eligible(
                        prio[i], threshold[c], claim)
                    nodes.append((Mux(ok, prio[i], 0), Const(i, 6)))
                level = 0
                while len(nodes) > 1:
                    nxt = []
                    for j in range(0, len(nodes) - 1, 2):
                        (ka, ia), (kb, ib) = nodes[j], nodes[j + 1]
                        # intermediate nodes are signals: each is used twice above
                        kn = Signal(PB, name=f"t{c}_{int(claim)}_{level}_{j // 2}_prio")
                        inn = Signal(6, name=f"t{c}_{int(claim)}_{level}_{j // 2}_id")
                        take_b = kb > ka
                        m.d.comb += [kn.eq(Mux(take_b, kb, ka)), inn.eq(Mux(take_b, ib, ia))]
                        nxt.append((kn, inn))
                    if len(nodes) % 2:
                        nxt.append(nodes[-1])
                    nodes = nxt
                    level += 1
                key, ident = nodes[0]
                tag = "claim" if claim else "irq"
                k = Signal(PB, name=f"best_{tag}_prio{c}")
                m.d.comb += k.eq(key)
                if claim:
                    # registered: the claim reads the best source of the previous
                    # cycle's state, which keeps the tree off the claim -> pending path
                    ix = Signal(6, name=f"best_{tag}_id{c}")
                    m.d.sync += ix.eq(Mux(key != 0, ident, 0))
                    best_prio.append(k)
                    best_id.append(ix)
                else:
                    notify.append(k != 0)

        # ---- registers (csr.Bank: request cycle, ack in the next) ---------------------
        bank = csr.Bank(bus)
        clears, completes = [[] for _ in range(S)], [[] for _ in range(S)]
        for i in range(1, S + 1):
            e = bank.add((PRIORITY_BASE + 4 * i) // 4, PB, "rw", name=f"priority{i}")
            m.d.comb += e.r_data.eq(prio[i])
            with m.If(e.w_stb):
                m.d.sync += prio[i].eq(e.w_data)
        full = Cat(Const(0, 1), pending, Const(0, 32 * W - S - 1))
        for w in range(W):
            e = bank.add((PENDING_BASE + 4 * w) // 4, 32, "r", name=f"pending{w}")
            m.d.comb += e.r_data.eq(full[32 * w:32 * w + 32])
        for c in range(T):
            full = Cat(Const(0, 1), enable[c], Const(0, 32 * W - S - 1))
            for w in range(W):
                e = bank.add((ENABLE_BASE + ENABLE_STRIDE * c + 4 * w) // 4, 32, "rw",
                             name=f"enable{c}_{w}")
                m.d.comb += e.r_data.eq(full[32 * w:32 * w + 32])
                lo, hi = max(1, 32 * w), min(S, 32 * w + 31)
                with m.If(e.w_stb):
                    m.d.sync += enable[c][lo - 1:hi].eq(e.w_data[lo - 32 * w:hi - 32 * w + 1])
            base = (CONTEXT_BASE + CONTEXT_STRIDE * c) // 4
            e = bank.add(base + THRESHOLD_OFFSET // 4, PB, "rw", name=f"threshold{c}")
            m.d.comb += e.r_data.eq(threshold[c])
            with m.If(e.w_stb):
                m.d.sync += threshold[c].eq(e.w_data)
            e = bank.add(base + CLAIM_OFFSET // 4, 32, "rw", name=f"claim{c}")
            m.d.comb += e.r_data.eq(best_id[c])
            # a claim clears the source it returns; a complete names its source in the
            # whole written word (dat_w, whatever sel)
            for i in range(1, S + 1):
                clears[i - 1].append(e.r_stb & (best_id[c] == i))
                completes[i - 1].append(e.w_stb & (bus.dat_w == i) & enable[c][i - 1])
        for i in range(S):
            m.d.comb += [claim_clear[i].eq(Cat(clears[i]).any()),
                         complete[i].eq(Cat(completes[i]).any())]
        bank.elaborate(m)

        # ---- gateways and pending bits -----------------------------------------------------
        forward = Signal(S)
        m.d.comb += forward.eq(self.src & ~busy)
        m.d.sync += [pending.eq((pending & ~claim_clear) | forward),
                     busy.eq((busy & ~complete) | forward)]

        # ---- notifications -------------------------------------------------------------------
        for c in range(T):
            m.d.sync += self.irq[c].eq(notify[c])
        return m
