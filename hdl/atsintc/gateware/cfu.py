"""A tightly coupled path to the controller: VexRiscv's CFU (custom function unit)
port turned into Wishbone accesses on an ATS-INTC bus port.

VexRiscv_FullCfu (pythondata-cpu-vexriscv, ``GenCoreDefault --cfu true``) has a
``CfuPlugin`` that decodes every R-type instruction with opcode ``custom-0`` (0x0B)
and hands it to an external unit over a cmd/rsp stream pair:

* ``cmd``: ``function_id`` (10 bits) = ``{funct7, funct3}`` = instruction bits
  ``{31:25, 14:12}`` (funct3 in ``function_id[2:0]``), ``inputs_0`` = ``rs1``,
  ``inputs_1`` = ``rs2``; sent from the execute stage (the instruction waits there
  until ``ready``, and before it is sent until older loads, stores, branches and CSR
  accesses have left the memory and writeback stages);
* ``rsp``: ``outputs_0``, written to ``rd``; awaited in the memory stage (the pipeline
  stalls there until ``valid``). A response that comes while the memory stage cannot
  take it is kept in a one-entry buffer inside the CPU, which registers ``rsp.ready``
  (= buffer empty), so ``ready`` never depends on ``valid``.
* The unit is off after reset: bit 31 of CSR 0xBC0 enables it, and a custom-0
  instruction while it is off is an illegal instruction. VexRiscv shares that CSR with
  the ``externalInterruptArray`` mask (bits 30..0 are the mask of lines 30..0): set the
  bit with ``csrs`` and change the mask with ``csrs`` / ``csrc`` (a ``csrw`` of a mask
  without bit 31 turns the CFU off).

Encoding (``firmware/include/atsintc_cfu.h``) -- one instruction, one bus access::

    .insn r 0x0B, funct3, funct7, rd, rs1, rs2
    funct3[0]    1: write rs2, rd = 0      0: read, rd = the register's value
    funct3[2:1]  byte offset bits 11:10
    funct7       byte offset bits 9:3
    address      (rs1 + offset) modulo the port's address space (byte address; its
                 bits 1:0 are ignored, all four byte lanes are selected)

so every register of a 4 KiB window (registers are 8 bytes apart) is one instruction
with ``rs1`` = the window's MMIO address (``ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, p)``,
whose high bits fall off) and a constant offset: ENQUEUE (``f3=1, f7=0``), DEQUEUE
(``f3=0, f7=1``), BLOCK(v) (``0x100 + 8v``), SEND (``0x500 + ...``), BLOCK_UNTIL
(``0xD00 + ...``), the kernel window's VEC_RAISE, etc. A register whose offset is only
known at run time: ``rs1`` = its address, offset 0.

Timing (``registered=False``, the default, ``defer`` low), with a slave that
acknowledges in the cycle after the request (the controller with one port, also behind
the SoC's combinational arbiter; every :class:`atsintc.gateware.csr.Bank` slave), cycle
0 being the cycle in which the CPU raises ``cmd.valid``:

* cycle 0: ``cmd.ready`` = 1 (the bridge is idle); the Wishbone request is driven
  combinationally from the command (``cyc``, ``stb``, ``adr`` from ``rs1`` + offset,
  ``we``, ``dat_w`` = ``rs2``) and copied into registers;
* cycle 1: the request is held from the registers; the slave acks, and ``rsp.valid``
  = ``ack`` with ``outputs_0`` = ``dat_r`` (0 for a write), combinationally;
* cycle 2: the bridge is idle again (a new command is accepted).

For VexRiscv that is no stall at all: the instruction is in the execute stage in cycle 0
and in the memory stage in cycle 1, where the response is waiting; a custom instruction
costs one cycle, like an ALU instruction. Its result is bypassed from the memory stage:
an instruction right after it that uses it waits one cycle (as after a load).
Two of them back to back cost 2 cycles each (the second waits in execute while the
first holds the bus). A slave that takes ``n`` cycles per access (``n - 1`` from request
to ack; e.g. 3 on a :class:`~atsintc.gateware.ports.PortArbiter` port) adds ``n - 2``
stall cycles. ``ready`` and ``cyc`` depend on ``cmd.valid``, ``defer`` and the bridge's
registers only, never on ``ack``, and ``rsp.valid`` / ``outputs_0`` depend on ``ack`` / ``dat_r``
combinationally.

``registered=True`` cuts the combinational path from the CPU's execute stage (its
operand bypass network) into the slave's address decoding: the command is registered
in cycle 0 and the request driven from the registers from cycle 1, so everything is one
cycle later (a 2-cycle slave answers in cycle 2: one stall cycle per instruction).

Ordering with the CPU's own MMIO accesses: VexRiscv posts stores (an uncached store
leaves the pipeline when the data cache's command pipe takes it; the dBus Wishbone cycle
starts in the next cycle and may wait behind older accesses), and a custom instruction
only waits until older loads and stores have left the pipeline. Without help a custom
instruction right after an MMIO store to the controller (a CAP or DEADLINE write, an
ENQUEUE) could reach the controller first. ``defer`` is that help: tied to the dBus's
``cyc`` (high from the cycle after such a store has left the pipeline until every access
posted before has been acknowledged, without a gap), it keeps a new access off the bus
while the dBus has one in flight; it costs cycles only right after an MMIO or RAM store,
or a cache refill. The other direction needs nothing: a younger load or store reaches
the dBus only after the custom instruction has its response.

A response the CPU does not take at once (``rsp.ready`` low in the ack cycle) is held
(``rsp.valid`` stays high with the same data) and no new command is accepted until it
is taken. An access the slave holds (an ATS-INTC ``DEQUEUE_WAIT`` through the CFU)
holds the CPU in its memory stage, like the same MMIO load; the bus is never withdrawn.
"""

from amaranth.hdl import *
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from atsintc.gateware import wishbone

__all__ = ["CfuBridge", "CmdLayout", "RspLayout", "FUNCTION_ID_WIDTH", "OFFSET_BITS",
           "encode", "decode"]

#: Width of VexRiscv's ``CfuPlugin_bus_cmd_payload_function_id`` ({funct7, funct3}).
FUNCTION_ID_WIDTH = 10
#: The constant byte offset of an instruction has this many bits (a 4 KiB window).
OFFSET_BITS = 12

#: ``cmd`` payload: VexRiscv's ``CfuPlugin_bus_cmd_payload_*`` names.
CmdLayout = data.StructLayout({"function_id": FUNCTION_ID_WIDTH, "inputs_0": 32,
                               "inputs_1": 32})
#: ``rsp`` payload: ``CfuPlugin_bus_rsp_payload_outputs_0``.
RspLayout = data.StructLayout({"outputs_0": 32})


def encode(offset, write):
    """``(funct3, funct7)`` of the instruction accessing byte ``offset`` (a multiple of
    8 below 4096) from ``rs1``; ``write``: a write of ``rs2`` (else a read)."""
    if isinstance(offset, bool) or not isinstance(offset, int) or \
            not 0 <= offset < 1 << OFFSET_BITS or offset % 8:
        raise ValueError(f"offset must be a multiple of 8 in 0..{(1 << OFFSET_BITS) - 8}, "
                         f"not {offset!r}")
    return (offset >> 10) << 1 | bool(write), (offset >> 3) & 0x7F


def decode(function_id):
    """``(offset, write)`` of a ``function_id`` ({funct7, funct3})."""
    if not 0 <= function_id < 1 << FUNCTION_ID_WIDTH:
        raise ValueError(f"function_id must be a {FUNCTION_ID_WIDTH}-bit value, "
                         f"not {function_id!r}")
    f3, f7 = function_id & 7, function_id >> 3
    return (f3 >> 1) << 10 | f7 << 3, bool(f3 & 1)


class CfuBridge(wiring.Component):
    """VexRiscv CFU port -> one Wishbone access per command (see the module docstring
    for the encoding and the cycle timing).

    Parameters
    ----------
    addr_width : int
        Word address width of ``bus`` (the controller's ``ATSIntc.addr_width``), 1..30:
        the byte address ``rs1 + offset`` is taken modulo ``4 << addr_width``.
    data_width : int
        Must be 32 (VexRiscv's CFU operands; the controller with ``xlen=32``).
    registered : bool
        Register the command before it reaches the bus (one more cycle, no
        combinational path from ``cmd`` to ``bus``).

    Ports
    -----
    cmd : ``In(stream.Signature(CmdLayout))``
        ``valid`` / ``ready`` / ``payload.function_id``, ``.inputs_0`` (rs1),
        ``.inputs_1`` (rs2): VexRiscv's ``CfuPlugin_bus_cmd_*``.
    rsp : ``Out(stream.Signature(RspLayout))``
        ``valid`` / ``ready`` / ``payload.outputs_0`` (rd): ``CfuPlugin_bus_rsp_*``.
    bus : ``Out(wishbone.Signature(addr_width=addr_width, data_width=32, granularity=8))``
        The Wishbone master (classic cycles, ``sel`` all ones).
    defer : ``In(1)``
        While high, an access that has not yet been on the bus stays off it (the command
        is taken all the same and waits in the registers); one that has stays until its
        ack. The SoC ties it to the CPU's dBus ``cyc`` (ordering, see the module
        docstring); 0: no effect on the timing.
    """

    def __init__(self, *, addr_width, data_width=32, registered=False):
        if isinstance(addr_width, bool) or not isinstance(addr_width, int) or \
                not 1 <= addr_width <= 30:
            raise ValueError(f"addr_width must be an integer in 1..30 (a word address of "
                             f"a 32-bit bus), not {addr_width!r}")
        if data_width != 32:
            raise ValueError(f"the CFU bridge has 32-bit data (VexRiscv's CFU operands), "
                             f"not {data_width!r}: the controller needs xlen=32")
        if not isinstance(registered, bool):
            raise TypeError(f"registered must be a bool, not {registered!r}")
        self.addr_width = addr_width
        self.data_width = data_width
        self.registered = registered
        super().__init__({
            "cmd": In(stream.Signature(CmdLayout)),
            "rsp": Out(stream.Signature(RspLayout)),
            "bus": Out(wishbone.Signature(addr_width=addr_width, data_width=32,
                                          granularity=8)),
            "defer": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        cmd, rsp, bus = self.cmd, self.rsp, self.bus
        aw = self.addr_width

        # ---- the command's access ---------------------------------------------------
        fid = cmd.payload.function_id
        offset = Cat(Const(0, 3), fid[3:10], fid[1:3])            # 12-bit byte offset
        byte_addr = Signal(32, name="cmd_byte_addr")
        m.d.comb += byte_addr.eq(cmd.payload.inputs_0 + offset)
        c_adr = byte_addr[2:2 + aw]
        c_we = fid[0]

        busy = Signal(name="busy")          # a command taken, its access not complete
        started = Signal(name="started")    # ... and on the bus since an earlier cycle
        pend = Signal(name="rsp_pending")   # a response waits for rsp.ready
        adr_r = Signal(aw, name="adr_r")
        we_r = Signal(name="we_r")
        dat_w_r = Signal(32, name="dat_w_r")
        rdata_r = Signal(32, name="rdata_r")

        idle = ~busy & ~pend
        m.d.comb += cmd.ready.eq(idle)
        fire = Signal(name="cmd_fire")
        m.d.comb += fire.eq(cmd.valid & idle)
        with m.If(fire):
            m.d.sync += [adr_r.eq(c_adr), we_r.eq(c_we), dat_w_r.eq(cmd.payload.inputs_1)]

        # ---- the Wishbone request: from the command in its cycle (unless registered),
        # from the registers afterwards; `defer` keeps an access that has not started
        # off the bus -----------------------------------------------------------------
        direct = Signal(name="direct")      # the command drives the bus this cycle
        m.d.comb += direct.eq(fire & ~self.defer if not self.registered else 0)
        we = Signal(name="we")
        m.d.comb += [
            bus.cyc.eq(direct | (busy & (started | ~self.defer))),
            bus.stb.eq(bus.cyc),
            bus.adr.eq(Mux(busy, adr_r, c_adr)),
            we.eq(Mux(busy, we_r, c_we)), bus.we.eq(we),
            bus.dat_w.eq(Mux(busy, dat_w_r, cmd.payload.inputs_1)),
            bus.sel.eq(0b1111),
        ]
        done = Signal(name="done")          # the access completes this cycle
        m.d.comb += done.eq(bus.cyc & bus.ack)
        result = Signal(32, name="result")
        m.d.comb += result.eq(Mux(we, 0, bus.dat_r))

        # ---- the response -------------------------------------------------------------
        m.d.comb += [rsp.valid.eq(pend | done),
                     rsp.payload.outputs_0.eq(Mux(pend, rdata_r, result))]
        with m.If(done):
            m.d.sync += [busy.eq(0), started.eq(0)]
            with m.If(~rsp.ready):
                m.d.sync += [pend.eq(1), rdata_r.eq(result)]
        with m.Else():
            with m.If(fire):
                m.d.sync += busy.eq(1)
            with m.If(bus.cyc):
                m.d.sync += started.eq(1)
        with m.If(pend & rsp.ready):
            m.d.sync += pend.eq(0)
        return m
