"""Reads of deposits, collection referrals and owner notices."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from millbrae_finance.money import ZERO
from utility_billing.models import (
    DepositStatus,
    OwnerNotice,
    OwnerNoticeStatus,
    UtilityAccount,
    UtilityCollectionReferral,
    UtilityDeposit,
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


def move_out_money(account: UtilityAccount) -> MoveOutMoney:
    """An account's deposits, referral and owner notices (three queries)."""
    deposits = list(account.deposits.order_by("-received_date", "-id"))
    return MoveOutMoney(
        deposits=deposits,
        deposit_held=sum((d.amount for d in deposits if d.status == DepositStatus.HELD), ZERO),
        referral=UtilityCollectionReferral.objects.filter(account=account).first(),
        owner_notices=list(owner_notices(owner_account=account)[:20]),
    )
