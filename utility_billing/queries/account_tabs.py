"""Reads of the account page's tabs: each a fixed handful of queries, whatever the
account's history (a page of rows and its count; the chart's 13 bills), so a tab costs the
same on an account of thirty years as on a new one. The summary tab stays light (the
page opens on it): the account, its services, meter, neighbours and balance."""

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q

from utility_billing.charts import consumption_chart
from utility_billing.models import (
    AccountNote,
    Bill,
    BillRunStatus,
    Meter,
    MeterRead,
    ServiceOrder,
    UtilityAccount,
    UtilityAdjustment,
    UtilityTransaction,
    UtilityTransactionKind,
)
from utility_billing.queries.settlements import move_out_money
from utility_billing.queries.subledger import account_balance

PER_TAB_PAGE = 25
CHART_BILLS = 13
DEPOSIT_KINDS = (UtilityTransactionKind.DEPOSIT_APPLIED, UtilityTransactionKind.REFUND)


def _page(rows, number: str | None):
    return Paginator(rows, PER_TAB_PAGE).get_page(number)


def _bills(account: UtilityAccount):
    return Bill.objects.filter(account=account).exclude(run__status=BillRunStatus.DISCARDED)


def bills_tab(account: UtilityAccount, page: str | None) -> dict[str, Any]:
    bills = _bills(account).select_related("run").order_by("-period_end", "-id")
    return {"rows": _page(bills, page)}


def payments_tab(account: UtilityAccount, page: str | None) -> dict[str, Any]:
    payments = UtilityTransaction.objects.filter(
        account=account,
        kind__in=[UtilityTransactionKind.PAYMENT, UtilityTransactionKind.PAYMENT_VOID],
    ).order_by("-transaction_date", "-id")
    return {"rows": _page(payments, page)}


def adjustments_tab(account: UtilityAccount, page: str | None) -> dict[str, Any]:
    """The account's adjustments, and the transfers into it from other accounts."""
    adjustments = (
        UtilityAdjustment.objects.filter(Q(account=account) | Q(to_account=account))
        .select_related("account", "to_account", "prepared_by", "decided_by")
        .order_by("-prepared_at", "-id")
    )
    return {"rows": _page(adjustments, page)}


def reads_tab(account: UtilityAccount, page: str | None) -> dict[str, Any]:
    """The location's reads in the account's time, and its use bill by bill (the last 13
    bills) as a chart."""
    reads = MeterRead.objects.filter(
        location_id=account.location_id, read_date__gte=account.start_date
    )
    if account.end_date is not None:
        reads = reads.filter(read_date__lte=account.end_date)
    reads = reads.select_related("meter").order_by("-read_date", "-id")
    recent = list(
        _bills(account)
        .order_by("-period_end", "-id")
        .values_list("period_end", "consumption")[:CHART_BILLS]
    )
    points = [(f"{end:%b %y}", consumption) for end, consumption in reversed(recent)]
    return {"rows": _page(reads, page), "chart": consumption_chart(points)}


def notes_tab(account: UtilityAccount, page: str | None) -> dict[str, Any]:
    notes = AccountNote.objects.filter(account=account).select_related("created_by")
    return {"rows": _page(notes.order_by("-created_at", "-id"), page)}


def deposits_tab(account: UtilityAccount, page: str | None) -> dict[str, Any]:
    """The deposit asked at move-in (or waived), the deposits received (held or settled),
    the movements that applied or refunded them, a final bill's referral to collection,
    and (an owner's account) the notices of a tenant's delinquency."""
    movements = UtilityTransaction.objects.filter(account=account, kind__in=DEPOSIT_KINDS).order_by(
        "-transaction_date", "-id"
    )
    return {"rows": _page(movements, page), "money": move_out_money(account)}


def orders_tab(account: UtilityAccount, page: str | None) -> dict[str, Any]:
    orders = (
        ServiceOrder.objects.filter(account=account)
        .select_related("account", "meter", "requested_by")
        .order_by("-requested_at", "-id")
    )
    return {"rows": _page(orders, page)}


def account_for_page(pk: int) -> UtilityAccount:
    """The account with what the page's header shows, and its balance (`balance`)."""
    account = UtilityAccount.objects.select_related(
        "customer", "location", "location__cycle", "opened_by"
    ).get(pk=pk)
    account.balance = account_balance(account)
    return account


def summary_tab(account: UtilityAccount, page: str | None) -> dict[str, Any]:
    """The services (newest first), the meter installed, and the other open accounts at
    the location (the owner sees the tenant, and back)."""
    return {
        "services": list(
            account.services.select_related("rate_schedule").order_by("-start_date", "kind")
        ),
        "meter": Meter.objects.installed().filter(location_id=account.location_id).first(),
        "neighbours": list(
            UtilityAccount.objects.open()
            .filter(location_id=account.location_id)
            .exclude(pk=account.pk)
            .select_related("customer")
        ),
    }


# The account page's tabs in the order shown: key, label, what it loads.
ACCOUNT_TABS: list[tuple[str, str, Callable[[UtilityAccount, str | None], dict[str, Any]]]] = [
    ("summary", "Summary", summary_tab),
    ("bills", "Bills", bills_tab),
    ("payments", "Payments", payments_tab),
    ("adjustments", "Adjustments", adjustments_tab),
    ("reads", "Reads", reads_tab),
    ("notes", "Notes", notes_tab),
    ("deposits", "Deposits", deposits_tab),
    ("orders", "Service orders", orders_tab),
]
