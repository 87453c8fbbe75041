"""The tests import the installed package (``pip install -e .``, as ``make venv`` does):
``atsintc``, with the repository's ``boards/``, ``sim/`` and ``firmware/`` as
``atsintc.boards``, ``atsintc.sim`` and ``atsintc.firmware``."""

from atsintc.tools.toolchain import setup_environment

setup_environment()

# The synthesis and solver runs are the longest single tests (minutes each): their
# files start first, longest first, so that with two workers (``-n 2 --dist
# worksteal``) the other worker fills in around them instead of one worker finishing
# them alone at the end.
LONG_FIRST = ("test_synth.py", "test_controller_formal.py", "test_boards.py",
              "test_icebreaker.py")


def pytest_collection_modifyitems(config, items):
    def rank(item):
        name = item.path.name
        return LONG_FIRST.index(name) if name in LONG_FIRST else len(LONG_FIRST)

    items.sort(key=rank)            # stable: the rest as collected
