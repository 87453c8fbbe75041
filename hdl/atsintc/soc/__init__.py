"""The demo SoC's hardware: the SoC itself (:mod:`atsintc.soc.soc`: VexRiscv, RAM
(``ram.v``), SoC control, interconnect), its address map (:mod:`atsintc.soc.memmap`),
the UART transmitter of the boards' console (:mod:`atsintc.soc.uart`), and, for
comparing ATS-INTC with a standard interrupt controller, a RISC-V PLIC
(:mod:`atsintc.soc.plic`) and a programmable interrupt source that models devices
for benchmarks (:mod:`atsintc.soc.irqsrc`)."""
