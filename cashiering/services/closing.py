"""Closing and balancing a drawer, and the lead's sign-off.

The clerk counts the cash by denomination, lists the checks and gives the card and
money-order totals; in one durable transaction the count is written, the session closed
and the over/short (counted less expected, all tenders) posted to cash over and short
against cash in drawers. A repeat of the close (a double-click, a retry) finds the count
and writes nothing.

A senior accounting technician or the supervisor then verifies the closed session: never
the clerk who counted it (the database refuses it too).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cashiering.accounts import CASH_IN_DRAWERS, CASH_OVER_SHORT
from cashiering.models import (
    BILLS,
    COINS,
    CashSession,
    CountLineKind,
    Drawer,
    SessionCount,
    SessionCountLine,
    SessionStatus,
    TenderKind,
)
from cashiering.queries.sessions import expected_in_drawer
from ledger.models import Account
from ledger.services import LineSpec, post_entry
from millbrae_finance.money import CENT, ZERO
from millbrae_finance.roles import Role, has_role

# Who signs off a counted drawer: a lead or the supervisor, never the clerk who counted.
VERIFIERS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR})
MAX_QUANTITY = 100_000


def denomination_key(kind: str, value: Decimal) -> str:
    """The field and error name of a denomination: bill_20, coin_0_25."""
    return f"{kind}_{str(value).replace('.', '_')}"


DENOMINATIONS = [(CountLineKind.BILL, value) for value in BILLS] + [
    (CountLineKind.COIN, value) for value in COINS
]


@dataclass(frozen=True)
class CheckCounted:
    number: str
    amount: Decimal


@dataclass(frozen=True)
class CountSpec:
    """What the clerk counted: quantities by denomination key, the checks, the totals."""

    quantities: Mapping[str, int] = field(default_factory=dict)
    checks: Sequence[CheckCounted] = ()
    card_total: Decimal = ZERO
    money_order_total: Decimal = ZERO


def _money_ok(amount) -> bool:
    try:
        return amount is not None and amount >= 0 and amount == amount.quantize(CENT)
    except (InvalidOperation, TypeError, AttributeError):
        return False


def check_count(spec: CountSpec) -> list[SessionCountLine]:
    """The count's lines (unsaved); every error beside the row at fault, all at once."""
    errors = {}
    lines = []
    known = {denomination_key(kind, value) for kind, value in DENOMINATIONS}
    for key in spec.quantities:
        if key not in known:
            errors[key] = "No such denomination."
    for kind, value in DENOMINATIONS:
        key = denomination_key(kind, value)
        quantity = spec.quantities.get(key) or 0
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            errors[key] = "A count: a whole number, zero or more."
        elif quantity < 0 or quantity > MAX_QUANTITY:
            errors[key] = f"A count: a whole number from 0 to {MAX_QUANTITY:,}."
        elif quantity:
            lines.append(
                SessionCountLine(
                    kind=kind, denomination=value, quantity=quantity, amount=value * quantity
                )
            )
    for row, check in enumerate(spec.checks, start=1):
        key = f"check_{row}"
        if not (check.number or "").strip():
            errors[key] = "Enter the check number."
        elif not _money_ok(check.amount) or check.amount == 0:
            errors[key] = "An amount to the cent, more than zero."
        else:
            lines.append(
                SessionCountLine(
                    kind=CountLineKind.CHECK,
                    check_number=check.number.strip()[:20],
                    amount=check.amount,
                )
            )
    for name in ("card_total", "money_order_total"):
        if not _money_ok(getattr(spec, name)):
            errors[name] = "An amount to the cent, zero or more."
    if errors:
        raise ValidationError(errors)
    return lines


def close_and_count(
    session: CashSession, *, spec: CountSpec, actor: AbstractBaseUser
) -> SessionCount:
    """Close the actor's own open session with their count; post the over/short. A repeat
    returns the first count and writes nothing."""
    lines = check_count(spec)
    with transaction.atomic(durable=True):
        # Drawer, then session: the order a receipt locks them in.
        Drawer.objects.select_for_update().get(pk=session.drawer_id)
        session = (
            CashSession.objects.select_for_update(of=("self",))
            .select_related("drawer")
            .get(pk=session.pk)
        )
        if session.clerk_id != actor.pk:
            raise PermissionDenied("A clerk closes only their own session.")
        existing = SessionCount.objects.filter(session=session).first()
        if existing is not None:
            return existing
        if session.status != SessionStatus.OPEN:
            raise ValidationError({"session": "The session is already closed."})
        expected = expected_in_drawer(session)
        net = {t.kind: t.net for t in expected["tenders"]}
        now = timezone.now()
        count = SessionCount(
            session=session,
            counted_by=actor,
            counted_at=now,
            cash_counted=sum(
                (line.amount for line in lines if line.kind != CountLineKind.CHECK), ZERO
            ),
            checks_counted=sum(
                (line.amount for line in lines if line.kind == CountLineKind.CHECK), ZERO
            ),
            card_counted=spec.card_total,
            money_order_counted=spec.money_order_total,
            cash_expected=expected["cash_expected"],
            checks_expected=net.get(TenderKind.CHECK, ZERO),
            card_expected=net.get(TenderKind.CARD, ZERO),
            money_order_expected=net.get(TenderKind.MONEY_ORDER, ZERO),
            over_short=ZERO,
        )
        count.over_short = count.counted_total - count.expected_total
        if count.over_short:
            count.journal_entry = _post_over_short(session, count.over_short, actor, now)
        count.save()
        for line in lines:
            line.count = count
        SessionCountLine.objects.bulk_create(lines)
        session.status = SessionStatus.CLOSED
        session.closed_at = now
        session.save(update_fields=["status", "closed_at"])
        return count


def _post_over_short(session: CashSession, over_short: Decimal, actor, now):
    accounts = {
        a.number: a for a in Account.objects.filter(number__in=[CASH_IN_DRAWERS, CASH_OVER_SHORT])
    }
    for number, name in (
        (CASH_IN_DRAWERS, "cash in drawers"),
        (CASH_OVER_SHORT, "cash over and short"),
    ):
        if number not in accounts:
            raise ValidationError(
                {"session": f"The chart of accounts has no {number} ({name}): ask the supervisor."}
            )
    word = "over" if over_short > 0 else "short"
    memo = f"Drawer {session.drawer.code} session {session.pk} {word} {abs(over_short):,.2f}"
    return post_entry(
        entry_date=timezone.localdate(now),
        lines=[
            LineSpec(accounts[CASH_IN_DRAWERS], over_short, memo),
            LineSpec(accounts[CASH_OVER_SHORT], -over_short, memo),
        ],
        memo=memo,
        source_module="cashiering",
        source_document=f"Session {session.pk}",
        idempotency_key=f"over-short:session:{session.pk}",
        prepared_by=actor,
    )


def verify_session(session: CashSession, *, actor: AbstractBaseUser) -> CashSession:
    """Sign off a closed, counted session: a lead or the supervisor, never the clerk who
    counted it. A repeat returns it as is."""
    if not has_role(actor, *VERIFIERS):
        raise PermissionDenied(
            "A senior accounting technician or the supervisor verifies a drawer."
        )
    with transaction.atomic(durable=True):
        session = CashSession.objects.select_for_update().get(pk=session.pk)
        if session.status == SessionStatus.VERIFIED:
            return session
        if session.status != SessionStatus.CLOSED:
            raise ValidationError({"session": "Only a closed session is verified."})
        count = SessionCount.objects.filter(session=session).first()
        if count is None:
            raise ValidationError({"session": "The drawer was closed without a count."})
        if actor.pk in (session.clerk_id, count.counted_by_id):
            raise ValidationError(
                {"session": "The clerk who counted the drawer does not verify it: ask a lead."}
            )
        session.status = SessionStatus.VERIFIED
        session.verified_by = actor
        session.verified_at = timezone.now()
        session.save(update_fields=["status", "verified_by", "verified_at"])
        return session
