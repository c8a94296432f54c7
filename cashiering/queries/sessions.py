"""Reading drawers, sessions and receipts: a clerk reads their own; a lead, a supervisor
or the auditor reads all."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse

from cashiering.models import (
    CashSession,
    Drawer,
    Receipt,
    ReceiptItem,
    ReceiptTender,
    TenderKind,
)
from millbrae_finance.money import ZERO
from millbrae_finance.roles import Role, has_role

# Who reads every session and receipt, not only their own.
OVERSEERS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR, Role.AUDITOR})


def sees_all(user: AbstractBaseUser) -> bool:
    return has_role(user, *OVERSEERS)


def open_session_of(user: AbstractBaseUser) -> CashSession | None:
    """The user's open session, if any (at most one: the database sees to it)."""
    return CashSession.objects.open().select_related("drawer").filter(clerk=user).first()


def drawers_with_sessions() -> list[Drawer]:
    """Active drawers, each with its open session (or None) as `open_session`."""
    drawers = list(Drawer.objects.filter(active=True))
    open_by_drawer = {s.drawer_id: s for s in CashSession.objects.open().select_related("clerk")}
    for drawer in drawers:
        drawer.open_session = open_by_drawer.get(drawer.pk)
    return drawers


def sessions_for(user: AbstractBaseUser) -> QuerySet[CashSession]:
    """Sessions newest first with their receipt count and what they took (voids left
    out of the total)."""
    rows = CashSession.objects.select_related("drawer", "clerk").annotate(
        receipt_count=Count("receipts", distinct=True),
        # What was taken: a voided receipt keeps its number but took nothing.
        receipt_total=Coalesce(
            Sum("receipts__total", filter=Q(receipts__voided_at__isnull=True)), ZERO
        ),
    )
    return rows if sees_all(user) else rows.filter(clerk=user)


def session_for(pk: int, user: AbstractBaseUser) -> CashSession:
    """A session the user may read, or 404 (a clerk's colleague's session is not theirs
    to see)."""
    session = sessions_for(user).filter(pk=pk).first()
    if session is None:
        raise Http404("No such session.")
    session.receipt_list = list(
        Receipt.objects.filter(session=session).select_related("drawer").order_by("number")
    )
    return session


def receipt_for(pk: int, user: AbstractBaseUser) -> Receipt:
    """A receipt with its items and tenders, if the user may read it; else 404."""
    rows = Receipt.objects.select_related(
        "drawer", "session", "created_by", "void_approved_by", "reversal__reversed_by"
    ).prefetch_related(
        Prefetch("items", queryset=ReceiptItem.objects.order_by("line")),
        Prefetch("tenders", queryset=ReceiptTender.objects.order_by("id")),
    )
    if not sees_all(user):
        rows = rows.filter(session__clerk=user)
    receipt = rows.filter(pk=pk).first()
    if receipt is None:
        raise Http404("No such receipt.")
    receipt.change_given = sum((t.change_given for t in receipt.tenders.all()), ZERO)
    receipt.tendered = sum((t.amount for t in receipt.tenders.all()), ZERO)
    return receipt


def receipt_document_url(reference: str) -> str | None:
    """The page of a receipt (or a deposit) named as an entry's source document
    ("D1-000042", "DEP-000012")."""
    code, _, number = (reference or "").strip().rpartition("-")
    if not code or not (number.isascii() and number.isdigit()):
        return None
    if code == "DEP":  # a deposit ("DEP-000012"), the source of its entry
        return reverse("cashiering:deposit_detail", args=[int(number)])
    pk = (
        Receipt.objects.filter(drawer__code=code, number=int(number))
        .values_list("pk", flat=True)
        .first()
    )
    return reverse("cashiering:receipt_detail", args=[pk]) if pk else None


def may_void(receipt: Receipt, user: AbstractBaseUser) -> bool:
    """Whether the receipt page offers Void: the clerk's own receipt of today, not void,
    in their open session (the service checks again)."""
    from django.utils import timezone

    return (
        not receipt.is_void
        and receipt.session.clerk_id == user.pk
        and receipt.session.is_open
        and timezone.localdate(receipt.posted_at) == timezone.localdate()
    )


@dataclass(frozen=True)
class TenderTotal:
    kind: str
    label: str
    count: int
    received: Decimal
    change: Decimal
    net: Decimal


def expected_in_drawer(session: CashSession) -> dict:
    """What the drawer should hold: by tender (voided receipts left out), the cash with
    the opening float, and the checks one by one, as the clerk will count them at the
    close."""
    live = ReceiptTender.objects.filter(receipt__session=session, receipt__voided_at__isnull=True)
    rows = {
        row["kind"]: row
        for row in live.values("kind").annotate(
            count=Count("id"),
            received=Coalesce(Sum("amount"), ZERO),
            change=Coalesce(Sum("change_given"), ZERO),
        )
    }
    totals = [
        TenderTotal(
            kind=kind,
            label=label,
            count=rows[kind]["count"],
            received=rows[kind]["received"],
            change=rows[kind]["change"],
            net=rows[kind]["received"] - rows[kind]["change"],
        )
        for kind, label in TenderKind.choices
        if kind in rows
    ]
    cash = next((t.net for t in totals if t.kind == TenderKind.CASH), ZERO)
    checks = list(
        live.filter(kind=TenderKind.CHECK)
        .select_related("receipt__drawer")
        .order_by("receipt__number", "id")
    )
    return {
        "tenders": totals,
        "cash_expected": session.opening_float + cash,
        "taken": sum((t.net for t in totals), ZERO),
        "checks": checks,
    }
