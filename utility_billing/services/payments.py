"""Utility accounts as payment targets (registered with the payment-target registry):
the counter finds an account by number, customer name or any part of the service
address, sees what is due, and a payment goes to the oldest bill first.

Allocation: bills oldest first (due date, then bill); a bill paid in part is paid in
each fund in proportion to what is open in it (largest remainder, to the cent), so each
fund's utility AR control account is credited with what the payment paid of its charge.
More than is open becomes a credit on the account: a payment movement on no bill, held
in the first utility AR control account, consumed by the oldest open bills as
utility_billing.queries.payments describes.

A payment is applied once per key: each movement's cause is "<key>:bill-<id>:fund-<code>"
(or "<key>:fund-<code>" for the credit), unique in the database, and the account is
locked before the key is looked for, so a repeat (sequential, or twenty at once) returns
the first payment's credit lines and writes nothing."""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ledger.models import Account
from millbrae_finance.money import ZERO, allocate_oldest_first, split_by_weights
from millbrae_finance.payment_targets import CreditLine, TargetMatch
from utility_billing.models import UtilityAccount, UtilityTransaction, UtilityTransactionKind
from utility_billing.models.locations import OPEN_ACCOUNT_STATUSES
from utility_billing.queries.accounts import account_list
from utility_billing.queries.payments import (
    OpenPart,
    applied_payment,
    balance_as_of,
    balances,
    credit_control_account,
    credit_lines,
    open_parts,
    repeated_payment,
)

CHECKS_WARNING = "Do not accept checks"


def _account_for(reference: str, *, lock: bool = False) -> UtilityAccount:
    rows = UtilityAccount.objects.all()
    if lock:
        rows = rows.select_for_update()
    account = rows.filter(number=(reference or "").strip()).first()
    if account is None:
        raise ValidationError({"reference": f"No utility account {reference}."})
    return account


def _check_amount(amount: Decimal) -> None:
    if amount <= 0:
        raise ValidationError({"amount": "The payment must be more than zero."})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": f"{amount} is not an amount to the cent."})


def allocate(parts: Sequence[OpenPart], amount: Decimal) -> tuple[list, Decimal]:
    """What a payment pays of each open part (bills oldest first; a bill's funds in
    proportion to what is open in each), and what is left over (the account's credit)."""
    bills: dict[tuple, list[OpenPart]] = {}
    for part in parts:
        # Parts on no bill are each their own item.
        key = ("bill", part.bill_id) if part.bill_id else ("part", part.control_account_id)
        bills.setdefault(key, []).append(part)
    groups = list(bills.values())
    totals = [sum((p.open for p in group), ZERO) for group in groups]
    shares, left = allocate_oldest_first(amount, totals)
    paid = []
    for group, total, share in zip(groups, totals, shares, strict=True):
        if share <= 0:
            continue
        splits = [share] if len(group) == 1 else split_by_weights(share, [p.open for p in group])
        if share == total:
            splits = [p.open for p in group]
        paid.extend((part, split) for part, split in zip(group, splits, strict=True) if split > 0)
    return paid, left


class UtilityAccountTarget:
    key = "utility-account"
    label = "Utility account"

    def find(self, text: str, *, limit: int) -> Sequence[TargetMatch]:
        """Accounts by number, customer name, or any part of the service address or
        parcel number, with what each owes today."""
        accounts = list(account_list(q=text)[:limit])
        owed = balances([a.pk for a in accounts], as_of=timezone.localdate())
        matches = []
        for account in accounts:
            customer = account.customer
            warnings = [CHECKS_WARNING] if customer.do_not_accept_checks else []
            if account.status not in OPEN_ACCOUNT_STATUSES:
                warnings.append(f"Account {account.get_status_display().lower()}")
            balance = owed.get(account.pk, ZERO)
            matches.append(
                TargetMatch(
                    kind=self.key,
                    reference=account.number,
                    label=f"Utility account {account.number}, {account.location.address}"
                    + (f" (credit {-balance:,.2f})" if balance < 0 else ""),
                    customer=f"{customer.number} {customer.name}",
                    amount_due=max(balance, ZERO),
                    warnings=tuple(warnings),
                )
            )
        return matches

    def amount_due(self, reference: str, *, as_of: dt.date) -> Decimal:
        return max(balance_as_of(_account_for(reference), as_of), ZERO)

    def apply_payment(
        self,
        reference: str,
        *,
        amount: Decimal,
        as_of: dt.date,
        receipt: str,
        actor: AbstractBaseUser,
        payment_key: str,
    ) -> Sequence[CreditLine]:
        # Locked first: a repeat racing this one waits here, then finds its movements.
        account = _account_for(reference, lock=True)
        if (first := self._repeat(payment_key, account, amount, receipt)) is not None:
            return first
        _check_amount(amount)
        if not receipt:
            raise ValidationError({"receipt": "A payment names its receipt."})
        paid, left = allocate(open_parts(account, as_of=as_of), amount)
        controls = Account.objects.select_related("fund").in_bulk(
            {part.control_account_id for part, _ in paid}
        )
        rows = [
            UtilityTransaction(
                account=account,
                bill_id=part.bill_id,
                kind=UtilityTransactionKind.PAYMENT,
                control_account=controls[part.control_account_id],
                amount=-share,
                transaction_date=as_of,
                memo=(
                    f"Payment, receipt {receipt}, bill B{part.bill_id:08d}"
                    if part.bill_id
                    else f"Payment, receipt {receipt}"
                )[:250],
                reference=receipt[:40],
                cause=f"{payment_key}:"
                + (f"bill-{part.bill_id}:" if part.bill_id else "")
                + f"fund-{controls[part.control_account_id].fund.code}",
                created_by=actor,
            )
            for part, share in paid
        ]
        if left > 0:
            control = credit_control_account()
            # Added to what this payment already paid in that fund with no bill, if any.
            merged = next(
                (r for r in rows if r.bill_id is None and r.control_account_id == control.pk),
                None,
            )
            if merged is not None:
                merged.amount -= left
                merged.memo = f"Payment, receipt {receipt}, with a credit of {left:,.2f}"[:250]
            else:
                rows.append(
                    UtilityTransaction(
                        account=account,
                        kind=UtilityTransactionKind.PAYMENT,
                        control_account=control,
                        amount=-left,
                        transaction_date=as_of,
                        memo=f"Payment, receipt {receipt}: credit on the account"[:250],
                        reference=receipt[:40],
                        cause=f"{payment_key}:fund-{control.fund.code}",
                        created_by=actor,
                    )
                )
        try:
            # A savepoint: a request with the same key that committed before this one
            # locked the account makes an insert here fail on the unique cause; this one
            # then rolls back to here and answers with the first.
            with transaction.atomic():
                UtilityTransaction.objects.bulk_create(rows)
        except IntegrityError:
            if (first := self._repeat(payment_key, account, amount, receipt)) is None:
                raise
            return first
        return credit_lines(rows, receipt)

    def reverse_payment(
        self,
        reference: str,
        *,
        payment_key: str,
        as_of: dt.date,
        receipt: str,
        actor: AbstractBaseUser,
        journal_entry,
    ) -> None:
        """Undo a payment (a void at the counter): an adjustment opposite each movement
        it made, on the same bill and fund, so the bills it paid are open again and a
        credit it left is gone. Each names the void's entry; its cause is "void:" and the
        payment movement's cause, unique, so a repeat writes nothing."""
        account = _account_for(reference, lock=True)
        paid = [m for m in applied_payment(payment_key) if m.account_id == account.pk]
        if not paid:
            raise ValidationError({"reference": f"No payment {payment_key} on {reference}."})
        causes = {f"void:{m.cause}" for m in paid}
        if UtilityTransaction.objects.filter(cause__in=causes).exists():
            return
        UtilityTransaction.objects.bulk_create(
            UtilityTransaction(
                account=account,
                bill_id=m.bill_id,
                kind=UtilityTransactionKind.ADJUSTMENT,
                control_account=m.control_account,
                amount=-m.amount,
                transaction_date=as_of,
                memo=f"Void of receipt {receipt}"[:250],
                reference=receipt[:40],
                cause=f"void:{m.cause}",
                journal_entry=journal_entry,
                created_by=actor,
            )
            for m in paid
        )

    @staticmethod
    def _repeat(
        payment_key: str, account: UtilityAccount, amount: Decimal, receipt: str
    ) -> list[CreditLine] | None:
        try:
            return repeated_payment(payment_key, account=account, amount=amount, receipt=receipt)
        except ValueError as error:
            raise ValidationError({"payment_key": str(error)}) from None
