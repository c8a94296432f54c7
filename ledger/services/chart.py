"""The chart of accounts: funds, departments, object codes and GL accounts, kept by the
Administrator one at a time (chart_import.py brings in a whole file).

An account's number (fund-department-object, e.g. 501-4100-4411) is its identity: once
journal lines point at it, its segments never change. Its type and normal balance come
from its object code, so an object code's type never changes while accounts use it.
"""

import re

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, models, transaction

from ledger.models import (
    NORMAL_BALANCE,
    Account,
    AccountType,
    Department,
    Fund,
    ObjectCode,
    account_number,
)

CONTROL_FIXED = (
    "Account {number} has journal lines: whether it controls a subledger cannot change, or "
    "its balance would stop matching (or start having to match) a subledger it never "
    "tracked. Open a new account instead."
)
# pg_advisory_xact_lock key of the chart ("COA" in ASCII): see lock_chart.
CHART_LOCK_KEY = 0x434F41
# A subledger's control account is a receivable, a payable or a deposit held.
CONTROL_ACCOUNT_TYPES = frozenset({AccountType.ASSET, AccountType.LIABILITY})
CODE_DIGITS = {Fund: 3, Department: 4, ObjectCode: 4}
CODE_EXAMPLES = {Fund: "501", Department: "4100", ObjectCode: "4411"}
NUMBER_FIXED = (
    "Account {number} has journal lines, and its number is its identity: its fund, "
    "department and object cannot change. Open a new account and deactivate this one instead."
)


def lock_chart() -> None:
    # Chart changes are rare (an administrator, a few a day) and check-then-write: is the
    # code free, does the object code have accounts, is the fund active. One transaction-
    # scoped advisory lock makes them take turns, so two of them cannot pass one check.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHART_LOCK_KEY])


def default_account_name(fund_name: str, object_name: str) -> str:
    """The name an account gets when none is given: "Water Enterprise: Water sales"."""
    return f"{fund_name}: {object_name}"[: Account._meta.get_field("name").max_length]


# ---------------------------------------------------------------- funds, departments, objects


def create_fund(
    *, code: str, name: str, fund_type: str, is_active: bool = True, actor: AbstractBaseUser
) -> Fund:
    """Add a fund."""
    return _create_segment(
        Fund(code=code, name=name.strip(), fund_type=fund_type, is_active=is_active)
    )


def update_fund(
    fund: Fund, *, code: str, name: str, fund_type: str, is_active: bool, actor: AbstractBaseUser
) -> Fund:
    """Rename, retype or (de)activate a fund; its code changes only while no account uses it."""
    return _update_segment(
        fund,
        code=code,
        values={"name": name.strip(), "fund_type": fund_type, "is_active": is_active},
    )


def create_department(
    *, code: str, name: str, is_active: bool = True, actor: AbstractBaseUser
) -> Department:
    """Add a department."""
    return _create_segment(Department(code=code, name=name.strip(), is_active=is_active))


def update_department(
    department: Department, *, code: str, name: str, is_active: bool, actor: AbstractBaseUser
) -> Department:
    """Rename or (de)activate a department; its code changes only while no account uses it."""
    return _update_segment(
        department, code=code, values={"name": name.strip(), "is_active": is_active}
    )


def create_object_code(
    *, code: str, name: str, account_type: str, is_active: bool = True, actor: AbstractBaseUser
) -> ObjectCode:
    """Add an object code: what the money is, and so the type of its accounts."""
    return _create_segment(
        ObjectCode(code=code, name=name.strip(), account_type=account_type, is_active=is_active)
    )


def update_object_code(
    object_code: ObjectCode,
    *,
    code: str,
    name: str,
    account_type: str,
    is_active: bool,
    actor: AbstractBaseUser,
) -> ObjectCode:
    """Rename or (de)activate an object code; its code and type change only while no account
    uses it (its accounts took their type and normal balance from it)."""
    values = {"name": name.strip(), "account_type": account_type, "is_active": is_active}
    return _update_segment(object_code, code=code, values=values)


def _create_segment[S: (Fund, Department, ObjectCode)](segment: S) -> S:
    with transaction.atomic(durable=True):
        lock_chart()
        _check_code(type(segment), segment.code)
        _validated(segment).save()
    return segment


def _update_segment[S: (Fund, Department, ObjectCode)](segment: S, *, code: str, values: dict) -> S:
    model = type(segment)
    label = model._meta.verbose_name
    with transaction.atomic(durable=True):
        lock_chart()
        segment = model.objects.select_for_update().get(pk=segment.pk)
        used = segment.accounts.count()
        if code != segment.code:
            if used:
                raise ValidationError(
                    {
                        "code": f"The code of {label} {segment.code} is part of the number of its "
                        f"{used} account(s) and cannot change."
                    }
                )
            _check_code(model, code)
            segment.code = code
        new_type = values.get("account_type")
        if used and new_type is not None and new_type != segment.account_type:
            raise ValidationError(
                {
                    "account_type": f"Object code {segment.code} is used by {used} account(s), "
                    f"which took its type ({segment.get_account_type_display().lower()}); "
                    "its type cannot change."
                }
            )
        for name, value in values.items():
            setattr(segment, name, value)
        _validated(segment).save()
    return segment


def _check_code(model: type[models.Model], code: str) -> None:
    label, digits = model._meta.verbose_name, CODE_DIGITS[model]
    if not re.fullmatch(rf"[0-9]{{{digits}}}", code or ""):
        raise ValidationError(
            {"code": f"A {label} code is {digits} digits, for example {CODE_EXAMPLES[model]}."}
        )
    if model.objects.filter(code=code).exists():
        raise ValidationError({"code": f"There is already a {label} {code}."})


def _validated[M: models.Model](instance: M) -> M:
    # Codes and uniqueness are checked above with messages a person can act on; the
    # database's own constraints stay as the backstop.
    instance.full_clean(validate_unique=False, validate_constraints=False)
    return instance


# ---------------------------------------------------------------- accounts


def open_account(
    *,
    fund: Fund,
    department: Department,
    object_code: ObjectCode,
    name: str = "",
    allows_posting: bool = True,
    control_subledger: str = "",
    is_active: bool = True,
    actor: AbstractBaseUser,
) -> Account:
    """Open a GL account. Its number, type and normal balance follow from the fund,
    department and object, which must be active; a blank name gets a default."""
    with transaction.atomic(durable=True):
        lock_chart()
        fund, department, object_code = _active_segments(fund, department, object_code)
        return create_account(
            fund=fund,
            department=department,
            object_code=object_code,
            name=name,
            allows_posting=allows_posting,
            control_subledger=control_subledger,
            is_active=is_active,
        )


def create_account(
    *,
    fund: Fund,
    department: Department,
    object_code: ObjectCode,
    name: str = "",
    allows_posting: bool = True,
    control_subledger: str = "",
    is_active: bool = True,
    actor: AbstractBaseUser | None = None,
) -> Account:
    """Add an account inside the caller's transaction (open_account, demo data, tests):
    number, type and normal balance come from the segments."""
    account = Account(is_active=is_active)
    _place_account(account, fund, department, object_code)
    account.name = name.strip() or default_account_name(fund.name, object_code.name)
    account.allows_posting = allows_posting
    account.control_subledger = control_subledger
    _check_control(account)
    _validated(account).save()
    return account


def update_account(
    account: Account,
    *,
    fund: Fund,
    department: Department,
    object_code: ObjectCode,
    name: str,
    allows_posting: bool,
    control_subledger: str,
    is_active: bool,
    actor: AbstractBaseUser,
) -> Account:
    """Change an account's name and flags, and its segments while nothing is posted to it."""
    with transaction.atomic(durable=True):
        lock_chart()
        # FOR UPDATE conflicts with the key-share lock a posting's line takes on the
        # account, so no line can be written between the check below and our commit.
        account = Account.objects.select_for_update().get(pk=account.pk)
        chosen = {"fund": fund, "department": department, "object_code": object_code}
        moved = [key for key, value in chosen.items() if getattr(account, f"{key}_id") != value.pk]
        posted = (moved or control_subledger != account.control_subledger) and (
            account.lines.exists()
        )
        if moved:
            if posted:
                message = NUMBER_FIXED.format(number=account.number)
                raise ValidationError(dict.fromkeys(moved, message))
            _place_account(account, *_active_segments(fund, department, object_code))
        if control_subledger != account.control_subledger and posted:
            raise ValidationError(
                {"control_subledger": CONTROL_FIXED.format(number=account.number)}
            )
        account.name = name.strip() or default_account_name(
            account.fund.name, account.object_code.name
        )
        account.allows_posting = allows_posting
        account.control_subledger = control_subledger
        account.is_active = is_active
        _check_control(account)
        _validated(account).save()
    return account


def set_account_active(account: Account, *, active: bool, actor: AbstractBaseUser) -> Account:
    """Deactivate an account (it takes no more postings) or reactivate it. Asking for the
    state it is already in changes nothing, so a double-click is harmless."""
    with transaction.atomic(durable=True):
        lock_chart()
        account = Account.objects.select_for_update().get(pk=account.pk)
        if account.is_active != active:
            account.is_active = active
            account.save(update_fields=["is_active"])
    return account


def _active_segments(
    fund: Fund, department: Department, object_code: ObjectCode
) -> tuple[Fund, Department, ObjectCode]:
    # Read again under the chart lock: the form may have loaded them before a change.
    chosen = {"fund": fund, "department": department, "object_code": object_code}
    fresh = {key: type(value).objects.get(pk=value.pk) for key, value in chosen.items()}
    errors = {
        key: f"{value._meta.verbose_name.capitalize()} {value} is inactive: no new accounts in it."
        for key, value in fresh.items()
        if not value.is_active
    }
    if errors:
        raise ValidationError(errors)
    return fresh["fund"], fresh["department"], fresh["object_code"]


def _place_account(
    account: Account, fund: Fund, department: Department, object_code: ObjectCode
) -> None:
    number = account_number(fund.code, department.code, object_code.code)
    if Account.objects.filter(number=number).exclude(pk=account.pk).exists():
        raise ValidationError({NON_FIELD_ERRORS: f"Account {number} already exists."})
    account.number = number
    account.fund, account.department, account.object_code = fund, department, object_code
    account.account_type = object_code.account_type
    account.normal_balance = NORMAL_BALANCE[AccountType(object_code.account_type)]


def _check_control(account: Account) -> None:
    if account.control_subledger and account.account_type not in CONTROL_ACCOUNT_TYPES:
        raise ValidationError(
            {
                "control_subledger": "A control account is an asset or a liability (a receivable, "
                f"a payable or a deposit held); {account.number} is "
                f"{account.get_account_type_display().lower()}."
            }
        )
