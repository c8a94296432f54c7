import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ledger.models import AccountBalance, FiscalPeriod, JournalEntry, JournalLine, PeriodStatus
from ledger.queries.calendar import period_for_date
from ledger.services import (
    LineSpec,
    close_period,
    create_fiscal_year,
    post_entry,
    reopen_period,
    reverse_entry,
)

D = Decimal
NOV = dt.date(2026, 11, 15)


def post(technician, lines, key="k1", day=NOV, **kwargs):
    return post_entry(
        entry_date=day,
        lines=[LineSpec(account, D(amount)) for account, amount in lines],
        memo="Water sales, counter",
        source_module="test",
        idempotency_key=key,
        prepared_by=technician,
        **kwargs,
    )


def balances() -> dict[str, tuple[Decimal, Decimal]]:
    return {
        b.account.number: (b.debits, b.credits)
        for b in AccountBalance.objects.select_related("account")
    }


def test_fiscal_year_has_twelve_months_from_july_and_an_adjustment_period(fiscal_year):
    periods = list(fiscal_year.periods.order_by("number"))
    assert len(periods) == 13
    assert (periods[0].start_date, periods[0].end_date) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 7, 31),
    )
    assert (periods[7].start_date, periods[7].end_date) == (
        dt.date(2027, 2, 1),
        dt.date(2027, 2, 28),
    )
    assert periods[11].end_date == dt.date(2027, 6, 30)
    assert (periods[12].number, periods[12].start_date) == (13, dt.date(2027, 6, 30))
    assert create_fiscal_year(2027) == fiscal_year
    assert period_for_date(dt.date(2027, 6, 30)).number == 12


def test_post_entry_writes_lines_and_balances(chart, november, technician):
    entry = post(technician, [("501-0000-1010", "125.40"), ("501-1100-4411", "-125.40")])
    assert entry.period == november
    lines = list(entry.lines.values_list("account__number", "amount", "fund__code"))
    assert lines == [("501-0000-1010", D("125.40"), "501"), ("501-1100-4411", D("-125.40"), "501")]
    assert balances() == {
        "501-0000-1010": (D("125.40"), D("0.00")),
        "501-1100-4411": (D("0.00"), D("125.40")),
    }
    post(technician, [("501-0000-1010", "10.00"), ("501-1100-4411", "-10.00")], key="k2")
    assert balances()["501-0000-1010"] == (D("135.40"), D("0.00"))


def test_post_entry_same_key_posts_once(chart, november, technician):
    lines = [("501-0000-1010", "125.40"), ("501-1100-4411", "-125.40")]
    first = post(technician, lines)
    again = post(technician, lines)
    assert again == first
    assert JournalEntry.objects.count() == 1
    assert JournalLine.objects.count() == 2
    assert balances()["501-0000-1010"] == (D("125.40"), D("0.00"))


def test_post_entry_same_key_other_lines_is_refused(chart, november, technician):
    post(technician, [("501-0000-1010", "125.40"), ("501-1100-4411", "-125.40")])
    with pytest.raises(ValidationError, match="different lines"):
        post(technician, [("501-0000-1010", "99.00"), ("501-1100-4411", "-99.00")])
    assert JournalEntry.objects.count() == 1


def test_cross_fund_entry_gets_due_to_and_due_from_lines(chart, november, technician):
    # The General Fund pays postage for the Water Fund out of pooled cash.
    entry = post(technician, [("501-1100-5210", "40.00"), ("101-0000-1010", "-40.00")])
    lines = sorted(entry.lines.values_list("account__number", "amount"))
    assert lines == [
        ("101-0000-1010", D("-40.00")),
        ("101-0000-1310", D("40.00")),
        ("501-0000-2110", D("-40.00")),
        ("501-1100-5210", D("40.00")),
    ]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([("501-0000-1010", "10.00"), ("501-1100-4411", "-9.99")], "differ by 0.01"),
        ([("501-0000-1010", "10.00")], "at least two lines"),
        ([("501-0000-1010", "0"), ("501-1100-4411", "0")], "zero"),
        ([("501-0000-1010", "10.001"), ("501-1100-4411", "-10.001")], "to the cent"),
        ([("999-0000-1010", "10.00"), ("501-1100-4411", "-10.00")], "no account 999-0000-1010"),
    ],
)
def test_post_entry_refuses_bad_lines_and_leaves_no_trace(
    chart, november, technician, lines, message
):
    with pytest.raises(ValidationError, match=message):
        post(technician, lines)
    assert not JournalEntry.objects.exists()
    assert not AccountBalance.objects.exists()


def test_post_entry_refuses_an_inactive_account(chart, november, technician):
    chart["501-1100-4411"].is_active = False
    chart["501-1100-4411"].save()
    with pytest.raises(ValidationError, match="does not accept postings"):
        post(technician, [("501-0000-1010", "10.00"), ("501-1100-4411", "-10.00")])


def test_closed_period_refuses_postings_until_reopened(chart, november, technician, supervisor):
    close_period(november, actor=supervisor, reason="November closed")
    with pytest.raises(ValidationError, match="closed"):
        post(technician, [("501-0000-1010", "10.00"), ("501-1100-4411", "-10.00")])
    with pytest.raises(ValidationError, match="Say why"):
        reopen_period(november, actor=supervisor, reason=" ")
    period = reopen_period(november, actor=supervisor, reason="Late water deposit")
    assert period.status == PeriodStatus.OPEN
    assert period.status_changed_by == supervisor
    post(technician, [("501-0000-1010", "10.00"), ("501-1100-4411", "-10.00")])


def test_adjustment_period_takes_entries_by_name(chart, fiscal_year, technician):
    adjustments = FiscalPeriod.objects.get(fiscal_year=fiscal_year, number=13)
    entry = post(
        technician,
        [("501-1100-5210", "5.00"), ("501-0000-1010", "-5.00")],
        day=dt.date(2027, 6, 30),
        period=adjustments,
    )
    assert entry.period.number == 13


def test_reverse_entry_links_both_ways_and_nets_to_zero(chart, november, technician, supervisor):
    entry = post(technician, [("501-1100-5210", "40.00"), ("101-0000-1010", "-40.00")])
    reversal = reverse_entry(
        entry, entry_date=dt.date(2026, 11, 20), actor=supervisor, idempotency_key="rev-1"
    )
    entry.refresh_from_db()
    assert reversal.reverses == entry
    assert entry.reversed_by == reversal
    assert all(debit == credit for debit, credit in balances().values())
    # Retrying the same reversal returns it; a second, different reversal is refused.
    again = reverse_entry(
        entry, entry_date=dt.date(2026, 11, 20), actor=supervisor, idempotency_key="rev-1"
    )
    assert again == reversal
    with pytest.raises(ValidationError, match="cannot be dated before the entry"):
        reverse_entry(
            entry, entry_date=dt.date(2026, 11, 14), actor=supervisor, idempotency_key="rev-3"
        )
    with pytest.raises(ValidationError, match="already reversed"):
        reverse_entry(
            entry, entry_date=dt.date(2026, 11, 20), actor=supervisor, idempotency_key="rev-2"
        )
