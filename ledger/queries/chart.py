"""Reads of the chart of accounts screens: the account list and its export, the funds,
departments and object codes with how many accounts use each."""

import re
from dataclasses import dataclass

from django.db.models import Count, Model, Q, QuerySet, Value
from django.db.models.functions import Replace

from ledger.models import (
    NORMAL_BALANCE,
    Account,
    Department,
    Fund,
    ObjectCode,
    account_number,
)

# The export has the import's columns (plus the derived number and normal balance), so an
# exported chart, edited in a spreadsheet, imports again.
CHART_EXPORT_FIELDS = [
    ("number", "number"),
    ("fund", "fund__code"),
    ("fund_name", "fund__name"),
    ("fund_type", "fund__fund_type"),
    ("department", "department__code"),
    ("department_name", "department__name"),
    ("object", "object_code__code"),
    ("object_name", "object_code__name"),
    ("account_type", "account_type"),
    ("normal_balance", "normal_balance"),
    ("account_name", "name"),
    ("allows_posting", "allows_posting"),
    ("control_subledger", "control_subledger"),
    ("active", "is_active"),
]


def chart_accounts(
    *,
    q: str = "",
    fund: Fund | None = None,
    department: Department | None = None,
    account_type: str = "",
    active: str = "",
    control: str = "",
) -> QuerySet[Account]:
    """Accounts by number, narrowed by a search (part of the number, with or without its
    dashes, or of the name), fund, department, type, status and control subledger."""
    accounts = Account.objects.order_by("number")
    if fund is not None:
        accounts = accounts.filter(fund=fund)
    if department is not None:
        accounts = accounts.filter(department=department)
    if account_type:
        accounts = accounts.filter(account_type=account_type)
    if active:
        accounts = accounts.filter(is_active=active == "yes")
    if control == "any":
        accounts = accounts.exclude(control_subledger="")
    elif control == "none":
        accounts = accounts.filter(control_subledger="")
    elif control:
        accounts = accounts.filter(control_subledger=control)
    q = q.strip()
    if q:
        found = Q(number__contains=q) | Q(name__icontains=q)
        if re.fullmatch(r"[0-9]{4,}", q):  # "5014100" finds 501-4100-...
            accounts = accounts.annotate(digits=Replace("number", Value("-"), Value("")))
            found |= Q(digits__contains=q)
        accounts = accounts.filter(found)
    return accounts


@dataclass(frozen=True)
class SegmentRow:
    pk: int
    code: str
    name: str
    type_label: str
    is_active: bool
    account_count: int


def segment_rows(model: type[Model], *, type_field: str | None = None) -> list[SegmentRow]:
    """Every fund (department, object code) by code, with how many accounts use it."""
    labels = dict(model._meta.get_field(type_field).choices) if type_field else {}
    rows = model.objects.order_by("code").annotate(account_count=Count("accounts"))
    return [
        SegmentRow(
            pk=row.pk,
            code=row.code,
            name=row.name,
            type_label=labels.get(getattr(row, type_field), "") if type_field else "",
            is_active=row.is_active,
            account_count=row.account_count,
        )
        for row in rows
    ]


def account_has_lines(account: Account) -> bool:
    """Whether journal lines point at the account (then its number is fixed)."""
    return account.lines.exists()


@dataclass(frozen=True)
class AccountIdentity:
    number: str
    account_type: str
    normal_balance: str
    taken_by: Account | None  # another account with this number


def account_identity(
    fund: Fund | None,
    department: Department | None,
    object_code: ObjectCode | None,
    *,
    account: Account | None = None,
) -> AccountIdentity | None:
    """The number, type and normal balance an account of these segments has, and the
    account that has that number already, if another has; None until all three are chosen."""
    if fund is None or department is None or object_code is None:
        return None
    number = account_number(fund.code, department.code, object_code.code)
    taken = Account.objects.filter(number=number)
    if account is not None:
        taken = taken.exclude(pk=account.pk)
    return AccountIdentity(
        number=number,
        account_type=object_code.get_account_type_display(),
        normal_balance=NORMAL_BALANCE[object_code.account_type].label,
        taken_by=taken.first(),
    )
