from decimal import Decimal

from millbrae_finance.demo import seed_users
from receivables.demo.customers import seed_customers
from tests.receivables.conftest import revenue_account
from utility_billing.demo.accounts import SCHEDULES, seed_accounts, seed_rates
from utility_billing.models import (
    AccountService,
    Meter,
    RateSchedule,
    RateVersion,
    ServiceLocation,
    UtilityAccount,
)
from utility_billing.queries.rates import service_rates
from utility_billing.rating import compute_bill


def _seed() -> None:
    seed_users(lambda message: None)
    seed_customers(lambda message: None)
    for number in ("501-4100-4411", "502-4200-4421", "202-0000-4920"):
        revenue_account(number)
    seed_rates(lambda message: None)
    seed_accounts(lambda message: None)


def test_demo_rates_and_accounts_are_added_once_and_bill(db):
    import datetime

    _seed()
    counts = (RateVersion.objects.count(), UtilityAccount.objects.count(), Meter.objects.count())
    _seed()
    assert (RateVersion.objects.count(), UtilityAccount.objects.count(), Meter.objects.count()) == (
        counts
    )
    assert RateSchedule.objects.count() == len(SCHEDULES)
    # Two approved years each (the first ended June 30 by the second), one draft.
    assert RateVersion.objects.filter(status="approved").count() == 2 * len(SCHEDULES)
    assert RateVersion.objects.filter(status="draft").count() == 1
    assert not RateVersion.objects.filter(
        status="approved", effective_from=datetime.date(2025, 7, 1), effective_to__isnull=True
    ).exists()
    assert ServiceLocation.objects.count() == 300
    assert Meter.objects.filter(status="installed").count() == 300
    assert UtilityAccount.objects.filter(role="tenant").exists()
    # Every location has exactly one account billed for water.
    water = AccountService.objects.filter(kind="water")
    assert water.values("account__location").distinct().count() == 300
    assert water.count() == 300

    # The demo bills: a single-family home across the July 1 rate change.
    home = water.filter(account__location__service_class="single_family").first().account
    schedules = [service.rate_schedule for service in home.services.all()]
    bill = compute_bill(
        service_rates(schedules, datetime.date(2026, 6, 15), datetime.date(2026, 7, 14)),
        service_class="single_family",
        meter_size=home.location.meters.get().size,
        start=datetime.date(2026, 6, 15),
        end=datetime.date(2026, 7, 14),
        consumption=Decimal("14"),
        winter_average=home.winter_average_hcf,
    )
    assert bill.total > 0
    assert {line.version_label for line in bill.lines} == {
        "rates from 07/01/2025",
        "rates from 07/01/2026",
    }
