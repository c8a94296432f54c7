"""Who does what with meters and reads. Technicians and senior technicians install,
remove and change meters, record reads and settle read exceptions; the supervisor, the
auditor and the counter clerks read them (a clerk answers a customer who asks about a
read)."""

from millbrae_finance.roles import Role

METER_WORKERS = frozenset({Role.ACCOUNTING_TECHNICIAN, Role.SENIOR_ACCOUNTING_TECHNICIAN})
METER_READERS = METER_WORKERS | {Role.FINANCE_SUPERVISOR, Role.AUDITOR, Role.COUNTER_CLERK}
