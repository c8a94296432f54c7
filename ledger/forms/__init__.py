"""Forms of the ledger screens, one module per area."""
