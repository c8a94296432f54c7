"""Demo data of receivables: customers and the fee schedule (customers.py), the penalty
rules (penalties.py), and a year of billing and collections (billing.py). Imported only
when `manage.py seed_demo` runs: apps.py registers the seeders by their dotted paths."""
