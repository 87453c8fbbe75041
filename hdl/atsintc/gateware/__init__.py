"""The controller's gateware: Amaranth components that become hardware."""
