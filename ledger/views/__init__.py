"""Views of the ledger screens, one module per area; urls.py names them."""
