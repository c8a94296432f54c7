"""Money at move-out: a deposit taken at the counter is held in the deposits liability;
the closed account's final bill (the next run of its cycle, to its move-out day on its
final read) applies it, refunds a credit left or refers a balance left to collection, and
the account is final billed; all posted, once. And owners told of a tenant's bill past
due."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.urls import reverse

from ledger.models import Account, JournalLine, Subledger
from ledger.reconciliation import reconciliation
from millbrae_finance.payment_targets import payment_target_type
from tests.receivables.conftest import revenue_account
from tests.utility_billing.billing_helpers import CONTROLS, read
from tests.utility_billing.payment_helpers import (
    SECOND_BILL_DATE,
    SECOND_END,
    billed,
    pay,
    post_second_run,
)
from utility_billing.models import (
    AccountRole,
    AccountService,
    AccountStatus,
    Bill,
    BillRunException,
    DepositStatus,
    Meter,
    MeterRead,
    OwnerNotice,
    UtilityCollectionReferral,
    UtilityDeposit,
    UtilityTransaction,
)
from utility_billing.queries.settlements import move_out_money, owner_notices
from utility_billing.services.accounts import MoveOut, close_account
from utility_billing.services.owner_notices import (
    mark_owner_notices_sent,
    record_owner_notices,
)
from utility_billing.services.payment_voids import void_payment
from utility_billing.services.settlements import settle_account_now

pytestmark = pytest.mark.django_db
D = Decimal
MOVE_OUT = datetime.date(2026, 11, 20)
PAY_DAY = datetime.date(2026, 11, 15)


@pytest.fixture
def billing(ub_users):
    billing = billed(ub_users)
    # The deposits liability and refunds payable of the water fund.
    deposits = revenue_account("501-0000-2210")
    deposits.control_subledger = Subledger.DEPOSITS
    deposits.save()
    revenue_account("501-0000-2220")
    for account in billing["accounts"].values():
        account.deposit_required = D("100.00")
        account.save()
    return billing


def _deposit(account, amount, *, key, users):
    return pay(
        account.number, amount, key=key, actor=users["clerk"], on=PAY_DAY, kind="utility-deposit"
    )


def _row(subledger, on=SECOND_BILL_DATE):
    return {r.subledger: r for r in reconciliation(on)}[subledger]


def _final_bill(billing, users, account, consumption="5"):
    """Move the account out on 11/20 with a final read, and post the next run."""
    close_account(account, MoveOut(end_date=MOVE_OUT), actor=users["tech"])
    meter = Meter.objects.get(serial=f"M-{_name(billing, account)}")
    read(meter, MOVE_OUT, consumption, users["tech"], reading="1003")
    run = post_second_run(billing, users)
    account.refresh_from_db()
    return Bill.objects.filter(run=run, account=account).first()


def _name(billing, account):
    return next(name for name, a in billing["accounts"].items() if a.pk == account.pk)


def test_a_deposit_is_taken_once_and_held_in_the_deposits_liability(billing, ub_users):
    a1 = billing["accounts"]["A1"]
    target = payment_target_type("utility-deposit")
    assert target.amount_due(a1.number, as_of=PAY_DAY) == D("100.00")
    lines = _deposit(a1, "100.00", key="dep-1", users=ub_users)
    assert [(line.account.number, line.amount) for line in lines] == [
        ("501-0000-2210", D("-100.00"))
    ]
    assert _deposit(a1, "100.00", key="dep-1", users=ub_users) == lines
    assert UtilityDeposit.objects.filter(account=a1, status=DepositStatus.HELD).count() == 1
    assert target.amount_due(a1.number, as_of=PAY_DAY) == 0
    with pytest.raises(ValidationError) as refused:
        target.apply_payment(
            a1.number, amount=D("5.00"), as_of=PAY_DAY, receipt="R", actor=ub_users["clerk"],
            payment_key="dep-2",
        )  # fmt: skip
    assert "amount" in refused.value.message_dict
    with pytest.raises(ValidationError):
        target.apply_payment(
            a1.number, amount=D("100.00"), as_of=PAY_DAY, receipt="R", actor=ub_users["clerk"],
            payment_key="dep-1-other",
        )  # fmt: skip
    row = _row(Subledger.DEPOSITS, PAY_DAY)
    assert (row.gl_balance, row.subledger_total, row.reconciles) == (D("100.00"), D("100.00"), True)


def test_the_final_bill_applies_the_deposit_and_refunds_the_rest(billing, ub_users):
    a1 = billing["accounts"]["A1"]
    _deposit(a1, "100.00", key="dep-3", users=ub_users)
    pay(a1.number, "144.80", key="pay-3", actor=ub_users["clerk"], on=PAY_DAY)
    bill = _final_bill(billing, ub_users, a1)
    # Billed from the period's start to the move-out day on the final read.
    assert (bill.period_start, bill.period_end) == (datetime.date(2026, 11, 6), MOVE_OUT)
    assert a1.status == AccountStatus.FINAL_BILLED
    applied = UtilityTransaction.objects.filter(account=a1, kind="deposit_applied")
    assert applied.aggregate(t=Sum("amount"))["t"] == D("-100.00")
    assert set(applied.exclude(bill=None).values_list("bill_id", flat=True)) == {bill.pk}
    refund = UtilityTransaction.objects.get(account=a1, kind="refund")
    assert refund.amount == D("100.00") - bill.amount
    assert a1.transactions.aggregate(t=Sum("amount"))["t"] == 0
    deposit = UtilityDeposit.objects.get(account=a1)
    assert (deposit.status, deposit.settled_on) == (DepositStatus.APPLIED, SECOND_BILL_DATE)
    payable = Account.objects.get(number="501-0000-2220")
    assert JournalLine.objects.filter(account=payable).aggregate(t=Sum("amount"))["t"] == -(
        refund.amount
    )
    assert not UtilityCollectionReferral.objects.filter(account=a1).exists()
    for subledger in (Subledger.UTILITY_AR, Subledger.DEPOSITS):
        assert _row(subledger).reconciles, subledger
    assert _row(Subledger.DEPOSITS).gl_balance == 0


def test_a_balance_left_after_the_deposit_is_referred_to_collection(billing, ub_users):
    a1 = billing["accounts"]["A1"]
    _deposit(a1, "50.00", key="dep-4", users=ub_users)
    bill = _final_bill(billing, ub_users, a1)
    assert a1.status == AccountStatus.FINAL_BILLED
    referral = UtilityCollectionReferral.objects.get(account=a1)
    assert referral.amount == D("144.80") + bill.amount - D("50.00")
    assert referral.amount == a1.transactions.aggregate(t=Sum("amount"))["t"]
    # Oldest bill first: the deposit went to October's bill.
    october = Bill.objects.get(account=a1, run=billing["runs"][0])
    applied = UtilityTransaction.objects.filter(account=a1, kind="deposit_applied")
    assert set(applied.values_list("bill_id", flat=True)) == {october.pk}
    assert not UtilityTransaction.objects.filter(account=a1, kind="refund").exists()
    assert _row(Subledger.UTILITY_AR).reconciles
    panel = move_out_money(a1)
    assert (panel.referral, panel.deposit_held) == (referral, 0)
    assert [d.status for d in panel.deposits] == [DepositStatus.APPLIED]


def test_a_closed_account_without_a_deposit_is_settled_once(billing, ub_users):
    a2 = billing["accounts"]["A2"]
    close_account(a2, MoveOut(end_date=MOVE_OUT), actor=ub_users["tech"])
    read(Meter.objects.get(serial="M-A2"), MOVE_OUT, "3", ub_users["tech"], reading="1003")
    run = post_second_run(billing, ub_users)
    a2.refresh_from_db()
    assert a2.status == AccountStatus.FINAL_BILLED
    assert Bill.objects.filter(run=run, account=a2).exists()
    assert UtilityCollectionReferral.objects.get(account=a2).amount > 0
    # Posted again: nothing more.
    from utility_billing.services.bill_posting import post_bill_run

    movements = UtilityTransaction.objects.count()
    post_bill_run(run.pk)
    assert UtilityTransaction.objects.count() == movements


@time_machine.travel(datetime.datetime(2027, 1, 10, 12, 0), tick=False)
def test_owners_are_told_of_a_tenant_bill_past_due(billing, ub_users):
    a1 = billing["accounts"]["A1"]  # a tenant; A6 is the owner at the same location
    owner = billing["accounts"]["A6"]
    assert (a1.role, owner.role) == (AccountRole.TENANT, AccountRole.OWNER)
    october = Bill.objects.get(account=a1, run=billing["runs"][0])  # due 12/01
    assert record_owner_notices(datetime.date(2026, 12, 31), actor=ub_users["tech"]) == 0
    assert record_owner_notices(datetime.date(2027, 1, 5), actor=ub_users["tech"]) == 1
    notice = OwnerNotice.objects.get()
    assert (notice.owner_account, notice.tenant_account, notice.bill) == (owner, a1, october)
    assert (notice.amount_past_due, notice.days_past_due) == (D("144.80"), 35)
    # Again: nothing new; a bill paid is not noticed.
    assert record_owner_notices(datetime.date(2027, 1, 6), actor=ub_users["tech"]) == 0
    assert list(owner_notices(owner_account=owner)) == [notice]
    assert mark_owner_notices_sent([notice.pk], actor=ub_users["tech"]) == 1
    notice.refresh_from_db()
    assert notice.status == "sent" and notice.sent_by == ub_users["tech"]
    with pytest.raises(ValidationError):
        record_owner_notices(datetime.date(2027, 2, 1), actor=ub_users["tech"])
    assert SECOND_END


@time_machine.travel(datetime.datetime(2027, 1, 10, 12, 0), tick=False)
def test_the_owner_notice_page_records_lists_and_marks_sent(client, billing, ub_users):
    from django.urls import reverse

    url = reverse("utility_billing:owner_notice_list")
    client.force_login(ub_users["tech"])
    bad = client.post(url, {"record": "1", "as_of": "2027-02-30"})
    assert bad.status_code == 200 and "Enter a valid date." in bad.content.decode()
    future = client.post(url, {"record": "1", "as_of": "2027-02-01"})
    assert future.status_code == 200 and "today or a past day" in future.content.decode()
    assert client.post(url, {"record": "1", "as_of": "2027-01-05"}).status_code == 302
    notice = OwnerNotice.objects.get()
    page = client.get(url).content.decode()
    assert billing["accounts"]["A6"].number in page and "$144.80" in page
    assert client.post(url, {"sent": "1", "notice": [str(notice.pk)]}).status_code == 302
    notice.refresh_from_db()
    assert notice.status == "sent"
    by_owner = client.get(url, {"account": billing["accounts"]["A6"].number, "status": "sent"})
    assert billing["accounts"]["A1"].number in by_owner.content.decode()
    client.force_login(ub_users["auditor"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"record": "1", "as_of": "2027-01-05"}).status_code == 403
    client.force_login(ub_users["admin"])
    assert client.get(url).status_code == 403


def test_the_account_page_deposits_tab_shows_deposits_and_the_referral(billing, ub_users, client):
    a1 = billing["accounts"]["A1"]
    _deposit(a1, "50.00", key="dep-tab", users=ub_users)
    client.force_login(ub_users["tech"])
    url = reverse("utility_billing:account_detail", args=[a1.pk])
    held = client.get(url, {"tab": "deposits"}).content.decode()
    assert "Deposits received" in held and "Held" in held and "50.00" in held
    assert "Referred to collection" not in held
    _final_bill(billing, ub_users, a1)
    referral = UtilityCollectionReferral.objects.get(account=a1)
    settled = client.get(url, {"tab": "deposits"}, headers={"HX-Request": "true"})
    page = settled.content.decode()
    assert "Referred to collection" in page and f"{referral.amount:,}" in page
    assert "Applied" in page and "Deposit applied" in page


# ---------------------------------------------------------------- settle now

SETTLE_DAY = datetime.date(2026, 12, 15)


def _closed_after_its_last_bill(billing, users, deposit="50.00"):
    """A1 pays a deposit, then its move-out on 11/05 (the last day run 1 billed) is
    recorded after run 1 posted: no later run selects it, so none settles it."""
    a1 = billing["accounts"]["A1"]
    if deposit:
        _deposit(a1, deposit, key="dep-now", users=users)
    close_account(a1, MoveOut(end_date=datetime.date(2026, 11, 5)), actor=users["tech"])
    run = post_second_run(billing, users)
    a1.refresh_from_db()
    assert a1.status == AccountStatus.CLOSED
    assert not Bill.objects.filter(run=run, account=a1).exists()
    return a1


def test_an_account_closed_after_its_final_bill_posted_is_settled_now(billing, ub_users):
    a1 = _closed_after_its_last_bill(billing, ub_users)
    october = Bill.objects.get(account=a1, run=billing["runs"][0])
    settlement = move_out_money(a1).settlement
    assert settlement.final_bill == october
    assert (settlement.deposit_held, settlement.referral, settlement.refund) == (
        D("50.00"),
        D("94.80"),
        0,
    )
    settled = settle_account_now(a1, actor=ub_users["tech"], on_date=SETTLE_DAY)
    assert settled.status == AccountStatus.FINAL_BILLED
    referral = UtilityCollectionReferral.objects.get(account=a1)
    assert (referral.amount, referral.referred_on, referral.created_by) == (
        D("94.80"),
        SETTLE_DAY,
        ub_users["tech"],
    )
    applied = UtilityTransaction.objects.filter(account=a1, kind="deposit_applied")
    assert applied.aggregate(t=Sum("amount"))["t"] == D("-50.00")
    assert {(m.bill, m.created_by) for m in applied} == {(october, ub_users["tech"])}
    # Prepared by whoever settles, approved by the approver of the final bill's run.
    entry = applied.first().journal_entry
    assert (entry.prepared_by, entry.approved_by) == (ub_users["tech"], ub_users["senior"])
    assert UtilityDeposit.objects.get(account=a1).status == DepositStatus.APPLIED
    assert _row(Subledger.UTILITY_AR, SETTLE_DAY).reconciles
    assert _row(Subledger.DEPOSITS, SETTLE_DAY).reconciles
    # Once: again (a double click) changes nothing.
    movements = UtilityTransaction.objects.count()
    assert settle_account_now(a1, actor=ub_users["tech2"], on_date=SETTLE_DAY) == settled
    assert UtilityTransaction.objects.count() == movements
    assert move_out_money(settled).settlement is None


def test_a_settlement_is_not_dated_before_its_final_bill(billing, ub_users):
    a1 = _closed_after_its_last_bill(billing, ub_users)
    settle_account_now(a1, actor=ub_users["tech"], on_date=datetime.date(2026, 11, 1))
    referral = UtilityCollectionReferral.objects.get(account=a1)
    assert referral.referred_on == billing["runs"][0].bill_date
    applied = UtilityTransaction.objects.filter(account=a1, kind="deposit_applied")
    assert {m.transaction_date for m in applied} == {billing["runs"][0].bill_date}


def test_settling_now_is_refused_before_the_final_bill_and_to_the_run_approver(billing, ub_users):
    a1, a2 = billing["accounts"]["A1"], billing["accounts"]["A2"]
    with pytest.raises(ValidationError, match="only a closed account"):
        settle_account_now(a2, actor=ub_users["tech"], on_date=SETTLE_DAY)
    _closed_after_its_last_bill(billing, ub_users, deposit="")
    with pytest.raises(ValidationError, match="You approved bill run"):
        settle_account_now(a1, actor=ub_users["senior"], on_date=SETTLE_DAY)
    # A move-out booked after the period the next run bills: its final bill is to come.
    close_account(a2, MoveOut(end_date=datetime.date(2027, 1, 20)), actor=ub_users["tech"])
    with pytest.raises(ValidationError, match=r"final bill .* is not posted yet"):
        settle_account_now(a2, actor=ub_users["tech"], on_date=SETTLE_DAY)
    a1.refresh_from_db()
    assert a1.status == AccountStatus.CLOSED
    assert not UtilityCollectionReferral.objects.exists()


def test_a_run_does_not_settle_an_account_moving_out_after_its_period(billing, ub_users):
    """A move-out booked ahead (12/20, after run 2's period ends 12/05): run 2 bills the
    account to 12/05 and leaves it closed with its deposit held; the final bill, to
    12/20, is the next run's."""
    a1 = billing["accounts"]["A1"]
    _deposit(a1, "100.00", key="dep-ahead", users=ub_users)
    close_account(a1, MoveOut(end_date=datetime.date(2026, 12, 20)), actor=ub_users["tech"])
    run = post_second_run(billing, ub_users)
    a1.refresh_from_db()
    assert Bill.objects.get(run=run, account=a1).period_end == SECOND_END
    assert a1.status == AccountStatus.CLOSED
    assert UtilityDeposit.objects.get(account=a1).status == DepositStatus.HELD
    assert not UtilityTransaction.objects.filter(account=a1, kind="deposit_applied").exists()
    assert move_out_money(a1).settlement.final_bill is None


@time_machine.travel(datetime.datetime(2026, 12, 15, 12, 0), tick=False)
def test_the_deposits_tab_settles_an_account_now(client, billing, ub_users):
    a1 = _closed_after_its_last_bill(billing, ub_users)
    tab = reverse("utility_billing:account_detail", args=[a1.pk])
    url = reverse("utility_billing:account_settle", args=[a1.pk])
    client.force_login(ub_users["auditor"])
    page = client.get(tab, {"tab": "deposits"}).content.decode()
    assert "Settle now" in page and url not in page  # shown, not offered
    assert client.post(url).status_code == 403
    client.force_login(ub_users["tech"])
    assert client.get(url).status_code == 405
    page = client.get(tab, {"tab": "deposits"}).content.decode()
    assert f'action="{url}"' in page and "$94.80" in page
    answer = client.post(url, follow=True)
    assert answer.redirect_chain[-1][0] == f"{tab}?tab=deposits"
    assert f"Account {a1.number} settled" in answer.content.decode()
    a1.refresh_from_db()
    assert a1.status == AccountStatus.FINAL_BILLED
    again = client.post(url, follow=True).content.decode()
    assert "settled already" in again
    assert UtilityCollectionReferral.objects.filter(account=a1).count() == 1
    # Refused with the reason, nothing written: the run's approver; an open account.
    a2 = billing["accounts"]["A2"]
    refused = client.post(
        reverse("utility_billing:account_settle", args=[a2.pk]), follow=True
    ).content.decode()
    assert "only a closed account" in refused


# ---------------------------------------------------------------- recovery of a referral


def _void(reference, key, *, users, on=SETTLE_DAY):
    """What the counter does to void a receipt: take the payment back through
    void_payment and post the reversal with the cash credited back, one transaction."""
    from django.db import transaction

    from ledger.services import LineSpec, post_entry
    from tests.utility_billing.payment_helpers import CASH

    with transaction.atomic():
        debits = void_payment(
            reference, payment_key=key, on_date=on, reason="Check returned", actor=users["clerk"]
        )
        total = sum((line.amount for line in debits), D("0"))
        post_entry(
            entry_date=on,
            lines=[LineSpec(Account.objects.get(number=CASH), -total)]
            + [LineSpec(line.account, line.amount, line.memo) for line in debits],
            memo=f"Void of {key}",
            source_module="cashiering",
            idempotency_key=f"void-{key}",
            prepared_by=users["clerk"],
        )
    return debits


def test_payments_after_a_referral_recover_it_and_a_void_takes_it_back(billing, ub_users):
    a1 = _closed_after_its_last_bill(billing, ub_users)
    pay(a1.number, "10.00", key="before", actor=ub_users["clerk"], on=SETTLE_DAY)
    settle_account_now(a1, actor=ub_users["tech"], on_date=SETTLE_DAY)
    referral = UtilityCollectionReferral.objects.get(account=a1)
    # Paid before the referral: not recovered by collection.
    assert (referral.amount, referral.recovered_amount, referral.status) == (
        D("84.80"),
        0,
        "referred",
    )

    def state():
        referral.refresh_from_db()
        return referral.recovered_amount, referral.status

    pay(a1.number, "40.00", key="after-1", actor=ub_users["clerk"], on=SETTLE_DAY)
    assert state() == (D("40.00"), "partly")
    pay(a1.number, "40.00", key="after-1", actor=ub_users["clerk"], on=SETTLE_DAY)  # a repeat
    assert state() == (D("40.00"), "partly")
    pay(a1.number, "50.00", key="after-2", actor=ub_users["clerk"], on=SETTLE_DAY)
    assert state() == (D("84.80"), "paid")  # at most what was referred; 5.20 is a credit
    assert referral.outstanding == 0
    lines = _void(a1.number, "after-2", users=ub_users)
    assert sum(line.amount for line in lines) == D("50.00")
    assert state() == (D("40.00"), "partly")
    assert _void(a1.number, "after-2", users=ub_users) == lines  # voided once
    assert state() == (D("40.00"), "partly")
    _void(a1.number, "after-1", users=ub_users)
    assert state() == (0, "referred")
    _void(a1.number, "before", users=ub_users)  # a payment from before the referral
    assert state() == (0, "referred")
    a1.refresh_from_db()
    assert a1.transactions.aggregate(t=Sum("amount"))["t"] == D("94.80")
    assert _row(Subledger.UTILITY_AR, SETTLE_DAY).reconciles
    with pytest.raises(ValidationError):
        void_payment(
            a1.number, payment_key="never", on_date=SETTLE_DAY, reason="x",
            actor=ub_users["clerk"],
        )  # fmt: skip
    with pytest.raises(ValidationError):
        void_payment(
            billing["accounts"]["A2"].number, payment_key="after-1", on_date=SETTLE_DAY,
            reason="x", actor=ub_users["clerk"],
        )  # fmt: skip


def test_a_voided_payment_opens_the_bill_it_paid_again(billing, ub_users):
    from utility_billing.queries.payments import open_parts

    a1 = billing["accounts"]["A1"]
    october = Bill.objects.get(account=a1, run=billing["runs"][0])
    pay(a1.number, "144.80", key="full", actor=ub_users["clerk"], on=PAY_DAY)
    assert open_parts(a1, as_of=PAY_DAY) == []
    _void(a1.number, "full", users=ub_users, on=PAY_DAY)
    parts = open_parts(a1, as_of=PAY_DAY)
    assert {p.bill_id for p in parts} == {october.pk}
    assert sum(p.open for p in parts) == D("144.80")
    assert _row(Subledger.UTILITY_AR, PAY_DAY).reconciles
    with pytest.raises(ValidationError, match="Say why"):
        pay(a1.number, "1.00", key="other", actor=ub_users["clerk"], on=PAY_DAY)
        void_payment(
            a1.number, payment_key="other", on_date=PAY_DAY, reason=" ", actor=ub_users["clerk"]
        )


def test_the_database_refuses_a_recovery_beyond_the_referral(billing, ub_users):
    from django.db import IntegrityError, transaction

    a1 = _closed_after_its_last_bill(billing, ub_users)
    settle_account_now(a1, actor=ub_users["tech"], on_date=SETTLE_DAY)
    rows = UtilityCollectionReferral.objects.filter(account=a1)
    for wrong in (D("94.81"), D("-0.01")):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(recovered_amount=wrong)


# ---------------------------------------------------------------- owner and tenant


def test_service_reverts_to_the_owner_without_billing_the_tenant_final_read_twice(
    billing, ub_users
):
    a1, owner = billing["accounts"]["A1"], billing["accounts"]["A6"]
    standby = BillRunException.objects.get(run=billing["runs"][0], account=owner)
    assert standby.reason == "owner_standby"
    assert f"tenant account {a1.number} takes service" in standby.detail
    tenant_bill = _final_bill(billing, ub_users, a1)
    final_read = MeterRead.objects.get(read_date=MOVE_OUT, meter__serial="M-A1")
    assert tenant_bill.read_ids == [final_read.pk]
    owner_bill = Bill.objects.get(run=tenant_bill.run, account=owner)
    # From the day after the tenant's last day, on the reads after its final read.
    assert owner_bill.period_start == MOVE_OUT + datetime.timedelta(days=1)
    assert final_read.pk not in owner_bill.read_ids
    assert tenant_bill.consumption + owner_bill.consumption == D("10.000")


def test_an_owner_left_without_service_at_a_tenant_move_out_says_what_to_do(billing, ub_users):
    a1, owner = billing["accounts"]["A1"], billing["accounts"]["A6"]
    close_account(a1, MoveOut(end_date=MOVE_OUT), actor=ub_users["tech"])
    # As a tenant moved out before service went back to owners (older data): none did.
    AccountService.objects.filter(account=owner).delete()
    read(Meter.objects.get(serial="M-A1"), MOVE_OUT, "5", ub_users["tech"], reading="1003")
    run = post_second_run(billing, ub_users)
    exception = BillRunException.objects.get(run=run, account=owner)
    assert exception.reason == "owner_standby"
    assert f"Tenant account {a1.number} moved out on 11/20/2026" in exception.detail
    assert "Move the owner in again" in exception.detail


def test_utility_ar_reconciles_fund_by_fund(billing, ub_users, django_assert_max_num_queries):
    from utility_billing.queries.subledger import utility_ar_controls

    a1 = _closed_after_its_last_bill(billing, ub_users)
    pay(billing["accounts"]["A2"].number, "100.00", key="p-a2", actor=ub_users["clerk"], on=PAY_DAY)
    settle_account_now(a1, actor=ub_users["tech"], on_date=SETTLE_DAY)
    pay(a1.number, "30.00", key="p-a1", actor=ub_users["clerk"], on=SETTLE_DAY)
    _void(a1.number, "p-a1", users=ub_users)
    with django_assert_max_num_queries(2 + 2 * 3):
        rows = utility_ar_controls(SETTLE_DAY)
    assert [row.account.number for row in rows] == list(CONTROLS)
    assert all(row.difference == 0 for row in rows), rows
    assert all(row.gl_balance != 0 for row in rows)
    total = _row(Subledger.UTILITY_AR, SETTLE_DAY)
    assert sum(row.gl_balance for row in rows) == total.gl_balance == total.subledger_total


def test_a_voided_payment_is_not_on_the_next_bill_as_a_payment(ub_users):
    from utility_billing.queries.bill_documents import bill_documents

    billing = billed(ub_users)
    a1 = billing["accounts"]["A1"]
    pay(a1.number, "100.00", key="paid", actor=ub_users["clerk"], on=PAY_DAY)
    pay(a1.number, "20.00", key="returned", actor=ub_users["clerk"], on=PAY_DAY)
    _void(a1.number, "returned", users=ub_users, on=PAY_DAY)
    run = post_second_run(billing, ub_users)

    document = bill_documents([Bill.objects.get(run=run, account=a1).pk])[0]
    # The returned check is not a payment received: 100.00 was paid, not 120.00.
    assert (document.summary.payments, document.summary.other) == (D("-100.00"), 0)
