"""Read models: projections of the event log into tables (see docs/architecture.md)."""
