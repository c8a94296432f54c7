from django.core.management import call_command
from django.db.models import Sum

from ledger.models import Account, AccountBalance, JournalEntry, JournalLine, Subledger


def test_demo_ledger_posts_a_balanced_year_once(demo_db):
    # The demo database is seeded once for the run (tests/conftest.py); seeding again
    # adds nothing.
    entries = JournalEntry.objects.count()
    assert entries >= 12 * 12
    call_command("seed_demo", verbosity=0)
    assert JournalEntry.objects.count() == entries
    assert JournalLine.objects.aggregate(total=Sum("amount"))["total"] == 0
    for fund_total in JournalLine.objects.values("fund").annotate(total=Sum("amount")):
        assert fund_total["total"] == 0
    kept = AccountBalance.objects.aggregate(d=Sum("debits"), c=Sum("credits"))
    assert kept["d"] == kept["c"] > 0
    assert Account.objects.get(number="501-4100-4411").account_type == "revenue"
    assert Account.objects.get(number="501-0000-1110").control_subledger == Subledger.UTILITY_AR
    # The postage the General Fund pays for the Water Fund crosses funds.
    assert JournalLine.objects.filter(account__number="101-0000-1310").exists()
    _closes_fy2026_into_fund_balance()


def _closes_fy2026_into_fund_balance():
    from ledger.models import FiscalPeriod
    from ledger.queries.reports import trial_balance

    assert JournalEntry.objects.filter(source_document="FY2026-CLOSE").count() >= 3
    first = FiscalPeriod.objects.get(fiscal_year__year=2027, number=1)
    report = trial_balance(first=first, last=first)
    nominal = [r for r in report.rows if r.account.account_type in ("revenue", "expenditure")]
    assert all(r.beginning == 0 for r in nominal)
    assert report.ending == 0
