"""The C firmware (runtime, benchmarks, start-up code, link scripts, headers), shipped
as package data of ``atsintc.firmware``; :func:`atsintc.tools.firmware_build.firmware_dir`
finds it. No Python here."""
