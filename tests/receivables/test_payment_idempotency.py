"""A payment is applied once per key: the payment-target path (`apply_payment` then
`post_entry` with the same key) run again, or from many threads at once, moves the
subledger once, posts one entry, and misc AR still ties out to the cent."""

import datetime
import importlib
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from ledger.models import Account, JournalEntry
from ledger.reconciliation import reconciliation
from ledger.services import LineSpec, post_entry
from millbrae_finance.payment_targets import CreditLine, payment_target_type
from receivables.models import ArKind, ArTransaction, Citation, Invoice
from tests.receivables.conftest import make_citation, make_customer, make_invoice

DAY = datetime.date(2026, 11, 2)


def _pay(kind: str, reference: str, amount: str, *, key: str, actor) -> list[CreditLine]:
    """What the counter does with one receipt: apply the payment through the registry and
    post the cash with the credit lines, one transaction, one key for both."""
    with transaction.atomic():
        credits = payment_target_type(kind).apply_payment(
            reference,
            amount=Decimal(amount),
            as_of=DAY,
            receipt="R-000042",
            actor=actor,
            payment_key=key,
        )
        post_entry(
            entry_date=DAY,
            lines=[LineSpec(Account.objects.get(number="101-0000-1010"), Decimal(amount))]
            + [LineSpec(line.account, line.amount, line.memo) for line in credits],
            memo=f"Payment on {reference}",
            source_module="cashiering",
            source_document="R-000042",
            idempotency_key=key,
            prepared_by=actor,
        )
    return list(credits)


def _payments(key: str) -> list[ArTransaction]:
    return list(
        ArTransaction.objects.filter(kind=ArKind.PAYMENT, cause__startswith=f"{key}:").order_by(
            "id"
        )
    )


def _tie_out(subledger: str) -> Decimal:
    rows = {row.subledger.value: row for row in reconciliation(DAY)}
    return rows[subledger].difference


def _in_threads(count: int, call) -> list[BaseException]:
    """Run `call` from `count` threads released together, each on its own connection."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run():
        try:
            barrier.wait()
            call()
        except BaseException as error:  # collected and inspected by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


# ---------------------------------------------------------------- one key, many threads


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_with_one_receipt_apply_the_payment_once(request):
    request.getfixturevalue("ar_fees")
    users = request.getfixturevalue("ar_users")
    invoice = make_invoice(make_customer(), actor=users["tech"], amount="200.00")
    clerk = users["clerk"]

    errors = _in_threads(
        20, lambda: _pay("invoice", invoice.number, "10.00", key="receipt-42", actor=clerk)
    )

    assert errors == []
    assert len(_payments("receipt-42")) == 1
    assert ArTransaction.objects.filter(invoice=invoice, kind=ArKind.PAYMENT).count() == 1
    assert JournalEntry.objects.filter(idempotency_key="receipt-42").count() == 1
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("190.00")
    assert _tie_out("misc_ar") == Decimal("0.00")


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_paying_a_customer_balance_with_one_key_pay_it_once(request):
    # A customer payment spreads over documents: each movement is unique by key and
    # document, and a thread that waited finds the first one's movements, not the next
    # open item.
    request.getfixturevalue("ar_fees")
    users = request.getfixturevalue("ar_users")
    customer = make_customer()
    tech = users["tech"]
    old = make_invoice(
        customer, actor=tech, amount="100.00", invoice_date=datetime.date(2026, 9, 1)
    )
    new = make_invoice(
        customer, actor=tech, amount="100.00", invoice_date=datetime.date(2026, 10, 1)
    )
    clerk = users["clerk"]

    errors = _in_threads(
        20, lambda: _pay("customer", customer.number, "150.00", key="receipt-43", actor=clerk)
    )

    assert errors == []
    movements = _payments("receipt-43")
    assert [(m.invoice_id, m.amount) for m in movements] == [
        (old.pk, Decimal("-100.00")),
        (new.pk, Decimal("-50.00")),
    ]
    assert JournalEntry.objects.filter(idempotency_key="receipt-43").count() == 1
    assert Invoice.objects.get(pk=old.pk).balance == Decimal("0.00")
    assert Invoice.objects.get(pk=new.pk).balance == Decimal("50.00")
    assert _tie_out("misc_ar") == Decimal("0.00")


@pytest.mark.django_db(transaction=True)
def test_a_loser_blocked_on_the_unique_reference_returns_the_first_payment(request):
    # Below the targets' row locks: two transactions that both missed the other's
    # payment (neither had committed) insert the same cause; the second waits on the
    # unique index, then rolls back to its savepoint and returns the first one's lines.
    from receivables.services.subledger import apply_payment

    request.getfixturevalue("ar_fees")
    users = request.getfixturevalue("ar_users")
    invoice = make_invoice(make_customer(), actor=users["tech"], amount="200.00")
    clerk = users["clerk"]
    inserted, results, errors = threading.Event(), {}, []

    def first():
        try:
            with transaction.atomic():
                document = Invoice.objects.get(pk=invoice.pk)
                results["first"] = apply_payment(
                    [document], amount=Decimal("10.00"), payment_date=DAY, receipt="R-1",
                    actor=clerk, payment_key="receipt-44",
                )  # fmt: skip
                inserted.set()
                _wait_for_a_lock_waiter()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def second():
        try:
            inserted.wait(30)
            with transaction.atomic():
                # Not locked, and the first has not committed: it sees no payment under
                # this key, inserts, and waits on the first's row in the unique index.
                document = Invoice.objects.get(pk=invoice.pk)
                results["second"] = apply_payment(
                    [document], amount=Decimal("10.00"), payment_date=DAY, receipt="R-1",
                    actor=clerk, payment_key="receipt-44",
                )  # fmt: skip
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert results["second"] == results["first"]
    assert len(_payments("receipt-44")) == 1
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("190.00")


def _wait_for_a_lock_waiter() -> None:
    """Hold this transaction open until another backend waits for it to end (pg_locks
    is read live; pg_stat_activity would be read once per transaction)."""
    with connection.cursor() as cursor:
        for _ in range(3000):
            cursor.execute(
                "SELECT count(*) FROM pg_locks w JOIN pg_locks mine"
                " ON mine.locktype = 'transactionid' AND mine.transactionid = w.transactionid"
                " WHERE mine.pid = pg_backend_pid() AND mine.granted"
                " AND w.locktype = 'transactionid' AND NOT w.granted"
            )
            if cursor.fetchone()[0]:
                return
            cursor.execute("SELECT pg_sleep(0.01)")
    raise AssertionError("Nobody waited on the first payment.")


# ---------------------------------------------------------------- one key, again


@pytest.mark.django_db
def test_a_repeated_payment_returns_its_credit_lines_and_writes_nothing(ar_fees, ar_users):
    customer = make_customer()
    invoice = make_invoice(customer, actor=ar_users["tech"], amount="200.00")
    citation = make_citation(actor=ar_users["tech"], customer=customer)
    clerk = ar_users["clerk"]
    for kind, reference, key in (
        ("invoice", invoice.number, "receipt-50"),
        ("citation", citation.number, "receipt-51"),
        ("customer", customer.number, "receipt-52"),
    ):
        first = _pay(kind, reference, "10.00", key=key, actor=clerk)
        movements = ArTransaction.objects.count()
        balances = (
            Invoice.objects.get(pk=invoice.pk).balance,
            Citation.objects.get(pk=citation.pk).balance,
        )
        again = _pay(kind, reference, "10.00", key=key, actor=clerk)
        assert again == first, kind
        assert ArTransaction.objects.count() == movements, kind
        assert (
            Invoice.objects.get(pk=invoice.pk).balance,
            Citation.objects.get(pk=citation.pk).balance,
        ) == balances, kind
        assert JournalEntry.objects.filter(idempotency_key=key).count() == 1
    # The customer's 10.00 went to the citation, the older of the two (issued Oct 5; the
    # invoice falls due Nov 4).
    assert Invoice.objects.get(pk=invoice.pk).balance == Decimal("190.00")
    assert Citation.objects.get(pk=citation.pk).balance == citation.balance - Decimal("20.00")
    assert _tie_out("misc_ar") == Decimal("0.00")
    assert _tie_out("fines_ar") == Decimal("0.00")


@pytest.mark.django_db
def test_a_repeat_after_the_document_is_paid_off_is_still_a_no_op(ar_fees, ar_users):
    customer = make_customer()
    invoice = make_invoice(customer, actor=ar_users["tech"], amount="25.00")
    clerk = ar_users["clerk"]
    first = _pay("customer", customer.number, "25.00", key="receipt-53", actor=clerk)
    # Nothing is open any more: the repeat answers with the first payment, not "owes
    # nothing" or "more than owed".
    assert _pay("customer", customer.number, "25.00", key="receipt-53", actor=clerk) == first
    assert _pay("invoice", invoice.number, "25.00", key="receipt-53", actor=clerk) == first
    assert len(_payments("receipt-53")) == 1


@pytest.mark.django_db
def test_a_key_used_again_for_another_payment_is_refused(ar_fees, ar_users):
    customer = make_customer()
    invoice = make_invoice(customer, actor=ar_users["tech"], amount="200.00")
    other = make_invoice(make_customer("Lee, Ann"), actor=ar_users["tech"], amount="50.00")
    clerk = ar_users["clerk"]
    _pay("invoice", invoice.number, "10.00", key="receipt-54", actor=clerk)
    for kind, reference, amount in (
        ("invoice", invoice.number, "12.00"),  # another amount
        ("invoice", other.number, "10.00"),  # another invoice
    ):
        with pytest.raises(ValidationError, match="receipt-54 was already applied"):
            _pay(kind, reference, amount, key="receipt-54", actor=clerk)
    assert Invoice.objects.get(pk=other.pk).balance == Decimal("50.00")
    assert len(_payments("receipt-54")) == 1


@pytest.mark.django_db
def test_a_payment_needs_a_key(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="20.00")
    with pytest.raises(ValueError, match="key"):
        _pay("invoice", invoice.number, "10.00", key="", actor=ar_users["clerk"])


# ---------------------------------------------------------------- the database


@pytest.mark.django_db
def test_every_movement_names_what_caused_it_once(ar_fees, ar_users):
    from receivables.services.credit_memos import approve_credit_memo, prepare_credit_memo

    customer = make_customer()
    invoice = make_invoice(customer, actor=ar_users["tech"], amount="200.00")
    citation = make_citation(actor=ar_users["tech"], customer=customer)
    memo = prepare_credit_memo(
        invoice,
        amount=Decimal("5.00"),
        reason="Overbilled",
        credit_date=DAY,
        actor=ar_users["tech"],
    )
    approve_credit_memo(memo, actor=ar_users["supervisor"])
    _pay("customer", customer.number, "100.00", key="receipt-55", actor=ar_users["clerk"])
    causes = dict(ArTransaction.objects.values_list("id", "cause"))
    assert all(causes.values())
    assert len(set(causes.values())) == len(causes)
    assert set(causes.values()) >= {
        f"receivables-invoice-{invoice.pk}",
        f"receivables-citation-{citation.number}",
        f"receivables-credit-memo-{memo.pk}",
        f"receipt-55:invoice-{invoice.pk}",
        f"receipt-55:citation-{citation.pk}",
    }


@pytest.mark.django_db
def test_the_database_refuses_a_second_movement_with_one_cause(ar_fees, ar_users):
    invoice = make_invoice(make_customer(), actor=ar_users["tech"], amount="200.00")
    _pay("invoice", invoice.number, "10.00", key="receipt-56", actor=ar_users["clerk"])
    (payment,) = _payments("receipt-56")
    columns = (
        "subledger, kind, invoice_id, citation_id, customer_id, transaction_date, amount,"
        " memo, reference, journal_entry_id, created_by_id"
    )
    copy = (
        f"INSERT INTO receivables_artransaction ({columns}, cause, created_at)"
        f" SELECT {columns}, %s, now() FROM receivables_artransaction WHERE id = %s"
    )
    # The statement is sound: the same payment under another cause goes in.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(copy, ["receipt-57:invoice-1", payment.pk])
        transaction.set_rollback(True)
    for cause in (payment.cause, None, ""):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(copy, [cause, payment.pk])


@pytest.mark.django_db(transaction=True)
def test_the_migration_names_the_cause_of_every_movement_written_before_it(request):
    # The migration's backfill (receivables 0009), run on movements as they were before
    # it: every cause blank and the column neither unique nor required. Migrating the
    # schema back to 0008 and forward again proved the same and cost a minute and more
    # (every later migration of every app that depends on receivables, twice).
    from receivables.services.penalties import run_penalty_batch
    from tests.receivables.penalty_helpers import make_rules

    backfill = importlib.import_module("receivables.migrations.0009_ar_transaction_causes").BACKFILL
    request.getfixturevalue("ar_fees")
    users = request.getfixturevalue("ar_users")
    make_rules()
    customer = make_customer()
    invoice = make_invoice(
        customer, actor=users["tech"], amount="80.00", invoice_date=datetime.date(2026, 8, 1)
    )
    citation = make_citation(actor=users["tech"], customer=customer)
    _pay("customer", customer.number, "100.00", key="receipt-60", actor=users["clerk"])
    batch = run_penalty_batch(
        datetime.date(2026, 11, 16), idempotency_key="batch-60", actor=users["senior"]
    )
    written = dict(ArTransaction.objects.values_list("id", "cause"))
    kinds = dict(ArTransaction.objects.values_list("id", "kind"))
    assert batch.charges.exists() and len(written) >= 5

    with _as_owner(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE receivables_artransaction"
            " DROP CONSTRAINT receivables_artx_cause_given;"
            " DROP INDEX receivables_artx_cause_unique;"
            " ALTER TABLE receivables_artransaction DISABLE TRIGGER USER;"
            " UPDATE receivables_artransaction SET cause = '';"
            " ALTER TABLE receivables_artransaction ENABLE TRIGGER USER;"
        )
        cursor.execute(backfill)
        cursor.execute("SELECT id, cause FROM receivables_artransaction")
        named = dict(cursor.fetchall())
        # Back as it was: the constraints and the causes the code wrote.
        transaction.set_rollback(True)
    assert dict(ArTransaction.objects.values_list("id", "cause")) == written

    assert named.keys() == written.keys()
    for pk, cause in written.items():
        if kinds[pk] == ArKind.PAYMENT:
            # The payment's key was not kept before: the movement's own id stands in.
            document = cause.rsplit(":", 1)[1]
            assert named[pk] == f"payment-movement-{pk}:{document}"
        else:
            # A charge's entry key, a batch's charge: the same names the code writes now.
            assert named[pk] == cause
    assert {named[pk] for pk in written if kinds[pk] == ArKind.CHARGE} == {
        f"receivables-invoice-{invoice.pk}",
        f"receivables-citation-{citation.number}",
    }


def _as_owner():
    """Migrations run as the database owner (millbrae_finance.db_roles), where the app
    connects as a role that owns nothing."""
    try:
        from millbrae_finance.db_roles import as_owner
    except ImportError:  # one role for both: the app's connection migrates
        import contextlib

        return contextlib.nullcontext()
    return as_owner()
