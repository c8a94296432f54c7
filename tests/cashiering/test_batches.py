"""Mail batches and lockbox files (issue 11, item 7): posted all or nothing through the
utility target's batch path and one journal entry; mail checks to cash in drawers,
lockbox money to pooled cash in the bank; once per batch; bad rows named, nothing posted."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from cashiering.models import BatchStatus, PaymentBatch
from cashiering.services.batches import (
    BatchRow,
    create_mail_batch,
    post_mail_batch,
    save_mail_batch,
)
from cashiering.services.lockbox import parse_lockbox_file, upload_lockbox_file
from ledger.models import JournalEntry, JournalLine
from millbrae_finance.jobs import Job
from tests.jobs_helpers import run_queued_jobs
from utility_billing.models import UtilityTransaction

D = Decimal


def _lines(entry: JournalEntry) -> list[tuple[str, Decimal]]:
    return sorted(
        (line.account.number, line.amount)
        for line in JournalLine.objects.filter(entry=entry).select_related("account")
    )


def _number(counter, name: str) -> str:
    """The number of the billing helpers' account called `name` ("A1"); others as given."""
    account = counter["billing"]["accounts"].get(name)
    return account.number if account else name


def _file(counter, content: str) -> str:
    for name in ("A1", "A2", "A3", "A8"):
        content = content.replace(f"\n{name},", f"\n{_number(counter, name)},")
    return content


def _mail(counter, rows, *, total, count, key="mail-1", actor=None):
    actor = actor or counter["users"]["clerk"]
    rows = [(_number(counter, a), m, c) for a, m, c in rows]
    batch = create_mail_batch(
        batch_date=counter["session"].opened_at.date(),
        control_total=D(total),
        control_count=count,
        idempotency_key=key,
        actor=actor,
    )
    return save_mail_batch(
        batch,
        rows=[BatchRow(account_number=a, amount=D(m), check_number=c) for a, m, c in rows],
        actor=actor,
    )


# Paying A1's October bill (144.80: 501 88.50, 502 52.80, 503 3.50) and A8's (503 3.50):
# cash in 101, each fund's utility AR credited, due to / due from between the funds.
EXPECTED_MAIL_LINES = sorted(
    [
        ("101-0000-1020", D("148.30")),
        ("101-0000-2110", D("-148.30")),
        ("501-0000-1310", D("88.50")),
        ("501-0000-1110", D("-88.50")),
        ("502-0000-1310", D("52.80")),
        ("502-0000-1110", D("-52.80")),
        ("503-0000-1310", D("7.00")),
        ("503-0000-1110", D("-7.00")),
    ]
)


def test_a_mail_batch_posts_one_entry_to_cash_in_drawers(counter, pay_day):
    batch = _mail(
        counter, [("A1", "144.80", "1001"), ("A8", "3.50", "1002")], total="148.30", count=2
    )
    assert (batch.status, batch.checks_total, batch.checks_count) == ("draft", D("148.30"), 2)
    posted = post_mail_batch(batch, actor=counter["users"]["clerk"])
    assert posted.status == BatchStatus.POSTED
    assert posted.posted_by == counter["users"]["clerk"]
    assert posted.cash_account.number == "101-0000-1020"
    assert not posted.in_bank
    assert _lines(posted.journal_entry) == EXPECTED_MAIL_LINES
    assert posted.journal_entry.source_document == posted.display_number
    moved = UtilityTransaction.objects.filter(kind="payment", reference__startswith="MB-")
    assert sum(m.amount for m in moved) == D("-148.30")
    assert PaymentBatch.objects.awaiting_deposit().get() == posted
    # Audited: the batch's events name the change to posted.
    assert posted.events.filter(status="posted").exists()


def test_a_mail_batch_posts_once_on_a_repeat(counter, pay_day):
    batch = _mail(counter, [("A1", "144.80", "1001")], total="144.80", count=1)
    first = post_mail_batch(batch, actor=counter["users"]["clerk"])
    again = post_mail_batch(batch, actor=counter["users"]["clerk"])
    assert again.journal_entry_id == first.journal_entry_id
    assert JournalEntry.objects.filter(source_document=first.display_number).count() == 1
    assert UtilityTransaction.objects.filter(kind="payment").count() == 3
    # The same Create again (a double-click) is the same batch.
    same = create_mail_batch(
        batch_date=batch.batch_date,
        control_total=D("1.00"),
        control_count=1,
        idempotency_key="mail-1",
        actor=counter["users"]["clerk"],
    )
    assert same.pk == batch.pk
    with pytest.raises(ValidationError):
        save_mail_batch(
            batch,
            rows=[BatchRow(_number(counter, "A1"), D("1.00"))],
            actor=counter["users"]["clerk"],
        )


@pytest.mark.django_db(transaction=True)
def test_a_mail_batch_posted_from_eight_threads_at_once_posts_once(request):
    counter = request.getfixturevalue("counter")
    batch = _mail(counter, [("A1", "144.80", "1001")], total="144.80", count=1)
    results, errors = [], []
    barrier = threading.Barrier(8)

    def post() -> None:
        try:
            barrier.wait()
            results.append(post_mail_batch(batch, actor=counter["users"]["clerk"]).journal_entry_id)
        except BaseException as error:  # collected and inspected by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert JournalEntry.objects.filter(source_document=batch.display_number).count() == 1
    assert UtilityTransaction.objects.filter(kind="payment").count() == 3


def test_a_mail_batch_that_does_not_agree_with_its_control_posts_nothing(counter, pay_day):
    batch = _mail(counter, [("A1", "144.80", "1001")], total="150.00", count=2)
    with pytest.raises(ValidationError) as refused:
        post_mail_batch(batch, actor=counter["users"]["clerk"])
    assert "difference of -5.20" in refused.value.message_dict["control_total"][0]
    assert (
        "1 checks keyed, the control count is 2" in refused.value.message_dict["control_count"][0]
    )
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT
    assert not JournalEntry.objects.filter(source_module="cashiering").exists()


def test_a_mail_batch_with_a_bad_row_posts_nothing_and_names_the_row(counter, pay_day):
    a8 = counter["billing"]["accounts"]["A8"]
    a8.customer.do_not_accept_checks = True
    a8.customer.save()
    batch = _mail(
        counter,
        [("A1", "144.80", "1001"), ("NOPE-1", "10.00", "1002"), ("A8", "3.50", "1003")],
        total="158.30",
        count=3,
    )
    with pytest.raises(ValidationError) as refused:
        post_mail_batch(batch, actor=counter["users"]["clerk"])
    errors = refused.value.message_dict
    assert errors["row-2"] == ["No utility account NOPE-1."]
    assert "may not pay by check" in errors["row-3"][0]
    assert "row-1" not in errors
    assert not UtilityTransaction.objects.filter(kind="payment").exists()
    assert not JournalEntry.objects.filter(source_module="cashiering").exists()


def test_rows_that_cannot_be_kept_are_refused_beside_the_row(counter, pay_day):
    batch = _mail(counter, [("A1", "1.00", "")], total="1.00", count=1)
    with pytest.raises(ValidationError) as refused:
        save_mail_batch(
            batch,
            rows=[
                BatchRow("A1", D("0.00")),
                BatchRow("A1", D("-4.00")),
                BatchRow("A1", D("12.345")),
                BatchRow("", D("5.00")),
            ],
            actor=counter["users"]["clerk"],
        )
    errors = refused.value.message_dict
    assert errors["row-1"] == errors["row-2"] == ["The amount must be more than zero."]
    assert errors["row-3"] == ["12.345 is not an amount to the cent."]
    assert errors["row-4"] == ["Enter the account number."]
    assert batch.items.count() == 1  # the draft as it was


def test_only_keyers_make_mail_batches(counter, pay_day):
    from millbrae_finance.roles import Role
    from tests.conftest import make_user

    with pytest.raises(PermissionDenied):
        create_mail_batch(
            batch_date=pay_day,
            control_total=D("1.00"),
            control_count=1,
            idempotency_key="k",
            actor=make_user(Role.AUDITOR, "aud"),
        )


# ---------------------------------------------------------------- lockbox

LOCKBOX = (
    "account_number,amount,paid_on,check_number,payer_name\n"
    "A1,144.80,2026-12-18,5512,Carmen Delgado\n"
    "A8,3.50,2026-12-18,WEB-88123,\n"
    "TOTAL,148.30,,2,\n"
)


def test_a_lockbox_file_posts_by_job_to_cash_in_the_bank(counter, pay_day):
    tech = counter["users"]["tech"]
    batch = upload_lockbox_file(
        filename="lockbox.csv", content=_file(counter, LOCKBOX), idempotency_key="up-1", actor=tech
    )
    assert batch.status == BatchStatus.DRAFT and batch.job is not None
    run_queued_jobs()
    job = Job.objects.get(pk=batch.job_id)
    assert job.state == "done" and "posted" in job.result_label
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED and batch.in_bank
    assert (batch.control_total, batch.control_count) == (D("148.30"), 2)
    lines = dict(_lines(batch.journal_entry))
    assert lines["101-0000-1010"] == D("148.30")
    assert "101-0000-1020" not in lines
    assert sorted(_lines(batch.journal_entry)) == sorted(
        [("101-0000-1010", D("148.30")), *list(EXPECTED_MAIL_LINES[1:])]
    )
    assert batch.journal_entry.entry_date.isoformat() == "2026-12-18"
    assert not PaymentBatch.objects.awaiting_deposit().exists()
    # The same file again is refused, naming the batch; the same upload key is the batch.
    with pytest.raises(ValidationError) as refused:
        upload_lockbox_file(
            filename="again.csv",
            content=_file(counter, LOCKBOX),
            idempotency_key="up-2",
            actor=tech,
        )
    assert batch.display_number in refused.value.message_dict["file"][0]
    same = upload_lockbox_file(
        filename="lockbox.csv", content=_file(counter, LOCKBOX), idempotency_key="up-1", actor=tech
    )
    assert same.pk == batch.pk
    assert JournalEntry.objects.filter(source_document=batch.display_number).count() == 1


def test_a_lockbox_file_with_bad_lines_is_refused_whole_with_each_line_named(counter, pay_day):
    content = (
        "account_number,amount,paid_on,reference\n"
        "A1,144.80,2026-12-18,1\n"
        "A2,0,2026-12-18,2\n"
        "A3,12.345,2026-12-18,3\n"
        "A8,abc,2026-12-19,4\n"
        "A8,3.50,2026-12-21,5\n"
    )
    batch = upload_lockbox_file(
        filename="bad.csv",
        content=content,
        idempotency_key="up-bad",
        actor=counter["users"]["tech"],
    )
    assert batch.status == BatchStatus.REFUSED and batch.job is None
    assert batch.errors == [
        [3, "The amount must be more than zero."],
        [4, "12.345 is not an amount to the cent."],
        [5, "The amount 'abc' is not dollars and cents (like 84.20)."],
        [
            5,
            "The file's payments are of 2026-12-18; this one is of 2026-12-19: one deposit day a file.",
        ],
        [6, "The date paid 2026-12-21 is in the future or out of range."],
    ]
    assert not batch.items.exists()


def test_a_lockbox_file_with_an_unknown_account_is_refused_by_the_job(counter, pay_day):
    content = _file(
        counter, "account_number,amount,paid_on\nA1,144.80,2026-12-18\nZZ-404,5.00,2026-12-18\n"
    )
    tech = counter["users"]["tech"]
    batch = upload_lockbox_file(
        filename="one-bad.csv", content=content, idempotency_key="up-3", actor=tech
    )
    run_queued_jobs()
    job = Job.objects.get(pk=batch.job_id)
    assert job.state == "done" and job.result_label.startswith("Refused")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REFUSED
    assert batch.errors == [[3, "no utility account ZZ-404."]]
    assert not UtilityTransaction.objects.filter(kind="payment").exists()
    assert not JournalEntry.objects.filter(source_module="cashiering").exists()
    # A refused file may be uploaded again once fixed, and the fixed one posts.
    fixed = upload_lockbox_file(
        filename="fixed.csv",
        content=content.replace("ZZ-404", _number(counter, "A8")).replace("5.00", "3.50"),
        idempotency_key="up-4",
        actor=tech,
    )
    run_queued_jobs()
    fixed.refresh_from_db()
    assert fixed.status == BatchStatus.POSTED


def test_a_trailer_that_disagrees_refuses_the_file():
    parsed = parse_lockbox_file(
        "account_number,amount,paid_on,check_number\nA1,1.00,2026-12-01,7\nTOTAL,2.00,,1\n",
        today=datetime.date(2026, 12, 2),
    )
    assert parsed.errors == [[3, "The trailer says 1 payments of 2.00; the file holds 1 of 1.00."]]
    parsed = parse_lockbox_file(
        "amount,paid_on\n1.00,2026-12-01\n", today=datetime.date(2026, 12, 2)
    )
    assert "it lacks account_number" in parsed.errors[0][1]


def test_only_importers_upload_lockbox_files(counter, pay_day):
    with pytest.raises(PermissionDenied):
        upload_lockbox_file(
            filename="x.csv",
            content=_file(counter, LOCKBOX),
            idempotency_key="k",
            actor=counter["users"]["clerk"],
        )
