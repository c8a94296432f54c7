"""Every state change of the ledger, one function per business action.

posting.py holds the posting service, the only code that writes journal entries, lines and
balances; the other modules build on it.
"""

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
    close_period,
    create_fiscal_year,
    period_for_date,
    post_entries,
    post_entry,
    reopen_period,
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
    "period_for_date",
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
