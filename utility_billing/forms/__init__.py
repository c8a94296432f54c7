"""Utility billing forms, one module per area: input parsing and validation only."""
