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
    # Three approved years each (each ended June 30 by the next), one draft.
    assert RateVersion.objects.filter(status="approved").count() == 3 * len(SCHEDULES)
    assert RateVersion.objects.filter(status="draft").count() == 1
    assert not RateVersion.objects.filter(
        status="approved", effective_from=datetime.date(2025, 7, 1), effective_to__isnull=True
    ).exists()
    # The first year's rates are in force from the demo's first billed month.
    assert set(
        RateVersion.objects.filter(status="approved")
        .order_by("effective_from")
        .values_list("effective_from", flat=True)[:1]
    ) == {datetime.date(2024, 11, 1)}
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
    # Every meter's 28 reads (the 24 billed months' and the three months before them
    # the first billed reads are checked against), two meter changes' extra reads.
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
    from utility_billing.demo.reads import (
        BILLED_MONTHS,
        FIRST_BILLED_MONTH,
        MONTHS,
        TODAY,
        read_days,
    )
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
    # Two cycles, each read 28 times (24 billed months of use), about 2,500 locations.
    cycles = list(Cycle.objects.order_by("code"))
    assert [cycle.code for cycle in cycles] == ["C1", "C2"]
    for cycle in cycles:
        days = read_days(cycle.read_day)
        assert len(days) == MONTHS
        reads = MeterRead.objects.filter(location__cycle=cycle)
        assert reads.dates("read_date", "month").count() == MONTHS
    assert UtilityAccount.objects.count() >= DEMO_LOCATIONS
    # A posted run for each of the 24 billed months, each month once, made and approved
    # by two people; every selected account a bill or an exception row.
    for cycle in cycles:
        periods = bill_periods(cycle)
        assert len(periods) == BILLED_MONTHS == 24
        assert periods[0][0] > FIRST_BILLED_MONTH > read_days(cycle.read_day)[0]
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
    charges = UtilityTransaction.objects.filter(kind="charge")
    assert charges.aggregate(total=Sum("amount"))["total"] == billed
    # The payments: the rest of the subledger, dated to the demo's today at the latest.
    paid = -UtilityTransaction.objects.filter(kind="payment").aggregate(t=Sum("amount"))["t"]
    assert set(UtilityTransaction.objects.values_list("kind", flat=True)) == {"charge", "payment"}
    assert 0 < paid < billed
    assert not UtilityTransaction.objects.filter(transaction_date__gt=TODAY).exists()
    control = JournalLine.objects.filter(account__control_subledger=Subledger.UTILITY_AR)
    assert control.aggregate(total=Sum("amount"))["total"] == billed - paid
    for _, _, bill_date in bill_periods(cycles[0]):
        row = next(r for r in reconciliation(bill_date) if r.subledger == Subledger.UTILITY_AR)
        assert row.reconciles, (bill_date, row.difference)
    row = next(r for r in reconciliation(TODAY) if r.subledger == Subledger.UTILITY_AR)
    assert row.reconciles and row.subledger_total == billed - paid


def test_demo_payments_pay_most_bills_and_leave_a_spread_of_aging(demo_db):
    import datetime

    from django.db.models import Count, Sum

    from ledger.models import JournalEntry, JournalLine
    from utility_billing.demo.reads import TODAY
    from utility_billing.models import Bill, UtilityTransaction
    from utility_billing.queries.aging import utility_aging

    # The lockbox's (the counter's month of receipts is cashiering's demo, one payment a
    # receipt item). Applied through the batch path: a day's payments are one batch,
    # "<batch>:<n>".
    payments = UtilityTransaction.objects.filter(
        kind="payment", cause__startswith="demo-utility-payments-"
    )
    receipts = payments.values("reference").distinct().count()
    assert receipts > 40_000
    days = payments.values("transaction_date").distinct().count()
    assert 100 < days < 200
    # Posted one entry per batch and fund: each fund's cash against its AR control.
    entries = JournalEntry.objects.filter(idempotency_key__startswith="demo-utility-payments-")
    assert entries.count() == entries.values("entry_date", "memo").distinct().count()
    assert entries.values("entry_date").distinct().count() == days
    for row in (
        JournalLine.objects.filter(entry__in=entries)
        .values("entry_id")
        .annotate(funds=Count("fund", distinct=True), total=Sum("amount"))
    ):
        assert (row["funds"], row["total"]) == (1, 0)
    # Most bills that came due are paid off; some are not.
    due = Bill.objects.filter(due_date__lte=TODAY - datetime.timedelta(days=30))
    owing = (
        UtilityTransaction.objects.filter(bill__in=due)
        .values("bill_id")
        .annotate(open=Sum("amount"))
        .filter(open__gt=0)
        .count()
    )
    assert 0.02 * due.count() < owing < 0.15 * due.count()
    # The aging: current bills and every bucket past due, a few credits.
    aging = utility_aging(TODAY)
    assert all(bucket > 0 for bucket in aging.total.buckets)
    assert aging.total.buckets[0] > aging.total.buckets[-1] > aging.total.buckets[1] / 10
    assert aging.total.credit < 0
    balance = UtilityTransaction.objects.aggregate(total=Sum("amount"))["total"]
    assert sum(aging.total.buckets) + aging.total.credit == balance
