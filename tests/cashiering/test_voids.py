"""Voids: the same day, approved by a lead; every item undone through its target and one
entry reversing the cash entry; the number stays, marked void; once."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from cashiering.services.receipts import ItemSpec, TenderSpec, post_receipt
from cashiering.services.voids import void_receipt
from ledger.models import JournalEntry, JournalLine, Subledger
from ledger.reconciliation import reconciliation
from tests.cashiering.conftest import PAY_MOMENT
from tests.receivables.conftest import ar_chart, ar_fees, ar_users  # noqa: F401  (fixtures)
from utility_billing.models import UtilityTransaction

D = Decimal


def _receipt(counter, amount="300.00"):
    a1 = counter["billing"]["accounts"]["A1"]
    return post_receipt(
        counter["session"],
        items=[ItemSpec("utility-account", a1.number, D(amount))],
        tenders=[TenderSpec("cash", D(amount))],
        idempotency_key="void-me",
        actor=counter["users"]["clerk"],
    )


def _balance(account) -> Decimal:
    return account.transactions.aggregate(t=Sum("amount"))["t"]


def test_a_void_undoes_the_payment_and_reverses_the_entry(counter):
    users = counter["users"]
    a1 = counter["billing"]["accounts"]["A1"]
    before = _balance(a1)
    receipt = _receipt(counter)  # 245.05 owed: 54.95 left as a credit
    assert _balance(a1) == before - D("300.00")

    voided = void_receipt(
        receipt, reason="Wrong account", actor=users["clerk"], approver=users["senior"]
    )

    assert voided.is_void and voided.void_approved_by == users["senior"]
    assert voided.display_number == "D1-000001"
    assert _balance(a1) == before
    entry = voided.void_entry
    assert entry.reverses_id == receipt.journal_entry_id and entry.approved_by == users["senior"]
    assert (
        JournalLine.objects.filter(entry__in=[entry, receipt.journal_entry]).aggregate(
            t=Sum("amount")
        )["t"]
        == 0
    )
    assert {r.subledger: r for r in reconciliation(PAY_MOMENT.date())}[
        Subledger.UTILITY_AR
    ].difference == 0
    # Again: nothing more.
    movements = UtilityTransaction.objects.count()
    void_receipt(receipt, reason="Again", actor=users["clerk"], approver=users["senior"])
    assert UtilityTransaction.objects.count() == movements
    assert JournalEntry.objects.filter(reverses=receipt.journal_entry).count() == 1


def test_a_void_needs_a_lead_who_is_not_the_clerk_and_a_reason(counter):
    users = counter["users"]
    receipt = _receipt(counter, "10.00")
    for approver in (users["clerk"], users["tech"], users["auditor"], None):
        with pytest.raises(ValidationError) as refused:
            void_receipt(receipt, reason="x", actor=users["clerk"], approver=approver)
        assert "approver" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        void_receipt(receipt, reason="  ", actor=users["clerk"], approver=users["senior"])
    assert "reason" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        void_receipt(receipt, reason="x", actor=users["tech"], approver=users["senior"])
    receipt.refresh_from_db()
    assert not receipt.is_void


def test_after_the_close_the_counter_does_not_void(counter):
    users = counter["users"]
    receipt = _receipt(counter, "10.00")
    from cashiering.services.closing import CountSpec, close_and_count

    close_and_count(counter["session"], spec=CountSpec(), actor=users["clerk"])
    with pytest.raises(ValidationError):
        void_receipt(receipt, reason="late", actor=users["clerk"], approver=users["supervisor"])


def test_a_voided_receipt_keeps_its_number_but_takes_nothing(counter):
    from cashiering.queries.sessions import sessions_for

    users = counter["users"]
    void_receipt(
        _receipt(counter, "10.00"), reason="x", actor=users["clerk"], approver=users["senior"]
    )
    session = sessions_for(users["clerk"]).get()
    assert (session.receipt_count, session.receipt_total) == (1, D("0.00"))


def test_a_void_reopens_the_invoice_and_the_citation_it_paid(
    ar_fees,  # noqa: F811
    ar_users,  # noqa: F811
    pay_day,
):
    from receivables.models import ArKind, ArTransaction, Citation, Invoice
    from tests.cashiering.conftest import cash_in_drawers, make_session
    from tests.receivables.conftest import make_citation, make_customer, make_invoice

    cash_in_drawers()
    clerk = ar_users["clerk"]
    session = make_session(clerk)
    customer = make_customer("Void, Vera")
    invoice = make_invoice(customer, actor=ar_users["tech"])
    citation = make_citation(actor=ar_users["tech"], customer=customer)
    owed = (invoice.balance, Citation.objects.get(pk=citation.pk).balance)
    receipt = post_receipt(
        session,
        items=[
            ItemSpec("invoice", invoice.number, invoice.balance),
            ItemSpec("customer", customer.number, D("10.00")),
        ],
        tenders=[TenderSpec("cash", invoice.balance + D("10.00"))],
        idempotency_key="ar-void",
        actor=clerk,
    )
    assert Invoice.objects.get(pk=invoice.pk).balance == 0

    void_receipt(receipt, reason="Wrong customer", actor=clerk, approver=ar_users["senior"])

    assert (
        Invoice.objects.get(pk=invoice.pk).balance,
        Citation.objects.get(pk=citation.pk).balance,
    ) == owed
    assert ArTransaction.objects.filter(kind=ArKind.PAYMENT_VOID).count() == 2
    rows = {row.subledger.value: row for row in reconciliation(PAY_MOMENT.date())}
    assert rows["misc_ar"].difference == 0 and rows["fines_ar"].difference == 0


def test_the_session_shows_what_the_drawer_should_hold(counter, client):
    from django.urls import reverse

    from cashiering.queries.sessions import expected_in_drawer

    users = counter["users"]
    a1 = counter["billing"]["accounts"]["A1"]
    session = counter["session"]  # opened with 100.00

    def post(key, tenders):
        return post_receipt(
            session,
            items=[ItemSpec("utility-account", a1.number, D("30.00"))],
            tenders=tenders,
            idempotency_key=key,
            actor=users["clerk"],
        )

    post("e-1", [TenderSpec("cash", D("50.00"))])  # 20.00 change
    post("e-2", [TenderSpec("check", D("30.00"), check_number="1201")])
    voided = post("e-3", [TenderSpec("cash", D("30.00"))])
    void_receipt(voided, reason="x", actor=users["clerk"], approver=users["senior"])

    expected = expected_in_drawer(session)
    assert [(t.kind, t.count, t.net) for t in expected["tenders"]] == [
        ("cash", 1, D("30.00")),
        ("check", 1, D("30.00")),
    ]
    assert expected["cash_expected"] == D("130.00") and expected["taken"] == D("60.00")
    assert [t.check_number for t in expected["checks"]] == ["1201"]
    client.force_login(users["clerk"])
    page = client.get(reverse("cashiering:session_detail", args=[session.pk])).content.decode()
    assert "Cash expected, with the opening float" in page and "$130.00" in page
