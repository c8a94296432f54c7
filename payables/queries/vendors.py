"""Reads of vendors: the list, one vendor as a role may see it, the bank change queue."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from millbrae_finance.roles import has_role
from payables.access import SEALED_VALUE_READERS
from payables.models import BankChangeStatus, Vendor, VendorBankChange
from payables.validators import masked

WORK_ITEMS = 20


def vendor_list(*, text: str = "", status: str = "") -> QuerySet[Vendor]:
    """Vendors by name, filtered by words of the name or contact, or the number."""
    vendors = Vendor.objects.annotate(
        pending_changes=Count("bank_changes", filter=Q(bank_changes__status="pending"))
    ).order_by("name", "id")
    if status:
        vendors = vendors.filter(status=status)
    for word in text.replace("\x00", "").split()[:5]:
        number = word.upper().removeprefix("V-")
        condition = Q(name__icontains=word) | Q(contact_name__icontains=word)
        if number.isdigit():
            condition |= Q(pk=int(number))
        vendors = vendors.filter(condition)
    return vendors


def unsealed(sealed_id: int | None) -> str:
    """One sealed value in clear, through the owner's function (the only way to read it)."""
    if sealed_id is None:
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT payables_unseal(%s)", [sealed_id])
        row = cursor.fetchone()
    return row[0] if row else ""


@dataclass(frozen=True)
class Confidential:
    """The bank account number and tax ID as this user may see them."""

    bank_account: str
    tax_id: str
    whole: bool


def confidential_for(
    vendor: Vendor, user: AbstractBaseUser, *, reveal: bool = False
) -> Confidential:
    """Masked (****6789) unless the user may see them whole and asked to."""
    if reveal and has_role(user, *SEALED_VALUE_READERS):
        return Confidential(
            bank_account=unsealed(vendor.bank_account_id),
            tax_id=unsealed(vendor.tax_id_id),
            whole=True,
        )
    return Confidential(
        bank_account=masked(vendor.bank_account_last4),
        tax_id=masked(vendor.tax_id_last4),
        whole=False,
    )


def vendor_for_page(pk: int) -> Vendor:
    return Vendor.objects.prefetch_related("addresses").get(pk=pk)


def bank_changes_of(vendor: Vendor) -> list[VendorBankChange]:
    return list(vendor.bank_changes.select_related("prepared_by", "decided_by").order_by("-id"))


def bank_change_approval_work(user: AbstractBaseUser) -> list[tuple[str, str]]:
    """Bank detail changes others entered, waiting for this supervisor."""
    changes = (
        VendorBankChange.objects.filter(status=BankChangeStatus.PENDING)
        .exclude(prepared_by=user)
        .select_related("vendor")
        .order_by("id")[:WORK_ITEMS]
    )
    return [
        (
            f"{change.number} · {change.vendor.name} · "
            f"new account {masked(change.bank_account_last4)}",
            reverse("payables:vendor_detail", args=[change.vendor_id]),
        )
        for change in changes
    ]
