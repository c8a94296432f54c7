"""Who may do what in payables (DESIGN.md): technicians enter vendors and invoices, the
Finance Supervisor approves, the Auditor reads, the counter clerk has no part in it."""

from millbrae_finance.roles import FINANCE_STAFF, Role

PAYABLES_PREPARERS = FINANCE_STAFF
PAYABLES_READERS = FINANCE_STAFF | {Role.AUDITOR}
INVOICE_APPROVERS = frozenset({Role.FINANCE_SUPERVISOR})
BANK_CHANGE_APPROVERS = frozenset({Role.FINANCE_SUPERVISOR})
# Who sees a bank account number or a tax ID whole; everyone else sees ****6789.
SEALED_VALUE_READERS = frozenset({Role.FINANCE_SUPERVISOR})
