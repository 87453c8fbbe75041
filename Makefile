# atsintc — every target bootstraps its own .venv from PyPI (python3, g++, make, perl suffice).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

BOARD  ?= ulx3s-85f

.PHONY: venv demo test test-slow bench-pq bitstream synth-report generate clean help rust-toolchain

help:
	@echo "make demo       set up .venv, generate the controller's Verilog, run the queue, controller and SoC benchmarks"
	@echo "make test       set up .venv if needed and run the test suite (all but the slow tests; 2 workers)"
	@echo "make test-slow  the slow tests (full synthesis runs)"
	@echo "make bench-pq   priority-queue benchmark (add SYNTH=1 for ECP5 LUT/FF/Fmax)"
	@echo "make bitstream  FPGA bitstream: BOARD=ulx3s-85f (default) [FREQ=MHz] or icebreaker"
	@echo "make synth-report  controller-only LUT/FF/RAM/Fmax on ECP5 and iCE40 (long)"
	@echo "make generate   rewrite the checked-in header, SVD, register docs, Rust register module and soc.h"
	@echo "make venv       only create .venv and install the pinned toolchain"
	@echo "make rust-toolchain  install the Rust firmware's toolchain (Debian packages, as root or with sudo)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e .
	touch $@

demo: $(STAMP)
	$(VENV)/bin/atsintc demo

test: $(STAMP)
	$(PY) -m pytest -v -rs --durations=25 -n 2 --dist worksteal

# two workers: the slow tests are single-threaded synthesis and solver runs, each in
# its own build directory
test-slow: $(STAMP)
	$(PY) -m pytest -v -m slow -n 2 --dist worksteal

bench-pq: $(STAMP)
	$(VENV)/bin/atsintc bench pq --json build/bench-pq.json $(if $(SYNTH),--synth,)

bitstream: $(STAMP)
	$(VENV)/bin/atsintc build --board $(BOARD) $(if $(FREQ),--freq $(FREQ),)

synth-report: $(STAMP)
	$(VENV)/bin/atsintc synth-report --json build/synth-report.json

# the checked-in generated files (tests/test_regmap_gen.py, test_memmap.py check them)
generate: $(STAMP)
	$(VENV)/bin/atsintc generate header
	$(VENV)/bin/atsintc generate svd
	$(VENV)/bin/atsintc generate docs
	$(VENV)/bin/atsintc generate rust
	$(PY) -m atsintc.soc.memmap

# the Rust firmware (firmware/rust/, hdl/atsintc/tools/rust_build.py): Debian's rustc and
# rust-src build `core` for riscv32im offline (no crates.io); without them the Rust parts
# of the tests and benchmarks are skipped with a message naming these packages
RUST_PACKAGES := rustc-web cargo-web rust-web-src
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

rust-toolchain:
	@if [ -x /usr/bin/rustc ] && [ -f /usr/lib/rustlib/src/rust/library/core/src/lib.rs ]; then \
	    echo "Rust toolchain present: $$(/usr/bin/rustc --version)"; \
	else \
	    $(SUDO) apt-get install -y $(RUST_PACKAGES) || \
	    { $(SUDO) apt-get update && $(SUDO) apt-get install -y $(RUST_PACKAGES); }; \
	fi

clean:
	rm -rf build sim_build
