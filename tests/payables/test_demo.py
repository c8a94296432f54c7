from decimal import Decimal

from django.db.models import Sum

from ledger.models import JournalLine, Subledger
from payables.models import Invoice, InvoiceAttachment, InvoiceStatus, Vendor
from payables.validators import routing_checksum_ok


def test_demo_payables_seeded_once_and_posted(db):
    from ledger.demo.books import seed_ledger
    from millbrae_finance.demo import seed_users
    from payables.demo.vendors import seed_payables

    log = lambda message: None  # noqa: E731
    seed_users(log)
    seed_ledger(log)
    seed_payables(log)
    seed_payables(log)  # a second seed adds nothing
    assert Vendor.objects.count() == 150
    ach = Vendor.objects.filter(payment_method="ach")
    assert ach.count() > 30
    assert all(routing_checksum_ok(vendor.bank_routing) for vendor in ach)
    assert Vendor.objects.exclude(form_1099_type="").count() > 30
    posted = Invoice.objects.exclude(status=InvoiceStatus.OPEN)
    assert Invoice.objects.filter(status=InvoiceStatus.OPEN).count() > 10
    assert posted.count() > 300
    # AP control holds, to the cent, what the approved invoices owe.
    ap = JournalLine.objects.filter(account__control_subledger=Subledger.AP).aggregate(
        total=Sum("amount")
    )["total"]
    assert -ap == posted.aggregate(total=Sum("total"))["total"] > Decimal("0")
    scan = InvoiceAttachment.objects.first()
    assert bytes(scan.content).startswith(b"%PDF-")
