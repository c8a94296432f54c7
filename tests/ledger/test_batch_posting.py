"""Posting many entries at once (post_entries), and post_entry's plain-SQL path: the same
checks, idempotency and return values as one posting at a time."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from ledger.models import AccountBalance, JournalEntry, JournalLine
from ledger.services import (
    EntrySpec,
    LineSpec,
    close_period,
    post_entries,
    post_entry,
)
from millbrae_finance.roles import Role
from tests.conftest import make_user

D = Decimal
NOV = dt.date(2026, 11, 15)


def spec(key, lines, day=NOV, memo="Water bill"):
    return EntrySpec(
        entry_date=day,
        lines=[LineSpec(account, D(amount)) for account, amount in lines],
        memo=memo,
        idempotency_key=key,
        source_document=f"BILL-{key}",
    )


def bill(key, amount="42.10"):
    """A water bill: receivable (cash here) debited, water sales credited."""
    return spec(key, [("501-0000-1010", amount), ("501-1100-4411", f"-{amount}")])


def balances() -> dict[str, tuple[Decimal, Decimal]]:
    return {
        b.account.number: (b.debits, b.credits)
        for b in AccountBalance.objects.select_related("account")
    }


def test_post_entries_writes_every_entry_its_lines_and_the_balances(chart, november, technician):
    specs = [bill("b1", "42.10"), bill("b2", "17.00"), bill("b3", "0.90")]
    entries = post_entries(specs, source_module="utility", prepared_by=technician)

    assert [e.idempotency_key for e in entries] == ["b1", "b2", "b3"]
    stored = {e.pk: e for e in JournalEntry.objects.all()}
    assert sorted(stored) == sorted(e.pk for e in entries)
    for entry in entries:
        row = stored[entry.pk]
        assert (row.period, row.source_module, row.source_document, row.memo) == (
            november,
            "utility",
            f"BILL-{entry.idempotency_key}",
            "Water bill",
        )
        assert row.prepared_by == technician
        assert row.fingerprint == entry.fingerprint
        assert entry.period == november
    lines = sorted(
        JournalLine.objects.values_list("entry__idempotency_key", "account__number", "amount")
    )
    assert lines == [
        ("b1", "501-0000-1010", D("42.10")),
        ("b1", "501-1100-4411", D("-42.10")),
        ("b2", "501-0000-1010", D("17.00")),
        ("b2", "501-1100-4411", D("-17.00")),
        ("b3", "501-0000-1010", D("0.90")),
        ("b3", "501-1100-4411", D("-0.90")),
    ]
    assert balances() == {
        "501-0000-1010": (D("60.00"), D("0.00")),
        "501-1100-4411": (D("0.00"), D("60.00")),
    }


def test_post_entries_retried_returns_the_first_entries_and_posts_nothing(
    chart, november, technician
):
    first = post_entries([bill("b1"), bill("b2")], source_module="utility", prepared_by=technician)
    again = post_entries(
        [bill("b1"), bill("b2"), bill("b3", "5.00")],
        source_module="utility",
        prepared_by=technician,
    )

    assert again[:2] == first
    assert JournalEntry.objects.count() == 3
    assert JournalLine.objects.count() == 6
    assert balances()["501-0000-1010"] == (D("89.20"), D("0.00"))


def test_post_entries_and_post_entry_share_their_keys(chart, november, technician):
    single = post_entry(
        entry_date=NOV,
        lines=bill("b1").lines,
        memo="Water bill",
        source_module="utility",
        source_document="BILL-b1",
        idempotency_key="b1",
        prepared_by=technician,
    )
    (batched,) = post_entries([bill("b1")], source_module="utility", prepared_by=technician)
    assert batched == single
    assert JournalEntry.objects.count() == 1


def test_post_entries_same_key_other_lines_refuses_the_batch(chart, november, technician):
    post_entries([bill("b1")], source_module="utility", prepared_by=technician)
    with pytest.raises(
        ValidationError, match=r"Entry b1: already posted as JE \d+ with different lines"
    ):
        post_entries(
            [bill("b2"), bill("b1", "99.00")], source_module="utility", prepared_by=technician
        )
    assert list(JournalEntry.objects.values_list("idempotency_key", flat=True)) == ["b1"]


def test_post_entries_names_every_bad_entry_and_writes_nothing(chart, november, technician):
    specs = [
        bill("good"),
        spec("short", [("501-0000-1010", "10.00"), ("501-1100-4411", "-9.99")]),
        spec("nowhere", [("999-0000-1010", "10.00"), ("501-1100-4411", "-10.00")]),
    ]
    with pytest.raises(ValidationError) as refused:
        post_entries(specs, source_module="utility", prepared_by=technician)
    assert refused.value.messages == [
        "Entry short: Debits and credits differ by 0.01.",
        "Entry nowhere: Line 1: no account 999-0000-1010.",
    ]
    assert not JournalEntry.objects.exists()
    assert not AccountBalance.objects.exists()


def test_post_entries_refuses_a_closed_period_or_a_date_without_one(
    chart, november, technician, supervisor
):
    close_period(november, actor=supervisor, reason="November closed")
    undated = spec(
        "old", [("501-0000-1010", "1.00"), ("501-1100-4411", "-1.00")], day=dt.date(2019, 1, 2)
    )
    with pytest.raises(ValidationError) as refused:
        post_entries([bill("b1"), undated], source_module="utility", prepared_by=technician)
    assert refused.value.messages == [
        "Entry b1: FY 2027 P05 (Nov 2026) is closed to posting.",
        "Entry old: No fiscal period covers 2019-01-02.",
    ]
    assert not JournalEntry.objects.exists()


def test_post_entries_balances_each_fund_with_interfund_lines(chart, november, technician):
    # The General Fund pays a Water Fund vendor out of pooled cash, in a payment run.
    (entry,) = post_entries(
        [spec("pay1", [("501-1100-5210", "40.00"), ("101-0000-1010", "-40.00")])],
        source_module="payables",
        prepared_by=technician,
    )
    assert sorted(entry.lines.values_list("account__number", "amount")) == [
        ("101-0000-1010", D("-40.00")),
        ("101-0000-1310", D("40.00")),
        ("501-0000-2110", D("-40.00")),
        ("501-1100-5210", D("40.00")),
    ]


def test_post_entries_refuses_a_key_twice_in_one_batch(chart, november, technician):
    with pytest.raises(ValueError, match="each idempotency key once"):
        post_entries([bill("b1"), bill("b1")], source_module="utility", prepared_by=technician)
    with pytest.raises(ValueError, match="idempotency key"):
        post_entries([bill("")], source_module="utility", prepared_by=technician)
    assert post_entries([], source_module="utility", prepared_by=technician) == []


def test_post_entries_in_the_callers_transaction_rolls_back_with_it(chart, november, technician):
    with pytest.raises(RuntimeError), transaction.atomic():
        post_entries([bill("b1")], source_module="utility", prepared_by=technician)
        raise RuntimeError("the bill run failed after posting")
    assert not JournalEntry.objects.exists()
    assert not AccountBalance.objects.exists()


def test_post_entry_refusals_leave_the_callers_transaction_usable(
    chart, november, technician, supervisor
):
    lines = bill("b1").lines
    with transaction.atomic():
        post_entry(
            entry_date=NOV,
            lines=lines,
            memo="Water bill",
            source_module="utility",
            idempotency_key="b1",
            prepared_by=technician,
        )
        with pytest.raises(ValidationError, match="different lines"):
            post_entry(
                entry_date=NOV,
                lines=bill("x", "1.00").lines,
                memo="Water bill",
                source_module="utility",
                idempotency_key="b1",
                prepared_by=technician,
            )
        with pytest.raises(ValidationError, match="No fiscal period covers 2019-01-02"):
            post_entry(
                entry_date=dt.date(2019, 1, 2),
                lines=lines,
                memo="Water bill",
                source_module="utility",
                idempotency_key="b2",
                prepared_by=technician,
            )
        # Still usable: the refusals wrote nothing and broke nothing.
        assert JournalEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_post_entry_same_key_from_two_connections_posts_once(chart, fiscal_year):
    technician = make_user(Role.ACCOUNTING_TECHNICIAN)
    start = threading.Barrier(2)
    results: list[object] = []

    def clerk() -> None:
        try:
            start.wait()
            with transaction.atomic(durable=True):
                entry = post_entry(
                    entry_date=NOV,
                    lines=bill("b1").lines,
                    memo="Water bill",
                    source_module="utility",
                    idempotency_key="double-click",
                    prepared_by=technician,
                )
            results.append(entry.pk)
        except Exception as error:  # reported by the assertion below
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 2
    assert results[0] == results[1]
    assert JournalEntry.objects.count() == 1
    assert JournalLine.objects.count() == 2
    assert balances()["501-0000-1010"] == (D("42.10"), D("0.00"))
