"""ATS-INTC: a task-scheduling interrupt controller for RISC-V, in Amaranth HDL."""

__version__ = "0.1.0"
