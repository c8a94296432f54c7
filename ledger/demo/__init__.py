"""Demo data of the ledger: the chart, fiscal years and monthly activity, and the closing
of past periods (books.py). Imported only when `manage.py seed_demo` runs: apps.py
registers the seeders by their dotted paths."""
