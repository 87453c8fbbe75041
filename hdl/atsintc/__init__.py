"""ATS-INTC: a task-scheduling interrupt controller for RISC-V, in Amaranth HDL.

Library use::

    from atsintc import ATSIntc, Params

``ATSIntc(Params(...))`` is an ``amaranth.lib.wiring.Component`` with a Wishbone B4
slave port ``bus`` (:class:`atsintc.gateware.wishbone.Signature`: word addresses, data
width = XLEN, byte lanes), ``irq_in`` and ``irq_out``; see :mod:`atsintc.gateware.controller`.

Packages: ``atsintc.gateware`` (the controller's components: hardware),
``atsintc.soc`` (the demo SoC's components and address map: hardware), ``atsintc.tools``
(CLI, export, co-simulation, synthesis, firmware builds, benchmarks: no hardware),
``atsintc.regmap`` (the register map, the one source of truth for both), and the
repository folders installed as ``atsintc.boards``, ``atsintc.sim``, ``atsintc.firmware``.
``ATSIntcAXI4Lite`` (:mod:`atsintc.gateware.axi4lite`) has an AXI4-Lite slave instead.
"""

__version__ = "0.1.0"

__all__ = ["ATSIntc", "ATSIntcAXI4Lite", "Params", "RegisterMap"]

_EXPORTS = {"ATSIntc": "gateware.controller", "ATSIntcAXI4Lite": "gateware.axi4lite",
            "Params": "regmap", "RegisterMap": "regmap"}


def __getattr__(name):
    # imported on first use, so that `atsintc --help` does not load Amaranth
    if name in _EXPORTS:
        import importlib
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
