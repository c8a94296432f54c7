"""Every state change of the ledger, one function per business action.

posting.py holds the posting service, the only code that writes journal entries, lines and
balances; the other modules build on it.
"""

from ledger.services.posting import (
    DUE_FROM_OBJECT,
    DUE_TO_OBJECT,
    INTERFUND_DEPARTMENT,
    LineSpec,
    close_period,
    create_account,
    create_fiscal_year,
    period_for_date,
    post_entry,
    reopen_period,
    reverse_entry,
)

__all__ = [
    "DUE_FROM_OBJECT",
    "DUE_TO_OBJECT",
    "INTERFUND_DEPARTMENT",
    "LineSpec",
    "close_period",
    "create_account",
    "create_fiscal_year",
    "period_for_date",
    "post_entry",
    "reopen_period",
    "reverse_entry",
]
