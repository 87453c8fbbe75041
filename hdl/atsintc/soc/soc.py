"""A VexRiscv SoC around ATS-INTC, for whole-system simulation and the FPGA boards.

::

    VexRiscv_Full (RV32IM, I$ 4 KiB, D$ write-through, Zicsr, mcycle)
      iBus ----------------------------+
      dBus --+-- addr < RAM_SIZE ------+--> arbiter --> RAM (atsintc_soc_ram, ram.v)
             +-- 0x8000_0000 ------------> SoC control (console, exit, cycle, mtime)
             +-- 0x8001_0000 ------------> InterruptSource --irq[v]--+--> PLIC src v+1
             +-- 0x8C00_0000 ------------> PLIC  --irq[0]--> externalInterruptArray[0]
             +-- 0x9000_0000 ------------> ATS-INTC --irq_out[0]--> externalInterruptArray[1]
             +-- anything else ----------> default slave (ack, reads 0)
                                    InterruptSource irq[v] -----> ATS-INTC irq_in[v]

The memory map is :mod:`atsintc.soc.memmap` (``firmware/include/soc.h``).

Small configurations (``atsintc.boards.icebreaker``, ``boards/icebreaker.py``):
``SoC(cpu_variant="VexRiscv_Min", plic=False, irqsrc=False, ...)`` keeps the CPU, RAM,
SoC control and ATS-INTC only; the missing blocks' windows fall to the default slave
and their interrupt lines are 0. The defaults are the full SoC above.

CFU port (issue 14): ``SoC(cpu_variant="VexRiscv_FullCfu")`` adds a
:class:`atsintc.gateware.cfu.CfuBridge` on VexRiscv's CFU port, so that one custom-0
instruction (``firmware/include/atsintc_cfu.h``) is one access on the controller (a
DEQUEUE in 1 cycle instead of the 4-5 of an uncached load); ``cfu_bus`` chooses how the
bridge reaches the controller (see :class:`SoC`). The dBus path is unchanged: firmware
can use both, in program order (the bridge's ``defer`` is the dBus's ``cyc``: no CFU
access starts while a posted store may still be on its way to the controller).

Interconnect (all Wishbone B4, word addresses, 32-bit data, byte ``sel``)
==========================================================================

Every bus is an :class:`atsintc.gateware.wishbone.Signature` (amaranth-soc's names); the
peripherals are :class:`~amaranth.lib.wiring.Component` s with a ``bus`` port
``In(wishbone.Signature(...))``, and the interconnect is the shared
:class:`atsintc.gateware.wishbone.Decoder` and :class:`atsintc.gateware.wishbone.Arbiter`.

* The iBus only reaches the RAM (no execution from MMIO; its address is cut to the
  RAM's, so it sees the RAM repeated over its whole address space). The dBus reaches
  the RAM through the two-master arbiter and the peripherals through its own
  :class:`~atsintc.gateware.wishbone.Decoder`, so a slave that holds its ack (ATS-INTC
  ``DEQUEUE_WAIT``) does not stop instruction fetches from RAM.
* Arbiter (:class:`~atsintc.gateware.wishbone.Arbiter`, iBus first): the master that owns the
  RAM keeps it while its ``cyc`` is high (a burst is never split); when it drops
  ``cyc`` the other master, if requesting, gets the RAM in the same cycle (no dead
  cycle), otherwise the owner stays.
* RAM slave: registered ack, read data with the ack. It *reads ahead* during
  incrementing bursts (CTI = 010): in a cycle in which it acknowledges a beat whose
  CTI says another follows, it already reads ``adr + 1``, so an 8-beat cache-line
  refill takes 9 cycles instead of 16. Single accesses (CTI 000, all stores and the
  end of a burst, 111) take 2 cycles.
* Peripherals (SoC control :class:`SoCControl`, InterruptSource, PLIC, ATS-INTC) are
  2-cycle classic slaves (the first three on :class:`atsintc.gateware.csr.Bank`); two
  accesses take longer: an ATS-INTC ``DEQUEUE_WAIT`` that waits for a task, and a
  CONSOLE write while the previous byte is still held. The decoder (combinational, no
  added cycle) maps each at its :mod:`memmap` base and compares the address bits above
  the slave's own address width, so a slave appears exactly once (no aliases inside
  the 0x8000_0000 region).
  Next to it a default slave acknowledges every access no window takes (a burst beat
  by beat, 2 cycles for a single access) and reads 0.

Interrupts
==========

``externalInterruptArray[0]`` = PLIC context 0 (``meip`` for the usual PLIC flow);
``externalInterruptArray[1]`` = ATS-INTC ``irq_out[0]`` (process slot 0 has a ready task
/ a preemption hint), so firmware can sleep in WFI until the controller has work:
enable bit 1 in VexRiscv's CSR 0xBC0 (mask) to use it. ``timerInterrupt`` = ``mtime >=
mtimecmp`` (SoC control). ``softwareInterrupt`` is tied low.

Ports
=====

The SoC is a :class:`~amaranth.lib.wiring.Component` with these ports:

* ``console`` (``Out(stream.Signature(8))``: ``valid`` / ``payload`` out, ``ready``
  in): the bytes written to CONSOLE; a byte is held until ``ready``, and a CONSOLE
  write waits while a byte is still held. ``ready`` must be driven: left at its reset
  value 0, the first byte is never taken and the second CONSOLE write never completes;
* ``exit`` (:data:`ExitSignature`: ``valid`` / ``code``): ``valid`` is a one-cycle
  pulse when EXIT is written, ``code`` the value written;
* ``irq_ext`` (in, ``vectors`` bits): extra device lines OR'ed into the
  InterruptSource's (the boards' buttons); ``atsintc_irq`` (out): the ATS-INTC's
  ``irq_out``.

In simulation (:mod:`atsintc.tools.socsim`) the top-level Verilog ports are
:meth:`SoC.ports` plus ``clk``, named ``<port>__<member>``: ``console__valid``,
``console__payload``, ``console__ready`` (an input), ``exit__valid``, ``exit__code``;
``irq_ext`` and ``atsintc_irq`` are not brought out there (``irq_ext`` is 0). The
harness (``sim_main.cpp``) holds ``console__ready`` at 1 (a byte per cycle) and
watches these ports after every rising clock edge (nothing is printed from inside the
HDL, which keeps the console in the harness's hands and the model free of
``$display``).

On the boards the console stream is connected (``wiring.connect``) to the UART
transmitter's ``data`` stream (:class:`atsintc.soc.uart.UARTTx`, whose FIFO gives the
back-pressure), ``irq_ext`` to the debounced buttons, and EXIT and ``atsintc_irq[0]``
drive LEDs.
"""

from pathlib import Path

from amaranth.hdl import *
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from atsintc.gateware import csr, wishbone
from atsintc.gateware.cfu import CfuBridge
from atsintc.gateware.controller import ATSIntc
from atsintc.soc import memmap
from atsintc.soc.irqsrc import InterruptSource
from atsintc.soc import smp
from atsintc.soc.plic import PLIC
from atsintc.soc.smp import SMPControl

__all__ = ["SoC", "SoCControl", "ExitSignature", "VEXRISCV_VARIANT", "vexriscv_verilog_path",
           "ram_verilog_path", "CFU_VARIANT", "CFU_BUSES", "has_cfu"]

VEXRISCV_VARIANT = "VexRiscv_Full"
#: The variant with VexRiscv's CFU port (VexRiscv_Full + ``CfuPlugin``; also
#: ``earlyBranch``: branches resolve in the execute stage).
CFU_VARIANT = "VexRiscv_FullCfu"
#: How the CFU bridge reaches the controller (``SoC(cfu_bus=...)``).
CFU_BUSES = ("shared", "port")


def has_cfu(variant):
    """The VexRiscv variant has the CFU port (``CfuPlugin_bus_*``)."""
    return "Cfu" in variant

#: What VexRiscv's Wishbone masters speak: 30-bit word addresses, byte ``sel``, bursts.
CPU_BUS = wishbone.Signature(addr_width=30, data_width=32, granularity=8,
                             features={"cti", "bte"})


def vexriscv_verilog_path(variant=VEXRISCV_VARIANT) -> Path:
    """The VexRiscv Verilog shipped by pythondata-cpu-vexriscv (every variant defines
    ``module VexRiscv``: only one of them per build).

    The CFU variants were generated by a newer SpinalHDL that starts the file with a
    `` `timescale`` directive, which the other sources (``ram.v``, Amaranth's output)
    do not have: Verilator refuses such a mix (TIMESCALEMOD). For those the path is a
    copy without the directive (the design has no delays: nothing else changes) under
    ``build/vexriscv/``; the other variants are used where they are."""
    import pythondata_cpu_vexriscv

    path = Path(pythondata_cpu_vexriscv.data_location) / f"{variant}.v"
    if not has_cfu(variant) or not path.exists():
        return path
    text = path.read_text()
    clean = "".join(line for line in text.splitlines(keepends=True)
                    if not line.lstrip().startswith("`timescale"))
    if clean == text:
        return path
    from atsintc.tools.toolchain import build_root
    out = build_root() / "vexriscv" / f"{variant}.v"
    if not out.exists() or out.read_text() != clean:
        import os
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        tmp.write_text(clean)
        tmp.replace(out)
    return out


def ram_verilog_path() -> Path:
    return Path(__file__).resolve().parent / "ram.v"


def _vexriscv_cfu(cfu):
    """Instance ports of VexRiscv's CFU port, on a :class:`CfuBridge`."""
    return {
        "o_CfuPlugin_bus_cmd_valid": cfu.cmd.valid,
        "i_CfuPlugin_bus_cmd_ready": cfu.cmd.ready,
        "o_CfuPlugin_bus_cmd_payload_function_id": cfu.cmd.payload.function_id,
        "o_CfuPlugin_bus_cmd_payload_inputs_0": cfu.cmd.payload.inputs_0,
        "o_CfuPlugin_bus_cmd_payload_inputs_1": cfu.cmd.payload.inputs_1,
        "i_CfuPlugin_bus_rsp_valid": cfu.rsp.valid,
        "o_CfuPlugin_bus_rsp_ready": cfu.rsp.ready,
        "i_CfuPlugin_bus_rsp_payload_outputs_0": cfu.rsp.payload.outputs_0,
    }


def _vexriscv_bus(prefix, bus):
    """Instance ports of one of VexRiscv's Wishbone masters (``prefix``_CYC, ...)."""
    return {
        f"o_{prefix}_CYC": bus.cyc, f"o_{prefix}_STB": bus.stb, f"i_{prefix}_ACK": bus.ack,
        f"o_{prefix}_WE": bus.we, f"o_{prefix}_ADR": bus.adr,
        f"i_{prefix}_DAT_MISO": bus.dat_r, f"o_{prefix}_DAT_MOSI": bus.dat_w,
        f"o_{prefix}_SEL": bus.sel, f"i_{prefix}_ERR": Const(0),
        f"o_{prefix}_CTI": bus.cti, f"o_{prefix}_BTE": bus.bte,
    }


#: The SoC's EXIT output: ``valid`` is a one-cycle pulse when EXIT is written, ``code``
#: the value written (held until the next write).
ExitSignature = wiring.Signature({"valid": Out(1), "code": Out(32)})


class SoCControl(wiring.Component):
    """SoC control registers (:data:`memmap.SYSCTL_REGS`): CONSOLE, EXIT, CYCLE, MTIME,
    MTIMECMP.

    Ports: ``bus`` (Wishbone slave, 8 words, a :class:`~atsintc.gateware.csr.Bank`: 2
    cycles per access, read data with the ack; a CONSOLE write waits while the previous
    byte is still held), ``console``
    (``Out(stream.Signature(8))``: the bytes written to CONSOLE; a byte is held until
    ``ready``), ``exit`` (:data:`ExitSignature`), ``cycle`` (cycles since reset),
    ``timer_irq`` (``mtime >= mtimecmp``), ``mtime`` (the machine timer: +1 per cycle,
    writable through MTIME_LO/HI; the ATS-INTC's ``mtime``).
    """

    addr_width = 3

    def __init__(self):
        super().__init__({
            "bus": In(wishbone.Signature(addr_width=self.addr_width, data_width=32,
                                         granularity=8)),
            "console": Out(stream.Signature(8)),
            "exit": Out(ExitSignature),
            "cycle": Out(64),
            "timer_irq": Out(1),
            "mtime": Out(64),
        })

    def elaborate(self, platform):
        m = Module()
        bus, console = self.bus, self.console
        R = {k: v[0] // 4 for k, v in memmap.SYSCTL_REGS.items()}
        mtime = self.mtime
        mtimecmp = Signal(64, name="mtimecmp", init=(1 << 64) - 1)
        m.d.sync += [self.cycle.eq(self.cycle + 1), mtime.eq(mtime + 1),
                     self.exit.valid.eq(0)]
        with m.If(console.ready):
            m.d.sync += console.valid.eq(0)             # taken (or nothing held)
        m.d.comb += self.timer_irq.eq(mtime >= mtimecmp)

        # a CONSOLE write (of byte lane 0) waits while a byte is held and not taken
        stall = Signal(name="console_stall")
        m.d.comb += stall.eq((bus.adr == R["CONSOLE"]) & bus.we & bus.sel[0] &
                             console.valid & ~console.ready)
        bank = csr.Bank(bus, stall=stall)
        e = bank.add(R["CONSOLE"], 8, "w", name="console")
        with m.If(e.w_stb & bus.sel[0]):
            m.d.sync += [console.valid.eq(1), console.payload.eq(e.w_data)]
        e = bank.add(R["EXIT"], 32, "w", name="exit")
        with m.If(e.w_stb):
            m.d.sync += [self.exit.valid.eq(1), self.exit.code.eq(e.w_data)]
        for name, reg, half, access in (
                ("CYCLE_LO", self.cycle, 0, "r"), ("CYCLE_HI", self.cycle, 1, "r"),
                ("MTIME_LO", mtime, 0, "rw"), ("MTIME_HI", mtime, 1, "rw"),
                ("MTIMECMP_LO", mtimecmp, 0, "rw"), ("MTIMECMP_HI", mtimecmp, 1, "rw")):
            part = reg[32 * half:32 * half + 32]
            e = bank.add(R[name], 32, access, name=name.lower())
            m.d.comb += e.r_data.eq(part)
            if access == "rw":
                with m.If(e.w_stb):
                    m.d.sync += part.eq(e.w_data)
        bank.elaborate(m)
        return m


class _RAM(wiring.Component):
    """RAM slave (``atsintc_soc_ram``, ram.v) with read-ahead in incrementing bursts."""

    def __init__(self, size, firmware=None):
        self.size = size
        self.firmware = firmware
        aw = (size // 4 - 1).bit_length()
        super().__init__({"bus": In(wishbone.Signature(addr_width=aw, data_width=32,
                                                       granularity=8, features={"cti"}))})

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        aw = len(bus.adr)
        req = bus.cyc & bus.stb
        burst = bus.cti == wishbone.CycleType.INCR_BURST
        raddr = Signal(aw, name="ram_addr")
        we = Signal(4, name="ram_we")
        m.d.comb += [
            raddr.eq(Mux(bus.ack & burst, bus.adr + 1, bus.adr)),
            we.eq(Mux(req & ~bus.ack & bus.we, bus.sel, 0)),
        ]
        m.d.sync += bus.ack.eq(req & (~bus.ack | burst))
        params = dict(p_ADDR_WIDTH=aw, i_clk=ClockSignal(), i_addr=raddr, i_we=we,
                      i_wdata=bus.dat_w, o_rdata=bus.dat_r)
        if self.firmware is not None:
            params["p_INIT_FILE"] = self.firmware
        m.submodules.ram = Instance("atsintc_soc_ram", **params)
        return m


class SoC(wiring.Component):
    """VexRiscv + RAM + SoC control + InterruptSource + PLIC + ATS-INTC.

    Parameters
    ----------
    firmware : path or None
        For FPGA builds: a ``$readmemh`` image (see :mod:`atsintc.tools.firmware_build`) given
        to the RAM as ``INIT_FILE``. In simulation the harness passes the image with
        ``+firmware=<hex>`` instead, so that one simulator build serves every image;
        leave it ``None`` there (it would be part of the design otherwise).
    ram_size : int
        Bytes of RAM, a power of two (default 64 KiB, the memory map's RAM window).
    atsintc_params : :class:`atsintc.regmap.Params`
        Controller configuration (default :data:`memmap.DEFAULT_ATSINTC_PARAMS`).
    vectors : int
        Device interrupt vectors of the InterruptSource (PLIC sources 1..vectors,
        ATS-INTC ``irq_in[0..vectors-1]``).
    cpu_variant : str
        Which VexRiscv of pythondata-cpu-vexriscv to instantiate (default
        ``"VexRiscv_Full"``; small boards use ``"VexRiscv_Min"``: RV32I, no caches, no
        ``rdcycle``). All variants have the same Wishbone ports; the FPGA build or the
        simulator must be given the matching Verilog (:func:`vexriscv_verilog_path`).
        ``"VexRiscv_FullCfu"`` (:data:`CFU_VARIANT`: VexRiscv_Full's caches, RV32IM,
        ``mcycle``, plus the CFU port, and branches resolved in the execute stage) adds
        the CFU bridge (:mod:`atsintc.gateware.cfu`); one hart only. Firmware enables
        the CFU with bit 31 of CSR 0xBC0 (``atsintc_cfu_enable()``, ``atsintc_cfu.h``).
    cfu_bus : str
        With a CFU variant, how the bridge reaches the controller:

        * ``"shared"`` (default): the bridge and the dBus's ATS-INTC window share the
          controller's one port through a combinational
          :class:`~atsintc.gateware.wishbone.Arbiter` (no added cycle): 2 cycles per
          access on either path, so a custom instruction costs 1 cycle and the MMIO
          path keeps its timing; the controller is the one given (``ports`` = 1).
        * ``"port"``: the controller gets one more port (``atsintc_params.ports`` + 1,
          so ``self.atsintc_params.ports`` is 2 and CONFIG2.PORTS reads 2), the dBus on
          port 0 and the bridge on port 1, behind the controller's
          :class:`~atsintc.gateware.ports.PortArbiter`: 3 cycles per access on either
          path (a custom instruction costs 2 cycles, an MMIO access one more than with
          one port).

        Without a CFU variant it must be left at its default.
    plic, irqsrc : bool
        Include the PLIC / the InterruptSource (default both). A block left out
        leaves its address window to the default slave (reads 0, writes dropped) and
        its interrupt lines at 0: without the InterruptSource the device vectors are
        ``irq_ext`` alone, without the PLIC ``externalInterruptArray[0]`` is 0.
    irq_stage : bool
        Register the device interrupt lines once before the PLIC and the ATS-INTC
        (default False): a device's line reaches both controllers one cycle later, and
        the path from the device into the controllers' wake logic starts at a register
        that the placer can put beside them. The ULX3S build uses it to close 50 MHz
        (:mod:`atsintc.boards.ulx3s`); the simulated benchmark SoC does not.
    harts : int
        VexRiscv cores (1..4, default 1; ``atsintc_params.ports`` must equal it). With
        several: all harts start at the RAM's base (``start.S`` reads ``HARTID`` and
        gives hart ``h`` > 0 its own stack, ``memmap.HART_STACK`` bytes below hart
        ``h - 1``'s), each hart's dBus reaches its own ATS-INTC port and its ``HARTID``
        register directly and everything else through a round-robin arbiter (so a
        DEQUEUE_WAIT stalls only its hart); the RAM also appears uncached at
        ``memmap.RAM_UNCACHED_BASE`` (VexRiscv's caches are not coherent: data the harts
        share lives there); :class:`~atsintc.soc.smp.SMPControl` gives each hart a
        software interrupt (``MSIP``) and the harts hardware spinlocks; the PLIC has one
        context per hart, hart ``h``'s ``externalInterruptArray[EXT_IRQ_ATSINTC]`` is the
        controller's ``hart_irq[h]`` (with one hart: ``irq_out[0]``); the machine timer
        interrupts hart 0 only. Use a variant with atomics (``VexRiscv_IMAC``) for
        software that needs them (their LR/SC and AMOs are local to a core: use the
        spinlocks across harts).

    Ports
    -----
    console : ``Out(stream.Signature(8))``
        The bytes written to CONSOLE (``payload``, ``valid`` held until ``ready``; a
        CONSOLE write waits while a byte is still held). ``ready`` must be driven (1:
        no back-pressure); connect it with ``connect(m, soc.console, uart.data)``.
    exit : ``Out(ExitSignature)``
        ``valid`` pulses for one cycle when EXIT is written, with ``code``.
    irq_ext : ``In(vectors)``
        Extra device lines OR'ed into the InterruptSource's (board buttons).
    atsintc_irq : ``Out(processes)``
        The ATS-INTC's CPU notification lines (``irq_out``), for LEDs.
    """

    def __init__(self, firmware=None, *, ram_size=memmap.RAM_SIZE,
                 atsintc_params=memmap.DEFAULT_ATSINTC_PARAMS,
                 vectors=memmap.DEVICE_VECTORS, cpu_variant=VEXRISCV_VARIANT,
                 plic=True, irqsrc=True, harts=1, cfu_bus="shared", irq_stage=False):
        if isinstance(harts, bool) or not isinstance(harts, int) or not 1 <= harts <= 4:
            raise ValueError(f"harts must be an integer in 1..4, not {harts!r}")
        if atsintc_params.ports != harts:
            raise ValueError(f"a SoC with {harts} hart(s) needs an ATS-INTC with one port "
                             f"per hart: atsintc_params.ports must be {harts}, not "
                             f"{atsintc_params.ports}")
        if ram_size & (ram_size - 1) or not 1024 <= ram_size <= 1 << 30:
            raise ValueError(f"ram_size must be a power of two >= 1 KiB, not {ram_size}")
        if atsintc_params.xlen != 32:
            raise ValueError("the VexRiscv SoC needs an ATS-INTC with xlen=32")
        if atsintc_params.vectors < vectors:
            raise ValueError(f"the ATS-INTC has {atsintc_params.vectors} vectors, fewer "
                             f"than the {vectors} device vectors")
        self.firmware = None if firmware is None else str(firmware)
        self.ram_size = ram_size
        self.atsintc_params = atsintc_params
        self.vectors = vectors
        if not isinstance(cpu_variant, str) or not vexriscv_verilog_path(cpu_variant).exists():
            import pythondata_cpu_vexriscv
            have = sorted(p.stem for p in
                          Path(pythondata_cpu_vexriscv.data_location).glob("VexRiscv_*.v"))
            raise ValueError(f"cpu_variant must be one of {', '.join(have)}, not "
                             f"{cpu_variant!r}")
        self.cpu_variant = cpu_variant
        self.cfu = has_cfu(cpu_variant)
        if cfu_bus not in CFU_BUSES:
            raise ValueError(f"cfu_bus must be one of {', '.join(map(repr, CFU_BUSES))}, "
                             f"not {cfu_bus!r}")
        if not self.cfu and cfu_bus != "shared":
            raise ValueError(f"cfu_bus={cfu_bus!r} needs a CPU with a CFU port "
                             f"(cpu_variant={CFU_VARIANT!r}), not {cpu_variant!r}")
        if self.cfu and harts != 1:
            raise ValueError(f"the CFU port ({cpu_variant}) is supported on a one-hart SoC "
                             f"only, not with harts={harts}")
        self.cfu_bus = cfu_bus
        if self.cfu and cfu_bus == "port":
            from dataclasses import replace
            self.atsintc_params = atsintc_params = replace(atsintc_params,
                                                           ports=atsintc_params.ports + 1)
        self.plic = bool(plic)
        self.irqsrc = bool(irqsrc)
        if not isinstance(irq_stage, bool):
            raise TypeError(f"irq_stage must be True or False, not {irq_stage!r}")
        self.irq_stage = irq_stage
        self.harts = harts
        super().__init__({
            "console": Out(stream.Signature(8)),
            "exit": Out(ExitSignature),
            "irq_ext": In(vectors),
            "atsintc_irq": Out(atsintc_params.processes),
        })

    def ports(self):
        """The top-level signals of a simulation top (``atsintc.tools.socsim``)."""
        return [self.console.valid, self.console.payload, self.console.ready,
                self.exit.valid, self.exit.code]

    def describe(self):
        """A string identifying the configuration (cache key of simulator builds).

        ``plic`` / ``irqsrc`` appear only when they are off, so the string (and the
        simulator cache key) of the default SoC is what it was before they existed."""
        extra = "".join(f", {name}=False" for name in ("plic", "irqsrc")
                        if not getattr(self, name))
        if self.harts > 1:
            extra += f", harts={self.harts}"
        if self.cfu:
            extra += f", cfu_bus={self.cfu_bus}"
        return (f"SoC(vexriscv={self.cpu_variant}, ram={self.ram_size}, "
                f"vectors={self.vectors}, atsintc={self.atsintc_params!r}, "
                f"firmware={self.firmware!r}{extra})")

    def elaborate(self, platform):
        m = Module()
        H = self.harts
        m.submodules.sysctl = sysctl = SoCControl()

        # ---- peripherals and interrupt lines --------------------------------------------
        if self.irqsrc:
            m.submodules.irqsrc = irqsrc = InterruptSource(vectors=self.vectors)
        if self.plic:
            m.submodules.plic = plic = PLIC(sources=self.vectors, targets=H)
        if H > 1:
            m.submodules.smp = smpctl = SMPControl(H)
        m.submodules.atsintc = atsintc = ATSIntc(self.atsintc_params)
        if self.cfu:
            m.submodules.cfu = cfu = CfuBridge(addr_width=atsintc.addr_width)
        lines = Signal(self.vectors, name="irq_lines")
        raw = self.irq_ext
        if self.irqsrc:
            m.d.comb += irqsrc.cycle.eq(sysctl.cycle)
            raw = irqsrc.irq | self.irq_ext
        if self.irq_stage:                  # one register: a short path into both
            m.d.sync += lines.eq(raw)       # controllers' wake logic (FPGA timing)
        else:
            m.d.comb += lines.eq(raw)
        if self.plic:
            m.d.comb += plic.src.eq(lines)
        m.d.comb += [atsintc.irq_in.eq(lines), self.atsintc_irq.eq(atsintc.irq_out),
                     atsintc.mtime.eq(sysctl.mtime)]
        wiring.connect(m, wiring.flipped(self.console), sysctl.console)
        wiring.connect(m, wiring.flipped(self.exit), sysctl.exit)

        # ---- the harts -------------------------------------------------------------------
        ibuses, dbuses = [], []
        for h in range(H):
            sfx = "" if H == 1 else str(h)
            ibus = CPU_BUS.create(path=(f"ibus{sfx}",))
            dbus = CPU_BUS.create(path=(f"dbus{sfx}",))
            ext_irq = Signal(32, name=f"ext_irq{sfx}")
            if self.plic:
                m.d.comb += ext_irq[memmap.EXT_IRQ_PLIC].eq(plic.irq[h])
            # one hart: irq_out[0] (process slot 0); several: the hart's hart_irq line
            m.d.comb += ext_irq[memmap.EXT_IRQ_ATSINTC].eq(
                atsintc.irq_out[0] if H == 1 else atsintc.hart_irq[h])
            m.submodules[f"cpu{sfx}"] = Instance(
                "VexRiscv",
                i_clk=ClockSignal(), i_reset=ResetSignal(),
                i_externalResetVector=Const(memmap.RAM_BASE, 32),
                i_timerInterrupt=sysctl.timer_irq if h == 0 else Const(0),
                i_softwareInterrupt=smpctl.msip[h] if H > 1 else Const(0),
                i_externalInterruptArray=ext_irq,
                **_vexriscv_bus("iBusWishbone", ibus), **_vexriscv_bus("dBusWishbone", dbus),
                **(_vexriscv_cfu(cfu) if self.cfu else {}),
            )
            ibuses.append(ibus)
            dbuses.append(dbus)

        # ---- shared data bus: decoder + default slave ------------------------------------
        m.submodules.ram = ram = _RAM(self.ram_size, self.firmware)
        ram_sig = ram.bus.signature.flip()
        dram = ram_sig.create(path=("dram",))       # the data side's way to the RAM arbiter
        m.submodules.dbus_decoder = dec = wishbone.Decoder(
            addr_width=30, data_width=32, granularity=8, features={"cti", "bte"})
        dec.add(dram, name="ram", addr=memmap.RAM_BASE)
        dec.add(sysctl.bus, name="sysctl", addr=memmap.SYSCTL_BASE)
        if self.irqsrc:
            dec.add(irqsrc.bus, name="irqsrc", addr=memmap.IRQSRC_BASE)
        if self.plic:
            dec.add(plic.bus, name="plic", addr=memmap.PLIC_BASE)
        if H == 1 and not self.cfu:
            dec.add(atsintc.bus, name="atsintc", addr=memmap.ATSINTC_BASE)
            shared = dbuses[0]
        elif H == 1:
            self._cfu_bus(m, dec, atsintc, cfu)
            shared = dbuses[0]
            # program order: no CFU access starts while the dBus has one in flight (a
            # posted MMIO store may be on its way to the controller)
            m.d.comb += cfu.defer.eq(shared.cyc)
        else:
            dec.add(smpctl.bus, name="smp", addr=memmap.SMP_BASE)
            shared = self._hart_routers(m, dbuses, atsintc)
        # default slave: acknowledges what no window takes (bursts beat by beat), reads 0
        miss = Signal(name="dbus_miss")
        miss_ack = Signal(name="miss_ack")
        m.d.comb += miss.eq(~dec.hit(shared.adr))
        m.d.sync += miss_ack.eq(shared.cyc & shared.stb & miss &
                                (~miss_ack | (shared.cti == wishbone.CycleType.INCR_BURST)))
        m.d.comb += [dec.bus.cyc.eq(shared.cyc), dec.bus.stb.eq(shared.stb),
                     dec.bus.we.eq(shared.we), dec.bus.adr.eq(shared.adr),
                     dec.bus.sel.eq(shared.sel), dec.bus.dat_w.eq(shared.dat_w),
                     dec.bus.cti.eq(shared.cti), dec.bus.bte.eq(shared.bte),
                     shared.ack.eq(Mux(miss, miss_ack, dec.bus.ack)),
                     shared.dat_r.eq(dec.bus.dat_r)]

        # ---- RAM: the iBuses (instruction-cache refills) + the data side ------------------
        # The iBuses reach only the RAM: their address is cut to the RAM's (no decoder).
        m.submodules.ram_arbiter = arb = wishbone.Arbiter(
            addr_width=len(dram.adr), data_width=32, granularity=8, features={"cti"})
        for h, ibus in enumerate(ibuses):
            iram = ram_sig.create(path=(f"iram{'' if H == 1 else h}",))
            m.d.comb += [iram.cyc.eq(ibus.cyc), iram.stb.eq(ibus.stb), iram.we.eq(ibus.we),
                         iram.adr.eq(ibus.adr[:len(iram.adr)]), iram.sel.eq(ibus.sel),
                         iram.dat_w.eq(ibus.dat_w), iram.cti.eq(ibus.cti),
                         ibus.ack.eq(iram.ack), ibus.dat_r.eq(iram.dat_r)]
            arb.add(iram)
        arb.add(dram)
        wiring.connect(m, arb.bus, ram.bus)
        return m

    def _cfu_bus(self, m, dec, atsintc, cfu):
        """One hart with the CFU bridge: the dBus's ATS-INTC window and the bridge reach
        the controller through a combinational arbiter on its port (``cfu_bus="shared"``)
        or on ports 0 and 1 (``"port"``)."""
        if self.cfu_bus == "port":
            dec.add(atsintc.bus[0], name="atsintc", addr=memmap.ATSINTC_BASE)
            wiring.connect(m, cfu.bus, atsintc.bus[1])
            return
        dintc = atsintc.bus.signature.flip().create(path=("dbus_atsintc",))
        dec.add(dintc, name="atsintc", addr=memmap.ATSINTC_BASE)
        m.submodules.atsintc_arbiter = arb = wishbone.Arbiter(
            addr_width=atsintc.addr_width, data_width=32, granularity=8)
        arb.add(dintc)
        arb.add(cfu.bus)
        wiring.connect(m, arb.bus, atsintc.bus)

    def _hart_routers(self, m, dbuses, atsintc):
        """Several harts: each hart's dBus reaches its own ATS-INTC port and its HARTID
        register directly, the RAM's uncached alias as the RAM, and everything else
        through a round-robin arbiter; returns the arbiter's shared bus."""
        m.submodules.dbus_arbiter = sarb = wishbone.Arbiter(
            addr_width=30, data_width=32, granularity=8, features={"cti", "bte"})
        aw = atsintc.addr_width
        intc_base = memmap.ATSINTC_BASE >> 2
        hartid_adr = (memmap.SMP_BASE + smp.HARTID) >> 2
        alias_base = memmap.RAM_UNCACHED_BASE >> 2
        ram_words = self.ram_size // 4
        for h, dbus in enumerate(dbuses):
            port = atsintc.bus[h]
            out = CPU_BUS.create(path=(f"dbus{h}_shared",))
            to_intc = Signal(name=f"dbus{h}_to_intc")
            to_hartid = Signal(name=f"dbus{h}_to_hartid")
            alias = Signal(name=f"dbus{h}_alias")
            m.d.comb += [to_intc.eq((dbus.adr >> aw) == (intc_base >> aw)),
                         to_hartid.eq(dbus.adr == hartid_adr),
                         alias.eq((dbus.adr >= alias_base) &
                                  (dbus.adr < alias_base + ram_words))]
            hid_ack = Signal(name=f"hartid{h}_ack")
            m.d.sync += hid_ack.eq(dbus.cyc & dbus.stb & to_hartid & ~hid_ack)
            m.d.comb += [port.adr.eq(dbus.adr[:aw]), port.we.eq(dbus.we),
                         port.sel.eq(dbus.sel), port.dat_w.eq(dbus.dat_w),
                         port.cyc.eq(dbus.cyc & to_intc), port.stb.eq(dbus.stb & to_intc)]
            local = to_intc | to_hartid
            m.d.comb += [out.adr.eq(Mux(alias, dbus.adr - alias_base + (memmap.RAM_BASE >> 2),
                                        dbus.adr)),
                         out.we.eq(dbus.we), out.sel.eq(dbus.sel), out.dat_w.eq(dbus.dat_w),
                         out.cti.eq(dbus.cti), out.bte.eq(dbus.bte),
                         out.cyc.eq(dbus.cyc & ~local), out.stb.eq(dbus.stb & ~local)]
            with m.If(to_intc):
                m.d.comb += [dbus.ack.eq(port.ack), dbus.dat_r.eq(port.dat_r)]
            with m.Elif(to_hartid):
                m.d.comb += [dbus.ack.eq(hid_ack), dbus.dat_r.eq(h)]
            with m.Else():
                m.d.comb += [dbus.ack.eq(out.ack), dbus.dat_r.eq(out.dat_r)]
            sarb.add(out)
        return sarb.bus
