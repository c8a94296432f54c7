"""Utility billing views, one module per area."""
