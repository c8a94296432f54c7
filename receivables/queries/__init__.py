"""Reads of receivables, one module per area. A query never imports a service."""
