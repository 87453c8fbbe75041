"""A small UART transmitter (8N1) for the SoC console on FPGA boards.

:class:`UARTTx` takes bytes through a stream, ``data`` (``In(stream.Signature(8))``:
``data.payload``, ``data.valid``, ``data.ready``; a byte is taken in a cycle with
``valid & ready``), queues them in a FIFO and shifts them out on ``tx`` (idle high;
start bit 0, 8 data bits LSB first, stop bit 1). The bit period is
``round(clk_freq / baud)`` clock cycles, at least 2 (the baud error is reported by
:attr:`UARTTx.baud_error`: the bit period is off by at most half a clock cycle, so
for 115200 baud below 0.23 % from 25 MHz up; 0.006 % at 25 and 50 MHz, 0.16 % at 12
and 30 MHz).

The SoC's console is such a stream (``connect(m, soc.console, uart.data)``): it holds a
byte while ``ready`` is low (the FIFO is full), and the CPU's next CONSOLE write waits
meanwhile, so nothing is lost and the FIFO only smooths bursts. The ULX3S top uses a
2048-byte FIFO, the iCEBreaker top 16 bytes (both 115200 baud).
``dropped`` (saturating) counts the cycles in which ``valid`` was high and ``ready``
low, and ``overflow`` stays set after the first: a source that does not hold its byte
(not a stream source) loses one byte in each such cycle; for a stream source they are
cycles of back-pressure.
With ``fifo_depth`` >= 512 the FIFO is a block RAM on ECP5 (one DP16KD for 2048 bytes)
and the demo firmware's output fits entirely; small depths use LUT RAM / flip-flops.

``busy`` is high while a byte is being shifted out or waiting in the FIFO (for an
activity LED).
"""

from amaranth.hdl import *
from amaranth.lib import fifo, stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["UARTTx", "uart_divisor"]


def uart_divisor(clk_freq, baud):
    """Clock cycles per bit (at least 2)."""
    div = int(round(clk_freq / baud))
    if div < 2:
        raise ValueError(f"clock {clk_freq} Hz is too slow for {baud} baud")
    return div


class UARTTx(wiring.Component):
    """8N1 UART transmitter with a FIFO.

    Parameters
    ----------
    clk_freq : number
        Frequency of the ``sync`` clock in Hz.
    baud : int
        Baud rate (default 115200).
    fifo_depth : int
        Bytes of buffering (default 16; 0 means no FIFO: ``ready`` is high only in the
        cycle the shifter, idle, takes the byte offered).
    """

    def __init__(self, clk_freq, baud=115200, fifo_depth=16):
        self.clk_freq = clk_freq
        self.baud = baud
        self.divisor = uart_divisor(clk_freq, baud)
        self.baud_error = clk_freq / self.divisor / baud - 1
        if fifo_depth < 0:
            raise ValueError("fifo_depth must be >= 0")
        self.fifo_depth = fifo_depth
        super().__init__({
            "data": In(stream.Signature(8)),
            "tx": Out(1, init=1),
            "busy": Out(1),
            "overflow": Out(1),
            "dropped": Out(16),
        })

    def elaborate(self, platform):
        m = Module()
        data = self.data

        # ---- input FIFO ------------------------------------------------------------
        byte = Signal(8)
        byte_valid = Signal()
        byte_take = Signal()
        if self.fifo_depth:
            m.submodules.fifo = q = fifo.SyncFIFOBuffered(width=8, depth=self.fifo_depth)
            m.d.comb += [q.w_data.eq(data.payload), q.w_en.eq(data.valid),
                         data.ready.eq(q.w_rdy),
                         byte.eq(q.r_data), byte_valid.eq(q.r_rdy), q.r_en.eq(byte_take)]
            queued = q.r_rdy
        else:
            m.d.comb += [byte.eq(data.payload), byte_valid.eq(data.valid),
                         data.ready.eq(byte_take)]
            queued = Const(0)
        with m.If(data.valid & ~data.ready):
            m.d.sync += self.overflow.eq(1)
            with m.If(self.dropped != 0xFFFF):
                m.d.sync += self.dropped.eq(self.dropped + 1)

        # ---- shifter: start + 8 data + stop --------------------------------------------
        shreg = Signal(10, init=0x3FF)       # bit 0 goes out first
        bits = Signal(range(11))             # bits left to send (0: idle)
        timer = Signal(range(self.divisor))
        m.d.comb += [self.tx.eq(shreg[0]), byte_take.eq((bits == 0) & byte_valid),
                     self.busy.eq((bits != 0) | queued)]
        with m.If(bits == 0):
            with m.If(byte_valid):
                m.d.sync += [shreg.eq(Cat(Const(0, 1), byte, Const(1, 1))),
                             bits.eq(10), timer.eq(self.divisor - 1)]
        with m.Else():
            with m.If(timer == 0):
                m.d.sync += [timer.eq(self.divisor - 1),
                             shreg.eq(Cat(shreg[1:], Const(1, 1))),
                             bits.eq(bits - 1)]
            with m.Else():
                m.d.sync += timer.eq(timer - 1)
        return m
