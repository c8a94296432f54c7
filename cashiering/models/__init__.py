from cashiering.models.counts import BILLS, COINS, CountLineKind, SessionCount, SessionCountLine
from cashiering.models.deposits import Deposit, DepositCheck, DepositCheckKind, DepositSession
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
    "Deposit",
    "DepositCheck",
    "DepositCheckKind",
    "DepositSession",
    "Drawer",
    "Receipt",
    "ReceiptItem",
    "ReceiptTender",
    "SessionCount",
    "SessionCountLine",
    "SessionStatus",
    "TenderKind",
]
