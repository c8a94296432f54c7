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
    # Water and sewer revenue comes from the utility bill runs alone, the cash for it
    # from the utility payments: the ledger's own demo posts neither.
    for account in ("501-4100-4411", "502-4200-4421"):
        sources = set(
            JournalLine.objects.filter(account__number=account).values_list(
                "entry__source_module", flat=True
            )
        )
        assert sources == {"utility_billing", "ledger"}  # the bill runs, the year-end close
    assert not JournalEntry.objects.filter(memo__startswith="Water sales received").exists()
    for year in (2025, 2026):
        _closes_the_year_into_fund_balance(year)


def _closes_the_year_into_fund_balance(year: int):
    from ledger.models import FiscalPeriod, PeriodStatus
    from ledger.queries.reports import trial_balance

    assert JournalEntry.objects.filter(source_document=f"FY{year}-CLOSE").count() >= 3
    assert not FiscalPeriod.objects.filter(
        fiscal_year__year=year, status=PeriodStatus.OPEN
    ).exists()
    first = FiscalPeriod.objects.get(fiscal_year__year=year + 1, number=1)
    report = trial_balance(first=first, last=first)
    nominal = [r for r in report.rows if r.account.account_type in ("revenue", "expenditure")]
    assert all(r.beginning == 0 for r in nominal)
    assert report.ending == 0
