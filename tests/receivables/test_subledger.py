"""The misc AR and fines AR subledgers: issuing, paying, and reconciling to the GL."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, ProgrammingError, connection, transaction

from ledger.models import JournalLine
from ledger.reconciliation import reconciliation
from millbrae_finance.payment_targets import find_payment_targets, payment_target_type
from receivables.models import ArKind, ArTransaction, Citation, Invoice
from tests.receivables.conftest import make_citation, make_customer, make_invoice, pay

pytestmark = pytest.mark.django_db


def test_issuing_an_invoice_posts_ar_against_revenue_once(ar_fees, ar_users, ar_chart):
    customer = make_customer()
    invoice = make_invoice(customer, actor=ar_users["tech"], amount="148.00")
    lines = {
        line.account.number: line.amount
        for line in JournalLine.objects.filter(entry=invoice.journal_entry).select_related(
            "account"
        )
    }
    assert lines == {"101-0000-1120": Decimal("148.00"), "101-1100-4920": Decimal("-148.00")}
    assert invoice.balance == Decimal("148.00")
    from receivables.services.invoices import issue_invoice

    again = issue_invoice(invoice, actor=ar_users["tech"])
    assert again.journal_entry_id == invoice.journal_entry_id
    assert ArTransaction.objects.filter(invoice=invoice).count() == 1


def test_citation_fine_comes_from_the_fee_schedule(ar_fees, ar_users):
    citation = make_citation(actor=ar_users["tech"], code="PKG-RED-ZONE")
    assert citation.fine_amount == Decimal("60.00")
    assert citation.balance == Decimal("60.00")
    with pytest.raises(ValidationError) as error:
        make_citation(actor=ar_users["tech"], code="NO-SUCH-CODE")
    assert "violation_code" in error.value.message_dict


def test_customer_payment_applies_oldest_first_and_reconciles(ar_fees, ar_users):
    customer = make_customer()
    tech = ar_users["tech"]
    old = make_invoice(
        customer, actor=tech, amount="100.00", invoice_date=datetime.date(2026, 8, 1)
    )
    new = make_invoice(
        customer, actor=tech, amount="50.00", invoice_date=datetime.date(2026, 10, 1)
    )
    citation = make_citation(actor=tech, customer=customer, issue_date=datetime.date(2026, 9, 1))
    matches = find_payment_targets(customer.number)
    assert any(m.kind == "customer" and m.amount_due == Decimal("195.00") for m in matches)
    pay(customer.number, "customer", "120.00", actor=ar_users["clerk"])
    old.refresh_from_db()
    new.refresh_from_db()
    citation.refresh_from_db()
    # Oldest by due date: the August invoice (due Aug 31), then the citation (Sep 1).
    assert old.balance == Decimal("0.00")
    assert citation.balance == Decimal("25.00")
    assert new.balance == Decimal("50.00")
    day = datetime.date(2026, 11, 30)
    rows = {row.subledger.value: row for row in reconciliation(day)}
    assert rows["misc_ar"].subledger_total == Decimal("50.00")
    assert rows["misc_ar"].reconciles
    assert rows["fines_ar"].subledger_total == Decimal("25.00")
    assert rows["fines_ar"].reconciles
    assert payment_target_type("customer").amount_due(customer.number, as_of=day) == Decimal(
        "75.00"
    )


def test_overpayment_is_refused_and_leaves_nothing(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="10.00")
    with pytest.raises(ValidationError):
        pay(invoice.number, "invoice", "10.01", actor=ar_users["clerk"])
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("10.00")
    assert not ArTransaction.objects.filter(kind=ArKind.PAYMENT).exists()


def test_ar_movements_are_append_only(ar_fees, ar_users):
    make_invoice(make_customer(), actor=ar_users["tech"])
    movement = ArTransaction.objects.get()
    # The trigger refuses the update; the app's database role may not delete at all.
    for sql, refusal in (
        ("UPDATE receivables_artransaction SET amount = 1 WHERE id = %s", IntegrityError),
        ("DELETE FROM receivables_artransaction WHERE id = %s", ProgrammingError),
    ):
        with pytest.raises(refusal), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [movement.pk])
    assert ArTransaction.objects.get().amount == movement.amount


def test_balances_cannot_go_negative_in_the_database(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"])
    citation = make_citation(actor=ar_users["tech"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(balance=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Citation.objects.filter(pk=citation.pk).update(balance=-1)


def test_the_database_refuses_a_wrong_sign_or_an_unposted_movement(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"])
    base = {
        "subledger": "misc_ar",
        "invoice_id": invoice.pk,
        "transaction_date": datetime.date(2026, 11, 2),
        "created_by_id": ar_users["tech"].pk,
        "reference": "R-1",
        "cause": "R-1:invoice-1",
        "memo": "",
    }

    def insert(sql: str, values: list) -> None:
        columns = ", ".join(base) + ", " + sql
        params = [*base.values(), *values]
        placeholders = ", ".join(["%s"] * len(params))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO receivables_artransaction ({columns}, created_at)"
                f" VALUES ({placeholders}, now())",
                params,
            )

    # The statement itself is sound: a payment naming its receipt goes in.
    with transaction.atomic():
        insert("kind, amount, journal_entry_id", ["payment", Decimal("-5.00"), None])
        transaction.set_rollback(True)
    for sql, values in (
        # A payment that raises what is owed.
        ("kind, amount, journal_entry_id", ["payment", Decimal("5.00"), None]),
        # A write-off that posts no entry.
        ("kind, amount, journal_entry_id", ["write_off", Decimal("-5.00"), None]),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            insert(sql, values)
