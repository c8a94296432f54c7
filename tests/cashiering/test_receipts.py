"""Posting a receipt: items applied through their targets, one entry, gap-free numbers
per drawer, tenders that must cover the total, and one receipt per key however many
times or however many threads post it."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from cashiering.models import Receipt, ReceiptItem, ReceiptTender
from cashiering.services.receipts import (
    CASH_IN_DRAWERS,
    ItemSpec,
    TenderSpec,
    check_tenders,
    post_receipt,
)
from ledger.models import Account, JournalEntry, JournalLine, Subledger
from ledger.reconciliation import reconciliation
from tests.cashiering.conftest import PAY_MOMENT, cash_in_drawers, make_drawer, make_session
from tests.utility_billing.payment_helpers import billed
from utility_billing.models import UtilityTransaction

D = Decimal
UA = "utility-account"


def _balance(account) -> Decimal:
    return account.transactions.aggregate(t=Sum("amount"))["t"]


def _item(account, amount: str) -> ItemSpec:
    return ItemSpec(UA, account.number, D(amount), customer=account.customer.name)


def _post(session, items, tenders, key="k-1", actor=None):
    return post_receipt(
        session, items=items, tenders=tenders, idempotency_key=key, actor=actor or session.clerk
    )


def _entry_lines(receipt) -> list[tuple[str, Decimal]]:
    return sorted(
        (line.account.number, line.amount)
        for line in JournalLine.objects.filter(entry=receipt.journal_entry).select_related(
            "account"
        )
    )


def test_a_receipt_pays_the_account_and_posts_one_entry(counter):
    a1 = counter["billing"]["accounts"]["A1"]
    session = counter["session"]
    before = _balance(a1)

    receipt = _post(
        session,
        [_item(a1, "144.80")],
        [TenderSpec("cash", D("50.00")), TenderSpec("check", D("100.00"), check_number="1042")],
    )

    assert receipt.display_number == "D1-000001"
    assert receipt.total == D("144.80")
    assert _balance(a1) == before - D("144.80")
    tenders = list(receipt.tenders.order_by("id"))
    assert [(t.kind, t.amount, t.change_given) for t in tenders] == [
        ("cash", D("50.00"), D("5.20")),
        ("check", D("100.00"), D("0.00")),
    ]
    lines = _entry_lines(receipt)
    assert (CASH_IN_DRAWERS, D("144.80")) in lines
    assert sum(amount for _, amount in lines) == 0
    # The October bill's funds credited: 88.50 water, 52.80 sewer, 3.50 storm drain.
    assert ("501-0000-1110", D("-88.50")) in lines
    assert receipt.journal_entry.source_module == "cashiering"
    assert receipt.journal_entry.source_document == "D1-000001"
    item = receipt.items.get()
    assert (item.target_kind, item.target_reference, item.amount) == (UA, a1.number, D("144.80"))
    assert {r.subledger: r for r in reconciliation(PAY_MOMENT.date())}[
        Subledger.UTILITY_AR
    ].difference == 0


def test_posting_the_same_key_again_returns_the_first_receipt(counter):
    a1 = counter["billing"]["accounts"]["A1"]
    session = counter["session"]
    first = _post(session, [_item(a1, "20.00")], [TenderSpec("cash", D("20.00"))])
    movements = UtilityTransaction.objects.count()

    again = _post(session, [_item(a1, "20.00")], [TenderSpec("cash", D("20.00"))])

    assert again.pk == first.pk
    assert Receipt.objects.count() == 1
    assert UtilityTransaction.objects.count() == movements
    assert JournalEntry.objects.filter(source_module="cashiering").count() == 1


def test_receipt_numbers_run_without_gaps_per_drawer_even_after_a_refusal(counter):
    a1 = counter["billing"]["accounts"]["A1"]
    users = counter["users"]
    session = counter["session"]
    other = make_session(users["tech"], make_drawer("D2"))
    numbers = [_post(session, [_item(a1, "1.00")], [TenderSpec("cash", D("1.00"))], "a")]
    with pytest.raises(ValidationError):
        _post(session, [ItemSpec(UA, "NOPE", D("1.00"))], [TenderSpec("cash", D("1.00"))], "b")
    numbers.append(_post(session, [_item(a1, "1.00")], [TenderSpec("cash", D("1.00"))], "c"))
    numbers.append(_post(other, [_item(a1, "1.00")], [TenderSpec("cash", D("1.00"))], "d"))
    assert [r.display_number for r in numbers] == ["D1-000001", "D1-000002", "D2-000001"]


def test_an_overpayment_becomes_a_credit_on_the_account(counter):
    a1 = counter["billing"]["accounts"]["A1"]
    owed = _balance(a1)
    _post(
        counter["session"],
        [_item(a1, str(owed + D("30.00")))],
        [TenderSpec("cash", owed + D("30.00"))],
    )
    assert _balance(a1) == D("-30.00")


def test_several_items_and_customers_in_one_receipt(counter):
    accounts = counter["billing"]["accounts"]
    receipt = _post(
        counter["session"],
        [_item(accounts["A1"], "10.00"), _item(accounts["A2"], "15.00")],
        [TenderSpec("card", D("25.00"), card_last_four="4242", authorization_code="A1B2C3")],
    )
    assert [i.line for i in receipt.items.all()] == [1, 2]
    assert receipt.total == D("25.00")
    tender = receipt.tenders.get()
    assert (tender.card_last_four, tender.authorization_code) == ("4242", "A1B2C3")


@pytest.mark.parametrize(
    ("tenders", "field"),
    [
        ([TenderSpec("cash", D("5.00"))], "tenders"),  # short
        ([TenderSpec("check", D("30.00"), check_number="1")], "tenders"),  # check over
        ([TenderSpec("check", D("10.00"))], "tender-1"),  # no check number
        ([TenderSpec("card", D("10.00"), card_last_four="4111111111111111")], "tender-1"),
        (
            [TenderSpec("card", D("10.00"), card_last_four="42a2", authorization_code="X")],
            "tender-1",
        ),
        ([TenderSpec("cash", D("10.001"))], "tender-1"),
        ([TenderSpec("bitcoin", D("10.00"))], "tender-1"),
        ([], "tenders"),
    ],
)
def test_bad_tenders_are_refused_beside_the_tender_and_nothing_is_saved(counter, tenders, field):
    a1 = counter["billing"]["accounts"]["A1"]
    with pytest.raises(ValidationError) as refused:
        _post(counter["session"], [_item(a1, "10.00")], tenders)
    assert field in refused.value.message_dict
    assert Receipt.objects.count() == 0
    assert UtilityTransaction.objects.filter(kind="payment").count() == 0


def test_a_bad_item_is_refused_on_its_row_and_nothing_is_half_saved(counter):
    a1 = counter["billing"]["accounts"]["A1"]
    with pytest.raises(ValidationError) as refused:
        _post(
            counter["session"],
            [_item(a1, "10.00"), ItemSpec(UA, "NO-SUCH", D("5.00"))],
            [TenderSpec("cash", D("15.00"))],
        )
    assert "item-2" in refused.value.message_dict
    assert Receipt.objects.count() == 0
    assert UtilityTransaction.objects.filter(kind="payment").count() == 0
    assert JournalEntry.objects.filter(source_module="cashiering").count() == 0
    with pytest.raises(ValidationError) as refused:
        _post(counter["session"], [_item(a1, "-1.00")], [TenderSpec("cash", D("1.00"))])
    assert "item-1" in refused.value.message_dict


def test_only_the_sessions_clerk_posts_and_only_while_it_is_open(counter):
    a1 = counter["billing"]["accounts"]["A1"]
    session = counter["session"]
    with pytest.raises(PermissionDenied):
        _post(
            session,
            [_item(a1, "1.00")],
            [TenderSpec("cash", D("1.00"))],
            actor=counter["users"]["tech"],
        )
    session.status = "closed"
    session.closed_at = timezone.now()
    session.save()
    with pytest.raises(ValidationError) as refused:
        _post(session, [_item(a1, "1.00")], [TenderSpec("cash", D("1.00"))])
    assert "session" in refused.value.message_dict


def test_a_customer_flagged_no_checks_may_not_pay_by_check(counter):
    a1 = counter["billing"]["accounts"]["A1"]
    a1.customer.do_not_accept_checks = True
    a1.customer.save()
    with pytest.raises(ValidationError) as refused:
        _post(
            counter["session"],
            [_item(a1, "10.00")],
            [TenderSpec("check", D("10.00"), check_number="77")],
        )
    assert "may not pay by check" in refused.value.message_dict["tender-1"][0]
    assert _post(counter["session"], [_item(a1, "10.00")], [TenderSpec("cash", D("10.00"))])


def test_change_due_is_worked_out_from_the_tenders():
    check = check_tenders(
        [TenderSpec("check", D("40.00"), check_number="9"), TenderSpec("cash", D("20.00"))],
        D("45.50"),
    )
    assert (check.tendered, check.change_due, check.short) == (D("60.00"), D("14.50"), D("0"))


def _in_threads(count: int, call) -> tuple[list, list[BaseException]]:
    results, errors = [], []
    barrier = threading.Barrier(count)

    def run(index):
        try:
            barrier.wait()
            results.append(call(index))
        except BaseException as error:  # collected and inspected by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_posting_one_key_make_one_receipt(request):
    users = request.getfixturevalue("ub_users")
    request.getfixturevalue("pay_day")
    billing = billed(users, second=True)
    cash_in_drawers()
    session = make_session(users["clerk"])
    a1, a2 = billing["accounts"]["A1"], billing["accounts"]["A2"]
    items = [_item(a1, "194.80"), _item(a2, "50.00")]

    results, errors = _in_threads(
        20, lambda _: _post(session, items, [TenderSpec("cash", D("250.00"))], key="same")
    )

    assert errors == []
    assert len({r.pk for r in results}) == 1
    assert Receipt.objects.count() == 1
    assert ReceiptItem.objects.count() == 2
    assert ReceiptTender.objects.count() == 1
    assert JournalEntry.objects.filter(source_module="cashiering").count() == 1
    # One movement set per item: A1's payment spread over its bills and funds, A2's too,
    # each under its own item key.
    for line, account in ((1, a1), (2, a2)):
        movements = UtilityTransaction.objects.filter(cause__startswith=f"same:{line}:")
        assert movements.aggregate(t=Sum("amount"))["t"] == -items[line - 1].amount
        assert {m.account_id for m in movements} == {account.pk}
    assert Account.objects.get(number=CASH_IN_DRAWERS).balances.aggregate(t=Sum("debits"))[
        "t"
    ] == D("244.80")


@pytest.mark.django_db(transaction=True)
def test_two_clerks_paying_one_account_at_once_both_succeed(request):
    users = request.getfixturevalue("ub_users")
    request.getfixturevalue("pay_day")
    billing = billed(users, second=True)
    cash_in_drawers()
    sessions = [
        make_session(users["clerk"], make_drawer("D1")),
        make_session(users["tech"], make_drawer("D2")),
    ]
    a1 = billing["accounts"]["A1"]
    before = _balance(a1)

    results, errors = _in_threads(
        2,
        lambda i: _post(
            sessions[i], [_item(a1, "60.00")], [TenderSpec("cash", D("60.00"))], key=f"clerk-{i}"
        ),
    )

    assert errors == []
    assert len({r.pk for r in results}) == 2
    assert _balance(a1) == before - D("120.00")
    assert {r.subledger: r for r in reconciliation(PAY_MOMENT.date())}[
        Subledger.UTILITY_AR
    ].difference == 0


def test_the_cash_entry_drills_down_to_its_receipt(counter):
    from django.urls import reverse

    from ledger.sources import source_document_url

    a1 = counter["billing"]["accounts"]["A1"]
    receipt = _post(counter["session"], [_item(a1, "5.00")], [TenderSpec("cash", D("5.00"))])
    entry = receipt.journal_entry
    assert source_document_url(entry.source_module, entry.source_document) == reverse(
        "cashiering:receipt_detail", args=[receipt.pk]
    )
    assert source_document_url("cashiering", "D9-000001") is None
    assert source_document_url("cashiering", "nonsense") is None


def test_a_fee_from_the_schedule_is_paid_beside_an_account_and_credits_its_revenue(counter):
    from millbrae_finance.payment_targets import find_payment_targets
    from tests.receivables.conftest import make_fee

    users = counter["users"]
    make_fee("COPY", prepared_by=users["tech"], approved_by=users["supervisor"], amount="5.00")
    match = next(m for m in find_payment_targets("copy") if m.kind == "fee")
    assert (match.reference, match.amount_due) == ("COPY", D("5.00"))
    a1 = counter["billing"]["accounts"]["A1"]

    receipt = _post(
        counter["session"],
        [_item(a1, "10.00"), ItemSpec("fee", "COPY", D("5.00"))],
        [TenderSpec("cash", D("20.00"))],
    )

    assert ("101-1100-4920", D("-5.00")) in _entry_lines(receipt)
    assert (CASH_IN_DRAWERS, D("15.00")) in _entry_lines(receipt)
    with pytest.raises(ValidationError) as refused:
        _post(
            counter["session"],
            [ItemSpec("fee", "NOPE", D("1.00"))],
            [TenderSpec("cash", D("1.00"))],
            key="k-2",
        )
    assert "item-1" in refused.value.message_dict
    # A void reverses the revenue with the rest.
    from cashiering.services.voids import void_receipt

    voided = void_receipt(receipt, reason="x", actor=users["clerk"], approver=users["senior"])
    assert ("101-1100-4920", D("5.00")) in sorted(
        (line.account.number, line.amount)
        for line in JournalLine.objects.filter(entry=voided.void_entry).select_related("account")
    )
