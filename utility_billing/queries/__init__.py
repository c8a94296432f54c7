"""Utility billing reads, one module per area; a query never imports a service."""
