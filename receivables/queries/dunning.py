"""Dunning notices, read: who gets a past-due notice on a date and at which level, the
days notices were sent, and a day's notices to print. Recording them is the dunning
service's (a query never imports a service).

Levels escalate one at a time, never past the third:
  1. a reminder, once the oldest open item is 30 or more days past due;
  2. a second notice, at 60 or more days, and at least 14 days after the last notice;
  3. a final notice, at 90 or more days, at least 14 days after the last notice, naming
     the date (10 business days later) the account goes to the collection agency.
Nobody gets two notices within 14 days, so a notice mailed today has time to arrive and be
answered before the next one. A notice from before the oldest open item's due date was
about a debt since paid: the cycle starts over at a reminder. Citations with a review or
hearing pending, and items already with the collection agency, are left out: a
respondent is not pressed while contesting, and the agency does its own asking.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from millbrae_finance.business_days import add_business_days, add_business_days_to_each
from millbrae_finance.money import ZERO
from receivables.models import CollectionReferral, Customer, DunningNotice, ReferralStatus
from receivables.queries.aging import OpenItem, open_items

SPACING_DAYS = 14
# The age of the oldest open item each level needs, in days past due.
LEVEL_AGES = {1: 30, 2: 60, 3: 90}
FINAL_LEVEL = 3
REFERRAL_BUSINESS_DAYS = 10
LEVEL_TITLES = {1: "Reminder", 2: "Second notice", 3: "Final notice"}
ACTIVE_REFERRALS = (ReferralStatus.REFERRED, ReferralStatus.COLLECTING)


@dataclass
class PlannedNotice:
    customer: Customer
    level: int
    items: list[OpenItem]
    amount_past_due: Decimal
    oldest_days: int
    last_notice: DunningNotice | None

    @property
    def title(self) -> str:
        return LEVEL_TITLES[self.level]


def referral_date(notice_date: dt.date) -> dt.date:
    """The day a final notice says the account goes to the collection agency."""
    return add_business_days(notice_date, REFERRAL_BUSINESS_DAYS)


def customers_promised_time(as_of: dt.date) -> dict[int, dt.date]:
    """Customers whose final notice promised them until a day after `as_of` before their
    account goes to the collection agency: {customer id: that day}. Nobody refers them
    sooner."""
    # Ten business days are at most about three weeks; a month back is plenty.
    recent = list(
        DunningNotice.objects.filter(
            level=3, notice_date__lte=as_of, notice_date__gte=as_of - dt.timedelta(days=31)
        ).values_list("customer_id", "notice_date")
    )
    # One read of the City's closures for every notice day, not one per notice.
    until_by_day = add_business_days_to_each({day for _, day in recent}, REFERRAL_BUSINESS_DAYS)
    promised: dict[int, dt.date] = {}
    for customer_id, notice_date in recent:
        until = until_by_day[notice_date]
        if until > as_of and until > promised.get(customer_id, dt.date.min):
            promised[customer_id] = until
    return promised


def plan_notices(as_of: dt.date, *, min_days_past_due: int = 30) -> list[PlannedNotice]:
    """The notices due on a date: each customer with items at least `min_days_past_due`
    days past due, at its next level, with those items; by customer name. Four queries."""
    past_due = _past_due_items(as_of, min_days_past_due)
    if not past_due:
        return []
    notices: dict[int, list[DunningNotice]] = defaultdict(list)
    for notice in DunningNotice.objects.filter(
        customer_id__in=past_due, notice_date__lte=as_of
    ).order_by("-notice_date", "-id"):
        notices[notice.customer_id].append(notice)
    customers = Customer.objects.in_bulk(list(past_due))
    planned = []
    for customer_id, items in past_due.items():
        latest = notices[customer_id][0] if notices[customer_id] else None
        if latest is not None and (as_of - latest.notice_date).days < SPACING_DAYS:
            continue
        oldest = items[0]
        # Only notices sent since the oldest open item fell due are about these items.
        last = next((n for n in notices[customer_id] if n.notice_date > oldest.basis_date), None)
        level = _next_level(last.level if last else 0, oldest.days_past_due, min_days_past_due)
        if level is None:
            continue
        planned.append(
            PlannedNotice(
                customer=customers[customer_id],
                level=level,
                items=items,
                amount_past_due=sum((item.balance for item in items), ZERO),
                oldest_days=oldest.days_past_due,
                last_notice=last,
            )
        )
    return sorted(planned, key=lambda p: (p.customer.name, p.customer.pk))


def _next_level(last_level: int, oldest_days: int, min_days: int) -> int | None:
    """One level up from the last notice, if the oldest item is old enough for it."""
    level = last_level + 1
    if level > FINAL_LEVEL:
        return None  # the final notice was sent: what follows is the referral
    needed = max(LEVEL_AGES[level], min_days) if level == 1 else LEVEL_AGES[level]
    return level if oldest_days >= needed else None


def _past_due_items(as_of: dt.date, min_days: int) -> dict[int, list[OpenItem]]:
    """Open items of customers at least `min_days` past due, oldest first, by customer,
    leaving out citations under review and items with the collection agency."""
    referred = CollectionReferral.objects.filter(status__in=ACTIVE_REFERRALS)
    referred_invoices = set(referred.exclude(invoice=None).values_list("invoice_id", flat=True))
    referred_citations = set(referred.exclude(citation=None).values_list("citation_id", flat=True))
    by_customer: dict[int, list[OpenItem]] = defaultdict(list)
    for item in open_items(as_of, customer_ids=None, links=False):
        if item.customer_id is None or item.days_past_due < min_days or item.on_hold:
            continue
        if item.pk in (referred_invoices if item.kind == "invoice" else referred_citations):
            continue
        by_customer[item.customer_id].append(item)
    return dict(by_customer)


# ---------------------------------------------------------------- reading notices


@dataclass
class NoticeRunSummary:
    notice_date: dt.date
    notices: int
    reminders: int
    second: int
    final: int
    amount: Decimal


def notice_runs(limit: int = 50) -> list[NoticeRunSummary]:
    """The dates notices were sent on, newest first, with counts by level and the total
    past due they named (one query)."""
    rows = (
        DunningNotice.objects.values("notice_date")
        .annotate(
            notices=Count("id"),
            reminders=Count("id", filter=Q(level=1)),
            second=Count("id", filter=Q(level=2)),
            final=Count("id", filter=Q(level=3)),
            amount=Sum("amount_past_due"),
        )
        .order_by("-notice_date")[:limit]
    )
    return [NoticeRunSummary(**row) for row in rows]


@dataclass
class PrintedNotice:
    notice: DunningNotice
    title: str
    referral_date: dt.date | None


def notices_on(notice_date: dt.date) -> list[PrintedNotice]:
    """The notices of one date, ready to print, by customer name (two queries)."""
    notices = DunningNotice.objects.filter(notice_date=notice_date).select_related("customer")
    referral = referral_date(notice_date) if notices.filter(level=FINAL_LEVEL).exists() else None
    return [
        PrintedNotice(
            notice=notice,
            title=LEVEL_TITLES[notice.level],
            referral_date=referral if notice.level == FINAL_LEVEL else None,
        )
        for notice in notices.order_by("customer__name", "customer_id")
    ]
