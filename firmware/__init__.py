"""The C firmware (runtime, benchmarks, start-up code, link scripts, headers), shipped
as package data of ``atsintc.firmware``; :func:`atsintc.soc.firmware.firmware_dir`
finds it. No Python here."""
