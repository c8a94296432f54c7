"""Money at move-out: deposits taken at the counter, and the final settlement when a
closed account's final bill posts: the deposit held applied to the balance, a credit
left refunded, a balance left referred to collection, the account final billed.

Entries post through the ledger's posting service in the bill run's transaction, each
under a key derived from the account, so a settlement happens once. Subledger movements
name their entry; the deposit's own rows are audited (pghistory)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from ledger.models import Account, Subledger
from ledger.services import LineSpec, post_entry
from millbrae_finance.money import ZERO
from millbrae_finance.payment_targets import CreditLine, TargetMatch
from utility_billing.models import (
    AccountStatus,
    DepositStatus,
    ReferralStatus,
    UtilityAccount,
    UtilityCollectionReferral,
    UtilityDeposit,
    UtilityTransaction,
    UtilityTransactionKind,
)
from utility_billing.queries.accounts import account_list
from utility_billing.queries.payments import credit_control_account, open_parts
from utility_billing.queries.settlements import final_bill
from utility_billing.services.payments import _account_for, _check_amount, allocate

SOURCE_MODULE = "utility_billing"
# Refunds of a credit left at move-out are owed to the customer until paid (by AP).
REFUNDS_PAYABLE_OBJECT = "2220"


def deposits_account() -> Account:
    """The customer-deposits liability: the deposits control account (by number)."""
    account = (
        Account.objects.postable()
        .filter(control_subledger=Subledger.DEPOSITS)
        .order_by("number")
        .first()
    )
    if account is None:
        raise ValidationError(
            "No active customer-deposits control account in the chart of accounts: the "
            "Administrator marks one (e.g. 501-0000-2210) as the deposits control account."
        )
    return account


def refunds_payable_account(fund_id: int) -> Account:
    """Refunds payable (object 2220) in the fund, else in any fund."""
    accounts = Account.objects.postable().filter(object_code__code=REFUNDS_PAYABLE_OBJECT)
    account = accounts.filter(fund_id=fund_id).first() or accounts.order_by("number").first()
    if account is None:
        raise ValidationError(
            "No refunds payable account (object 2220) in the chart of accounts: the "
            "Administrator adds one (e.g. 501-0000-2220) before a credit can be refunded."
        )
    return account


def deposit_due(account: UtilityAccount) -> Decimal:
    """What is left to take of the deposit the credit rule asked (none if waived)."""
    return deposits_due([account]).get(account.pk, ZERO)


def deposits_due(accounts: Sequence[UtilityAccount]) -> dict[int, Decimal]:
    """`deposit_due` of each account, by id, in one query whatever their number."""
    asked = [a for a in accounts if not a.deposit_waived and a.deposit_required > 0]
    if not asked:
        return {}
    held = dict(
        UtilityDeposit.objects.filter(account__in=asked, status=DepositStatus.HELD)
        .values("account")
        .annotate(t=Sum("amount"))
        .values_list("account", "t")
    )
    return {a.pk: max(a.deposit_required - held.get(a.pk, ZERO), ZERO) for a in asked}


class UtilityDepositTarget:
    key = "utility-deposit"
    label = "Utility deposit"

    def find(self, text: str, *, limit: int) -> Sequence[TargetMatch]:
        """Accounts a search finds that still owe their move-in deposit."""
        # Only accounts asked for a deposit, and what each has given in one query: the
        # counter searches every target at each keystroke (issue 11: p95 under 30 ms).
        accounts = list(
            account_list(q=text).filter(deposit_required__gt=0, deposit_waived=False)[:limit]
        )
        owed = deposits_due(accounts)
        matches = []
        for account in accounts:
            due = owed.get(account.pk, ZERO)
            if due > 0:
                matches.append(
                    TargetMatch(
                        kind=self.key,
                        reference=account.number,
                        label=f"Deposit for utility account {account.number}, "
                        f"{account.location.address}",
                        customer=f"{account.customer.number} {account.customer.name}",
                        amount_due=due,
                    )
                )
        return matches

    def amount_due(self, reference: str, *, as_of: dt.date) -> Decimal:
        return deposit_due(_account_for(reference))

    def apply_payment(
        self,
        reference: str,
        *,
        amount: Decimal,
        as_of: dt.date,
        receipt: str,
        actor: AbstractBaseUser,
        payment_key: str,
    ) -> Sequence[CreditLine]:
        # Locked first: a repeat waits here for the first to commit, then finds it.
        account = _account_for(reference, lock=True)
        if (first := self._repeat(payment_key, account, amount)) is not None:
            return first
        _check_amount(amount)
        due = deposit_due(account)
        if amount > due:
            raise ValidationError(
                {"amount": f"{amount:,.2f} is more than the {due:,.2f} deposit still due."}
            )
        liability = deposits_account()
        try:
            with transaction.atomic():
                deposit = UtilityDeposit.objects.create(
                    account=account,
                    amount=amount,
                    received_date=as_of,
                    receipt=receipt[:40],
                    payment_key=payment_key,
                    liability_account=liability,
                    created_by=actor,
                )
        except IntegrityError:
            if (first := self._repeat(payment_key, account, amount)) is None:
                raise
            return first
        return [_deposit_line(deposit)]

    @staticmethod
    def _repeat(payment_key: str, account: UtilityAccount, amount: Decimal):
        deposit = (
            UtilityDeposit.objects.filter(payment_key=payment_key)
            .select_related("liability_account")
            .first()
        )
        if deposit is None:
            return None
        if deposit.account_id != account.pk or deposit.amount != amount:
            raise ValidationError(
                {
                    "amount": f"Payment {payment_key} was already taken: a deposit of "
                    f"{deposit.amount:,.2f}. It was not taken again."
                }
            )
        return [_deposit_line(deposit)]


def _deposit_line(deposit: UtilityDeposit) -> CreditLine:
    return CreditLine(
        account=deposit.liability_account,
        amount=-deposit.amount,
        memo=f"Deposit, receipt {deposit.receipt}"[:100],
    )


# ---------------------------------------------------------------- final settlement


def _movement(account, *, kind, control, amount, on_date, memo, cause, entry, actor, bill_id=None):
    return UtilityTransaction(
        account=account,
        bill_id=bill_id,
        kind=kind,
        control_account=control,
        amount=amount,
        transaction_date=on_date,
        memo=memo[:250],
        reference=f"FINAL-{account.number}"[:40],
        cause=cause,
        journal_entry=entry,
        created_by=actor,
    )


def settle_final_bill(
    account_id: int,
    *,
    on_date: dt.date,
    prepared_by: AbstractBaseUser,
    approved_by: AbstractBaseUser | None,
    actor: AbstractBaseUser | None = None,
) -> UtilityAccount:
    """Settle a closed account whose final bill posts (inside the posting transaction):
    apply its deposits held to the balance (oldest bill first, fund by fund), refund a
    credit left, refer a balance left to collection, and mark it final billed. An account
    no longer closed is returned as it is (settled once). `actor` (who settles; by default
    the approver) is recorded on the movements and the referral."""
    account = UtilityAccount.objects.select_for_update().get(pk=account_id)
    if account.status != AccountStatus.CLOSED:
        return account
    actor = actor or approved_by or prepared_by
    deposits = list(
        UtilityDeposit.objects.select_for_update()
        .filter(account=account, status=DepositStatus.HELD)
        .order_by("id")
    )
    held = sum((d.amount for d in deposits), ZERO)
    if held > 0:
        _apply_deposits(account, deposits, held, on_date, prepared_by, approved_by, actor)
    balance = account.transactions.aggregate(t=Sum("amount"))["t"] or ZERO
    if balance < 0:
        _refund(account, -balance, on_date, prepared_by, approved_by, actor)
    elif balance > 0:
        UtilityCollectionReferral.objects.create(
            account=account,
            amount=balance,
            referred_on=on_date,
            status=ReferralStatus.REFERRED,
            created_by=actor,
        )
    account.status = AccountStatus.FINAL_BILLED
    account.save(update_fields=["status"])
    return account


def _apply_deposits(account, deposits, held, on_date, prepared_by, approved_by, actor) -> None:
    paid, left = allocate(open_parts(account, as_of=on_date), held)
    controls = Account.objects.select_related("fund").in_bulk(
        {part.control_account_id for part, _ in paid}
    )
    shares = [(controls[part.control_account_id], part.bill_id, share) for part, share in paid]
    if left > 0:
        shares.append((credit_control_account(), None, left))
    debits: dict[int, Decimal] = defaultdict(Decimal)
    liabilities = {}
    for deposit in deposits:
        debits[deposit.liability_account_id] += deposit.amount
        liabilities[deposit.liability_account_id] = deposit.liability_account
    memo = f"Deposit applied to the final bill of {account.number}"
    entry = post_entry(
        entry_date=on_date,
        lines=[LineSpec(liabilities[pk], amount, memo[:100]) for pk, amount in debits.items()]
        + [LineSpec(control, -share, memo[:100]) for control, _, share in shares],
        memo=memo,
        source_module=SOURCE_MODULE,
        source_document=f"FINAL-{account.number}"[:40],
        idempotency_key=f"utility-final-{account.pk}-deposit",
        prepared_by=prepared_by,
        approved_by=approved_by,
    )
    UtilityTransaction.objects.bulk_create(
        _movement(
            account,
            kind=UtilityTransactionKind.DEPOSIT_APPLIED,
            control=control,
            amount=-share,
            on_date=on_date,
            memo=memo,
            cause=f"final-{account.pk}:deposit:"
            + (f"bill-{bill_id}:" if bill_id else "")
            + f"fund-{control.fund.code}",
            entry=entry,
            actor=actor,
            bill_id=bill_id,
        )
        for control, bill_id, share in shares
    )
    for deposit in deposits:
        deposit.status = DepositStatus.APPLIED
        deposit.settled_on = on_date
        deposit.settlement_entry = entry
        deposit.save(update_fields=["status", "settled_on", "settlement_entry"])


def _refund(account, amount, on_date, prepared_by, approved_by, actor) -> None:
    """Refund a credit: debit utility AR where the credit sits (controls in credit, by
    number), credit refunds payable."""
    by_control = (
        account.transactions.values("control_account")
        .annotate(total=Sum("amount"))
        .filter(total__lt=0)
        .order_by("control_account__number")
    )
    controls = Account.objects.select_related("fund").in_bulk(
        [row["control_account"] for row in by_control]
    )
    shares, left = [], amount
    for row in by_control:
        share = min(left, -row["total"])
        if share > 0:
            shares.append((controls[row["control_account"]], share))
            left -= share
    if left > 0:  # cannot happen: the controls in credit cover the account's credit
        shares.append((credit_control_account(), left))
    payable = refunds_payable_account(shares[0][0].fund_id)
    memo = f"Refund of the credit on {account.number} at move-out"
    entry = post_entry(
        entry_date=on_date,
        lines=[LineSpec(control, share, memo[:100]) for control, share in shares]
        + [LineSpec(payable, -amount, memo[:100])],
        memo=memo,
        source_module=SOURCE_MODULE,
        source_document=f"FINAL-{account.number}"[:40],
        idempotency_key=f"utility-final-{account.pk}-refund",
        prepared_by=prepared_by,
        approved_by=approved_by,
    )
    UtilityTransaction.objects.bulk_create(
        _movement(
            account,
            kind=UtilityTransactionKind.REFUND,
            control=control,
            amount=share,
            on_date=on_date,
            memo=memo,
            cause=f"final-{account.pk}:refund:fund-{control.fund.code}",
            entry=entry,
            actor=actor,
        )
        for control, share in shares
    )


def settle_account_now(
    account: UtilityAccount, *, actor: AbstractBaseUser, on_date: dt.date | None = None
) -> UtilityAccount:
    """Settle a closed account whose final bill has posted and that no run settled (its
    move-out was recorded after the run that billed its last day posted, so no later run
    selects it): what the run's posting would have done, dated today (or the final
    bill's date, if that is later).

    The entries are prepared by whoever settles and approved by the approver of the final
    bill's run (the approval that fixed the amounts moved), so that approver may not be
    the one who settles. Settled once: a settled account is returned as it is, and the
    entries' keys are the account's."""
    on_date = on_date or timezone.localdate()
    with transaction.atomic(durable=True):
        account = UtilityAccount.objects.select_for_update().get(pk=account.pk)
        if account.status == AccountStatus.FINAL_BILLED:
            return account
        if account.status != AccountStatus.CLOSED:
            raise ValidationError(
                f"Account {account.number} is {account.get_status_display().lower()}: only "
                "a closed account (moved out) is settled. Close it first (Move out)."
            )
        bill = final_bill(account)
        if bill is None:
            raise ValidationError(
                f"Account {account.number}'s final bill (to its move-out day "
                f"{account.end_date:%m/%d/%Y}) is not posted yet: the next bill run of its "
                "cycle bills and settles it."
            )
        # Not before the final bill's own date: the deposit applies to that bill, and
        # the ledger shows the bill before what settles it.
        on_date = max(on_date, bill.run.bill_date)
        approver = bill.run.approved_by
        if approver is not None and approver.pk == actor.pk:
            raise ValidationError(
                f"You approved bill run {bill.run.reference}, which holds the final bill: "
                "another technician settles the account."
            )
        try:
            return settle_final_bill(
                account.pk,
                on_date=on_date,
                prepared_by=actor,
                approved_by=approver,
                actor=actor,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "entry_date" in error.error_dict:
                raise ValidationError(
                    f"{error.message_dict['entry_date'][0]} The settlement is dated today; "
                    "a supervisor reopens the period or it waits for the next one."
                ) from error
            raise
