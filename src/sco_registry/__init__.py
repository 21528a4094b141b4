"""sco-registry: an event-sourced registry of the Shanghai Cooperation Organization's history."""

__version__ = "0.1.0"
