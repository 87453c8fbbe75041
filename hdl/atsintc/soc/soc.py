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

Interconnect (all Wishbone B4, word addresses, 32-bit data, byte ``sel``)
==========================================================================

* The iBus only reaches the RAM (no execution from MMIO). The dBus reaches the RAM
  through a two-master arbiter and the peripherals through an address decoder of its
  own, so a slave that holds its ack (ATS-INTC ``DEQUEUE_WAIT``) does not stop
  instruction fetches from RAM.
* Arbiter: the master that owns the RAM keeps it while its ``cyc`` is high (a burst is
  never split); when it drops ``cyc`` the other master, if requesting, gets the RAM in
  the same cycle (no dead cycle), otherwise the owner stays.
* RAM slave: registered ack, read data with the ack. It *reads ahead* during
  incrementing bursts (CTI = 010): in a cycle in which it acknowledges a beat whose
  CTI says another follows, it already reads ``adr + 1``, so an 8-beat cache-line
  refill takes 9 cycles instead of 16. Single accesses (CTI 000, all stores and the
  end of a burst, 111) take 2 cycles.
* Peripherals (SoC control, InterruptSource, PLIC, ATS-INTC) are 2-cycle classic
  slaves; the decoder compares the address bits above each slave's own address width,
  so a slave appears exactly once (no aliases inside the 0x8000_0000 region).

Interrupts
==========

``externalInterruptArray[0]`` = PLIC context 0 (``meip`` for the usual PLIC flow);
``externalInterruptArray[1]`` = ATS-INTC ``irq_out[0]`` (process slot 0 has a ready task
/ a preemption hint), so firmware can sleep in WFI until the controller has work:
enable bit 1 in VexRiscv's CSR 0xBC0 (mask) to use it. ``timerInterrupt`` = ``mtime >=
mtimecmp`` (SoC control). ``softwareInterrupt`` is tied low.

Simulation outputs
==================

The SoC has output ports for the simulation harness (``sim_main.cpp`` watches them
after every rising clock edge; nothing is printed from inside the HDL, which keeps the
console in the harness's hands and the model free of ``$display``):

* ``console_valid`` / ``console_data`` / ``console_ready`` (input): a valid/ready
  stream of the bytes written to CONSOLE; a byte is held until ``console_ready`` (1 when
  not driven: the harness takes a byte per cycle), and a CONSOLE write waits while a
  byte is still held;
* ``exit_valid`` / ``exit_code``: one-cycle pulse when EXIT is written.

On the boards the console stream feeds the UART transmitter (``atsintc.soc.uart``) and
EXIT the LEDs.
"""

from pathlib import Path

from amaranth.hdl import *

from atsintc.gateware.controller import ATSIntc
from atsintc.soc import memmap
from atsintc.soc.irqsrc import InterruptSource
from atsintc.soc.plic import PLIC

__all__ = ["SoC", "VEXRISCV_VARIANT", "vexriscv_verilog_path", "ram_verilog_path"]

VEXRISCV_VARIANT = "VexRiscv_Full"


def vexriscv_verilog_path(variant=VEXRISCV_VARIANT) -> Path:
    """The VexRiscv Verilog shipped by pythondata-cpu-vexriscv (every variant defines
    ``module VexRiscv``: only one of them per build)."""
    import pythondata_cpu_vexriscv

    return Path(pythondata_cpu_vexriscv.data_location) / f"{variant}.v"


def ram_verilog_path() -> Path:
    return Path(__file__).resolve().parent / "ram.v"


class _Bus:
    """Plain Wishbone signals with CTI (what VexRiscv speaks)."""

    def __init__(self, name, addr_width=30):
        self.name = name
        self.cyc = Signal(name=f"{name}_cyc")
        self.stb = Signal(name=f"{name}_stb")
        self.we = Signal(name=f"{name}_we")
        self.adr = Signal(addr_width, name=f"{name}_adr")
        self.sel = Signal(4, name=f"{name}_sel")
        self.dat_w = Signal(32, name=f"{name}_dat_w")
        self.dat_r = Signal(32, name=f"{name}_dat_r")
        self.ack = Signal(name=f"{name}_ack")
        self.cti = Signal(3, name=f"{name}_cti")


def _vexriscv_bus(prefix, bus):
    """Instance ports of one of VexRiscv's Wishbone masters (``prefix``_CYC, ...)."""
    return {
        f"o_{prefix}_CYC": bus.cyc, f"o_{prefix}_STB": bus.stb, f"i_{prefix}_ACK": bus.ack,
        f"o_{prefix}_WE": bus.we, f"o_{prefix}_ADR": bus.adr,
        f"i_{prefix}_DAT_MISO": bus.dat_r, f"o_{prefix}_DAT_MOSI": bus.dat_w,
        f"o_{prefix}_SEL": bus.sel, f"i_{prefix}_ERR": Const(0),
        f"o_{prefix}_CTI": bus.cti, f"o_{prefix}_BTE": Signal(2, name=f"{bus.name}_bte"),
    }


class SoC(Elaboratable):
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
    plic, irqsrc : bool
        Include the PLIC / the InterruptSource (default both). A block left out
        leaves its address window to the default slave (reads 0, writes dropped) and
        its interrupt lines at 0: without the InterruptSource the device vectors are
        ``irq_ext`` alone, without the PLIC ``externalInterruptArray[0]`` is 0.
    """

    def __init__(self, firmware=None, *, ram_size=memmap.RAM_SIZE,
                 atsintc_params=memmap.DEFAULT_ATSINTC_PARAMS,
                 vectors=memmap.DEVICE_VECTORS, cpu_variant=VEXRISCV_VARIANT,
                 plic=True, irqsrc=True):
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
        self.plic = bool(plic)
        self.irqsrc = bool(irqsrc)

        self.console_valid = Signal()
        self.console_data = Signal(8)
        self.exit_valid = Signal()
        self.exit_code = Signal(32)
        # The console is a valid/ready stream (``console_valid`` and ``console_data``
        # are held until ``console_ready``; a CONSOLE write waits while a byte is
        # still held). ``console_ready`` keeps its reset value 1 when nothing drives
        # it (no back-pressure). Board hooks: extra device lines OR'ed into the
        # InterruptSource's, and the ATS-INTC's CPU notification lines.
        self.console_ready = Signal(init=1)
        self.irq_ext = Signal(vectors)
        self.atsintc_irq = Signal(atsintc_params.processes)

    def ports(self):
        return [self.console_valid, self.console_data, self.console_ready,
                self.exit_valid, self.exit_code]

    def describe(self):
        """A string identifying the configuration (cache key of simulator builds).

        ``plic`` / ``irqsrc`` appear only when they are off, so the string (and the
        simulator cache key) of the default SoC is what it was before they existed."""
        extra = "".join(f", {name}=False" for name in ("plic", "irqsrc")
                        if not getattr(self, name))
        return (f"SoC(vexriscv={self.cpu_variant}, ram={self.ram_size}, "
                f"vectors={self.vectors}, atsintc={self.atsintc_params!r}, "
                f"firmware={self.firmware!r}{extra})")

    # ---- building blocks ----------------------------------------------------------------

    @staticmethod
    def _arbiter(m, masters, slave):
        """Two-master arbiter; ownership changes only when the owner's cyc is low."""
        owner = Signal(range(len(masters)), name="arb_owner")
        grant = Signal(range(len(masters)), name="arb_grant")
        a, b = masters
        m.d.comb += grant.eq(owner)
        with m.If(owner == 0):
            with m.If(~a.cyc & b.cyc):
                m.d.comb += grant.eq(1)
        with m.Else():
            with m.If(~b.cyc & a.cyc):
                m.d.comb += grant.eq(0)
        m.d.sync += owner.eq(grant)
        for i, mst in enumerate(masters):
            with m.If(grant == i):
                m.d.comb += [slave.cyc.eq(mst.cyc), slave.stb.eq(mst.stb),
                             slave.we.eq(mst.we), slave.adr.eq(mst.adr),
                             slave.sel.eq(mst.sel), slave.dat_w.eq(mst.dat_w),
                             slave.cti.eq(mst.cti)]
            m.d.comb += [mst.ack.eq(slave.ack & (grant == i)), mst.dat_r.eq(slave.dat_r)]

    def _ram(self, m, bus):
        """RAM slave with read-ahead in incrementing bursts."""
        aw = (self.ram_size // 4 - 1).bit_length()
        req = bus.cyc & bus.stb
        burst = bus.cti == 0b010
        raddr = Signal(aw, name="ram_addr")
        we = Signal(4, name="ram_we")
        m.d.comb += [
            raddr.eq(Mux(bus.ack & burst, bus.adr[:aw] + 1, bus.adr[:aw])),
            we.eq(Mux(req & ~bus.ack & bus.we, bus.sel, 0)),
        ]
        m.d.sync += bus.ack.eq(req & (~bus.ack | burst))
        params = dict(p_ADDR_WIDTH=aw, i_clk=ClockSignal(), i_addr=raddr, i_we=we,
                      i_wdata=bus.dat_w, o_rdata=bus.dat_r)
        if self.firmware is not None:
            params["p_INIT_FILE"] = self.firmware
        m.submodules.ram = Instance("atsintc_soc_ram", **params)

    def _sysctl(self, m, bus, cycle, irq_timer):
        """SoC control registers (memmap.SYSCTL_REGS)."""
        R = {k: v[0] // 4 for k, v in memmap.SYSCTL_REGS.items()}
        mtime = Signal(64, name="mtime")
        mtimecmp = Signal(64, name="mtimecmp", init=(1 << 64) - 1)
        req = bus.cyc & bus.stb & ~bus.ack
        wr = req & bus.we
        rdata = Signal(32, name="sysctl_rdata")
        wmask = Cat(bus.sel[k].replicate(8) for k in range(4))

        def merged(old):
            return (old & ~wmask) | (bus.dat_w & wmask)

        stall = Signal(name="console_stall")     # CONSOLE write waits for the sink
        m.d.sync += [cycle.eq(cycle + 1), mtime.eq(mtime + 1), self.exit_valid.eq(0)]
        with m.If(self.console_ready):
            m.d.sync += self.console_valid.eq(0)        # taken (or nothing held)
        m.d.comb += irq_timer.eq(mtime >= mtimecmp)
        with m.Switch(bus.adr[:3]):
            with m.Case(R["CONSOLE"]):
                with m.If(wr & bus.sel[0]):
                    with m.If(~self.console_valid | self.console_ready):
                        m.d.sync += [self.console_valid.eq(1),
                                     self.console_data.eq(bus.dat_w[:8])]
                    with m.Else():
                        m.d.comb += stall.eq(1)
            with m.Case(R["EXIT"]):
                with m.If(wr):
                    m.d.sync += [self.exit_valid.eq(1), self.exit_code.eq(bus.dat_w)]
            with m.Case(R["CYCLE_LO"]):
                m.d.comb += rdata.eq(cycle[:32])
            with m.Case(R["CYCLE_HI"]):
                m.d.comb += rdata.eq(cycle[32:])
            for name, reg, half in (("MTIME_LO", mtime, 0), ("MTIME_HI", mtime, 1),
                                    ("MTIMECMP_LO", mtimecmp, 0),
                                    ("MTIMECMP_HI", mtimecmp, 1)):
                with m.Case(R[name]):
                    part = reg[32 * half:32 * half + 32]
                    m.d.comb += rdata.eq(part)
                    with m.If(wr):
                        m.d.sync += part.eq(merged(part))
        m.d.sync += [bus.ack.eq(req & ~stall), bus.dat_r.eq(rdata)]

    # ---- top --------------------------------------------------------------------------------

    def elaborate(self, platform):
        m = Module()

        ibus, dbus = _Bus("ibus"), _Bus("dbus")
        ext_irq = Signal(32, name="ext_irq")
        irq_timer = Signal(name="irq_timer")
        cycle = Signal(64, name="cycle")

        m.submodules.cpu = Instance(
            "VexRiscv",
            i_clk=ClockSignal(), i_reset=ResetSignal(),
            i_externalResetVector=Const(memmap.RAM_BASE, 32),
            i_timerInterrupt=irq_timer, i_softwareInterrupt=Const(0),
            i_externalInterruptArray=ext_irq,
            **_vexriscv_bus("iBusWishbone", ibus), **_vexriscv_bus("dBusWishbone", dbus),
        )

        # ---- peripherals ----------------------------------------------------------------
        # (submodules and statements in the order of the full SoC, whose Verilog, and so
        # the simulator cache, stays the same)
        if self.irqsrc:
            m.submodules.irqsrc = irqsrc = InterruptSource(vectors=self.vectors)
        if self.plic:
            m.submodules.plic = plic = PLIC(sources=self.vectors, targets=1)
        m.submodules.atsintc = atsintc = ATSIntc(self.atsintc_params)
        sysctl = _Bus("sysctl", addr_width=3)
        lines = Signal(self.vectors, name="irq_lines")
        if self.irqsrc:
            m.d.comb += [irqsrc.cycle.eq(cycle), lines.eq(irqsrc.irq | self.irq_ext)]
        else:
            m.d.comb += lines.eq(self.irq_ext)
        if self.plic:
            m.d.comb += plic.src.eq(lines)
        m.d.comb += [atsintc.irq_in.eq(lines), self.atsintc_irq.eq(atsintc.irq_out)]
        if self.plic:
            m.d.comb += ext_irq[memmap.EXT_IRQ_PLIC].eq(plic.irq[0])
        m.d.comb += ext_irq[memmap.EXT_IRQ_ATSINTC].eq(atsintc.irq_out[0])
        slaves = [  # (name, byte base, bus, addr width); a left-out block -> default slave
            ("sysctl", memmap.SYSCTL_BASE, sysctl, 3)]
        if self.irqsrc:
            slaves.append(("irqsrc", memmap.IRQSRC_BASE, irqsrc.bus, len(irqsrc.bus.adr)))
        if self.plic:
            slaves.append(("plic", memmap.PLIC_BASE, plic.bus, len(plic.bus.adr)))
        slaves.append(("atsintc", memmap.ATSINTC_BASE, atsintc.bus, len(atsintc.bus.adr)))
        self._sysctl(m, sysctl, cycle, irq_timer)

        # ---- dBus decoder -------------------------------------------------------------------
        ram_words = self.ram_size // 4
        dram = _Bus("dram")
        hits = []
        is_ram = Signal(name="dbus_is_ram")
        m.d.comb += is_ram.eq(dbus.adr < ram_words)
        for name, base, bus, aw in slaves:
            if (base >> 2) & ((1 << aw) - 1):
                raise ValueError(f"{name} base {base:#x} is not aligned to its window")
            hit = Signal(name=f"dbus_is_{name}")
            m.d.comb += hit.eq(dbus.adr[aw:] == (base >> 2) >> aw)
            hits.append(hit)
            m.d.comb += [bus.cyc.eq(dbus.cyc & hit), bus.stb.eq(dbus.stb & hit),
                         bus.we.eq(dbus.we), bus.adr.eq(dbus.adr[:aw]),
                         bus.sel.eq(dbus.sel), bus.dat_w.eq(dbus.dat_w)]
        m.d.comb += [dram.cyc.eq(dbus.cyc & is_ram), dram.stb.eq(dbus.stb & is_ram),
                     dram.we.eq(dbus.we), dram.adr.eq(dbus.adr), dram.sel.eq(dbus.sel),
                     dram.dat_w.eq(dbus.dat_w), dram.cti.eq(dbus.cti)]
        # default slave: acknowledges (bursts beat by beat), reads 0
        miss = Signal(name="dbus_miss")
        miss_ack = Signal(name="miss_ack")
        m.d.comb += miss.eq(~is_ram & ~Cat(*hits).any())
        m.d.sync += miss_ack.eq(dbus.cyc & dbus.stb & miss &
                                (~miss_ack | (dbus.cti == 0b010)))
        with m.If(is_ram):
            m.d.comb += [dbus.ack.eq(dram.ack), dbus.dat_r.eq(dram.dat_r)]
        for (name, base, bus, aw), hit in zip(slaves, hits):
            with m.Elif(hit):
                m.d.comb += [dbus.ack.eq(bus.ack), dbus.dat_r.eq(bus.dat_r)]
        with m.Else():
            m.d.comb += dbus.ack.eq(miss_ack)

        # ---- RAM: iBus (instruction-cache refills) + dBus ------------------------------------
        ram_bus = _Bus("ram")
        self._arbiter(m, [ibus, dram], ram_bus)
        self._ram(m, ram_bus)
        return m
