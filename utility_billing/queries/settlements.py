"""Reads of deposits, collection referrals and owner notices."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from millbrae_finance.money import ZERO
from utility_billing.models import (
    AccountStatus,
    Bill,
    BillRunStatus,
    DepositStatus,
    OwnerNotice,
    OwnerNoticeStatus,
    UtilityAccount,
    UtilityCollectionReferral,
    UtilityDeposit,
    UtilityTransaction,
    UtilityTransactionKind,
)


def deposits_held_total(as_of: dt.date) -> Decimal:
    """The deposits held at the close of a day (received, not yet settled): what the
    customer-deposits control account must equal."""
    return UtilityDeposit.objects.filter(
        Q(settled_on__isnull=True) | Q(settled_on__gt=as_of), received_date__lte=as_of
    ).aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]


def owner_notices(*, status: str = "", owner_account: UtilityAccount | None = None) -> QuerySet:
    """Owner notices, those to send first, with the accounts and bill they name."""
    notices = OwnerNotice.objects.select_related(
        "owner_account__customer", "owner_account__location", "tenant_account__customer", "bill"
    )
    if status:
        notices = notices.filter(status=status)
    if owner_account is not None:
        notices = notices.filter(owner_account=owner_account)
    return notices.order_by("status", "-as_of", "id")


def owner_notice_work(user) -> list[tuple[str, str]]:
    """Work queue: owner notices to send, oldest first."""
    from django.urls import reverse

    rows = owner_notices(status=OwnerNoticeStatus.TO_SEND).order_by("as_of", "id")[:10]
    return [
        (
            f"{n.owner_account.number} {n.owner_account.customer.name}: tenant "
            f"{n.tenant_account.number} {n.days_past_due} days past due",
            reverse("utility_billing:owner_notice_list"),
        )
        for n in rows
    ]


@dataclass
class MoveOutMoney:
    """What the account page's deposits panel shows: deposits (held and settled), the
    collection referral of a final bill's balance, and notices about a tenant (for an
    owner's account)."""

    deposits: list[UtilityDeposit]
    deposit_held: Decimal
    referral: UtilityCollectionReferral | None
    owner_notices: list[OwnerNotice]
    settlement: "Settlement | None" = None


@dataclass
class Settlement:
    """What settling a closed account would do now: the deposit held applied to the
    balance, and what is left refunded (a credit) or referred to collection."""

    final_bill: Bill | None
    balance: Decimal
    deposit_held: Decimal
    refund: Decimal
    referral: Decimal

    @property
    def ready(self) -> bool:
        return self.final_bill is not None


def final_bill(account: UtilityAccount) -> Bill | None:
    """A closed account's final bill: its posted bill that reaches its move-out day."""
    if account.end_date is None:
        return None
    return (
        Bill.objects.filter(
            account=account, run__status=BillRunStatus.POSTED, period_end__gte=account.end_date
        )
        .select_related("run", "run__approved_by")
        .order_by("-period_end", "-id")
        .first()
    )


def settlement_for(account: UtilityAccount, deposit_held: Decimal) -> Settlement | None:
    """What settling the account would do, for a closed account (not yet settled)."""
    if account.status != AccountStatus.CLOSED:
        return None
    balance = account.transactions.aggregate(t=Coalesce(Sum("amount"), ZERO))["t"]
    left = balance - deposit_held
    return Settlement(
        final_bill=final_bill(account),
        balance=balance,
        deposit_held=deposit_held,
        refund=max(-left, ZERO),
        referral=max(left, ZERO),
    )


def move_out_money(account: UtilityAccount) -> MoveOutMoney:
    """An account's deposits, referral and owner notices (three queries), and what
    settling it would do if it is closed (two more)."""
    deposits = list(account.deposits.order_by("-received_date", "-id"))
    held = sum((d.amount for d in deposits if d.status == DepositStatus.HELD), ZERO)
    return MoveOutMoney(
        deposits=deposits,
        deposit_held=held,
        referral=UtilityCollectionReferral.objects.filter(account=account).first(),
        owner_notices=list(owner_notices(owner_account=account)[:20]),
        settlement=settlement_for(account, held),
    )


VOID_PREFIX = "void:"


def recovered_since_referral(referral: UtilityCollectionReferral) -> Decimal:
    """What payments made on the account after its referral paid, less those of them
    voided since, at most the amount referred."""
    payments = dict(
        UtilityTransaction.objects.filter(
            account_id=referral.account_id,
            kind=UtilityTransactionKind.PAYMENT,
            created_at__gt=referral.created_at,
        ).values_list("cause", "amount")
    )
    voids = UtilityTransaction.objects.filter(
        account_id=referral.account_id, kind=UtilityTransactionKind.PAYMENT_VOID
    ).values_list("cause", "amount")
    paid = -sum(payments.values(), ZERO)
    voided = sum(
        (amount for cause, amount in voids if cause.removeprefix(VOID_PREFIX) in payments), ZERO
    )
    return min(max(paid - voided, ZERO), referral.amount)
