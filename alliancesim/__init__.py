"""alliancesim: agent-based simulation of NHS contract models with a double-entry payment core."""

__version__ = "0.1.0"
