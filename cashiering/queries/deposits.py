"""Reading deposits: the sessions waiting for one, a deposit with its slip's figures."""

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from cashiering.models import (
    CashSession,
    CountLineKind,
    Deposit,
    DepositCheck,
    SessionCountLine,
    SessionStatus,
)
from cashiering.models.counts import denomination_label
from millbrae_finance.money import ZERO


def sessions_to_deposit() -> QuerySet[CashSession]:
    """Verified sessions in no deposit yet, oldest first, with what each deposits."""
    return (
        CashSession.objects.filter(status=SessionStatus.VERIFIED, deposit_row__isnull=True)
        .select_related("drawer", "clerk", "count")
        .annotate(
            # The float stays in the drawer: the cash deposited is the rest.
            cash_to_deposit=F("count__cash_counted") - F("opening_float"),
            checks_to_deposit=F("count__checks_counted") + F("count__money_order_counted"),
            cards_to_deposit=F("count__card_counted"),
            to_deposit=F("count__cash_counted")
            + F("count__checks_counted")
            + F("count__card_counted")
            + F("count__money_order_counted")
            - F("opening_float"),
        )
        .order_by("closed_at", "pk")
    )


def deposit_list() -> QuerySet[Deposit]:
    return Deposit.objects.select_related("bank_account", "created_by", "journal_entry").annotate(
        session_count=Count("session_rows", distinct=True),
        # What the bank counts from the bag: the cash and the checks (not the cards).
        slip_total=F("cash_total") + F("check_total"),
    )


def deposit_for(pk: int) -> Deposit:
    """A deposit with its sessions, checks and the cash by denomination (`cash_lines`),
    summed in the database from the sessions' counts; else 404."""
    deposit = deposit_list().filter(pk=pk).first()
    if deposit is None:
        raise Http404("No such deposit.")
    deposit.sessions = list(
        deposit.session_rows.select_related("session__drawer", "session__clerk").order_by(
            "session_id"
        )
    )
    deposit.check_list = list(DepositCheck.objects.filter(deposit=deposit).order_by("line"))
    deposit.cash_lines = cash_by_denomination(deposit)
    return deposit


def cash_by_denomination(deposit: Deposit) -> list[dict]:
    """Bills then coins, largest first: how many of each the deposit's sessions counted
    and what they come to."""
    rows = (
        SessionCountLine.objects.filter(
            count__session__deposit_row__deposit=deposit,
            kind__in=[CountLineKind.BILL, CountLineKind.COIN],
        )
        .values("kind", "denomination")
        .annotate(quantity=Coalesce(Sum("quantity"), 0), amount=Coalesce(Sum("amount"), ZERO))
        .filter(~Q(quantity=0))
        .order_by("kind", "-denomination")  # "bill" sorts before "coin"
    )
    return [{**row, "label": denomination_label(row["kind"], row["denomination"])} for row in rows]


def deposit_with_key(key: str) -> Deposit | None:
    """The deposit a form's one-time key already made, if any (a double-click)."""
    return Deposit.objects.filter(idempotency_key=(key or "").strip()).first() if key else None


def deposit_of_session(session: CashSession) -> Deposit | None:
    """The deposit that took the session to the bank, if one has."""
    return Deposit.objects.filter(session_rows__session=session).first()
