"""The tests import the installed package (``pip install -e .``, as ``make venv`` does):
``atsintc``, with the repository's ``boards/``, ``sim/`` and ``firmware/`` as
``atsintc.boards``, ``atsintc.sim`` and ``atsintc.firmware``."""

from atsintc.tools.toolchain import setup_environment

setup_environment()
