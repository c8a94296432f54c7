"""Bank deposits: a lead or the supervisor takes verified drawer sessions to the bank.

In one durable transaction: the sessions are locked (in id order, the order every
deposit locks them in, so two deposits racing for a session wait for each other and the
second finds it taken), the deposit row claims its idempotency key (unique in the
database), each session is tied to it by a one-to-one row (the database refuses a
session in two deposits), the checks are listed, and one entry moves what the sessions
left in cash in drawers to the chosen cash-in-bank account. A repeat of the key returns
the first deposit and writes nothing.

The counter debits every tender to one account, cash in drawers (101-0000-1020, the
General Fund's: see services/receipts.py), so the deposit credits that account, one line
a session; should the bank account be another fund's, the posting service adds the
due-to and due-from lines.
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from cashiering.accounts import CASH_IN_BANK_OBJECT, CASH_IN_DRAWERS
from cashiering.models import (
    CashSession,
    CountLineKind,
    Deposit,
    DepositCheck,
    DepositCheckKind,
    DepositSession,
    ReceiptTender,
    SessionCount,
    SessionCountLine,
    SessionStatus,
    TenderKind,
)
from ledger.models import Account, AccountType
from ledger.services import LineSpec, post_entry
from millbrae_finance.money import ZERO
from millbrae_finance.roles import Role, has_role

# Who makes a deposit: a lead or the supervisor (DESIGN.md: the supervisor signs off
# deposits; the brief lets the senior technician prepare one too).
DEPOSITORS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR})
DEFAULT_BANK_NAME = "Bank of the Peninsula, Millbrae branch"


def cash_in_bank_accounts():
    """The accounts a deposit may go to: postable cash-in-bank asset accounts."""
    return (
        Account.objects.postable()
        .filter(object_code__code=CASH_IN_BANK_OBJECT, account_type=AccountType.ASSET)
        .select_related("fund")
        .order_by("number")
    )


def make_deposit(
    sessions: Sequence[CashSession],
    *,
    deposit_date: dt.date,
    bank_account: Account,
    bank_name: str,
    idempotency_key: str,
    actor: AbstractBaseUser,
) -> Deposit:
    """Group verified, undeposited sessions into one deposit and post it; a repeat of the
    key returns the first deposit and writes nothing."""
    if not has_role(actor, *DEPOSITORS):
        raise PermissionDenied("A senior accounting technician or the supervisor deposits.")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 60:
        raise ValidationError({"idempotency_key": "The form has no posting key: reload it."})
    if (first := Deposit.objects.filter(idempotency_key=key).first()) is not None:
        return first
    session_ids = sorted({s.pk for s in sessions})
    if not session_ids:
        raise ValidationError({"sessions": "Choose the sessions to deposit."})
    bank_name = (bank_name or "").replace("\x00", "").strip()
    if not bank_name:
        raise ValidationError({"bank_name": "Name the bank."})
    if not cash_in_bank_accounts().filter(pk=bank_account.pk).exists():
        raise ValidationError({"bank_account": "Choose a cash-in-bank account (object 1010)."})
    try:
        with transaction.atomic(durable=True):
            return _deposit(session_ids, deposit_date, bank_account, bank_name[:100], key, actor)
    except IntegrityError:
        # The key claimed by a request that committed while this one waited on the unique
        # index: answer with its deposit (this one wrote nothing).
        if (first := Deposit.objects.filter(idempotency_key=key).first()) is not None:
            return first
        raise


def _deposit(
    session_ids: list[int],
    deposit_date: dt.date,
    bank_account: Account,
    bank_name: str,
    key: str,
    actor: AbstractBaseUser,
) -> Deposit:
    locked = list(
        CashSession.objects.select_for_update(of=("self",))
        .select_related("drawer")
        .filter(pk__in=session_ids)
        .order_by("pk")
    )
    if (first := Deposit.objects.filter(idempotency_key=key).first()) is not None:
        return first
    _check_sessions(session_ids, locked, deposit_date)
    drawer_cash = _cash_in_drawers()
    counts = SessionCount.objects.filter(session_id__in=session_ids)
    totals = counts.aggregate(
        checks=Coalesce(Sum("checks_counted"), ZERO),
        cards=Coalesce(Sum("card_counted"), ZERO),
        money_orders=Coalesce(Sum("money_order_counted"), ZERO),
    )
    floats = CashSession.objects.filter(pk__in=session_ids).aggregate(
        floats=Coalesce(Sum("opening_float"), ZERO)
    )["floats"]
    cash = SessionCountLine.objects.filter(count__session_id__in=session_ids).aggregate(
        currency=Coalesce(Sum("amount", filter=Q(kind=CountLineKind.BILL)), ZERO),
        coin=Coalesce(Sum("amount", filter=Q(kind=CountLineKind.COIN)), ZERO),
    )
    checks = _check_rows(session_ids, locked)
    cash_total = cash["currency"] + cash["coin"] - floats
    check_total = totals["checks"] + totals["money_orders"]
    total = cash_total + check_total + totals["cards"]
    if total <= 0:
        raise ValidationError({"sessions": "These sessions leave nothing to deposit."})
    now = timezone.now()
    # The key is claimed here: the unique index refuses a second deposit with it.
    deposit = Deposit.objects.create(
        deposit_date=deposit_date,
        bank_account=bank_account,
        bank_name=bank_name,
        currency_total=cash["currency"],
        coin_total=cash["coin"],
        floats_kept=floats,
        cash_total=cash_total,
        check_count=len(checks),
        check_total=check_total,
        card_total=totals["cards"],
        total=total,
        idempotency_key=key,
        created_by=actor,
        created_at=now,
    )
    amounts = _session_amounts(session_ids)
    DepositSession.objects.bulk_create(
        DepositSession(deposit=deposit, session_id=pk, amount=amounts[pk]) for pk in session_ids
    )
    for line, row in enumerate(checks, start=1):
        row.deposit, row.line = deposit, line
    DepositCheck.objects.bulk_create(checks)
    number = deposit.display_number
    memo = f"Deposit {number} to {bank_account.number}"
    lines = [LineSpec(bank_account, total, memo)]
    for session in locked:
        if amounts[session.pk]:
            lines.append(
                LineSpec(
                    drawer_cash,
                    -amounts[session.pk],
                    f"{number}: drawer {session.drawer.code} session {session.pk}",
                )
            )
    deposit.journal_entry = post_entry(
        entry_date=deposit_date,
        lines=lines,
        memo=memo,
        source_module="cashiering",
        source_document=number,
        idempotency_key=f"deposit:{key}",
        prepared_by=actor,
    )
    deposit.save(update_fields=["journal_entry"])
    return deposit


def _check_sessions(
    session_ids: list[int], locked: list[CashSession], deposit_date: dt.date
) -> None:
    found = {s.pk: s for s in locked}
    errors = []
    taken = set(
        DepositSession.objects.filter(session_id__in=session_ids).values_list(
            "session_id", flat=True
        )
    )
    for pk in session_ids:
        session = found.get(pk)
        if session is None:
            errors.append(f"Session {pk} does not exist.")
        elif session.status != SessionStatus.VERIFIED:
            errors.append(f"Session {pk} is not verified: a lead verifies it first.")
        elif pk in taken:
            errors.append(f"Session {pk} is already in a deposit.")
        elif timezone.localdate(session.closed_at) > deposit_date:
            # Money is not at the bank before the drawer that held it was closed.
            errors.append(f"Session {pk} closed after {deposit_date:%m/%d/%Y}: date it later.")
    if errors:
        raise ValidationError({"sessions": errors})


def _cash_in_drawers() -> Account:
    account = Account.objects.filter(number=CASH_IN_DRAWERS).first()
    if account is None:
        raise ValidationError(
            {"sessions": f"The chart of accounts has no {CASH_IN_DRAWERS} (cash in drawers)."}
        )
    return account


def _session_amounts(session_ids: list[int]) -> dict[int, Decimal]:
    """What each session left in cash in drawers: all it counted, less its float (its
    receipts, net of voids, plus its over/short)."""
    rows = SessionCount.objects.filter(session_id__in=session_ids).values_list(
        "session_id",
        "cash_counted",
        "checks_counted",
        "card_counted",
        "money_order_counted",
        "session__opening_float",
    )
    return {
        pk: cash + checks + card + money_orders - opening_float
        for pk, cash, checks, card, money_orders, opening_float in rows
    }


def _check_rows(session_ids: list[int], locked: list[CashSession]) -> list[DepositCheck]:
    """The checks counted, one row each, with the payer of the receipt the check paid
    (matched by session and number); the money orders of a session as one row."""
    payers: dict[tuple[int, str], str] = {}
    for session_id, number, payer in ReceiptTender.objects.filter(
        receipt__session_id__in=session_ids,
        receipt__voided_at__isnull=True,
        kind=TenderKind.CHECK,
    ).values_list("receipt__session_id", "check_number", "receipt__customer_name"):
        payers.setdefault((session_id, number), payer)
    rows = [
        DepositCheck(
            kind=DepositCheckKind.CHECK,
            session_id=line.count.session_id,
            check_number=line.check_number,
            payer=payers.get((line.count.session_id, line.check_number), ""),
            amount=line.amount,
        )
        for line in SessionCountLine.objects.filter(
            count__session_id__in=session_ids, kind=CountLineKind.CHECK
        )
        .select_related("count")
        .order_by("count__session_id", "id")
    ]
    money_orders = dict(
        SessionCount.objects.filter(session_id__in=session_ids, money_order_counted__gt=0)
        .order_by("session_id")
        .values_list("session_id", "money_order_counted")
    )
    for session in locked:
        if session.pk in money_orders:
            rows.append(
                DepositCheck(
                    kind=DepositCheckKind.MONEY_ORDER,
                    session_id=session.pk,
                    payer=f"Money orders, drawer {session.drawer.code} session {session.pk}",
                    amount=money_orders[session.pk],
                )
            )
    return rows
