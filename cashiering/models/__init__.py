from cashiering.models.batches import (
    BatchKind,
    BatchStatus,
    PaymentBatch,
    PaymentBatchItem,
)
from cashiering.models.counts import BILLS, COINS, CountLineKind, SessionCount, SessionCountLine
from cashiering.models.deposits import Deposit, DepositCheck, DepositCheckKind, DepositSession
from cashiering.models.receipts import (
    Receipt,
    ReceiptItem,
    ReceiptTender,
    TenderKind,
)
from cashiering.models.reversals import (
    CashieringPolicy,
    ReceiptReversal,
    ReturnedCheck,
    ReturnedCheckShare,
)
from cashiering.models.sessions import CashSession, Drawer, SessionStatus

__all__ = [
    "BILLS",
    "COINS",
    "BatchKind",
    "BatchStatus",
    "CashSession",
    "CashieringPolicy",
    "CountLineKind",
    "Deposit",
    "DepositCheck",
    "DepositCheckKind",
    "DepositSession",
    "Drawer",
    "PaymentBatch",
    "PaymentBatchItem",
    "Receipt",
    "ReceiptItem",
    "ReceiptReversal",
    "ReceiptTender",
    "ReturnedCheck",
    "ReturnedCheckShare",
    "SessionCount",
    "SessionCountLine",
    "SessionStatus",
    "TenderKind",
]
