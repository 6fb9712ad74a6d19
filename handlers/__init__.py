"""Projections, process managers and reactors over the event log."""
