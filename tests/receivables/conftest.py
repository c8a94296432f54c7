import datetime
from decimal import Decimal

import pytest

from ledger.models import Account
from receivables.models import Customer, Fee
from receivables.services import build_customer


def make_customer(name: str = "Garcia, Maria", **values) -> Customer:
    """A saved customer, phone digits kept as the services keep them."""
    defaults = {
        "kind": "person",
        "address_line1": "120 Magnolia Ave",
        "city": "Millbrae",
        "state": "CA",
        "postal_code": "94030",
    }
    customer = build_customer(name=name, **{**defaults, **values})
    customer.save()
    return customer


@pytest.fixture
def customers(db) -> dict[str, Customer]:
    return {
        "garcia": make_customer(
            "Garcia, Maria", phone="650-259-2334", email="maria.garcia@gmail.com"
        ),
        "obrien": make_customer(
            "O'Brien, Sean", address_line1="45 Hillcrest Blvd", phone="(650) 555-0101"
        ),
        "bakery": make_customer(
            "Bayside Bakery LLC",
            kind="business",
            address_line1="301 Broadway",
            email="office@baysidebakery.com",
        ),
        "garza": make_customer("Garza, Mario", address_line1="9 El Camino Real"),
    }


def revenue_account(number: str = "101-1100-4920") -> Account:
    """A postable revenue account of the chart, made if missing."""
    from ledger.models import AccountType, Department, Fund, FundType, ObjectCode
    from ledger.services import create_account

    fund_code, department_code, object_code = number.split("-")
    account = Account.objects.filter(number=number).first()
    if account is not None:
        return account
    fund, _ = Fund.objects.get_or_create(
        code=fund_code, defaults={"name": "General Fund", "fund_type": FundType.GENERAL}
    )
    department, _ = Department.objects.get_or_create(
        code=department_code, defaults={"name": f"Department {department_code}"}
    )
    code, _ = ObjectCode.objects.get_or_create(
        code=object_code,
        defaults={"name": f"Revenue {object_code}", "account_type": AccountType.REVENUE},
    )
    return create_account(fund=fund, department=department, object_code=code)


def make_fee(
    code: str = "RETURNED-CHECK",
    *,
    prepared_by,
    approved_by=None,
    effective_from: datetime.date = datetime.date(2026, 7, 1),
    effective_to: datetime.date | None = None,
    rule: str = "flat",
    amount: str | None = "25.00",
    rate: str | None = None,
    minimum: str | None = None,
    tiers: tuple = (),
    unit_name: str = "unit",
) -> Fee:
    """A fee version saved directly (a draft, or approved when approved_by is given)."""
    from django.utils import timezone

    from receivables.models import FeeStatus, FeeTier

    fee = Fee.objects.create(
        code=code,
        description=f"{code.title()} fee",
        revenue_account=revenue_account(),
        rule=rule,
        amount=Decimal(amount) if amount else None,
        rate=Decimal(rate) if rate else None,
        minimum=Decimal(minimum) if minimum else None,
        unit_name=unit_name,
        effective_from=effective_from,
        effective_to=effective_to,
        prepared_by=prepared_by,
        status=FeeStatus.APPROVED if approved_by else FeeStatus.DRAFT,
        approved_by=approved_by,
        approved_at=timezone.now() if approved_by else None,
    )
    for number, (up_to, tier_rate) in enumerate(tiers, start=1):
        FeeTier.objects.create(
            fee=fee,
            position=number,
            up_to=Decimal(up_to) if up_to is not None else None,
            rate=Decimal(tier_rate),
        )
    return fee
