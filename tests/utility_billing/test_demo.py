from decimal import Decimal

from millbrae_finance.demo import seed_users
from receivables.demo.customers import seed_customers
from tests.receivables.conftest import revenue_account
from utility_billing.demo.accounts import DEMO_LOCATIONS, SCHEDULES, seed_accounts, seed_rates
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
    assert ServiceLocation.objects.count() == DEMO_LOCATIONS
    assert Meter.objects.filter(status="installed").count() == DEMO_LOCATIONS
    assert UtilityAccount.objects.filter(role="tenant").exists()
    # Every location has exactly one account billed for water.
    water = AccountService.objects.filter(kind="water")
    assert water.values("account__location").distinct().count() == DEMO_LOCATIONS
    assert water.count() == DEMO_LOCATIONS

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


def test_demo_reads_are_measured_by_the_validation_path_and_added_once(db):
    from utility_billing.demo.reads import (
        HIGH_READS,
        LOW_READS,
        MONTHS,
        TODAY,
        ZERO_READS,
        seed_reads,
    )
    from utility_billing.models import MeterRead

    _seed()
    seed_reads(lambda message: None)
    count = MeterRead.objects.count()
    seed_reads(lambda message: None)
    assert MeterRead.objects.count() == count
    # Every meter's 25 reads (24 months of use), two meter changes' extra reads.
    assert count >= ServiceLocation.objects.count() * MONTHS
    assert not MeterRead.objects.filter(read_date__gt=TODAY).exists()
    # Measured by the real statements: every read has its consumption.
    assert not MeterRead.objects.filter(consumption__isnull=True).exists()
    assert MeterRead.objects.filter(rolled_over=True).exists()
    assert MeterRead.objects.filter(kind="estimated").exists()
    open_codes = sorted(
        code
        for codes in MeterRead.objects.open_exceptions().values_list("exception_codes", flat=True)
        for code in codes
    )
    assert open_codes == sorted(
        ["high"] * HIGH_READS + ["low"] * LOW_READS + ["zero_occupied"] * ZERO_READS
    )
    assert Meter.objects.filter(status="removed").count() >= 1
    # Winter averages from the reads: residences have one, others none.
    home = UtilityAccount.objects.filter(location__service_class="single_family").first()
    assert home.winter_average_hcf is not None and home.winter_average_hcf > 0
    assert not UtilityAccount.objects.filter(
        location__service_class="commercial", winter_average_hcf__isnull=False
    ).exists()
