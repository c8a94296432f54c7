"""Every state change of the ledger, one function per business action.

posting.py holds the posting service, the only code that writes journal entries, lines and
balances; the other modules build on it. calendar.py makes fiscal years and closes and
reopens periods; which period a date falls in is a read, ledger.queries.calendar.
"""

from ledger.services.calendar import close_period, create_fiscal_year, reopen_period
from ledger.services.chart import (
    create_account,
    create_department,
    create_fund,
    create_object_code,
    open_account,
    set_account_active,
    update_account,
    update_department,
    update_fund,
    update_object_code,
)
from ledger.services.chart_import import ChartImportInvalid, import_chart, plan_chart_import
from ledger.services.journals import (
    approve_journal_draft,
    reject_journal_draft,
    reverse_posted_entry,
    save_journal_draft,
    submit_journal_draft,
)
from ledger.services.posting import (
    DUE_FROM_OBJECT,
    DUE_TO_OBJECT,
    INTERFUND_DEPARTMENT,
    EntrySpec,
    LineSpec,
    post_entries,
    post_entry,
    reverse_entry,
)

__all__ = [
    "DUE_FROM_OBJECT",
    "DUE_TO_OBJECT",
    "INTERFUND_DEPARTMENT",
    "ChartImportInvalid",
    "EntrySpec",
    "LineSpec",
    "approve_journal_draft",
    "close_period",
    "create_account",
    "create_department",
    "create_fiscal_year",
    "create_fund",
    "create_object_code",
    "import_chart",
    "open_account",
    "plan_chart_import",
    "post_entries",
    "post_entry",
    "reject_journal_draft",
    "reopen_period",
    "reverse_entry",
    "reverse_posted_entry",
    "save_journal_draft",
    "set_account_active",
    "submit_journal_draft",
    "update_account",
    "update_department",
    "update_fund",
    "update_object_code",
]
