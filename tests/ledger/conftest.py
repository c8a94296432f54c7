import datetime as dt
from decimal import Decimal

import pytest

from ledger.models import AccountType, Department, Fund, FundType, ObjectCode
from ledger.queries.calendar import period_for_date
from ledger.services import (
    LineSpec,
    create_account,
    create_fiscal_year,
    post_entry,
)
from millbrae_finance.roles import Role
from tests.conftest import make_user


@pytest.fixture
def chart(db) -> dict:
    """A small chart: General Fund and Water Fund, cash, interfund, revenue, expense."""
    general = Fund.objects.create(code="101", name="General Fund", fund_type=FundType.GENERAL)
    water = Fund.objects.create(code="501", name="Water Fund", fund_type=FundType.ENTERPRISE)
    nondept = Department.objects.create(code="0000", name="Non-departmental")
    finance = Department.objects.create(code="1100", name="Finance")
    objects = {
        code: ObjectCode.objects.create(code=code, name=name, account_type=kind)
        for code, name, kind in [
            ("1010", "Pooled cash", AccountType.ASSET),
            ("1310", "Due from other funds", AccountType.ASSET),
            ("2110", "Due to other funds", AccountType.LIABILITY),
            ("4411", "Water sales", AccountType.REVENUE),
            ("5210", "Postage", AccountType.EXPENDITURE),
        ]
    }
    accounts = {}
    for fund in (general, water):
        for code in ("1010", "1310", "2110"):
            account = create_account(fund=fund, department=nondept, object_code=objects[code])
            accounts[account.number] = account
        for code in ("4411", "5210"):
            account = create_account(fund=fund, department=finance, object_code=objects[code])
            accounts[account.number] = account
    return accounts


@pytest.fixture
def fiscal_year(db):
    return create_fiscal_year(2027)


@pytest.fixture
def november(fiscal_year):
    return period_for_date(dt.date(2026, 11, 15))


@pytest.fixture
def technician(db):
    return make_user(Role.ACCOUNTING_TECHNICIAN)


@pytest.fixture
def supervisor(db):
    return make_user(Role.FINANCE_SUPERVISOR)


def post(user, lines, key, day):
    return post_entry(
        entry_date=day,
        lines=[LineSpec(a, Decimal(x)) for a, x in lines],
        memo=f"entry {key}",
        source_module="test",
        source_document=f"DOC-{key}",
        idempotency_key=key,
        prepared_by=user,
    )


@pytest.fixture
def activity(chart, fiscal_year, technician):
    post(
        technician,
        [("501-0000-1010", "100.00"), ("501-1100-4411", "-100.00")],
        "a",
        dt.date(2026, 7, 10),
    )
    post(
        technician,
        [("501-0000-1010", "250.00"), ("501-1100-4411", "-250.00")],
        "b",
        dt.date(2026, 8, 3),
    )
    post(
        technician,
        [("501-1100-5210", "40.00"), ("501-0000-1010", "-40.00")],
        "c",
        dt.date(2026, 8, 20),
    )
    post(
        technician,
        [("501-0000-1010", "5.25"), ("501-1100-4411", "-5.25")],
        "d",
        dt.date(2026, 9, 1),
    )
    return fiscal_year
