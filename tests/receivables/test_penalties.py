"""The penalty batch: what it charges, its one journal entry, and that nothing is charged
twice."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from ledger.models import FiscalPeriod, JournalLine
from ledger.reconciliation import reconciliation
from ledger.services import close_period
from receivables.models import ArKind, ArTransaction, Citation, Invoice, PenaltyBatch
from receivables.queries.penalties import preview_penalty_batch
from receivables.services.penalties import run_penalty_batch
from tests.receivables.conftest import make_citation, make_customer, make_invoice, pay
from tests.receivables.penalty_helpers import make_rules

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 16)


def entry_lines(entry) -> dict[str, Decimal]:
    return {
        line.account.number: line.amount
        for line in JournalLine.objects.filter(entry=entry).select_related("account")
    }


def charged(batch: PenaltyBatch) -> set[tuple]:
    return {
        (
            t.rule.code,
            t.invoice.number if t.invoice_id else t.citation.number,
            t.occurrence,
            t.amount,
        )
        for t in ArTransaction.objects.filter(penalty_batch=batch).select_related(
            "rule", "invoice", "citation"
        )
    }


@pytest.fixture
def book(ar_fees, ar_users):
    """The demo rules; a parking citation 76 days old, an administrative citation 46
    days old, an invoice 77 days past due, and a parking citation only 10 days old."""
    rules = make_rules()
    tech = ar_users["tech"]
    customer = make_customer()
    return {
        "rules": rules,
        "parking": make_citation(
            actor=tech, number="P100", issue_date=datetime.date(2026, 9, 1), plate="7ABC123"
        ),
        "admin": make_citation(
            actor=tech,
            number="A200",
            kind="administrative",
            code="ADMIN-CITATION",
            customer=customer,
            issue_date=datetime.date(2026, 10, 1),
        ),
        "young": make_citation(actor=tech, number="P300", issue_date=datetime.date(2026, 11, 6)),
        "invoice": make_invoice(
            customer, actor=tech, amount="148.00", invoice_date=datetime.date(2026, 8, 1)
        ),
    }


def test_preview_shows_what_the_run_charges_and_why(book, ar_users):
    preview = preview_penalty_batch(DAY)
    rows = list(preview.rows)
    invoice = book["invoice"].number
    expected = {
        ("PKG-LATE-1", "P100", 1, Decimal("25.00")),
        ("PKG-LATE-2", "P100", 1, Decimal("35.00")),
        ("ADM-LATE", "A200", 1, Decimal("10.00")),
        ("INV-LATE", invoice, 1, Decimal("14.80")),
        ("INV-INTEREST", invoice, 1, Decimal("1.48")),
    }
    assert {(r.rule_code, r.document_number, r.occurrence, r.amount) for r in rows} == expected
    assert len(preview.rows) == 5
    assert preview.items == 5
    assert preview.total == Decimal("86.28")
    by_rule = {total.code: (total.items, total.amount) for total in preview.totals}
    assert by_rule["PKG-LATE-1"] == (1, Decimal("25.00"))
    late = next(r for r in rows if r.rule_code == "PKG-LATE-1")
    assert late.why == "21 days after issue 2026-09-01"
    assert late.who == "7ABC123 CA"
    assert late.days_past == 76
    interest = next(r for r in rows if r.rule_code == "INV-INTEREST")
    assert interest.why == "Occurrence 1: 60 days after due date 2026-08-31"
    assert interest.how == "1% of the $148.00 balance"
    assert preview.rows[1:3] == rows[1:3]
    # A preview writes nothing.
    assert not ArTransaction.objects.filter(kind=ArKind.PENALTY).exists()
    assert not PenaltyBatch.objects.exists()

    batch = run_penalty_batch(DAY, idempotency_key="k1", actor=ar_users["senior"])
    assert charged(batch) == expected
    assert batch.items_charged == 5
    assert batch.total == Decimal("86.28")


def test_run_posts_one_entry_with_both_control_accounts_and_the_balances(book, ar_users):
    batch = run_penalty_batch(DAY, idempotency_key="k1", actor=ar_users["senior"])
    entry = batch.journal_entry
    assert entry.entry_date == DAY
    assert entry.source_module == "receivables"
    assert entry_lines(entry) == {
        "101-0000-1120": Decimal("16.28"),  # misc AR: 14.80 + 1.48
        "101-0000-1130": Decimal("70.00"),  # fines AR: 25 + 35 + 10
        "101-1100-4910": Decimal("-16.28"),
        "101-2100-4610": Decimal("-60.00"),
        "101-2100-4620": Decimal("-10.00"),
    }
    for key, balance in [
        ("parking", "105.00"),
        ("admin", "110.00"),
        ("young", "45.00"),
        ("invoice", "164.28"),
    ]:
        book[key].refresh_from_db()
        assert book[key].balance == Decimal(balance), key
    rows = ArTransaction.objects.filter(penalty_batch=batch)
    assert {row.journal_entry_id for row in rows} == {entry.pk}
    assert {row.reference for row in rows} == {f"PB-{batch.pk:06d}"}
    assert {row.subledger for row in rows.filter(citation__isnull=False)} == {"fines_ar"}
    assert {row.subledger for row in rows.filter(invoice__isnull=False)} == {"misc_ar"}
    parking = rows.get(citation=book["parking"], rule__code="PKG-LATE-1")
    assert parking.kind == ArKind.PENALTY
    assert parking.transaction_date == DAY
    assert parking.created_by == ar_users["senior"]
    assert parking.memo == "Parking late penalty"
    admin = rows.get(citation=book["admin"])
    assert admin.customer_id == book["admin"].customer_id
    # Audited: the batch and its charges have their history rows.
    assert batch.events.count() >= 1
    rows_by_recon = {row.subledger.value: row for row in reconciliation(DAY)}
    assert rows_by_recon["misc_ar"].reconciles
    assert rows_by_recon["fines_ar"].reconciles
    assert rows_by_recon["fines_ar"].subledger_total == Decimal("260.00")


def test_rerunning_the_date_charges_nothing_twice(book, ar_users):
    first = run_penalty_batch(DAY, idempotency_key="k1", actor=ar_users["senior"])
    again = run_penalty_batch(DAY, idempotency_key="k2", actor=ar_users["senior"])
    # Nothing new: the day's batch is the answer, and no empty batch is recorded.
    assert again.pk == first.pk
    assert PenaltyBatch.objects.count() == 1
    assert ArTransaction.objects.filter(kind=ArKind.PENALTY).count() == 5
    assert preview_penalty_batch(DAY).items == 0


def test_a_double_click_returns_the_first_batch(book, ar_users):
    first = run_penalty_batch(DAY, idempotency_key="same", actor=ar_users["senior"])
    second = run_penalty_batch(DAY, idempotency_key="same", actor=ar_users["supervisor"])
    assert second.pk == first.pk
    assert PenaltyBatch.objects.count() == 1
    assert ArTransaction.objects.filter(kind=ArKind.PENALTY).count() == 5


def test_a_held_citation_and_a_paid_item_are_not_charged(book, ar_users):
    Citation.objects.filter(pk=book["parking"].pk).update(hearing_status="requested")
    pay(book["invoice"].number, "invoice", "148.00", actor=ar_users["clerk"])
    batch = run_penalty_batch(DAY, idempotency_key="k1", actor=ar_users["senior"])
    assert charged(batch) == {("ADM-LATE", "A200", 1, Decimal("10.00"))}
    # The hearing decided (upheld), the citation escalates at the next batch.
    Citation.objects.filter(pk=book["parking"].pk).update(hearing_status="upheld")
    later = run_penalty_batch(DAY, idempotency_key="k2", actor=ar_users["senior"])
    assert {code for code, *_ in charged(later)} == {"PKG-LATE-1", "PKG-LATE-2"}


def test_escalation_on_schedule(book, ar_users):
    """A parking citation escalates at 21 days and again at 45, not before."""
    senior = ar_users["senior"]
    assert (
        run_penalty_batch(datetime.date(2026, 9, 21), idempotency_key="a", actor=senior).total == 0
    )
    day21 = run_penalty_batch(datetime.date(2026, 9, 22), idempotency_key="b", actor=senior)
    assert charged(day21) == {("PKG-LATE-1", "P100", 1, Decimal("25.00"))}
    day45 = run_penalty_batch(datetime.date(2026, 10, 16), idempotency_key="c", actor=senior)
    assert ("PKG-LATE-2", "P100", 1, Decimal("35.00")) in charged(day45)


def test_repeat_occurrences_catch_up_to_the_maximum(ar_fees, ar_users):
    rules = make_rules(("INV-INTEREST",))
    invoice = make_invoice(
        make_customer(), actor=ar_users["tech"], amount="1000.00",
        invoice_date=datetime.date(2025, 8, 1),
    )  # fmt: skip
    # Due 2025-08-31; 2026-01-28 is 150 days past due: occurrences at 60, 90, 120, 150.
    first = run_penalty_batch(
        datetime.date(2026, 1, 28), idempotency_key="a", actor=ar_users["senior"]
    )
    assert sorted(o for _, _, o, _ in charged(first)) == [1, 2, 3, 4]
    assert {amount for *_, amount in charged(first)} == {Decimal("10.00")}
    # Much later: the rest, up to 12 in all, each 1% of the balance at that batch.
    later = run_penalty_batch(DAY, idempotency_key="b", actor=ar_users["senior"])
    assert sorted(o for _, _, o, _ in charged(later)) == list(range(5, 13))
    assert {amount for *_, amount in charged(later)} == {Decimal("10.40")}
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("1000.00") + 4 * Decimal("10.00") + 8 * Decimal("10.40")
    assert ArTransaction.objects.filter(rule=rules["INV-INTEREST"]).count() == 12


def test_rounding_is_half_up_and_zero_amounts_are_skipped(ar_fees, ar_users):
    make_rules(("INV-INTEREST",))
    customer = make_customer()
    tech = ar_users["tech"]
    day = datetime.date(2026, 10, 30)  # 60 days after a due date of 2026-08-31
    half = make_invoice(customer, actor=tech, amount="0.50", invoice_date=datetime.date(2026, 8, 1))
    tiny = make_invoice(customer, actor=tech, amount="0.49", invoice_date=datetime.date(2026, 8, 1))
    batch = run_penalty_batch(day, idempotency_key="a", actor=ar_users["senior"])
    assert charged(batch) == {("INV-INTEREST", half.number, 1, Decimal("0.01"))}
    assert not ArTransaction.objects.filter(invoice=tiny, kind=ArKind.PENALTY).exists()


def test_inactive_and_out_of_date_rules_charge_nothing(book, ar_users):
    rules = book["rules"]
    rules["PKG-LATE-1"].is_active = False
    rules["PKG-LATE-1"].save()
    rules["PKG-LATE-2"].effective_to = datetime.date(2026, 10, 31)
    rules["PKG-LATE-2"].save()
    batch = run_penalty_batch(DAY, idempotency_key="a", actor=ar_users["senior"])
    assert not {code for code, *_ in charged(batch)} & {"PKG-LATE-1", "PKG-LATE-2"}


def test_a_closed_period_is_refused(book, ar_users):
    period = FiscalPeriod.objects.get(start_date__lte=DAY, end_date__gte=DAY, number__lt=13)
    close_period(period, actor=ar_users["supervisor"], reason="Month end")
    with pytest.raises(ValidationError) as error:
        run_penalty_batch(DAY, idempotency_key="a", actor=ar_users["senior"])
    assert "closed to posting" in error.value.message_dict["batch_date"][0]
    assert not PenaltyBatch.objects.exists()
    with pytest.raises(ValidationError) as error:
        run_penalty_batch(datetime.date(2040, 1, 1), idempotency_key="b", actor=ar_users["senior"])
    assert "No fiscal period" in error.value.message_dict["batch_date"][0]


def test_the_database_refuses_a_second_charge_of_an_occurrence(book, ar_users):
    batch = run_penalty_batch(DAY, idempotency_key="a", actor=ar_users["senior"])
    row = ArTransaction.objects.filter(penalty_batch=batch).first()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO receivables_artransaction (subledger, kind, invoice_id, citation_id,"
            " customer_id, transaction_date, amount, memo, reference, cause, rule_id,"
            " occurrence, journal_entry_id, created_by_id, created_at)"
            " SELECT subledger, kind, invoice_id, citation_id, customer_id, transaction_date,"
            " amount, memo, reference, cause || ':again', rule_id, occurrence,"
            " journal_entry_id, created_by_id, now() FROM receivables_artransaction"
            " WHERE id = %s",
            [row.pk],
        )


def test_fine_and_invoice_status_are_respected(book, ar_users):
    """A void draft invoice and a dismissed citation are not open: nothing charged."""
    Citation.objects.filter(pk=book["admin"].pk).update(status="dismissed")
    Invoice.objects.filter(pk=book["invoice"].pk).update(status="void")
    batch = run_penalty_batch(DAY, idempotency_key="a", actor=ar_users["senior"])
    assert {doc for _, doc, _, _ in charged(batch)} == {"P100"}


def test_a_percentage_of_the_original_follows_a_reduction(ar_fees, ar_users):
    from receivables.services.citations import reduce_citation
    from tests.receivables.conftest import make_citation
    from tests.receivables.penalty_helpers import make_rules

    make_rules(("ADM-LATE",))
    citation = make_citation(
        actor=ar_users["tech"], code="ADMIN-CITATION", kind="administrative",
        issue_date=datetime.date(2026, 10, 1),
    )  # fmt: skip
    reduce_citation(
        citation, new_amount=Decimal("50.00"), reason="Hearing", actor=ar_users["supervisor"]
    )
    run_penalty_batch(datetime.date(2026, 11, 5), idempotency_key="r", actor=ar_users["senior"])
    penalty = ArTransaction.objects.get(citation=citation, kind=ArKind.PENALTY)
    assert penalty.amount == Decimal("5.00")  # 10% of the $50 it was reduced to, not $100
