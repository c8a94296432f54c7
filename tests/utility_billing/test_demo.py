"""The utility demo, read on the demo database seeded once for the run (the `demo_db`
fixture of tests/conftest.py): its counts, that each seeder adds nothing the second
time, and that what it made bills."""

from decimal import Decimal

from django.db.models import F

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
    seed_rates(lambda message: None)
    seed_accounts(lambda message: None)


def test_demo_rates_and_accounts_are_added_once_and_bill(demo_db):
    import datetime

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


def test_demo_reads_are_measured_by_the_validation_path_and_added_once(demo_db):
    from utility_billing.demo.reads import (
        HIGH_READS,
        LOW_READS,
        MONTHS,
        TODAY,
        ZERO_READS,
        seed_reads,
    )
    from utility_billing.models import MeterRead

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


def test_demo_bills_every_month_through_posted_bill_runs_and_utility_ar_reconciles(demo_db):
    from django.db.models import Sum

    from ledger.models import JournalLine, Subledger
    from ledger.reconciliation import reconciliation
    from utility_billing.demo.bills import bill_periods, seed_bills
    from utility_billing.demo.reads import MONTHS, TODAY, read_days
    from utility_billing.models import (
        Bill,
        BillLine,
        BillPrintFile,
        BillRun,
        BillRunException,
        Cycle,
        MeterRead,
        UtilityTransaction,
    )

    runs = BillRun.objects.count()
    seed_bills(lambda message: None)
    assert BillRun.objects.count() == runs
    # History, never mailed: no print file queued for a worker to lay out.
    assert not BillPrintFile.objects.exists()
    # Two cycles, each read 25 times (24 months of use), about 2,500 locations.
    cycles = list(Cycle.objects.order_by("code"))
    assert [cycle.code for cycle in cycles] == ["C1", "C2"]
    for cycle in cycles:
        days = read_days(cycle.read_day)
        assert len(days) == MONTHS
        reads = MeterRead.objects.filter(location__cycle=cycle)
        assert reads.dates("read_date", "month").count() == MONTHS
    assert UtilityAccount.objects.count() >= DEMO_LOCATIONS
    # A posted run for every month the books have a period for, each month once, made
    # and approved by two people; every selected account a bill or an exception row.
    for cycle in cycles:
        periods = bill_periods(cycle)
        assert len(periods) == 16
        cycle_runs = BillRun.objects.filter(cycle=cycle).order_by("period_start")
        assert [(r.period_start, r.period_end) for r in cycle_runs] == [
            (start, end) for start, end, _ in periods
        ]
    assert set(BillRun.objects.values_list("status", flat=True)) == {"posted"}
    assert not BillRun.objects.filter(prepared_by=F("approved_by")).exists()
    for run in BillRun.objects.all():
        bills = Bill.objects.filter(run=run).count()
        exceptions = BillRunException.objects.filter(run=run).count()
        assert (bills, exceptions) == (run.bills_count, run.exceptions_count)
        assert bills + exceptions == run.accounts_selected
        assert bills > 1000
    assert not BillRun.objects.filter(bill_date__gt=TODAY).exists()
    # Bills are their lines; the subledger charges are the bills; the ledger's utility AR
    # control accounts are the subledger, to the cent, at every month end.
    billed = Bill.objects.aggregate(total=Sum("amount"))["total"]
    assert billed == BillLine.objects.aggregate(total=Sum("amount"))["total"] > 0
    assert UtilityTransaction.objects.aggregate(total=Sum("amount"))["total"] == billed
    control = JournalLine.objects.filter(account__control_subledger=Subledger.UTILITY_AR)
    assert control.aggregate(total=Sum("amount"))["total"] == billed
    for _, _, bill_date in bill_periods(cycles[0]):
        row = next(r for r in reconciliation(bill_date) if r.subledger == Subledger.UTILITY_AR)
        assert row.reconciles, (bill_date, row.difference)
    row = next(r for r in reconciliation(TODAY) if r.subledger == Subledger.UTILITY_AR)
    assert row.reconciles and row.subledger_total == billed
