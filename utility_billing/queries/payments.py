"""Reads behind utility payments and utility aging: what is open on an account, bill by
bill and fund by fund, as of a day; and what a payment key already applied.

What is open is read from the subledger movements only. Each bill's charge in a fund
(its UtilityTransaction naming the bill and the fund's control account) less what was
applied to that bill in that fund is an open part. Movements on no bill are kept per
control account: positive ones (a refund, an adjustment up) are a part owed from their
date, negative ones (an overpayment, a credit) are the account's unapplied credit.

How an account credit is consumed: it is applied to the account's oldest open parts
first (bill due date, then bill, then fund), in this one query, so the next payment's
allocation, the amount due and the aging all see the bills net of the credit. No entry
moves the credit: it stays in the control account of the fund that received it, and the
control accounts still each equal their own movements (reconciliation is per subledger,
every fund together). A payment that pays more than is open leaves the rest as a new
credit the same way.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum
from django.db.models.functions import Coalesce

from ledger.models import Account, Subledger
from millbrae_finance.money import ZERO
from millbrae_finance.payment_targets import CreditLine
from utility_billing.models import UtilityAccount, UtilityTransaction, UtilityTransactionKind

# A journal entry's key is at most 100 characters; a payment's cause adds the bill and fund.
MAX_PAYMENT_KEY = 100
# What follows "<key>:" in a payment movement's cause: the bill and fund it paid, or the
# fund that holds what was paid beyond every bill (the account's credit).
PAYMENT_CAUSE_PART = re.compile(r"(?:bill-[0-9]+:)?fund-[0-9A-Za-z]+")
# What follows "<batch key>:" in the cause of a movement of a payment batch: the number of
# the payment in the batch (its key is "<batch key>:<number>"), then what it paid.
BATCH_CAUSE_PART = re.compile(r"[0-9]+:(?:bill-[0-9]+:)?fund-[0-9A-Za-z]+")


def _parts_sql(*, accounts: bool) -> str:
    """The open parts at %(as_of)s, one row each (account, bill or NULL, control account,
    due date, open amount), credit already consumed oldest first. With `accounts`, only
    the accounts in %(account_ids)s."""
    tx = UtilityTransaction._meta.db_table
    account_filter = "AND t.account_id = ANY(%(account_ids)s)" if accounts else ""
    return f"""
        WITH grouped AS (
            SELECT t.account_id, t.bill_id, t.control_account_id,
                   SUM(t.amount) AS remaining,
                   MIN(t.transaction_date) FILTER (WHERE t.amount > 0) AS first_owed,
                   MIN(t.transaction_date) AS first_moved
              FROM {tx} t
             WHERE t.transaction_date <= %(as_of)s {account_filter}
             GROUP BY t.account_id, t.bill_id, t.control_account_id
            HAVING SUM(t.amount) <> 0
        ),
        -- The bills' due dates looked up (by key) for what is still open only: most of
        -- an account's movements are of bills paid off, whose groups add up to nothing.
        parts AS (
            SELECT g.account_id, g.bill_id, g.control_account_id, g.remaining,
                   COALESCE((SELECT b.due_date FROM utility_billing_bill b
                              WHERE b.id = g.bill_id),
                            g.first_owed, g.first_moved) AS due_date
              FROM grouped g
        ),
        credit AS (
            SELECT account_id, -SUM(remaining) AS credit
              FROM parts WHERE remaining < 0 GROUP BY account_id
        ),
        owed AS (
            SELECT p.account_id, p.bill_id, p.control_account_id, p.due_date, p.remaining,
                   a.number AS control_number,
                   COALESCE(SUM(p.remaining) OVER (
                       PARTITION BY p.account_id
                       ORDER BY p.due_date, p.bill_id NULLS LAST, a.number
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
              FROM parts p JOIN ledger_account a ON a.id = p.control_account_id
             WHERE p.remaining > 0
        )
        SELECT o.account_id, o.bill_id, o.control_account_id, o.control_number, o.due_date,
               o.remaining
                 - LEAST(GREATEST(COALESCE(c.credit, 0) - o.before, 0), o.remaining) AS open
          FROM owed o LEFT JOIN credit c ON c.account_id = o.account_id
    """  # noqa: S608 (table names are constants; values go as parameters)


@dataclass(frozen=True)
class OpenPart:
    """What is open of one bill in one fund (bill None: owed on no bill)."""

    account_id: int
    bill_id: int | None
    control_account_id: int
    control_number: str
    due_date: dt.date
    open: Decimal


def open_parts(account: UtilityAccount, *, as_of: dt.date) -> list[OpenPart]:
    """The account's open parts at the close of a day, oldest first (bill due date, bill,
    fund), net of the account's credit (module docstring)."""
    sql = (
        f"SELECT * FROM ({_parts_sql(accounts=True)}) p WHERE p.open > 0 "  # noqa: S608
        "ORDER BY p.due_date, p.bill_id NULLS LAST, p.control_number"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"as_of": as_of, "account_ids": [account.pk]})
        return [OpenPart(*row) for row in cursor.fetchall()]


def open_parts_by_account(
    account_ids: Sequence[int], *, as_of: dt.date
) -> dict[int, list[OpenPart]]:
    """The open parts of many accounts at the close of a day, in one query: each
    account's oldest first, as open_parts gives one account's (a payment batch's)."""
    sql = (
        f"SELECT * FROM ({_parts_sql(accounts=True)}) p WHERE p.open > 0 "  # noqa: S608
        "ORDER BY p.account_id, p.due_date, p.bill_id NULLS LAST, p.control_number"
    )
    parts: dict[int, list[OpenPart]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"as_of": as_of, "account_ids": [int(pk) for pk in account_ids]})
        for row in cursor.fetchall():
            parts[row[0]].append(OpenPart(*row))
    return parts


def applied_batch(batch_key: str) -> list[UtilityTransaction]:
    """The movements a payment batch made (its payment number n has the key
    "<batch key>:<n>"), in the order made; empty if none."""
    prefix = f"{batch_key}:"
    movements = (
        UtilityTransaction.objects.filter(
            kind=UtilityTransactionKind.PAYMENT, cause__startswith=prefix
        )
        .select_related("control_account")
        .order_by("id")
    )
    return [m for m in movements if BATCH_CAUSE_PART.fullmatch(m.cause[len(prefix) :])]


def parts_sql(*, accounts: bool = False) -> str:
    """The open-parts statement, for the aging (module docstring)."""
    return _parts_sql(accounts=accounts)


def balance_as_of(account: UtilityAccount, as_of: dt.date) -> Decimal:
    """What the account owes at the close of a day (negative: a credit)."""
    return UtilityTransaction.objects.filter(
        account=account, transaction_date__lte=as_of
    ).aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]


def balances(account_ids: Sequence[int], *, as_of: dt.date) -> dict[int, Decimal]:
    """What each account owes at the close of a day, in one query."""
    return dict(
        UtilityTransaction.objects.filter(account_id__in=account_ids, transaction_date__lte=as_of)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )


def credit_control_account() -> Account:
    """Where an account credit is held: the first utility AR control account by number
    (the water fund's, in Millbrae's chart)."""
    account = (
        Account.objects.postable()
        .filter(control_subledger=Subledger.UTILITY_AR)
        .select_related("fund")
        .order_by("number")
        .first()
    )
    if account is None:
        raise ValidationError(
            "No active utility AR control account in the chart of accounts: the "
            "Administrator marks one as the utility AR control account."
        )
    return account


# ---------------------------------------------------------------- payments applied


def applied_payment(payment_key: str) -> list[UtilityTransaction]:
    """The movements the payment with this key made, in the order made; empty if none
    (or none has committed yet)."""
    if not payment_key or len(payment_key) > MAX_PAYMENT_KEY:
        raise ValueError(f"A payment needs a key of 1 to {MAX_PAYMENT_KEY} characters.")
    prefix = f"{payment_key}:"
    movements = (
        UtilityTransaction.objects.filter(
            kind=UtilityTransactionKind.PAYMENT, cause__startswith=prefix
        )
        .select_related("account", "control_account")
        .order_by("id")
    )
    # A longer key may begin with this one and a colon: only "<key>:<part>" is ours.
    return [m for m in movements if PAYMENT_CAUSE_PART.fullmatch(m.cause[len(prefix) :])]


def credit_lines(movements: Sequence[UtilityTransaction], receipt: str) -> list[CreditLine]:
    """One credit line per control account, in the order first paid: a payment credits
    each fund's utility AR control account with what it paid in that fund."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    controls: dict[int, Account] = {}
    for movement in movements:
        controls.setdefault(movement.control_account_id, movement.control_account)
        totals[movement.control_account_id] += movement.amount
    return [
        CreditLine(account=controls[pk], amount=total, memo=f"Receipt {receipt}"[:100])
        for pk, total in totals.items()
    ]


def repeated_payment(
    payment_key: str, *, account: UtilityAccount, amount: Decimal, receipt: str
) -> list[CreditLine] | None:
    """If the payment with this key was applied, the credit lines it returned (a repeat
    writes nothing); None if not. The same key with another amount or account is another
    payment, and is refused."""
    movements = applied_payment(payment_key)
    if not movements:
        return None
    applied = -sum((m.amount for m in movements), ZERO)
    if applied != amount or any(m.account_id != account.pk for m in movements):
        raise ValidationError(
            {
                "amount": f"Payment {payment_key} was already applied: {applied:,.2f} to "
                f"account {movements[0].account.number}. It was not applied again."
            }
        )
    return credit_lines(movements, receipt)
