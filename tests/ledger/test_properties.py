"""Random sequences of valid and invalid postings: after each, the books still balance,
kept balances equal the lines, and a refused posting left no trace."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.models import AccountBalance, JournalEntry, JournalLine
from ledger.services import LineSpec, post_entry

ACCOUNTS = [
    "101-0000-1010",
    "101-1100-4411",
    "101-1100-5210",
    "501-0000-1010",
    "501-1100-4411",
    "501-1100-5210",
]
cents = st.integers(min_value=-10_000_000, max_value=10_000_000).filter(bool)


@st.composite
def postings(draw):
    """A list of (account, amount) that balances, or, one time in three, one that does not."""
    amounts = draw(st.lists(cents, min_size=1, max_size=5))
    accounts = draw(
        st.lists(st.sampled_from(ACCOUNTS), min_size=len(amounts) + 1, max_size=len(amounts) + 1)
    )
    lines = [(a, Decimal(c) / 100) for a, c in zip(accounts, amounts, strict=False)]
    closing = -sum(amount for _, amount in lines)
    valid = draw(st.integers(0, 2)) > 0
    if not valid:
        closing += Decimal(draw(cents)) / 100
    if closing != 0:
        lines.append((accounts[-1], closing))
    day = dt.date(2026, 11, draw(st.integers(1, 30)))
    return lines, day


def check_books() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(amount), 0) FROM ledger_journalline")
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT fund_id FROM ledger_journalline GROUP BY fund_id HAVING SUM(amount) <> 0"
        )
        assert cursor.fetchall() == []
        cursor.execute(
            """
            SELECT b.account_id, b.period_id, b.debits, b.credits, s.debits, s.credits
              FROM ledger_accountbalance b
              FULL JOIN (
                SELECT l.account_id, e.period_id,
                       COALESCE(SUM(l.amount) FILTER (WHERE l.amount > 0), 0) AS debits,
                       COALESCE(-SUM(l.amount) FILTER (WHERE l.amount < 0), 0) AS credits
                  FROM ledger_journalline l JOIN ledger_journalentry e ON e.id = l.entry_id
                 GROUP BY 1, 2) s
                ON s.account_id = b.account_id AND s.period_id = b.period_id
             WHERE b.debits IS DISTINCT FROM s.debits OR b.credits IS DISTINCT FROM s.credits
            """
        )
        assert cursor.fetchall() == []


@pytest.mark.django_db
def test_random_postings_keep_the_books_balanced(chart, november, technician):
    counter = iter(range(10**9))

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(batch=st.lists(postings(), min_size=1, max_size=4))
    def run(batch):
        for lines, day in batch:
            before = (
                JournalEntry.objects.count(),
                JournalLine.objects.count(),
                list(AccountBalance.objects.values_list("debits", "credits").order_by("pk")),
            )
            specs = [LineSpec(account, amount) for account, amount in lines]
            balanced = sum(amount for _, amount in lines) == 0 and len(lines) >= 2
            try:
                post_entry(
                    entry_date=day,
                    lines=specs,
                    memo="property",
                    source_module="test",
                    idempotency_key=f"prop-{next(counter)}",
                    prepared_by=technician,
                )
            except ValidationError:
                assert not balanced
                after = (
                    JournalEntry.objects.count(),
                    JournalLine.objects.count(),
                    list(AccountBalance.objects.values_list("debits", "credits").order_by("pk")),
                )
                assert after == before
            else:
                assert balanced
            check_books()

    run()
