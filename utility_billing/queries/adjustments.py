"""Reads of utility adjustments: the list, one adjustment, the approval queue, the leak
policy in force, and the revenue accounts a fixed adjustment may name."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.urls import reverse

from ledger.models import Account, AccountType, Subledger
from utility_billing.models import AdjustmentStatus, LeakAdjustmentPolicy, UtilityAdjustment


def adjustment_list(*, status: str = "") -> QuerySet[UtilityAdjustment]:
    """Adjustments, newest first; pending ones oldest first (the order to decide them)."""
    adjustments = UtilityAdjustment.objects.select_related(
        "account", "account__customer", "to_account", "prepared_by", "decided_by"
    )
    if status:
        adjustments = adjustments.filter(status=status)
    if status == AdjustmentStatus.PENDING:
        return adjustments.order_by("prepared_at", "id")
    return adjustments.order_by("-prepared_at", "-id")


def adjustment_detail(pk: int) -> UtilityAdjustment:
    return UtilityAdjustment.objects.select_related(
        "account",
        "account__customer",
        "to_account",
        "to_account__customer",
        "bill",
        "bill_line",
        "reverses",
        "revenue_account",
        "policy",
        "prepared_by",
        "decided_by",
        "journal_entry",
    ).get(pk=pk)


def adjustments_to_approve(user: AbstractBaseUser) -> QuerySet[UtilityAdjustment]:
    """Pending adjustments someone else prepared: what this lead may decide."""
    return (
        UtilityAdjustment.objects.pending()
        .exclude(prepared_by_id=user.pk)
        .select_related("account")
        .order_by("prepared_at", "id")
    )


def adjustment_approval_work(user: AbstractBaseUser, limit: int = 10) -> list[tuple[str, str]]:
    """The home page's "Utility adjustments to approve" queue, oldest first."""
    return [
        (
            f"{adj.number} {adj.get_kind_display().lower()} on {adj.account.number}, "
            f"${adj.amount:,.2f}",
            reverse("utility_billing:adjustment_detail", args=[adj.pk]),
        )
        for adj in adjustments_to_approve(user)[:limit]
    ]


def policy_in_force(on_date: dt.date) -> LeakAdjustmentPolicy | None:
    return (
        LeakAdjustmentPolicy.objects.filter(effective_from__lte=on_date)
        .exclude(effective_to__lt=on_date)
        .order_by("-effective_from")
        .first()
    )


def adjustable_revenue_accounts():
    """Revenue accounts of the funds that have a utility AR control account: what a fixed
    adjustment may charge or credit back."""
    funds = Account.objects.postable().filter(control_subledger=Subledger.UTILITY_AR)
    return (
        Account.objects.postable()
        .filter(account_type=AccountType.REVENUE, fund_id__in=funds.values("fund_id"))
        .order_by("number")
    )
