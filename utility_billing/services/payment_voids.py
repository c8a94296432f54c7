"""A payment taken back (its receipt voided, its check returned): each movement the
payment made is reversed on the same bill and fund, so the bills it paid are open again
as they were, and a referral's recovered amount falls back (services/referrals.py).

Like applying a payment (services/payments.py), it runs inside the caller's transaction
and returns the lines for the caller to post with the cash under its own key: here
debits to each fund's utility AR control account, beside the cash credited back. Once
per payment: each reversal's cause is "void:" and the movement's cause, unique in the
database; voided again, the first reversal's lines come back and nothing is written."""

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from millbrae_finance.payment_targets import CreditLine
from utility_billing.models import UtilityTransaction, UtilityTransactionKind
from utility_billing.queries.payments import applied_payment, credit_lines
from utility_billing.queries.settlements import VOID_PREFIX
from utility_billing.services.payments import _account_for
from utility_billing.services.referrals import record_referral_recovery


def void_payment(
    reference: str,
    *,
    payment_key: str,
    on_date: dt.date,
    reason: str,
    actor: AbstractBaseUser,
    journal_entry=None,
) -> Sequence[CreditLine]:
    """Reverse the payment applied to utility account `reference` under `payment_key`
    (module docstring); returns the debit lines (positive) to post with the cash. A caller
    that posted its entry first (the counter's void) names it in `journal_entry`."""
    account = _account_for(reference, lock=True)
    try:
        movements = applied_payment(payment_key)
    except ValueError as error:
        raise ValidationError({"payment_key": str(error)}) from None
    if not movements or any(m.account_id != account.pk for m in movements):
        raise ValidationError(
            {"payment_key": f"No payment {payment_key} was applied to account {account.number}."}
        )
    if not reason.strip():
        raise ValidationError({"reason": "Say why the payment is taken back."})
    receipt = movements[0].reference
    causes = [f"{VOID_PREFIX}{m.cause}" for m in movements]
    done = list(UtilityTransaction.objects.filter(cause__in=causes).order_by("id"))
    if done:
        return credit_lines(done, receipt)
    memo = f"Payment voided, receipt {receipt}: {reason.strip()}"[:250]
    rows = [
        UtilityTransaction(
            account=account,
            bill_id=m.bill_id,
            kind=UtilityTransactionKind.PAYMENT_VOID,
            control_account=m.control_account,
            amount=-m.amount,
            transaction_date=on_date,
            memo=memo,
            reference=receipt,
            cause=cause,
            journal_entry=journal_entry,
            created_by=actor,
        )
        for m, cause in zip(movements, causes, strict=True)
    ]
    try:
        with transaction.atomic():  # a racing repeat committed first: answer with it
            UtilityTransaction.objects.bulk_create(rows)
    except IntegrityError:
        return credit_lines(UtilityTransaction.objects.filter(cause__in=causes), receipt)
    record_referral_recovery(account.pk)
    return credit_lines(rows, receipt)
