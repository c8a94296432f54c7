"""Reads of the rate schedules: lists and pages, and the rates in force over a period
in the rate engine's terms (utility_billing/rating.py)."""

import datetime
from collections.abc import Iterable

from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When

from ledger.models import Account, AccountType
from utility_billing.models import (
    MeterSize,
    RateCharge,
    RateSchedule,
    RateVersion,
    RateVersionStatus,
    ServiceKind,
)
from utility_billing.rating import Charge, Rates, ServiceRates

# The services the bill calculator bills unless told otherwise.
CALCULATOR_SERVICES = (ServiceKind.WATER, ServiceKind.SEWER, ServiceKind.STORM_DRAIN)


def rate_schedule_list() -> QuerySet[RateSchedule]:
    """Every schedule with how many versions it has in each state."""
    return RateSchedule.objects.annotate(
        drafts=Count("versions", filter=Q(versions__status=RateVersionStatus.DRAFT)),
        approved=Count("versions", filter=Q(versions__status=RateVersionStatus.APPROVED)),
    ).order_by("service_kind", "service_class", "code")


def schedule_versions(schedule: RateSchedule) -> list[RateVersion]:
    """A schedule's versions, newest first, with who prepared and approved them."""
    return list(
        schedule.versions.select_related("prepared_by", "approved_by", "retired_by")
        .annotate(lines=Count("charges"))
        .order_by("-effective_from", "-id")
    )


# Meter sizes from the smallest, not in the text's order ("1" before "3/4").
SIZE_ORDER = Case(
    *(When(meter_size=size, then=Value(index)) for index, size in enumerate(MeterSize.values)),
    default=Value(-1),
)


def version_detail(pk: int) -> RateVersion:
    """A version with its schedule, people and charge lines (and their accounts)."""
    return (
        RateVersion.objects.select_related("schedule", "prepared_by", "approved_by", "retired_by")
        .prefetch_related(
            Prefetch(
                "charges",
                queryset=RateCharge.objects.select_related("revenue_account").order_by(
                    "kind", SIZE_ORDER, "tier_from", "id"
                ),
            )
        )
        .get(pk=pk)
    )


def charges_of(version: RateVersion) -> tuple[Charge, ...]:
    """A saved version's lines in the engine's terms."""
    return tuple(
        Charge(
            kind=line.kind,
            rate=line.rate,
            meter_size=line.meter_size,
            tier_from=line.tier_from,
            tier_to=line.tier_to,
            capped_by_winter_average=line.capped_by_winter_average,
            description=line.description,
            revenue_account_id=line.revenue_account_id,
            revenue_account_number=line.revenue_account.number,
        )
        for line in version.charges.all()
    )


def rates_of(version: RateVersion) -> Rates:
    return Rates(
        effective_from=version.effective_from,
        effective_to=version.effective_to,
        charges=charges_of(version),
        version_id=version.pk,
        label=f"rates from {version.effective_from:%m/%d/%Y}",
    )


def service_rates(
    schedules: Iterable[RateSchedule], start: datetime.date, end: datetime.date
) -> list[ServiceRates]:
    """Each schedule with its approved versions in force on any day of the period, in
    two queries whatever the number of schedules."""
    schedules = list(schedules)
    versions = (
        RateVersion.objects.overlapping(start, end)
        .filter(schedule__in=schedules)
        .prefetch_related(
            Prefetch("charges", queryset=RateCharge.objects.select_related("revenue_account"))
        )
        .order_by("effective_from")
    )
    by_schedule: dict[int, list[Rates]] = {}
    for version in versions:
        by_schedule.setdefault(version.schedule_id, []).append(rates_of(version))
    return [
        ServiceRates(
            kind=schedule.service_kind,
            schedule_code=schedule.code,
            schedule_name=schedule.name,
            versions=tuple(by_schedule.get(schedule.pk, ())),
        )
        for schedule in schedules
    ]


def schedules_for_class(
    service_class: str, kinds: Iterable[str] = CALCULATOR_SERVICES
) -> list[RateSchedule]:
    """For each service, the active schedule of the class, else the one for every class
    (a per-parcel storm drain charge), in the order of `kinds`."""
    kinds = list(kinds)
    candidates = RateSchedule.objects.active().filter(
        Q(service_class=service_class) | Q(service_class=""), service_kind__in=kinds
    )
    chosen: dict[str, RateSchedule] = {}
    for schedule in candidates:
        current = chosen.get(schedule.service_kind)
        if current is None or (schedule.service_class and not current.service_class):
            chosen[schedule.service_kind] = schedule
    return [chosen[kind] for kind in kinds if kind in chosen]


ACCOUNT_MATCHES = 20


def revenue_accounts():
    """The accounts a charge may credit: active, postable revenue accounts."""
    return Account.objects.postable().filter(account_type=AccountType.REVENUE)


def revenue_account_matches(text: str, *, limit: int = ACCOUNT_MATCHES) -> list[Account]:
    """Revenue accounts whose number or name contains every word typed."""
    # A NUL cannot reach PostgreSQL as text; typed by no one, it is dropped.
    words = text.replace("\x00", "").split()[:5]
    if not words:
        return []
    accounts = revenue_accounts()
    for word in words:
        accounts = accounts.filter(Q(number__contains=word) | Q(name__icontains=word))
    return list(accounts.order_by("number")[:limit])


def account_names(values: Iterable) -> dict[str, str]:
    """Account names keyed by what each account field holds (a number, or a number and
    the name the search filled in)."""
    numbers = {str(v): str(v).split()[0] for v in values if str(v or "").strip()}
    if not numbers:
        return {}
    names = dict(
        Account.objects.filter(number__in=set(numbers.values())).values_list("number", "name")
    )
    return {value: names[number] for value, number in numbers.items() if number in names}


def latest_version(schedule: RateSchedule) -> RateVersion | None:
    """The version a new one starts from: the latest approved, else the latest draft."""
    versions = schedule.versions.prefetch_related(
        Prefetch(
            "charges",
            queryset=RateCharge.objects.select_related("revenue_account").order_by(
                "kind", SIZE_ORDER, "tier_from", "id"
            ),
        )
    )
    return (
        versions.filter(status=RateVersionStatus.APPROVED).order_by("-effective_from").first()
        or versions.order_by("-prepared_at").first()
    )
