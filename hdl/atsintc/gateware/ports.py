"""Several bus ports (one per hart) in front of the controller's one decide stage."""

from amaranth.hdl import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from atsintc.gateware import wishbone

__all__ = ["PortArbiter"]


class PortArbiter(wiring.Component):
    """Serializes the accesses of ``ports`` Wishbone masters onto the controller's
    decide stage (``core``), round robin, so that simultaneous operations are applied
    one after the other, each seeing the effects of the ones before.

    Ports: ``bus[i]`` (Wishbone slaves, the harts' ports), ``core`` (Wishbone master
    to the controller: 2 cycles per access, ack gated by ``cyc & stb``, a DEQUEUE_WAIT
    holds its ack), ``waiting`` (In: the controller holds a DEQUEUE_WAIT), ``avail``
    (In, one bit per process: a DEQUEUE_WAIT of that process would get a task now),
    ``grant`` (Out: the port ``core`` serves).

    Timing (cycles):

    * A port is *granted* at the clock edge after a cycle in which the arbiter is free
      (nothing granted, or the granted port's access acknowledged, or the granted port
      idle) and it requests; among several requesting ports the first one after the
      port granted last, in index order (round robin). The granted port's access is
      decided by the controller in the cycle after its grant and acknowledged in the
      next: an access with no contention takes 3 cycles (one more than on a single
      port), and each port that requests at the same time delays it by 2.
    * A port keeps the grant for back-to-back accesses (a new access in the cycle after
      its ack) while no other port requests.
    * A DEQUEUE_WAIT never stalls another port: while the controller holds one
      (``waiting``) and another port requests, the arbiter withdraws the waiting access
      (``cyc`` low to the controller for one cycle: nothing is dequeued, no ack) and
      grants the other port. The withdrawn port keeps requesting; it is *yielded* and
      granted again as soon as its process has a ready task (``avail``, from the
      window its address selects), or else when no other (not yielded) port requests;
      there its DEQUEUE_WAIT starts again (with a full WAIT_TIMEOUT). A waiting
      access is withdrawn for a port that is not yielded or whose yielded wait would
      now get a task, never for a yielded wait that would only wait again: waits of
      several ports on different processes do not ping-pong, and none blocks another
      whose task has arrived. Timing: a yielded wait whose process gets a task is
      re-granted in the next cycle and acknowledged with it 2 cycles later. A
      yielded wait's WAIT_TIMEOUT counts only while it holds the controller: while
      another port's wait holds it, the timeout does not expire.
    """

    def __init__(self, ports, *, addr_width, data_width, processes=1, window_shift=None):
        if not isinstance(ports, int) or ports < 2:
            raise ValueError(f"PortArbiter needs at least 2 ports, not {ports!r}")
        self.ports = ports
        self.processes = processes
        # word address >> window_shift = window (0: kernel, p + 1: process p)
        self.window_shift = addr_width if window_shift is None else window_shift
        sig = wishbone.Signature(addr_width=addr_width, data_width=data_width,
                                 granularity=8)
        super().__init__({
            "bus": In(sig).array(ports),
            "core": Out(sig),
            "waiting": In(1),
            "avail": In(processes),
            "grant": Out(range(ports)),
        })

    def elaborate(self, platform):
        m = Module()
        N = self.ports
        req = Signal(N)
        m.d.comb += req.eq(Cat(b.cyc & b.stb for b in self.bus))
        granted = Signal()              # self.grant is the port being served
        withdraw = Signal()             # this cycle, core sees no request

        # ---- the granted port drives the controller ------------------------------------
        core = self.core
        for i, b in enumerate(self.bus):
            sel = granted & (self.grant == i)
            with m.If(sel):
                m.d.comb += [core.adr.eq(b.adr), core.dat_w.eq(b.dat_w), core.sel.eq(b.sel),
                             core.we.eq(b.we), core.cyc.eq(b.cyc & ~withdraw),
                             core.stb.eq(b.stb & ~withdraw)]
            m.d.comb += [b.ack.eq(sel & core.ack), b.dat_r.eq(core.dat_r)]

        # ---- round robin: the first requesting port after `grant`; ports whose
        # DEQUEUE_WAIT yielded come after every other request ---------------------------
        yielded = Signal(N)
        others = Signal(N)              # requesting ports other than the granted one
        m.d.comb += others.eq(req & ~Mux(granted, 1 << self.grant, 0))
        # a yielded wait whose process now has a task can succeed: it counts as fresh
        ready_wait = Signal(N)
        for i, b in enumerate(self.bus):
            win = b.adr[self.window_shift:]
            ok = Const(0)
            for q in range(self.processes):         # window q + 1 is process q
                ok = ok | ((win == q + 1) & self.avail[q])
            m.d.comb += ready_wait[i].eq(yielded[i] & ok)
        fresh = Signal(N)
        m.d.comb += fresh.eq(others & (~yielded | ready_wait))
        cand = Signal(N)
        m.d.comb += cand.eq(Mux(fresh.any(), fresh, others))
        pick = Signal(range(N))
        for k in reversed(range(1, N + 1)):          # lowest distance after grant wins
            for i in range(N):
                with m.If((self.grant == (i - k) % N) & cand[i]):
                    m.d.comb += pick.eq(i)

        mine = Signal()                 # the granted port requests
        m.d.comb += mine.eq(granted & req.bit_select(self.grant, 1))
        # a DEQUEUE_WAIT yields to a port that is not itself a yielded wait, or whose
        # yielded wait would get a task: withdrawn this cycle (decided from registers
        # and requests only, not from the ack, which depends on it)
        m.d.comb += withdraw.eq(mine & self.waiting & fresh.any())
        with m.If(~granted | ~mine):
            # free: grant whoever requests next (or nobody)
            m.d.sync += [granted.eq(others.any()), self.grant.eq(pick)]
        with m.Elif(withdraw):
            m.d.sync += self.grant.eq(pick)
        with m.Elif(core.ack & others.any()):
            # the access ends this cycle and someone else waits: hand over
            m.d.sync += self.grant.eq(pick)
        # yielded[i]: port i's DEQUEUE_WAIT was withdrawn and it still requests
        for i in range(N):
            g = granted & (self.grant == i)
            with m.If(~req[i] | (g & core.ack)):
                m.d.sync += yielded[i].eq(0)
            with m.Elif(g & withdraw):
                m.d.sync += yielded[i].eq(1)
        return m
