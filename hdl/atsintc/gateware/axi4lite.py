"""An AXI4-Lite slave port for the controller: :class:`ATSIntcAXI4Lite` wraps
:class:`~atsintc.gateware.controller.ATSIntc` and bridges AXI4-Lite to its Wishbone port.

AXI4-Lite (AMBA AXI and ACE Protocol Specification, part B): five independent
channels, each with a ``valid``/``ready`` handshake (a transfer happens at the rising
edge where both are high). A master raises ``valid`` without waiting for ``ready``
and keeps it and the payload stable until the transfer; the slave may raise
``ready`` before or after ``valid``. Here ``awready``, ``wready`` and ``arready`` are
registers (high while the channel's one-entry buffer is empty), so there is no
combinational path from any ``valid`` to a ``ready``.

The bridge serializes every access onto the controller's one Wishbone port, which
takes 2 cycles per access (``DEQUEUE_WAIT``: until a task is ready or its timeout
expires); see :mod:`atsintc.gateware.controller` and ``docs/architecture.md`` ("Bus").
"""

from amaranth.hdl import *
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from atsintc.gateware.controller import ATSIntc
from atsintc.regmap import Params

__all__ = ["Signature", "ATSIntcAXI4Lite", "FlatTop", "OKAY"]

OKAY = 0b00         # the only response given: refusals are reported in ERROR registers


class Signature(wiring.Signature):
    """AXI4-Lite signature from the master's point of view (``flipped`` for a slave).

    Members (AMBA names in lower case): write address ``awaddr``, ``awprot``,
    ``awvalid``, ``awready``; write data ``wdata``, ``wstrb``, ``wvalid``, ``wready``;
    write response ``bresp``, ``bvalid``, ``bready``; read address ``araddr``,
    ``arprot``, ``arvalid``, ``arready``; read data ``rdata``, ``rresp``, ``rvalid``,
    ``rready``. Addresses are byte addresses.

    Parameters
    ----------
    addr_width : int
        Width of ``awaddr``/``araddr`` (byte addresses).
    data_width : int
        32 or 64 (``wstrb`` has ``data_width // 8`` bits).
    """

    def __init__(self, *, addr_width, data_width):
        if data_width not in (32, 64):
            raise ValueError(f"AXI4-Lite data width must be 32 or 64, not {data_width!r}")
        if isinstance(addr_width, bool) or not isinstance(addr_width, int) or addr_width < 1:
            raise TypeError(f"address width must be a positive integer, not {addr_width!r}")
        self.addr_width = addr_width
        self.data_width = data_width
        super().__init__({
            "awaddr": Out(addr_width), "awprot": Out(3), "awvalid": Out(1), "awready": In(1),
            "wdata": Out(data_width), "wstrb": Out(data_width // 8), "wvalid": Out(1),
            "wready": In(1),
            "bresp": In(2), "bvalid": In(1), "bready": Out(1),
            "araddr": Out(addr_width), "arprot": Out(3), "arvalid": Out(1), "arready": In(1),
            "rdata": In(data_width), "rresp": In(2), "rvalid": In(1), "rready": Out(1),
        })

    def __eq__(self, other):
        return (isinstance(other, Signature) and self.addr_width == other.addr_width and
                self.data_width == other.data_width)

    def __repr__(self):
        return (f"axi4lite.Signature(addr_width={self.addr_width}, "
                f"data_width={self.data_width})")


class ATSIntcAXI4Lite(wiring.Component):
    """The controller with an AXI4-Lite slave port instead of Wishbone.

    ``params`` is a :class:`atsintc.regmap.Params` (or keyword arguments for one),
    validated there like :class:`~atsintc.gateware.controller.ATSIntc`'s. The wrapped
    controller is ``self.ctl``.

    Ports
    =====

    * ``bus``: AXI4-Lite slave (:class:`Signature`), data width = xlen, byte
      addresses of ``addr_width`` bits (the controller's ``params.size`` bytes: the
      kernel window and one 4 KiB window per process; registers 8 bytes apart whatever
      xlen is). The address bits below the bus word are ignored (the access is to the
      word holding the address; a master writes sub-word data with ``wstrb``).
      ``awprot``/``arprot`` are accepted and ignored (protection is by window).
      ``bresp``/``rresp`` are always OKAY.
    * ``irq_in``, ``irq_out``: as :class:`~atsintc.gateware.controller.ATSIntc`'s.

    Protocol and timing (cycle 0 = the cycle ``valid`` is first high)
    =================================================================

    * Each of AW, W and AR has a one-entry buffer; its ``ready`` is a register, high
      while the buffer is empty (so also before ``valid`` rises). A transfer into an
      empty buffer is started on the controller at once if the port is free.
    * **Read**: AR transfer in cycle 0 with the bridge idle: the controller decides the
      access in cycle 1 and answers in cycle 2; ``rvalid`` is high in **cycle 3**
      with ``rdata`` (held, with ``rdata`` stable, until ``rready``).
    * **Write**: a write needs both AW and W; they may come in any order or together.
      With both transferred in cycle 0 and the bridge idle: the write is decided (and
      takes effect) in cycle 1, acknowledged in 2; ``bvalid`` is high in **cycle
      3**. With W in cycle ``k`` after AW (or AW after W), count from ``k``.
    * **Throughput**: one access every 2 cycles (the controller's), reads and
      writes mixed, while the master keeps ``rready``/``bready`` high. Up to two read
      responses and two write responses are buffered; a new access is started only
      if its response has a place, so ``rready``/``bready`` held low stall the port
      (after the buffered ones) without losing anything.
    * **Arbitration**: the bridge starts one controller access at a time, in the
      cycle after the previous one's acknowledge at the earliest (back-to-back).
      When a read (AR) and a write (AW and W) are both waiting, they alternate: the
      kind other than the last one started goes first (after reset: the write), so
      neither channel starves the other. Responses come back in order per channel
      (AXI4-Lite has no IDs); a read and a write issued at once may be made in
      either order (a master that needs an order waits for the first response).
    * **wstrb** is the controller's byte select: a write whose ``wstrb`` is not all
      ones is refused by the controller (``INVALID`` in the window's sticky ERROR
      register, nothing changes) and still answered OKAY. Reads ignore the strobes.
    * **DEQUEUE_WAIT**: the read is held on the controller until a task is ready or
      the process's ``WAIT_TIMEOUT`` expires; only then ``rvalid`` rises. With no
      task: AR in cycle 0, ``rvalid`` in cycle ``WAIT_TIMEOUT + 3`` (3 for 0). An
      interrupt edge on ``irq_in`` in cycle ``t`` that wakes a task for the waiting
      process: ``rvalid`` with it in ``t + 4`` (the controller's ack in ``t + 3``).
      Meanwhile the Wishbone port is busy, so the bridge starts no other access:
      **every other read and write waits** (one more AR and one AW + W are accepted
      into the buffers, then their ``ready`` stay low). AXI cannot withdraw a read,
      so a wait always runs to a task or to the timeout: bound it with
      ``WAIT_TIMEOUT`` (0: no waiting).
    * **Errors** never stall or fault the bus: every access is answered OKAY (also
      unmapped addresses, read-only or write-only registers, refused operations); the
      controller's sticky ERROR registers (kernel and per-process windows) say what
      was refused and why.
    * Reads that remove something (DEQUEUE, DEQUEUE_WAIT, RECV) are never withdrawn
      from the controller: the task or message read is always delivered on R.
    """

    def __init__(self, params=None, **kwargs):
        if params is None:
            params = Params(**kwargs)
        elif kwargs:
            raise TypeError("give either params or keyword arguments, not both")
        elif not isinstance(params, Params):
            raise TypeError(f"params must be an atsintc.regmap.Params, not {params!r}")
        if params.ports != 1:
            raise ValueError(f"the AXI4-Lite controller has one port; ports must be 1, "
                             f"not {params.ports} (several ports: the Wishbone controller)")
        self.params = p = params
        self.ctl = ATSIntc(p)
        self.word_bytes = p.xlen // 8
        self.word_shift = (self.word_bytes - 1).bit_length()
        self.addr_width = self.ctl.addr_width + self.word_shift
        super().__init__({
            "bus": In(Signature(addr_width=self.addr_width, data_width=p.xlen)),
            "irq_in": In(p.vectors),
            "irq_out": Out(p.processes),
            "mtime": In(64),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.ctl = ctl = self.ctl
        wb, axi, X, sh = ctl.bus, self.bus, self.params.xlen, self.word_shift
        lanes = self.word_bytes
        m.d.comb += [ctl.irq_in.eq(self.irq_in), self.irq_out.eq(ctl.irq_out),
                     ctl.mtime.eq(self.mtime)]

        # ---- the controller's Wishbone port, driven from registers -------------------
        busy = Signal()                     # cyc = stb: an access on the controller
        we = Signal()
        adr = Signal(len(wb.adr))
        sel = Signal(lanes)
        dat_w = Signal(X)
        m.d.comb += [wb.cyc.eq(busy), wb.stb.eq(busy), wb.we.eq(we), wb.adr.eq(adr),
                     wb.sel.eq(sel), wb.dat_w.eq(dat_w)]
        done = Signal()                     # the access completes at this edge
        free = Signal()                     # a new access may start at this edge
        m.d.comb += [done.eq(busy & wb.ack), free.eq(~busy | wb.ack)]

        # ---- request channels: a one-entry buffer each, ready = buffer empty ---------
        def channel(valid, ready, *payload):
            """(have, full, current payload...): ``have`` = a request in the buffer or
            transferred now; the current payload is the buffer's or the bus's."""
            full = Signal(name=f"{valid.name}_full")
            m.d.comb += ready.eq(~full)
            take = valid & ~full
            cur = []
            for sig in payload:
                buf = Signal.like(sig, name=f"{sig.name}_buf")
                with m.If(take):
                    m.d.sync += buf.eq(sig)
                cur.append(Mux(full, buf, sig))
            return take | full, full, cur

        aw_have, aw_full, (awaddr,) = channel(axi.awvalid, axi.awready, axi.awaddr)
        w_have, w_full, (wdata, wstrb) = channel(axi.wvalid, axi.wready, axi.wdata,
                                                 axi.wstrb)
        ar_have, ar_full, (araddr,) = channel(axi.arvalid, axi.arready, axi.araddr)

        # ---- responses: R in a 2-entry FIFO, B as a count (0..2) -----------------------
        m.submodules.rfifo = rq = SyncFIFO(width=X, depth=2)
        m.d.comb += [axi.rvalid.eq(rq.r_rdy), axi.rdata.eq(rq.r_data),
                     axi.rresp.eq(OKAY), rq.r_en.eq(axi.rready),
                     rq.w_en.eq(done & ~we), rq.w_data.eq(wb.dat_r)]
        bcount = Signal(range(3))
        b_pop = Signal()
        m.d.comb += [axi.bvalid.eq(bcount != 0), axi.bresp.eq(OKAY),
                     b_pop.eq(axi.bvalid & axi.bready)]
        m.d.sync += bcount.eq(bcount + (done & we) - b_pop)
        # responses held plus the one owed by an access on the controller, after this
        # edge's hand-overs: a new access starts only if its response has a place
        r_owed = Signal(range(4))
        b_owed = Signal(range(4))
        m.d.comb += [r_owed.eq(rq.level + (busy & ~we) - (rq.r_rdy & axi.rready)),
                     b_owed.eq(bcount + (busy & we) - b_pop)]

        # ---- arbitration: one access at a time; a waiting read and write alternate ----
        want_rd = Signal()
        want_wr = Signal()
        last_wr = Signal()                  # the last access started was a write
        pick_wr = Signal()
        start = Signal()
        m.d.comb += [want_rd.eq(ar_have & (r_owed < 2)),
                     want_wr.eq(aw_have & w_have & (b_owed < 2)),
                     pick_wr.eq(want_wr & (~want_rd | ~last_wr)),
                     start.eq(free & (want_rd | want_wr))]
        with m.If(start):
            m.d.sync += [busy.eq(1), we.eq(pick_wr), last_wr.eq(pick_wr),
                         adr.eq(Mux(pick_wr, awaddr[sh:], araddr[sh:])),
                         sel.eq(Mux(pick_wr, wstrb, (1 << lanes) - 1)),
                         dat_w.eq(Mux(pick_wr, wdata, 0))]
        with m.Elif(done):
            m.d.sync += busy.eq(0)
        # a buffer holds its request until the access is started
        m.d.sync += [aw_full.eq(aw_have & ~(start & pick_wr)),
                     w_full.eq(w_have & ~(start & pick_wr)),
                     ar_full.eq(ar_have & ~(start & ~pick_wr))]
        return m


class FlatTop(Elaboratable):
    """:class:`ATSIntcAXI4Lite` with flat, plainly named ports for Verilog: ``clk``,
    ``rst``, ``s_axil_<member>`` (``s_axil_awaddr``, ..., ``s_axil_rready``),
    ``irq_in``, ``irq_out``, ``mtime``."""

    PREFIX = "s_axil_"

    def __init__(self, params=Params()):
        self.ctl = ATSIntcAXI4Lite(params)
        self.irq_in = Signal(params.vectors, name="irq_in")
        self.irq_out = Signal(params.processes, name="irq_out")
        self.mtime = Signal(64, name="mtime")
        self._bus = []                      # (port, the bus's signal, is an input)
        master = self.ctl.bus.signature.flip()      # the master's view: Out = to us
        for name, member in master.members.items():
            port = Signal(member.shape, name=self.PREFIX + name)
            setattr(self, self.PREFIX + name, port)
            self._bus.append((port, getattr(self.ctl.bus, name), member.flow == Out))

    def ports(self):
        return [port for port, _, _ in self._bus] + [self.irq_in, self.irq_out, self.mtime]

    def elaborate(self, platform):
        m = Module()
        m.submodules.ctl = c = self.ctl
        for port, inner, is_input in self._bus:
            m.d.comb += inner.eq(port) if is_input else port.eq(inner)
        m.d.comb += [c.irq_in.eq(self.irq_in), self.irq_out.eq(c.irq_out)]
        return m
