"""Reads of the location and account screens: search, the list pages, a location's and an
account's page, the deposit the credit rule asks for, and the rate schedules a class
takes by default."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery
from django.db.models import Q, QuerySet

from receivables.models import Customer
from receivables.queries.aging import aging
from receivables.queries.customers import prefix_tsquery
from utility_billing.models import (
    AccountService,
    DepositRule,
    Meter,
    RateSchedule,
    ServiceKind,
    ServiceLocation,
    ServiceOrder,
    UtilityAccount,
)

MAX_SEARCH_CHARS = 100
# The services a move-in offers, in the order the form shows them.
MOVE_IN_KINDS = (ServiceKind.WATER, ServiceKind.SEWER, ServiceKind.STORM_DRAIN)
ZERO = Decimal("0.00")
# "021-200", "021-200-001": parts of letters and digits joined by dashes, a digit first
# (so "Smith-Jones" is searched as words).
PARCEL_LIKE = re.compile(r"[0-9][0-9A-Za-z]*(-[0-9A-Za-z]+)+")


def _clean(text: str) -> str:
    return (text or "").replace("\x00", "").strip()[:MAX_SEARCH_CHARS]


def _words(text: str) -> list[str]:
    return re.findall(r"[^\s,]+", text)[:6]


def location_list(*, q: str = "", cycle=None, service_class: str = "") -> QuerySet:
    """Locations by parcel number (any part) or service address (every word a part of it)."""
    locations = ServiceLocation.objects.select_related("cycle")
    text = _clean(q)
    if text:
        found = Q(parcel_number__icontains=text)
        address = Q()
        for word in _words(text):
            address &= Q(address_line1__icontains=word) | Q(address_line2__icontains=word)
        locations = locations.filter(found | address)
    if cycle is not None:
        locations = locations.filter(cycle=cycle)
    if service_class:
        locations = locations.filter(service_class=service_class)
    return locations.order_by("address_line1", "id")


def account_list(*, q: str = "", status: str = "", role: str = "") -> QuerySet:
    """Accounts by number, customer name, or any part of the service address or parcel
    number: every word of the search starts a word of one of them ("120 magn", "garcia
    magnolia", "021-200"). One GIN lookup on the account's search words (kept by triggers,
    migrations/sql/0005_account_search.sql), so a search costs the rows it finds. The
    customer and location are fetched for the page's rows only (prefetch, not a join):
    joined, the planner would rather walk the number index filtering 40,000 rows than
    join every match before sorting."""
    accounts = UtilityAccount.objects.prefetch_related("customer", "location")
    text = _clean(q)
    if text:
        if PARCEL_LIKE.fullmatch(text):
            # A parcel number (or its start) is one word in the search words, its
            # parts joined: three short prefixes would each match thousands of words.
            tsquery = prefix_tsquery(re.sub(r"[^0-9A-Za-z]", "", text))
        else:
            tsquery = prefix_tsquery(text)
        if not tsquery:
            return accounts.none()
        accounts = accounts.filter(
            search_vector=SearchQuery(tsquery, search_type="raw", config="simple")
        )
    if status:
        accounts = accounts.filter(status=status)
    if role:
        accounts = accounts.filter(role=role)
    return accounts.order_by("number")


def _orders() -> QuerySet:
    return ServiceOrder.objects.select_related("account", "meter", "requested_by")


@dataclass
class LocationPage:
    location: ServiceLocation
    accounts: list[UtilityAccount]
    meters: list[Meter]
    services: list[AccountService]
    orders: list[ServiceOrder]


def location_detail(pk: int, *, on_date: datetime.date) -> LocationPage:
    """A location with its accounts past and present, meters, services in force on the
    date, and service orders (newest first)."""
    location = ServiceLocation.objects.select_related("cycle").get(pk=pk)
    accounts = list(location.accounts.select_related("customer").order_by("-start_date", "-id"))
    services = list(
        AccountService.objects.in_service_on(on_date)
        .filter(account__location=location)
        .select_related("account", "rate_schedule")
        .order_by("kind")
    )
    return LocationPage(
        location=location,
        accounts=accounts,
        meters=list(location.meters.order_by("-install_date", "serial")),
        services=services,
        orders=list(_orders().filter(location=location)[:50]),
    )


def open_accounts_at(location: ServiceLocation) -> dict[str, UtilityAccount]:
    """The open account of each role at a location."""
    return {
        account.role: account
        for account in UtilityAccount.objects.open().filter(location=location).order_by("id")
    }


def default_schedules(service_class: str) -> dict[str, RateSchedule]:
    """The active rate schedule of each move-in service for a class: the class's own, else
    the one for every class (the per-parcel storm drain charge)."""
    found: dict[str, RateSchedule] = {}
    schedules = RateSchedule.objects.filter(
        is_active=True,
        service_kind__in=MOVE_IN_KINDS,
        service_class__in=[service_class, ""],
    )
    # The class's own schedule wins over the every-class one ("" sorts first).
    for schedule in schedules.order_by("service_class"):
        found[schedule.service_kind] = schedule
    return found


def installed_meter(location: ServiceLocation) -> Meter | None:
    return Meter.objects.installed().filter(location=location).order_by("-install_date").first()


@dataclass(frozen=True)
class DepositDecision:
    """What the credit rule asks of a move-in: the amount, and whether (and why) it is
    waived."""

    amount: Decimal
    waived: bool
    reason: str


def months_of_history(customer: Customer, *, on_date: datetime.date, exclude_location=None) -> int:
    """Whole months the customer has had utility service on other accounts up to a date
    (overlapping accounts count once a month each: the sum is capped at the span)."""
    accounts = UtilityAccount.objects.filter(customer=customer, start_date__lte=on_date)
    if exclude_location is not None:
        accounts = accounts.exclude(location=exclude_location)
    months = 0
    for start, end in accounts.values_list("start_date", "end_date"):
        end = min(end or on_date, on_date)
        months += max(0, (end.year - start.year) * 12 + end.month - start.month)
    return months


def deposit_decision(
    customer: Customer | None,
    *,
    location: ServiceLocation,
    on_date: datetime.date,
    letter_of_credit: bool = False,
    staff_waiver_reason: str = "",
) -> DepositDecision:
    """The deposit a move-in needs under the class's rule (none when no rule), waived by
    a letter of credit, by enough months of good payment history on other accounts (no
    receivable of the customer more than 30 days past due), or by staff with a reason."""
    rule = DepositRule.objects.filter(service_class=location.service_class).first()
    if rule is None or rule.amount == ZERO:
        return DepositDecision(ZERO, False, "")
    if staff_waiver_reason.strip():
        return DepositDecision(rule.amount, True, staff_waiver_reason.strip()[:200])
    if letter_of_credit and rule.letter_of_credit_waives:
        return DepositDecision(rule.amount, True, "Letter of credit from a prior utility")
    if customer is not None and rule.good_history_months is not None:
        months = months_of_history(customer, on_date=on_date, exclude_location=location)
        # TODO(bill runs): once utility bills post, count a late utility bill against
        # the history too; today only receivables' own items are aged.
        if months >= rule.good_history_months and not _past_due(customer, on_date):
            return DepositDecision(
                rule.amount,
                True,
                f"{months} months of good payment history on other accounts",
            )
    return DepositDecision(rule.amount, False, "")


def _past_due(customer: Customer, on_date: datetime.date) -> bool:
    report = aging(on_date, customer_ids=[customer.pk])
    return bool(report.rows) and report.rows[0].past_due > ZERO


def service_order_list(
    *, status: str = "", kind: str = "", cycle=None, route: str = ""
) -> QuerySet:
    """Service orders, outstanding first by date, filtered by status, kind, cycle, route."""
    orders = ServiceOrder.objects.select_related(
        "location", "location__cycle", "account", "requested_by"
    )
    if status:
        orders = orders.filter(status=status)
    if kind:
        orders = orders.filter(kind=kind)
    if cycle is not None:
        orders = orders.filter(location__cycle=cycle)
    if route:
        orders = orders.filter(location__route__iexact=_clean(route))
    return orders.order_by("-requested_at", "-id")


def service_order_detail(pk: int) -> ServiceOrder:
    return ServiceOrder.objects.select_related(
        "location",
        "location__cycle",
        "account",
        "account__customer",
        "meter",
        "requested_by",
        "completed_by",
        "cancelled_by",
    ).get(pk=pk)
