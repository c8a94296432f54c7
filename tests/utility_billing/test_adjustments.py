"""Utility adjustments end to end through the screens: a technician prepares, a lead who
did not prepare approves (403 for the preparer), approval posts the ledger entry and the
subledger movements once, and utility AR still reconciles to the cent. Bills come from
two posted runs of billing_helpers' cycle (October and November 2026).

The leak worked by hand: A2 (3/4") used 7 HCF on its October bill and 25 on November's;
average 7, excess 18 HCF. November's water use lines: 6 HCF at 5.25, 14 at 6.75, 5 at
8.50. The excess priced top tier first: 5 x 8.50 = 42.50; 13 x 6.75 = 87.75; total
130.25; half of it (the policy) = 65.125, rounded half up 65.13.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.urls import reverse

from ledger.models import JournalEntry, JournalLine, Subledger
from ledger.queries.calendar import period_for_date
from ledger.reconciliation import reconciliation
from ledger.services import close_period
from tests.jobs_helpers import run_queued_jobs
from tests.utility_billing.billing_helpers import (
    BILL_DATE,
    PERIOD_END,
    PERIOD_START,
    make_billing_cycle,
    read,
)
from utility_billing.models import (
    AdjustmentStatus,
    Bill,
    BillLine,
    BillRunStatus,
    LeakAdjustmentPolicy,
    Meter,
    UtilityAdjustment,
    UtilityTransaction,
)
from utility_billing.queries.adjustments import adjustment_approval_work
from utility_billing.queries.subledger import account_balance
from utility_billing.services.adjustments import approve_adjustment
from utility_billing.services.bill_runs import approve_bill_run, start_bill_run

pytestmark = pytest.mark.django_db
D = Decimal
day = datetime.date
ADJUSTED_ON = day(2026, 11, 20)


def post_run(billing, users, *, start, end, bill_date, key) -> None:
    run = start_bill_run(
        billing["cycle"],
        period_start=start,
        period_end=end,
        bill_date=bill_date,
        idempotency_key=key,
        actor=users["tech"],
    )
    run_queued_jobs()
    run.refresh_from_db()
    approve_bill_run(run, idempotency_key=f"{key}-approve", actor=users["senior"])
    run_queued_jobs()
    run.refresh_from_db()
    assert run.status == BillRunStatus.POSTED, run.error


@pytest.fixture
def billed(ub_users) -> dict:
    """October's and November's runs posted; the leak policy of half the excess."""
    billing = make_billing_cycle(ub_users)
    a2 = billing["accounts"]["A2"]
    read(Meter.objects.get(serial="M-A2"), day(2026, 10, 5), "7", ub_users["tech"])
    post_run(
        billing,
        ub_users,
        start=day(2026, 9, 6),
        end=day(2026, 10, 5),
        bill_date=day(2026, 10, 10),
        key="october",
    )
    post_run(billing, ub_users, start=PERIOD_START, end=PERIOD_END, bill_date=BILL_DATE, key="nov")
    LeakAdjustmentPolicy.objects.create(
        name="Leak policy",
        effective_from=day(2025, 7, 1),
        credit_share=D("0.5"),
        created_by=ub_users["admin"],
    )
    billing["november"] = Bill.objects.get(account=a2, period_end=PERIOD_END)
    return {**billing, **ub_users}


def prepare(client, user, account, kind: str, key: str, **values):
    client.force_login(user)
    url = reverse("utility_billing:adjustment_create", args=[account.pk, kind])
    data = {"adjustment_date": ADJUSTED_ON.isoformat(), "reason": "Test", "idempotency_key": key}
    return client.post(url, {**data, **values})


def approve(client, user, adjustment):
    client.force_login(user)
    return client.post(reverse("utility_billing:adjustment_approve", args=[adjustment.pk]))


def assert_reconciles() -> None:
    row = {r.subledger: r for r in reconciliation(ADJUSTED_ON)}[Subledger.UTILITY_AR]
    assert row.reconciles, (row.gl_balance, row.subledger_total)


def test_leak_adjustment_end_to_end(client, billed):
    a2 = billed["accounts"]["A2"]
    client.force_login(billed["tech"])
    form = client.get(reverse("utility_billing:adjustment_create", args=[a2.pk, "leak"]))
    assert form.status_code == 200 and "Leak policy" in form.content.decode()
    response = prepare(
        client,
        billed["tech"],
        a2,
        "leak",
        "leak-1",
        bill=billed["november"].pk,
        repair_date="2026-11-12",
        repair_proof="Ace Plumbing invoice 4411, 11/12/2026",
    )
    adjustment = UtilityAdjustment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "utility_billing:adjustment_detail", args=[adjustment.pk]
    )
    assert adjustment.amount == D("-65.13") and adjustment.status == AdjustmentStatus.PENDING
    assert (adjustment.consumption, adjustment.average_consumption, adjustment.excess) == (
        D("25.000"),
        D("7.000"),
        D("18.000"),
    )
    assert "5.000 HCF x $8.50 = $42.50; 13.000 HCF x $6.75 = $87.75" in adjustment.arithmetic
    assert "50% of $130.25 = $65.13" in adjustment.arithmetic
    page = client.get(response["Location"]).content.decode()
    assert "$65.13" in page and "Approve and post" not in page

    # The preparer may not approve: 403, nothing posted.
    assert approve(client, billed["tech"], adjustment).status_code == 403
    # A technician is no approver either.
    assert approve(client, billed["tech2"], adjustment).status_code == 403
    assert approve(client, billed["senior"], adjustment).status_code == 302
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.APPROVED
    assert adjustment.decided_by == billed["senior"]
    movement = UtilityTransaction.objects.get(reference=adjustment.number)
    assert (movement.kind, movement.amount, movement.control_account.number) == (
        "credit",
        D("-65.13"),
        "501-0000-1110",
    )
    lines = {
        line.account.number: line.amount
        for line in JournalLine.objects.filter(entry=adjustment.journal_entry)
    }
    assert lines == {"501-0000-1110": D("-65.13"), "501-4100-4411": D("65.13")}
    entry = adjustment.journal_entry
    assert (entry.prepared_by, entry.approved_by, entry.source_document) == (
        billed["tech"],
        billed["senior"],
        adjustment.number,
    )
    assert account_balance(a2) == D("336.50") + D("0.00") - D("65.13") + _october(a2)
    assert_reconciles()

    # A second leak adjustment within 12 months is refused beside the bill, nothing saved.
    again = prepare(
        client,
        billed["tech"],
        a2,
        "leak",
        "leak-2",
        bill=billed["november"].pk,
        repair_date="2026-11-12",
        repair_proof="Ace",
    )
    assert again.status_code == 200
    assert "within the last 12 months" in again.context["form"].errors["bill"][0]
    assert UtilityAdjustment.objects.count() == 1


def _october(account) -> Decimal:
    return Bill.objects.get(account=account, period_end=day(2026, 10, 5)).amount


def test_leak_adjustment_asks_for_proof_and_an_excess(client, billed):
    a1, a2 = billed["accounts"]["A1"], billed["accounts"]["A2"]
    response = prepare(client, billed["tech"], a2, "leak", "k1", bill=billed["november"].pk)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "proof of the repair" in errors["repair_proof"][0] and "repair_date" in errors
    # A1 used 10 HCF against an average of 9: little excess, but some; its October bill
    # had no history before it to average.
    october = Bill.objects.get(account=a1, period_end=day(2026, 10, 5))
    response = prepare(
        client,
        billed["tech"],
        a1,
        "leak",
        "k2",
        bill=october.pk,
        repair_date="2026-11-01",
        repair_proof="Receipt",
    )
    assert "No earlier bill" in response.context["form"].errors["bill"][0]
    # Another account's bill is not offered.
    response = prepare(client, billed["tech"], a1, "leak", "k3", bill=billed["november"].pk)
    assert "bill" in response.context["form"].errors
    assert not UtilityAdjustment.objects.exists()


def test_fixed_adjustment_credit_and_charge(client, billed):
    a1 = billed["accounts"]["A1"]
    from ledger.models import Account

    sewer = Account.objects.get(number="502-4200-4421")
    response = prepare(
        client,
        billed["tech"],
        a1,
        "fixed",
        "fixed-1",
        direction="credit",
        amount="25.00",
        revenue_account=sewer.pk,
    )
    assert response.status_code == 302
    credit = UtilityAdjustment.objects.get()
    assert credit.amount == D("-25.00")
    # A double-clicked Prepare (the same key) prepares one.
    prepare(
        client,
        billed["tech"],
        a1,
        "fixed",
        "fixed-1",
        direction="credit",
        amount="25.00",
        revenue_account=sewer.pk,
    )
    assert UtilityAdjustment.objects.count() == 1
    before = account_balance(a1)
    assert approve(client, billed["supervisor"], credit).status_code == 302
    assert account_balance(a1) == before - D("25.00")
    lines = JournalLine.objects.filter(entry__source_document=credit.number)
    assert {line.account.number: line.amount for line in lines} == {
        "502-0000-1110": D("-25.00"),
        "502-4200-4421": D("25.00"),
    }
    prepare(
        client,
        billed["tech"],
        a1,
        "fixed",
        "fixed-2",
        direction="charge",
        amount="10.00",
        revenue_account=sewer.pk,
    )
    charge = UtilityAdjustment.objects.get(idempotency_key="fixed-2")
    assert charge.amount == D("10.00")
    approve(client, billed["senior"], charge)
    assert account_balance(a1) == before - D("15.00")
    assert_reconciles()


@pytest.mark.parametrize(
    "values, field",
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"direction": "sideways"}, "direction"),
        ({"reason": ""}, "reason"),
        ({"adjustment_date": "2026-02-30"}, "adjustment_date"),
        ({"adjustment_date": "2030-01-01"}, "adjustment_date"),
        ({"revenue_account": "999999"}, "revenue_account"),
        ({"idempotency_key": ""}, "idempotency_key"),
    ],
)
def test_fixed_adjustment_bad_input_answers_beside_the_field(client, billed, values, field):
    from ledger.models import Account

    sewer = Account.objects.get(number="502-4200-4421")
    data = {"direction": "credit", "amount": "5.00", "revenue_account": sewer.pk, **values}
    key = data.pop("idempotency_key", "bad")
    response = prepare(client, billed["tech"], billed["accounts"]["A1"], "fixed", key, **data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not UtilityAdjustment.objects.exists()


def test_a_closed_period_is_refused_cleanly(client, billed):
    from ledger.models import Account

    sewer = Account.objects.get(number="502-4200-4421")
    close_period(period_for_date(day(2026, 10, 15)), actor=billed["supervisor"], reason="test")
    response = prepare(
        client,
        billed["tech"],
        billed["accounts"]["A1"],
        "fixed",
        "closed",
        direction="credit",
        amount="5.00",
        revenue_account=sewer.pk,
        adjustment_date="2026-10-15",
    )
    assert response.status_code == 200
    assert "closed to posting" in response.context["form"].errors["adjustment_date"][0]
    assert not UtilityAdjustment.objects.exists()
    # Prepared while open, approved after the period closed: refused, nothing posted.
    prepare(
        client,
        billed["tech"],
        billed["accounts"]["A1"],
        "fixed",
        "later",
        direction="credit",
        amount="5.00",
        revenue_account=sewer.pk,
    )
    adjustment = UtilityAdjustment.objects.get()
    close_period(period_for_date(ADJUSTED_ON), actor=billed["supervisor"], reason="test")
    entries = JournalEntry.objects.count()
    response = approve(client, billed["senior"], adjustment)
    assert response.status_code == 200 and "closed to posting" in response.content.decode()
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.PENDING
    assert JournalEntry.objects.count() == entries


def test_reversal_of_a_bill_charge_and_of_an_adjustment(client, billed):
    a1 = billed["accounts"]["A1"]
    november = Bill.objects.get(account=a1, period_end=PERIOD_END)
    storm = BillLine.objects.get(bill=november, service_kind="storm_drain")
    client.force_login(billed["tech"])
    form = client.get(reverse("utility_billing:adjustment_create", args=[a1.pk, "reversal"]))
    assert f"line-{storm.pk}" in form.content.decode()
    response = prepare(client, billed["tech"], a1, "reversal", "rev-1", target=f"line-{storm.pk}")
    assert response.status_code == 302
    reversal = UtilityAdjustment.objects.get()
    assert reversal.amount == D("-3.50")
    before = account_balance(a1)
    approve(client, billed["senior"], reversal)
    assert account_balance(a1) == before - D("3.50")
    lines = JournalLine.objects.filter(entry__source_document=reversal.number)
    assert {line.account.number: line.amount for line in lines} == {
        "503-0000-1110": D("-3.50"),
        "503-4300-4431": D("3.50"),
    }
    # The same charge again: refused beside the choice.
    again = prepare(client, billed["tech"], a1, "reversal", "rev-2", target=f"line-{storm.pk}")
    assert "reversed already" in again.context["form"].errors["target"][0]
    # The reversal of an approved adjustment mirrors it.
    undo = prepare(
        client, billed["tech"], a1, "reversal", "rev-3", target=f"adjustment-{reversal.pk}"
    )
    # A reversal is not offered to reverse (prepare a new adjustment instead).
    assert undo.status_code == 200 and "target" in undo.context["form"].errors
    assert_reconciles()


def test_reversal_of_an_approved_adjustment(client, billed):
    from ledger.models import Account

    a1 = billed["accounts"]["A1"]
    sewer = Account.objects.get(number="502-4200-4421")
    prepare(
        client,
        billed["tech"],
        a1,
        "fixed",
        "f",
        direction="charge",
        amount="40.00",
        revenue_account=sewer.pk,
    )
    fixed = UtilityAdjustment.objects.get()
    approve(client, billed["senior"], fixed)
    before = account_balance(a1)
    prepare(client, billed["tech"], a1, "reversal", "r", target=f"adjustment-{fixed.pk}")
    reversal = UtilityAdjustment.objects.get(idempotency_key="r")
    assert reversal.amount == D("-40.00") and reversal.reverses == fixed
    approve(client, billed["supervisor"], reversal)
    reversal.refresh_from_db()
    fixed.refresh_from_db()
    assert account_balance(a1) == before - D("40.00")
    assert reversal.journal_entry.reverses == fixed.journal_entry
    totals = JournalLine.objects.filter(
        entry__in=[fixed.journal_entry, reversal.journal_entry]
    ).aggregate(t=Sum("amount"))
    assert totals["t"] == 0
    assert_reconciles()


def test_balance_transfer_moves_each_fund(client, billed):
    a1, a2 = billed["accounts"]["A1"], billed["accounts"]["A2"]
    same = prepare(client, billed["tech"], a1, "transfer", "t0", to_account=a1.number)
    assert "another account" in same.context["form"].errors["to_account"][0]
    missing = prepare(client, billed["tech"], a1, "transfer", "t0", to_account="NOPE")
    assert "No utility account" in missing.context["form"].errors["to_account"][0]
    # An account with nothing owed has nothing to transfer.
    a9 = billed["accounts"]["A9"]
    empty = prepare(client, billed["tech"], a9, "transfer", "t0", to_account=a2.number)
    assert "no balance to transfer" in str(empty.context["form"].errors)
    assert not UtilityAdjustment.objects.exists()

    balance_a1, balance_a2 = account_balance(a1), account_balance(a2)
    gl_before = JournalLine.objects.filter(account__number__endswith="-0000-1110").aggregate(
        t=Sum("amount")
    )["t"]
    response = prepare(client, billed["tech"], a1, "transfer", "t1", to_account=a2.number)
    assert response.status_code == 302
    transfer = UtilityAdjustment.objects.get()
    assert transfer.amount == balance_a1
    approve(client, billed["senior"], transfer)
    assert account_balance(a1) == 0
    assert account_balance(a2) == balance_a2 + balance_a1
    movements = UtilityTransaction.objects.filter(reference=transfer.number)
    assert movements.count() == 6  # three funds, out of one account and into the other
    assert movements.aggregate(t=Sum("amount"))["t"] == 0
    gl_after = JournalLine.objects.filter(account__number__endswith="-0000-1110").aggregate(
        t=Sum("amount")
    )["t"]
    assert gl_after == gl_before
    assert_reconciles()
    # The receiving account's page lists it.
    client.force_login(billed["auditor"])
    page = client.get(
        reverse("utility_billing:account_detail", args=[a2.pk]), {"tab": "adjustments"}
    )
    assert transfer.number in page.content.decode()


def test_approving_twice_posts_once(client, billed):
    a2 = billed["accounts"]["A2"]
    prepare(
        client,
        billed["tech"],
        a2,
        "leak",
        "once",
        bill=billed["november"].pk,
        repair_date="2026-11-12",
        repair_proof="Receipt",
    )
    adjustment = UtilityAdjustment.objects.get()
    first = approve_adjustment(adjustment, actor=billed["senior"])
    entries, movements = JournalEntry.objects.count(), UtilityTransaction.objects.count()
    again = approve_adjustment(adjustment, actor=billed["supervisor"])
    assert approve(client, billed["senior"], adjustment).status_code == 302
    assert again.journal_entry_id == first.journal_entry_id and again.decided_by == billed["senior"]
    assert (JournalEntry.objects.count(), UtilityTransaction.objects.count()) == (
        entries,
        movements,
    )


def test_reject_needs_a_note_and_posts_nothing(client, billed):
    a2 = billed["accounts"]["A2"]
    prepare(
        client,
        billed["tech"],
        a2,
        "leak",
        "rej",
        bill=billed["november"].pk,
        repair_date="2026-11-12",
        repair_proof="Receipt",
    )
    adjustment = UtilityAdjustment.objects.get()
    client.force_login(billed["senior"])
    url = reverse("utility_billing:adjustment_reject", args=[adjustment.pk])
    assert client.post(url, {"note": ""}).status_code == 200
    assert client.post(url, {"note": "No proof of repair on file"}).status_code == 302
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.REJECTED
    assert not UtilityTransaction.objects.filter(reference=adjustment.number).exists()
    # A rejected leak adjustment does not count against the once-a-year rule.
    again = prepare(
        client,
        billed["tech"],
        a2,
        "leak",
        "rej-2",
        bill=billed["november"].pk,
        repair_date="2026-11-12",
        repair_proof="Ace Plumbing invoice",
    )
    assert again.status_code == 302


def test_roles_and_the_work_queue(client, billed):
    a2 = billed["accounts"]["A2"]
    for name in ("clerk", "auditor", "admin"):
        client.force_login(billed[name])
        url = reverse("utility_billing:adjustment_create", args=[a2.pk, "fixed"])
        assert client.get(url).status_code == 403, name
    prepare(
        client,
        billed["tech"],
        a2,
        "leak",
        "q",
        bill=billed["november"].pk,
        repair_date="2026-11-12",
        repair_proof="Receipt",
    )
    adjustment = UtilityAdjustment.objects.get()
    client.force_login(billed["auditor"])
    assert client.get(reverse("utility_billing:adjustment_list")).status_code == 200
    detail = client.get(reverse("utility_billing:adjustment_detail", args=[adjustment.pk]))
    assert detail.status_code == 200 and "Approve and post" not in detail.content.decode()
    assert approve(client, billed["auditor"], adjustment).status_code == 403
    assert [label for label, _ in adjustment_approval_work(billed["senior"])] == [
        f"{adjustment.number} leak adjustment on {a2.number}, $-65.13"
    ]
    assert adjustment_approval_work(billed["tech"]) == []
    client.force_login(billed["senior"])
    home = client.get("/").content.decode()
    assert "Utility adjustments to approve" in home and adjustment.number in home


def test_the_database_refuses_a_preparer_approving(billed):
    a2 = billed["accounts"]["A2"]
    adjustment = UtilityAdjustment.objects.create(
        account=a2,
        kind="fixed",
        amount=D("5.00"),
        adjustment_date=ADJUSTED_ON,
        reason="x",
        idempotency_key="raw",
        revenue_account_id=JournalLine.objects.first().account_id,
        prepared_by=billed["tech"],
    )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE utility_billing_utilityadjustment SET decided_by_id = prepared_by_id"
            " WHERE id = %s",
            [adjustment.pk],
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        UtilityAdjustment.objects.filter(pk=adjustment.pk).update(amount=D("0"))
    with pytest.raises(IntegrityError), transaction.atomic():
        UtilityAdjustment.objects.filter(pk=adjustment.pk).update(kind="transfer", to_account=a2)


def test_the_leak_policy_is_data_with_effective_dates(client, billed):
    url = reverse("utility_billing:leak_policy_create")
    client.force_login(billed["tech"])
    assert client.get(url).status_code == 403
    assert client.get(reverse("utility_billing:leak_policy_list")).status_code == 200
    client.force_login(billed["supervisor"])
    data = {
        "name": "Drought relief",
        "effective_from": "2026-11-25",
        "credit_percent": "75",
        "once_in_months": "12",
        "average_months": "12",
        "repair_proof_required": "on",
    }
    assert client.post(url, {**data, "credit_percent": "0"}).status_code == 200
    earlier = client.post(url, {**data, "effective_from": "2025-01-01"})
    assert "stands" in earlier.context["form"].errors["effective_from"][0]
    assert client.post(url, data).status_code == 302
    old, new = LeakAdjustmentPolicy.objects.order_by("effective_from")
    assert old.effective_to == day(2026, 11, 24) and new.credit_share == D("0.75")
    a2 = billed["accounts"]["A2"]
    values = {
        "bill": billed["november"].pk,
        "repair_date": "2026-11-12",
        "repair_proof": "Receipt",
    }
    # Dated before the new policy: the old one's half; after it: three quarters.
    prepare(client, billed["tech"], a2, "leak", "old", **values)
    adjustment = UtilityAdjustment.objects.get()
    assert adjustment.amount == D("-65.13") and adjustment.policy == old
    client.force_login(billed["senior"])
    reject = reverse("utility_billing:adjustment_reject", args=[adjustment.pk])
    client.post(reject, {"note": "Try the new policy"})
    prepare(client, billed["tech"], a2, "leak", "new", adjustment_date="2026-11-30", **values)
    assert UtilityAdjustment.objects.get(idempotency_key="new").amount == D("-97.69")
    event = UtilityAdjustment.pgh_event_model
    assert event.objects.filter(pgh_obj_id=adjustment.pk).count() == 2  # prepared, rejected


def role_matrix_samples() -> dict:
    """A pending fixed adjustment on the role matrix's account (made once)."""
    from django.contrib.auth.models import User

    from ledger.models import Account
    from tests.conftest import make_user
    from tests.receivables.conftest import revenue_account
    from tests.utility_billing.test_accounts import role_matrix_samples as account_samples

    account_pk = account_samples()["utility_billing:account_detail"]["pk"]
    adjustment = UtilityAdjustment.objects.filter(idempotency_key="role-matrix").first()
    if adjustment is None:
        user = User.objects.filter(username="adjustment_matrix").first() or make_user(
            None, "adjustment_matrix"
        )
        revenue = Account.objects.filter(number="501-4100-4411").first() or revenue_account(
            "501-4100-4411"
        )
        adjustment = UtilityAdjustment.objects.create(
            account_id=account_pk,
            kind="fixed",
            amount=D("5.00"),
            adjustment_date=ADJUSTED_ON,
            reason="Role matrix",
            idempotency_key="role-matrix",
            revenue_account=revenue,
            prepared_by=user,
        )
    return {
        "utility_billing:adjustment_create": {"pk": account_pk, "kind": "fixed"},
        "utility_billing:account_note_create": {"pk": account_pk},
        "utility_billing:adjustment_detail": {"pk": adjustment.pk},
        "utility_billing:adjustment_approve": {"pk": adjustment.pk},
        "utility_billing:adjustment_reject": {"pk": adjustment.pk},
    }
