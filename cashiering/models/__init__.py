from cashiering.models.counts import BILLS, COINS, CountLineKind, SessionCount, SessionCountLine
from cashiering.models.receipts import (
    Receipt,
    ReceiptItem,
    ReceiptTender,
    TenderKind,
)
from cashiering.models.sessions import CashSession, Drawer, SessionStatus

__all__ = [
    "BILLS",
    "COINS",
    "CashSession",
    "CountLineKind",
    "Drawer",
    "Receipt",
    "ReceiptItem",
    "ReceiptTender",
    "SessionCount",
    "SessionCountLine",
    "SessionStatus",
    "TenderKind",
]
