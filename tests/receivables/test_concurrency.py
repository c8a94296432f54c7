"""Two clerks on the same customer at the same moment leave a correct balance: the
payment targets lock the open items (table, then id order) before applying."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from receivables.models import ArKind, ArTransaction, Invoice
from tests.receivables.conftest import (
    make_ar_chart,
    make_citation,
    make_customer,
    make_invoice,
    pay,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _fixtures(request):
    # Transactional tests cannot use the function-scoped fixtures' savepoints: build
    # what they need here, in committed transactions.
    request.getfixturevalue("ar_fees")
    return request.getfixturevalue("ar_users")


def _in_threads(*calls):
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            call()
        except BaseException as error:  # collected and inspected by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_two_clerks_paying_one_customer_at_once_leave_a_correct_balance(request):
    users = _fixtures(request)
    make_ar_chart()
    customer = make_customer()
    tech = users["tech"]
    first = make_invoice(
        customer, actor=tech, amount="100.00", invoice_date=datetime.date(2026, 9, 1)
    )
    second = make_invoice(
        customer, actor=tech, amount="100.00", invoice_date=datetime.date(2026, 10, 1)
    )
    citation = make_citation(actor=tech, customer=customer, issue_date=datetime.date(2026, 10, 2))
    clerk = users["clerk"]

    errors = _in_threads(
        lambda: pay(customer.number, "customer", "70.00", actor=clerk),
        lambda: pay(customer.number, "customer", "80.00", actor=clerk),
    )
    assert errors == []
    first.refresh_from_db()
    second.refresh_from_db()
    citation.refresh_from_db()
    assert first.balance + second.balance + citation.balance == Decimal("95.00")
    # Oldest first by due date, whichever clerk came first: the September invoice (due
    # Oct 1), the citation (Oct 2), then the October invoice (due Oct 31).
    assert first.balance == Decimal("0.00")
    assert citation.balance == Decimal("0.00")
    assert second.balance == Decimal("95.00")
    for document in (first, second):
        total = sum(t.amount for t in ArTransaction.objects.filter(invoice=document))
        assert total == document.balance


def test_two_clerks_paying_the_last_of_an_invoice_pay_it_once(request):
    users = _fixtures(request)
    invoice = make_invoice(make_customer(), actor=users["tech"], amount="60.00")
    clerk = users["clerk"]
    errors = _in_threads(
        lambda: pay(invoice.number, "invoice", "60.00", actor=clerk),
        lambda: pay(
            invoice.number, "invoice", "60.00", actor=clerk, day=datetime.date(2026, 11, 3)
        ),
    )
    # The second waits for the first's lock, then finds nothing owed and is refused.
    assert len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("0.00")
    assert ArTransaction.objects.filter(invoice=invoice, kind=ArKind.PAYMENT).count() == 1


def test_a_payment_in_flight_when_the_penalty_batch_runs_is_not_penalised(request):
    import time

    from django.db import transaction

    from receivables.services.penalties import run_penalty_batch
    from tests.receivables.penalty_helpers import make_rules

    users = _fixtures(request)
    make_rules()
    invoice = make_invoice(
        make_customer(), actor=users["tech"], amount="80.00", invoice_date=datetime.date(2026, 8, 1)
    )
    paid = threading.Event()

    def pay_slowly():
        with transaction.atomic():
            pay(invoice.number, "invoice", "80.00", actor=users["clerk"])
            paid.set()
            time.sleep(1.0)  # the batch starts now, and must wait for this to commit

    def run_batch():
        paid.wait(10)
        run_penalty_batch(
            datetime.date(2026, 11, 16), idempotency_key="race", actor=users["senior"]
        )

    assert _in_threads(pay_slowly, run_batch) == []
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("0.00")
    assert not ArTransaction.objects.filter(invoice=invoice, kind=ArKind.PENALTY).exists()
