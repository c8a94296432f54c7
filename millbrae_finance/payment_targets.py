"""The payment-target registry: what can be paid at the counter, by mail or through the
lockbox, without cashiering knowing the modules that own it.

Each module registers a `PaymentTargetType` from its AppConfig.ready(): receivables its
invoices, citations and customer balances; utility billing its accounts. Cashiering asks
the registry to find targets by number or customer, how much is due on a date, and to
apply a payment: the target type updates its subledger (oldest item first) and returns
the ledger lines that credit its receivable, which cashiering posts in the same entry as
the cash, in the same transaction as the receipt.

A payment has one key, its idempotency key: the caller passes it to `apply_payment` and
posts the cash entry with it. A repeat of the key (a retry, a double-click, twenty
requests at once) must be a no-op for the subledger as it is for the ledger: the target
returns the first application's credit lines and writes nothing.

Payment batches: a type whose `supports_payment_batches` is True also applies many
payments of one day at once (`apply_payments`): a lockbox file, a day's mail, a
bank's autopay file, the demo's two years of payments. Set-based: the whole batch is
checked first and refused whole, every bad row named; then allocated and written in a
few statements, whatever its size. The caller posts the cash with the credit lines it
returns, one entry per fund for the batch rather than one per payment. Payment number n
of a batch (from 1) is the payment with key "<batch key>:<n>", so a single payment's
repeat rules hold for it too.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True)
class TargetMatch:
    """One payable thing a search found."""

    kind: str  # the registered type's key, e.g. "invoice"
    reference: str  # its number within that type, e.g. "INV-001042"
    label: str  # what the clerk reads: "Invoice INV-001042, facility rental"
    customer: str  # who owes it: "C000123 Delgado, Carmen"
    amount_due: Decimal
    warnings: tuple[str, ...] = ()  # e.g. "Do not accept checks"


@dataclass(frozen=True)
class CreditLine:
    """A ledger line the payment makes: a credit (negative amount) to a receivable."""

    account: Any  # ledger.models.Account; typed loosely so this module imports no app
    amount: Decimal
    memo: str = ""


@dataclass(frozen=True)
class BatchPayment:
    """One payment of a batch: the target's reference, the amount, the receipt."""

    reference: str
    amount: Decimal
    receipt: str


# A batch's key is short enough to carry a payment number and a document in its
# movements' references, and the fund in its entries' keys.
MAX_BATCH_KEY = 80


def supports_payment_batches(target_type: "PaymentTargetType") -> bool:
    """Whether the type applies a batch of payments at once (`apply_payments`)."""
    return bool(getattr(target_type, "supports_payment_batches", False))


class PaymentTargetType(Protocol):
    key: str
    label: str

    def find(self, text: str, *, limit: int) -> Sequence[TargetMatch]:
        """Targets whose number, customer name or address matches, best first."""

    def amount_due(self, reference: str, *, as_of: dt.date) -> Decimal:
        """What is owed on the target at the end of a day."""

    def apply_payment(
        self,
        reference: str,
        *,
        amount: Decimal,
        as_of: dt.date,
        receipt: str,
        actor: Any,
        payment_key: str,
    ) -> Sequence[CreditLine]:
        """Apply a payment (oldest open item first) inside the caller's transaction and
        return the credit lines to post; the caller posts them with the cash, under the
        same `payment_key`.

        Once per key. Every subledger movement the payment writes carries a reference
        to the key (and, for a payment spread over documents, the document), unique in
        the database. Applied again with the same key, the target returns the credit
        lines of the first application and writes nothing, even when the document has
        been paid off since; with the same key but another amount or target it raises
        ValidationError. Concurrent repeats: lock what is paid before looking for the
        key, so a repeat waits for the first to commit and then finds it; a repeat that
        still collides on the unique reference rolls back to a savepoint and returns the
        first application."""

    # Optional: types that set `supports_payment_batches = True` also have this.
    def apply_payments(
        self,
        items: Sequence[BatchPayment],
        *,
        as_of: dt.date,
        batch_key: str,
        actor: Any,
    ) -> Sequence[CreditLine]:
        """Apply a batch of payments of one day inside the caller's transaction, each as
        `apply_payment` would (oldest open item first, an overpayment a credit), in
        order (two payments to one target: the second pays what the first left), and
        return the credit lines to post for the whole batch, one per receivable account;
        the caller posts them with the cash under keys made from `batch_key`.

        Every item is checked before anything is written: a batch with a bad item (no
        such target, an amount not above zero or not to the cent, no receipt) is refused
        whole with a ValidationError naming each bad item by its number in the batch
        (from 1). Once per key: applied again with the same `batch_key`, the target
        returns the first application's credit lines and writes nothing; with other
        items it raises ValidationError."""


class ReversibleTargetType(PaymentTargetType, Protocol):
    """A target type that can undo a payment (a same-day void at the counter). Optional:
    cashiering refuses to void an item whose type lacks it (`can_reverse`)."""

    def reverse_payment(
        self,
        reference: str,
        *,
        payment_key: str,
        as_of: dt.date,
        receipt: str,
        actor: Any,
        journal_entry: Any,
    ) -> None:
        """Write the opposite of every movement the payment with `payment_key` made,
        naming `journal_entry` (the void's entry, which reverses the cash entry), inside
        the caller's transaction; once per key (a repeat writes nothing)."""


class ReturnedCheckTargetType(PaymentTargetType, Protocol):
    """A target type whose payer can be charged for a returned (NSF) check. Optional:
    cashiering charges the fee to the first item reversed whose type has it."""

    def charge_returned_check(
        self,
        reference: str,
        *,
        fee_code: str,
        as_of: dt.date,
        receipt: str,
        check_number: str,
        no_checks_until: dt.date,
        actor: Any,
        key: str,
    ) -> str:
        """Charge the fee `fee_code` of the fee schedule to whoever pays the target, and
        flag them "no checks" through `no_checks_until`, inside the caller's transaction
        (the charge posts its own entry); once per key. Returns what was charged, for
        the record ("Invoice INV-000123, 25.00, to C000042 Delgado, Carmen")."""


def can_charge_returned_check(target_type: PaymentTargetType) -> bool:
    """Whether the payer of this kind of target can be charged a returned-check fee."""
    return callable(getattr(target_type, "charge_returned_check", None))


def can_reverse(target_type: PaymentTargetType) -> bool:
    """Whether payments to this kind of target can be voided."""
    return callable(getattr(target_type, "reverse_payment", None))


_types: dict[str, PaymentTargetType] = {}


def register_payment_target(target_type: PaymentTargetType) -> None:
    """Register (or replace, by key) a kind of payable thing."""
    _types[target_type.key] = target_type


def payment_target_types() -> list[PaymentTargetType]:
    return list(_types.values())


def payment_target_type(key: str) -> PaymentTargetType:
    try:
        return _types[key]
    except KeyError:
        raise LookupError(f"Nothing payable of kind {key!r} is registered.") from None


def find_payment_targets(text: str, *, limit: int = 20) -> list[TargetMatch]:
    """Search every registered kind; the counter's one search box."""
    text = text.replace("\x00", "").strip()
    if not text:
        return []
    found: list[TargetMatch] = []
    for target_type in _types.values():
        found.extend(target_type.find(text, limit=limit))
    return found[:limit]
