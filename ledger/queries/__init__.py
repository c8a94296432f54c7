"""Reads of the ledger, one module per area: reports (balances and statements), chart
(accounts and segments), journals (entries and manual journal drafts), calendar (the
fiscal period of a date). A query never imports a service."""
