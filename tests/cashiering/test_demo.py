"""The demo's month at the counter, read on the demo database seeded once for the run
(the `demo_db` fixture of tests/conftest.py): every session closed, counted and
verified by someone else, receipts numbered without gaps, the cash in drawers in the
ledger equal to the receipts, and the subledgers still equal to their control accounts."""

from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import F, Sum
from django.utils.timezone import localdate

from cashiering.demo.receipts import BUSINESS_DAYS, KEY_PREFIX, demo_days, seed_receipts
from cashiering.models import (
    CashSession,
    Deposit,
    Drawer,
    Receipt,
    ReceiptItem,
    ReceiptTender,
)
from cashiering.services.closing import CASH_OVER_SHORT
from cashiering.services.receipts import CASH_IN_DRAWERS
from cashiering.services.sessions import open_session
from ledger.models import JournalEntry, JournalLine, Subledger
from ledger.reconciliation import reconciliation
from millbrae_finance.demo import DEMO_TODAY
from millbrae_finance.roles import Role, has_role

LEADS = (Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR)


def test_demo_today_is_every_module_s_today(db):
    from receivables.demo.billing import LAST_DAY
    from utility_billing.demo.reads import TODAY

    assert DEMO_TODAY == LAST_DAY == TODAY
    days = demo_days()
    assert len(days) == BUSINESS_DAYS
    assert days[-1] <= DEMO_TODAY
    assert all(day.weekday() < 5 for day in days)


def test_demo_sessions_are_closed_counted_and_verified_by_a_lead(demo_db):
    sessions = CashSession.objects.select_related("count", "verified_by")
    assert sessions.count() == 2 * BUSINESS_DAYS
    assert not CashSession.objects.open().exists()
    dates = set()
    for session in sessions:
        assert session.status == "verified"
        assert session.verified_by_id != session.clerk_id
        assert has_role(session.verified_by, *LEADS)
        count = session.count
        assert count.counted_by_id == session.clerk_id
        assert count.over_short == count.counted_total - count.expected_total
        assert abs(count.over_short) <= Decimal("5.00")
        assert (count.journal_entry_id is None) == (count.over_short == 0)
        # The cash counted by denomination, the checks one by one.
        assert count.lines.aggregate(t=Sum("amount"))["t"] == (
            count.cash_counted + count.checks_counted
        )
        assert session.opened_at < session.closed_at < session.verified_at
        dates.add(localdate(session.opened_at))
    assert dates == set(demo_days())
    assert sessions.filter(count__over_short__gt=0).exists()
    assert sessions.filter(count__over_short__lt=0).exists()


def test_demo_receipts_are_numbered_without_gaps_and_add_up(demo_db):
    receipts = Receipt.objects.filter(idempotency_key__startswith=KEY_PREFIX)
    assert receipts.count() > 20 * BUSINESS_DAYS
    for drawer in Drawer.objects.all():
        numbers = list(drawer.receipts.order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, drawer.last_receipt_number + 1))
    # Every receipt's items and tenders come to its total; the change is given in cash.
    items = dict(
        ReceiptItem.objects.values("receipt").annotate(t=Sum("amount")).values_list("receipt", "t")
    )
    tendered = dict(
        ReceiptTender.objects.values("receipt")
        .annotate(t=Sum(F("amount") - F("change_given")))
        .values_list("receipt", "t")
    )
    for pk, total in receipts.values_list("pk", "total"):
        assert items[pk] == tendered[pk] == total
    kinds = set(ReceiptTender.objects.values_list("kind", flat=True))
    assert kinds == {"cash", "check", "card", "money_order"}
    assert ReceiptTender.objects.filter(change_given__gt=0).exists()
    assert receipts.filter(tenders__kind="cash").filter(tenders__kind="check").exists()
    targets = set(ReceiptItem.objects.values_list("target_kind", flat=True))
    assert {"utility-account", "invoice", "fee"} <= targets
    # Dated in the month, never after the demo's today.
    first = demo_days()[0]
    for posted in receipts.values_list("posted_at", flat=True):
        assert first <= localdate(posted) <= DEMO_TODAY


def test_demo_voids_are_same_day_and_approved_by_a_lead(demo_db):
    voids = Receipt.objects.filter(voided_at__isnull=False).select_related(
        "void_approved_by", "session", "journal_entry", "void_entry"
    )
    assert 3 <= voids.count() <= 2 * BUSINESS_DAYS
    for receipt in voids:
        assert receipt.voided_by_id == receipt.session.clerk_id
        assert receipt.void_approved_by_id != receipt.voided_by_id
        assert has_role(receipt.void_approved_by, *LEADS)
        assert localdate(receipt.voided_at) == localdate(receipt.posted_at)
        assert receipt.void_entry.reverses_id == receipt.journal_entry_id
        lines = JournalLine.objects.filter(entry__in=[receipt.journal_entry, receipt.void_entry])
        for account in lines.values("account").annotate(t=Sum("amount")):
            assert account["t"] == 0


def test_demo_cash_in_drawers_in_the_ledger_is_the_receipts(demo_db):
    receipts = Receipt.objects.filter(idempotency_key__startswith=KEY_PREFIX)
    taken = receipts.filter(voided_at__isnull=True).aggregate(t=Sum("total"))["t"]
    over_short = CashSession.objects.aggregate(t=Sum("count__over_short"))["t"]
    cash = JournalLine.objects.filter(account__number=CASH_IN_DRAWERS)
    entries = JournalEntry.objects.filter(source_module="cashiering")
    # Every verified day went to the bank (the demo's deposits step): what the receipts
    # and counts put in the drawers, the deposits took out again.
    deposited = Deposit.objects.aggregate(t=Sum("total"))["t"]
    assert deposited == taken + over_short
    drawers = cash.filter(entry__in=entries)
    assert drawers.aggregate(t=Sum("amount"))["t"] == taken + over_short - deposited
    # Each receipt's entry debits the drawer with its total, on its day.
    debits = dict(
        cash.filter(entry__idempotency_key__startswith=f"receipt:{KEY_PREFIX}").values_list(
            "entry__source_document", "amount"
        )
    )
    for receipt in receipts.select_related("drawer", "journal_entry"):
        assert debits[receipt.display_number] == receipt.total
        assert receipt.journal_entry.entry_date == localdate(receipt.posted_at)
    short = JournalLine.objects.filter(account__number=CASH_OVER_SHORT)
    assert short.aggregate(t=Sum("amount"))["t"] == -over_short


def test_demo_subledgers_still_reconcile_and_payments_carry_the_receipt_keys(demo_db):
    from utility_billing.models import UtilityTransaction

    for row in reconciliation(DEMO_TODAY):
        if row.subledger in (Subledger.UTILITY_AR, Subledger.MISC_AR, Subledger.FINES_AR):
            assert row.reconciles, (row.subledger, row.difference)
    # A utility item is applied under the key post_receipt gives it, so a void or a
    # returned check finds it.
    item = (
        ReceiptItem.objects.filter(target_kind="utility-account").select_related("receipt").first()
    )
    key = f"{item.receipt.idempotency_key}:{item.line}:"
    paid = UtilityTransaction.objects.filter(cause__startswith=key)
    assert -paid.aggregate(t=Sum("amount"))["t"] == item.amount
    assert set(paid.values_list("reference", flat=True)) == {item.receipt.display_number}


def test_demo_clerk_starts_fresh_and_seeding_again_adds_nothing(demo_db):
    receipts = Receipt.objects.count()
    seed_receipts(lambda message: None)
    assert Receipt.objects.count() == receipts
    clerk = User.objects.get(username="clerk")
    session = open_session(
        Drawer.objects.get(code="D1"), opening_float=Decimal("200.00"), actor=clerk
    )
    assert session.is_open
    assert Drawer.objects.get(code="D1").last_receipt_number > 0
