import datetime
from decimal import Decimal

from django.core.management import call_command
from django.db.models import Sum

from ledger.models import PeriodStatus
from ledger.reconciliation import reconciliation
from receivables.models import ArKind, ArTransaction, Citation, Invoice


def test_demo_year_of_billing_reconciles_to_the_ledger_at_every_month_end(demo_db):
    # The demo database is seeded once for the run (tests/conftest.py).
    invoices, citations = Invoice.objects.count(), Citation.objects.count()
    assert invoices >= 150 and citations >= 400
    kinds = set(ArTransaction.objects.values_list("kind", flat=True))
    assert {ArKind.CHARGE, ArKind.PAYMENT} <= kinds
    # Some paid, some open, some drafts waiting to be issued.
    assert Invoice.objects.open().exists() and Invoice.objects.filter(balance=0).exists()
    assert Invoice.objects.filter(status="draft").exists()
    assert Citation.objects.open().filter(customer__isnull=True).exists()
    # The follow-up: notices, referrals, write-offs and credit memos, some waiting.
    from receivables.models import CollectionReferral, CreditMemo, DunningNotice, WriteOff

    assert DunningNotice.objects.filter(level=2).exists()
    assert CollectionReferral.objects.count() == 5
    assert set(WriteOff.objects.values_list("status", flat=True)) == {"approved", "pending"}
    assert set(CreditMemo.objects.values_list("status", flat=True)) == {"approved", "pending"}
    assert ArTransaction.objects.filter(kind=ArKind.PENALTY).exists()
    # Balances kept on the documents equal their movements.
    for model, field in ((Invoice, "invoice"), (Citation, "citation")):
        kept = model.objects.aggregate(total=Sum("balance"))["total"]
        moved = ArTransaction.objects.filter(**{f"{field}__isnull": False}).aggregate(
            total=Sum("amount")
        )["total"]
        assert kept == moved
    for month_end in (
        datetime.date(2025, 12, 31),
        datetime.date(2026, 3, 31),
        datetime.date(2026, 6, 30),
        datetime.date(2026, 9, 30),
        datetime.date(2026, 11, 27),
    ):
        rows = {row.subledger.value: row for row in reconciliation(month_end)}
        for key in ("misc_ar", "fines_ar", "utility_ar"):
            assert rows[key].reconciles, (key, month_end, rows[key].difference)
        assert rows["misc_ar"].subledger_total > Decimal("0")
    # The history was posted before the demo closed its past periods.
    from ledger.models import FiscalPeriod

    assert FiscalPeriod.objects.get(fiscal_year__year=2027, number=1).status == PeriodStatus.CLOSED
    call_command("seed_demo", verbosity=0)
    assert (Invoice.objects.count(), Citation.objects.count()) == (invoices, citations)
