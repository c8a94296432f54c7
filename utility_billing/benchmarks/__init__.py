"""Utility billing benchmark workloads (manage.py benchmark), registered by dotted path in
utility_billing.apps: the counter search and account page (accounts), the bill run (bill_runs)."""
