"""Bill runs, computed and posted in this process (tests/jobs_helpers.run_queued_jobs runs
the background jobs as a worker would): every active account of the cycle gets one bill
or one exception row, bills match charges worked by hand (billing_helpers' docstring),
a lead who did not start the run approves and posts it once, and utility AR reconciles
to the ledger to the cent."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from ledger.models import JournalEntry, JournalLine, Subledger
from ledger.queries.calendar import period_for_date
from ledger.reconciliation import reconciliation
from ledger.services import close_period
from millbrae_finance.jobs import Job, JobState
from tests.jobs_helpers import run_queued_jobs
from tests.utility_billing.billing_helpers import (
    BILL_DATE,
    EXPECTED,
    EXPECTED_BY_FUND,
    EXPECTED_EXCEPTIONS,
    PERIOD_END,
    PERIOD_START,
    make_billing_cycle,
)
from utility_billing.models import (
    Bill,
    BillLine,
    BillRun,
    BillRunException,
    BillRunStatus,
    UtilityTransaction,
)
from utility_billing.queries.subledger import subledger_total
from utility_billing.services.bill_posting import post_bill_run
from utility_billing.services.bill_runs import (
    approve_bill_run,
    discard_bill_run,
    start_bill_run,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def billing(ub_users):
    return make_billing_cycle(ub_users)


def start(billing, users, *, key="run-1", actor="tech", **dates) -> BillRun:
    values = {"period_start": PERIOD_START, "period_end": PERIOD_END, "bill_date": BILL_DATE}
    return start_bill_run(
        billing["cycle"], **{**values, **dates}, idempotency_key=key, actor=users[actor]
    )


def computed(billing, users, **kwargs) -> BillRun:
    run = start(billing, users, **kwargs)
    run_queued_jobs()
    run.refresh_from_db()
    return run


def posted(billing, users) -> BillRun:
    run = computed(billing, users)
    approve_bill_run(run, idempotency_key="approve-1", actor=users["senior"])
    run_queued_jobs()
    run.refresh_from_db()
    return run


def test_every_active_account_gets_one_bill_or_one_exception(billing, ub_users):
    run = computed(billing, ub_users)
    assert run.status == BillRunStatus.COMPUTED
    accounts = billing["accounts"]
    bills = {bill.account.number: bill for bill in Bill.objects.filter(run=run)}
    assert {number: bill.amount for number, bill in bills.items()} == {
        accounts[name].number: amount for name, amount in EXPECTED.items()
    }
    exceptions = {e.account_id: e.reason for e in BillRunException.objects.filter(run=run)}
    assert exceptions == {accounts[name].pk: reason for name, reason in EXPECTED_EXCEPTIONS.items()}
    # A9 (closed) and B1 (another cycle) are not selected; the rest are, each once.
    assert (run.accounts_selected, run.bills_count, run.exceptions_count) == (8, 4, 4)
    assert run.amount_total == sum(EXPECTED.values()) == D("605.25")
    assert run.consumption_total == D("42.000")  # 10 + 25 + 4 + 3; A8 has no meter
    assert BillLine.objects.filter(run=run).aggregate(t=Sum("amount"))["t"] == run.amount_total
    assert run.job.state == JobState.DONE
    assert run.job.result_url == f"/utility/bill-runs/{run.pk}/"


def test_bills_show_their_reads_and_arithmetic(billing, ub_users):
    run = computed(billing, ub_users)
    accounts = billing["accounts"]
    a1 = Bill.objects.get(run=run, account=accounts["A1"])
    assert (a1.period_start, a1.period_end, a1.consumption) == (PERIOD_START, PERIOD_END, D("10"))
    assert len(a1.read_ids) == 1  # the 10/05 read closed the period before
    lines = [(x.description, x.quantity, x.amount, x.arithmetic) for x in a1.lines.all()]
    assert lines[0][0] == 'Fixed charge, 5/8" meter'
    assert lines[0][2:] == (D("30.00"), "$30.00 a month × 1 month = $30.00")
    assert lines[1][1:] == (D("6.000"), D("31.50"), "6 HCF × $5.25 = $31.50")
    assert lines[2][1:] == (D("4.000"), D("27.00"), "4 HCF × $6.75 = $27.00")
    sewer_use = lines[4]
    assert sewer_use[1:3] == (D("8.000"), D("32.80"))
    assert "capped at winter average 8 HCF a month" in sewer_use[3]
    assert lines[5][2] == D("3.50")
    # A meter changed mid-cycle: both meters' reads billed.
    a3 = Bill.objects.get(run=run, account=accounts["A3"])
    assert (a3.consumption, len(a3.read_ids), a3.meter_size) == (D("7"), 2, "5/8")
    # Storm drain only: no meter needed, no read billed.
    a8 = Bill.objects.get(run=run, account=accounts["A8"])
    assert (a8.consumption, a8.read_ids, a8.meter_size, a8.amount) == (D("0"), [], "", D("3.50"))


def test_a_second_run_for_a_cycle_and_period_is_refused(billing, ub_users):
    first = computed(billing, ub_users)
    with pytest.raises(ValidationError) as refused:
        start(billing, ub_users, key="run-2")
    assert f"billed for 10/06/2026 to 11/05/2026 by bill run {first.reference}" in str(
        refused.value.message_dict["period_start"]
    )
    # Overlapping days are refused as well.
    with pytest.raises(ValidationError):
        start(
            billing,
            ub_users,
            key="run-3",
            period_start=datetime.date(2026, 11, 1),
            period_end=datetime.date(2026, 11, 30),
            bill_date=datetime.date(2026, 12, 2),
        )
    # The same key again is the same run (a double click).
    assert start(billing, ub_users, key="run-1").pk == first.pk
    # The database refuses an overlap whatever wrote it.
    with pytest.raises(IntegrityError), transaction.atomic():
        BillRun.objects.create(
            cycle=billing["cycle"],
            period_start=datetime.date(2026, 11, 5),
            period_end=datetime.date(2026, 12, 5),
            bill_date=datetime.date(2026, 12, 10),
            due_date=datetime.date(2026, 12, 31),
            idempotency_key="raw",
            prepared_by=ub_users["tech"],
        )
    # Discarded, the period may be billed again, with the same result.
    discard_bill_run(first, actor=ub_users["tech"])
    assert not Bill.objects.filter(run=first).exists()
    again = computed(billing, ub_users, key="run-4")
    assert (again.bills_count, again.amount_total) == (4, D("605.25"))


def test_a_run_is_refused_field_by_field(billing, ub_users):
    with pytest.raises(ValidationError) as refused:
        start(billing, ub_users, period_end=datetime.date(2026, 10, 1))
    assert "period_end" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        start(billing, ub_users, bill_date=datetime.date(2026, 11, 1))
    assert "bill_date" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        start(billing, ub_users, bill_date=datetime.date(2030, 11, 10))
    assert "No fiscal period covers" in str(refused.value.message_dict["bill_date"])
    with pytest.raises(PermissionDenied):
        start(billing, ub_users, actor="clerk")
    assert not BillRun.objects.exists()


def test_the_preparer_cannot_approve(billing, ub_users):
    run = computed(billing, ub_users, actor="senior")
    with pytest.raises(ValidationError, match="another lead"):
        approve_bill_run(run, idempotency_key="a", actor=ub_users["senior"])
    with pytest.raises(PermissionDenied):
        approve_bill_run(run, idempotency_key="a", actor=ub_users["tech2"])
    # Nor can any code that goes around the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        BillRun.objects.filter(pk=run.pk).update(
            approved_by=ub_users["senior"], approved_at=run.prepared_at
        )
    run.refresh_from_db()
    assert run.status == BillRunStatus.COMPUTED


def test_posting_writes_an_entry_per_fund_and_a_charge_per_bill_and_fund(billing, ub_users):
    run = posted(billing, ub_users)
    assert run.status == BillRunStatus.POSTED and run.posted_at is not None
    entries = JournalEntry.objects.filter(source_document=run.reference).order_by("memo")
    assert entries.count() == 3
    for entry in entries:
        assert entry.source_module == "utility_billing"
        assert (entry.prepared_by, entry.approved_by) == (ub_users["tech"], ub_users["senior"])
        assert entry.entry_date == BILL_DATE
    lines = JournalLine.objects.filter(entry__in=entries)
    debits = {
        line.account.number[:3]: line.amount
        for line in lines.filter(amount__gt=0).select_related("account")
    }
    assert debits == EXPECTED_BY_FUND
    assert {line.account.number for line in lines.filter(amount__gt=0)} == set(billing["chart"])
    credits = lines.filter(amount__lt=0).values("account__number").annotate(t=Sum("amount"))
    assert {row["account__number"]: row["t"] for row in credits} == {
        "501-4100-4411": -D("367.25"),
        "502-4200-4421": -D("224.00"),
        "503-4300-4431": -D("14.00"),
    }
    charges = UtilityTransaction.objects.filter(kind="charge")
    # A1, A2, A3 in three funds, A8 in one.
    assert charges.count() == 10
    a1 = billing["accounts"]["A1"]
    assert {c.control_account.number: c.amount for c in charges.filter(account=a1)} == {
        "501-0000-1110": D("88.50"),
        "502-0000-1110": D("52.80"),
        "503-0000-1110": D("3.50"),
    }
    assert charges.aggregate(t=Sum("amount"))["t"] == D("605.25")
    bill = Bill.objects.get(run=run, account=a1)
    assert charges.filter(bill=bill).first().cause == f"{run.reference}:bill-{bill.pk}:fund-501"
    assert bill.status == BillRunStatus.POSTED


def test_utility_ar_reconciles_to_the_ledger_to_the_cent(billing, ub_users):
    posted(billing, ub_users)
    rows = {row.subledger: row for row in reconciliation(BILL_DATE)}
    row = rows[Subledger.UTILITY_AR]
    assert row.module == "utility_billing"
    assert (row.gl_balance, row.subledger_total) == (D("605.25"), D("605.25"))
    assert row.reconciles
    # The day before the bills, both are nothing.
    before = {r.subledger: r for r in reconciliation(BILL_DATE - datetime.timedelta(days=1))}
    assert before[Subledger.UTILITY_AR].gl_balance == subledger_total(PERIOD_END) == 0


def test_a_second_post_posts_nothing(billing, ub_users):
    run = posted(billing, ub_users)
    entries, movements = JournalEntry.objects.count(), UtilityTransaction.objects.count()
    # Approved again (a double click, another tab), posted again: nothing new.
    again = approve_bill_run(run, idempotency_key="approve-2", actor=ub_users["supervisor"])
    assert again.approved_by == ub_users["senior"]
    post_bill_run(run.pk)
    assert Job.objects.filter(kind="bill_run_post").count() == 1
    assert (JournalEntry.objects.count(), UtilityTransaction.objects.count()) == (
        entries,
        movements,
    )


def test_a_double_click_on_approve_queues_one_posting(billing, ub_users):
    run = computed(billing, ub_users)
    first = approve_bill_run(run, idempotency_key="same", actor=ub_users["senior"])
    second = approve_bill_run(run, idempotency_key="same", actor=ub_users["senior"])
    assert first.post_job_id == second.post_job_id
    run_queued_jobs()
    run_queued_jobs()
    assert UtilityTransaction.objects.count() == 10
    assert JournalEntry.objects.filter(source_module="utility_billing").count() == 3


def test_a_posting_refused_takes_the_run_back_to_computed(billing, ub_users):
    run = computed(billing, ub_users)
    approve_bill_run(run, idempotency_key="approve", actor=ub_users["senior"])
    close_period(period_for_date(BILL_DATE), actor=ub_users["supervisor"], reason="test")
    with pytest.raises(ValidationError):
        run_queued_jobs()
    job = Job.objects.get(kind="bill_run_post")
    assert job.state == JobState.FAILED
    assert job.error == "FY 2027 P05 (Nov 2026), the bill date's period, is closed to posting."
    run.refresh_from_db()
    assert run.status == BillRunStatus.COMPUTED
    assert run.approved_by is None
    assert "Posting was refused" in run.error
    assert not UtilityTransaction.objects.exists()
    assert not JournalEntry.objects.filter(source_module="utility_billing").exists()


def test_a_closed_period_gives_an_exception_row_not_a_silent_skip(billing, ub_users):
    run = start(billing, ub_users)
    close_period(period_for_date(BILL_DATE), actor=ub_users["supervisor"], reason="test")
    run_queued_jobs()
    run.refresh_from_db()
    assert (run.bills_count, run.exceptions_count) == (0, 8)
    reasons = set(BillRunException.objects.filter(run=run).values_list("reason", flat=True))
    # Accounts with no service say so; every other one names the closed period.
    assert reasons == {"closed_period", "owner_standby"}


def test_discard_only_before_approval(billing, ub_users):
    run = posted(billing, ub_users)
    with pytest.raises(ValidationError, match="only a run not yet approved"):
        discard_bill_run(run, actor=ub_users["tech"])
    assert Bill.objects.filter(run=run).count() == 4


def test_the_database_keeps_bills_and_the_subledger_as_they_were(billing, ub_users):
    run = posted(billing, ub_users)
    bill = Bill.objects.filter(run=run).first()
    refusals = [
        f"UPDATE utility_billing_bill SET amount = amount + 1 WHERE id = {bill.pk}",
        f"UPDATE utility_billing_billline SET amount = 0 WHERE bill_id = {bill.pk}",
        f"DELETE FROM utility_billing_billline WHERE bill_id = {bill.pk}",
        f"DELETE FROM utility_billing_bill WHERE id = {bill.pk}",
        "UPDATE utility_billing_utilitytransaction SET amount = amount + 1",
        "DELETE FROM utility_billing_utilitytransaction",
        f"UPDATE utility_billing_billrun SET amount_total = 0 WHERE id = {run.pk}",
        # A bill added to a posted run.
        f"INSERT INTO utility_billing_bill (run_id, account_id, period_start, period_end,"
        f" service_class, meter_size, read_ids, estimated, consumption, previous_balance,"
        f" amount, due_date, notes) SELECT run_id, account_id, period_start, period_end,"
        f" service_class, meter_size, read_ids, estimated, consumption, previous_balance,"
        f" amount, due_date, notes FROM utility_billing_bill WHERE id = {bill.pk}",
    ]
    for sql in refusals:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_an_account_that_moved_in_mid_period_bills_its_own_days(billing, ub_users):
    from tests.utility_billing.billing_helpers import add_services, read
    from tests.utility_billing.conftest import make_account, make_location, make_meter

    location = make_location("021-110", cycle=billing["cycle"], address_line1="110 Elm St")
    meter = make_meter("M-MOVE", location=location)
    tech = ub_users["tech"]
    read(meter, datetime.date(2026, 10, 20), "12", tech)  # the previous occupant's use
    read(meter, datetime.date(2026, 11, 5), "5", tech)
    account = make_account(
        "10110", location=location, opened_by=tech, start_date=datetime.date(2026, 10, 20)
    )
    add_services(account, billing["schedules"])
    run = computed(billing, ub_users)
    bill = Bill.objects.get(run=run, account=account)
    assert (bill.period_start, bill.consumption) == (datetime.date(2026, 10, 20), D("5"))
    # 10/20 to 11/05 is 17 of the 31 days of the month from 10/20: water $30 x 17/31 =
    # 16.45; tiers 0-3.29 HCF (6 x 17/31) at $5.25 = 17.27, 1.71 HCF at $6.75 = 11.54;
    # sewer $20 x 17/31 = 10.97, 5 HCF x $4.10 = 20.50 (no winter average: no cap);
    # storm drain $3.50 x 17/31 = 1.92.
    assert [line.amount for line in bill.lines.all()] == [
        D("16.45"),
        D("17.27"),
        D("11.54"),
        D("10.97"),
        D("20.50"),
        D("1.92"),
    ]
    assert bill.amount == D("78.65")


def test_an_unvalidated_read_is_an_exception_and_computing_twice_writes_once(billing, ub_users):
    from tests.utility_billing.billing_helpers import read

    meter = billing["accounts"]["A2"].location.meters.get()
    read(meter, datetime.date(2026, 11, 1), None, ub_users["tech"])  # consumption not worked out
    run = computed(billing, ub_users)
    row = BillRunException.objects.get(run=run, account=billing["accounts"]["A2"])
    assert row.reason == "open_read_exception"
    assert "11/01/2026 (not validated)" in row.detail
    from utility_billing.services.bill_compute import compute_bill_run

    again = compute_bill_run(run.pk)
    assert (again.bills_count, again.exceptions_count) == (3, 5)
    assert Bill.objects.filter(run=run).count() == 3


def test_the_database_checks_what_a_bulk_write_names(billing, ub_users):
    run = start(billing, ub_users)
    account = billing["accounts"]["A1"]
    insert_bill = (
        "INSERT INTO utility_billing_bill (run_id, account_id, period_start, period_end,"
        " service_class, meter_size, read_ids, estimated, consumption, previous_balance,"
        " amount, due_date, notes) VALUES (%s, %s, '2026-10-06', '2026-11-05',"
        " 'single_family', '5/8', '{}', false, 0, 0, 1, '2026-12-01', '') RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert_bill, [run.pk, account.pk])
        bill_id = cursor.fetchone()[0]
    account_id = billing["chart"]["501-0000-1110"].pk
    line = (
        "INSERT INTO utility_billing_billline (bill_id, run_id, position, service_kind,"
        " schedule_code, charge_kind, description, quantity, rate, amount, arithmetic,"
        " rate_version_id, service_start, service_end, days, revenue_account_id)"
        " VALUES (%s, %s, 1, 'water', 'W', 'per_parcel', 'x', NULL, 1, 1, 'x', %s,"
        " '2026-10-06', '2026-11-05', 31, %s)"
    )
    refused = [
        (insert_bill, [run.pk + 999, account.pk]),  # no such run
        (line, [bill_id, run.pk + 999, None, account_id]),  # another run than the bill's
        (line, [bill_id, run.pk, 999999, account_id]),  # no such rate version
        (line, [bill_id, run.pk, None, 999999]),  # no such revenue account
    ]
    for sql, params in refused:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    movement = (
        "INSERT INTO utility_billing_utilitytransaction (account_id, bill_id, kind,"
        " control_account_id, amount, transaction_date, memo, reference, cause,"
        " journal_entry_id, created_by_id, created_at)"
        " VALUES (%s, %s, %s, %s, %s, '2026-11-10', '', 'x', %s, %s, %s, now())"
    )
    revenue = BillLine._meta.get_field("revenue_account").related_model.objects.get(
        number="501-4100-4411"
    )
    # A payment needs no entry of its own (the cashier's has the cash): only the
    # control account is wrong in the first.
    for kind, amount, control, entry, cause in [
        ("payment", "-1", revenue.pk, None, "not a control account"),
        ("charge", "1", account_id, 999999, "no such entry"),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                movement,
                [account.pk, bill_id, kind, control, amount, cause, entry, ub_users["tech"].pk],
            )
    # Right, it is written.
    with connection.cursor() as cursor:
        cursor.execute(
            movement,
            [account.pk, bill_id, "payment", account_id, "-1", "fine", None, ub_users["tech"].pk],
        )
