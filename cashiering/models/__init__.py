from cashiering.models.receipts import (
    Receipt,
    ReceiptItem,
    ReceiptTender,
    TenderKind,
)
from cashiering.models.sessions import CashSession, Drawer, SessionStatus

__all__ = [
    "CashSession",
    "Drawer",
    "Receipt",
    "ReceiptItem",
    "ReceiptTender",
    "SessionStatus",
    "TenderKind",
]
