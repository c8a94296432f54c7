"""Utility billing forms, one module per area: input parsing only; the services judge."""
