"""SoC building blocks for comparing ATS-INTC with a standard interrupt controller:
a RISC-V PLIC (:mod:`atsintc.soc.plic`) and a programmable interrupt source that
models devices for benchmarks (:mod:`atsintc.soc.irqsrc`)."""
