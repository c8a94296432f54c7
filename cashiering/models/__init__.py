from cashiering.models.batches import (
    BatchKind,
    BatchStatus,
    PaymentBatch,
    PaymentBatchItem,
)
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
    "BatchKind",
    "BatchStatus",
    "CashSession",
    "CountLineKind",
    "Drawer",
    "PaymentBatch",
    "PaymentBatchItem",
    "Receipt",
    "ReceiptItem",
    "ReceiptTender",
    "SessionCount",
    "SessionCountLine",
    "SessionStatus",
    "TenderKind",
]
