"""Tooling around the gateware: the CLI, Verilog export, co-simulation, synthesis,
firmware builds and benchmarks. Nothing here becomes hardware."""
