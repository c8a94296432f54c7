"""Utility billing screens, one module per area: HTTP in, one service or query call, HTTP
out."""
