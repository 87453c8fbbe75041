"""ATS-INTC: a task-scheduling interrupt controller for RISC-V, in Amaranth HDL.

Library use::

    from atsintc import ATSIntc, Params

``ATSIntc(Params(...))`` is an ``amaranth.lib.wiring.Component`` with a Wishbone B4
slave port ``bus`` (:class:`atsintc.wishbone.Signature`: word addresses, data width =
XLEN, byte lanes), ``irq_in`` and ``irq_out``; see :mod:`atsintc.controller`.
``ATSIntcAXI4Lite`` (:mod:`atsintc.axi4lite`) has an AXI4-Lite slave instead.
"""

__version__ = "0.1.0"

__all__ = ["ATSIntc", "ATSIntcAXI4Lite", "Params", "RegisterMap"]

_EXPORTS = {"ATSIntc": "controller", "ATSIntcAXI4Lite": "axi4lite", "Params": "regmap",
            "RegisterMap": "regmap"}


def __getattr__(name):
    # imported on first use, so that `atsintc --help` does not load Amaranth
    if name in _EXPORTS:
        import importlib
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
