"""cocotb testbenches and Python reference models (``atsintc.sim``): the benchmarks of
the installed package run them (``atsintc bench controller``), the tests in
``tests/`` too."""
