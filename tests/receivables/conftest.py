import datetime
from decimal import Decimal

import pytest

from ledger.models import Account
from receivables.models import Customer, Fee
from receivables.services.customers import build_customer


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
    violation_kind: str | None = None,
) -> Fee:
    """A fee version saved directly (a draft, or approved when approved_by is given); a
    violation code of the AR_FEES is one again unless violation_kind says otherwise."""
    from django.utils import timezone

    from receivables.models import FeeStatus, FeeTier

    fee = Fee.objects.create(
        code=code,
        description=f"{code.title()} fee",
        revenue_account=revenue_account(),
        rule=rule,
        amount=Decimal(amount) if amount else None,
        rate=Decimal(rate) if rate else None,
        violation_kind=VIOLATION_KINDS.get(code, "") if violation_kind is None else violation_kind,
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


# ---------------------------------------------------------------- billing fixtures

AR_CHART = [
    # (number, name, type, control subledger)
    ("101-0000-1010", "Pooled cash", "asset", ""),
    ("101-0000-1120", "Miscellaneous accounts receivable", "asset", "misc_ar"),
    ("101-0000-1130", "Fines receivable", "asset", "fines_ar"),
    ("101-0000-1310", "Due from other funds", "asset", ""),
    ("101-0000-2110", "Due to other funds", "liability", ""),
    ("101-1100-4920", "Miscellaneous revenue", "revenue", ""),
    ("101-1100-5310", "Contract services", "expenditure", ""),
    ("101-1100-5720", "Uncollectible accounts", "expenditure", ""),
    ("101-2100-4610", "Parking fines", "revenue", ""),
    ("101-2100-4620", "Administrative citations", "revenue", ""),
    ("101-5100-4520", "Building permits", "revenue", ""),
    ("101-6100-4710", "Facility rentals", "revenue", ""),
    ("101-1100-4910", "Penalties and late charges", "revenue", ""),
]


def make_ar_chart() -> dict[str, Account]:
    """The General Fund accounts receivables posts to, with misc AR and fines AR marked
    as control accounts; FY 2026 and FY 2027 open."""
    from ledger.models import Department, Fund, FundType, ObjectCode
    from ledger.services import create_account, create_fiscal_year

    fund, _ = Fund.objects.get_or_create(
        code="101", defaults={"name": "General Fund", "fund_type": FundType.GENERAL}
    )
    accounts = {}
    for number, name, kind, control in AR_CHART:
        existing = Account.objects.filter(number=number).first()
        if existing is not None:
            accounts[number] = existing
            continue
        _, department_code, object_code = number.split("-")
        department, _ = Department.objects.get_or_create(
            code=department_code, defaults={"name": f"Department {department_code}"}
        )
        code, _ = ObjectCode.objects.get_or_create(
            code=object_code, defaults={"name": name, "account_type": kind}
        )
        accounts[number] = create_account(
            fund=fund, department=department, object_code=code, control_subledger=control
        )
    create_fiscal_year(2026)
    create_fiscal_year(2027)
    return accounts


@pytest.fixture
def ar_chart(db) -> dict[str, Account]:
    return make_ar_chart()


@pytest.fixture
def ar_users(db) -> dict:
    """A technician, a second technician, a senior, two supervisors, a clerk, an auditor."""
    from millbrae_finance.roles import Role
    from tests.conftest import make_user

    return {
        "tech": make_user(Role.ACCOUNTING_TECHNICIAN, "ar_tech"),
        "tech2": make_user(Role.ACCOUNTING_TECHNICIAN, "ar_tech2"),
        "senior": make_user(Role.SENIOR_ACCOUNTING_TECHNICIAN, "ar_senior"),
        "supervisor": make_user(Role.FINANCE_SUPERVISOR, "ar_supervisor"),
        "supervisor2": make_user(Role.FINANCE_SUPERVISOR, "ar_supervisor2"),
        "clerk": make_user(Role.COUNTER_CLERK, "ar_clerk"),
        "auditor": make_user(Role.AUDITOR, "ar_auditor"),
    }


AR_FEES = [
    # (code, account, rule, amount, rate, unit)
    ("REINSPECTION", "101-5100-4520", "flat", "148.00", None, "unit"),
    ("FACILITY-RENTAL", "101-6100-4710", "per_unit", None, "85.00", "hour"),
    ("RETURNED-CHECK", "101-1100-4920", "flat", "25.00", None, "unit"),
    ("PKG-EXPIRED-METER", "101-2100-4610", "flat", "45.00", None, "unit"),
    ("PKG-RED-ZONE", "101-2100-4610", "flat", "60.00", None, "unit"),
    ("ADMIN-CITATION", "101-2100-4620", "flat", "100.00", None, "unit"),
]
# The fees that are violation codes, and of which citation kind.
VIOLATION_KINDS = {
    "PKG-EXPIRED-METER": "parking",
    "PKG-RED-ZONE": "parking",
    "ADMIN-CITATION": "administrative",
}


@pytest.fixture
def ar_fees(ar_chart, ar_users) -> dict[str, Fee]:
    """Approved fees from FY 2026 on, each billing to its account in the AR chart."""
    from django.utils import timezone

    from receivables.models import FeeStatus

    fees = {}
    for code, account, rule, amount, rate, unit in AR_FEES:
        fees[code] = Fee.objects.create(
            code=code,
            description=code.replace("-", " ").title(),
            revenue_account=ar_chart[account],
            rule=rule,
            amount=Decimal(amount) if amount else None,
            rate=Decimal(rate) if rate else None,
            unit_name=unit,
            violation_kind=VIOLATION_KINDS.get(code, ""),
            effective_from=datetime.date(2025, 7, 1),
            status=FeeStatus.APPROVED,
            prepared_by=ar_users["tech"],
            approved_by=ar_users["supervisor"],
            approved_at=timezone.now(),
        )
    return fees


def make_invoice(
    customer: Customer,
    *,
    actor,
    amount: str = "148.00",
    invoice_date: datetime.date = datetime.date(2026, 10, 5),
    terms_days: int = 30,
    account_number: str = "101-1100-4920",
    issue: bool = True,
    description: str = "Services",
):
    """An invoice with one free line, issued (posted) unless issue=False. Needs ar_fees
    (free lines bill to accounts the fee schedule uses)."""
    from receivables.services.invoices import LineInput, create_invoice, issue_invoice

    invoice = create_invoice(
        customer,
        invoice_date=invoice_date,
        terms_days=terms_days,
        description=description,
        lines=[
            LineInput(
                description=description,
                revenue_account=Account.objects.get(number=account_number),
                amount=Decimal(amount),
            )
        ],
        actor=actor,
    )
    return issue_invoice(invoice, actor=actor) if issue else invoice


_citation_numbers = iter(range(100000, 999999))


def make_citation(
    *,
    actor,
    code: str = "PKG-EXPIRED-METER",
    issue_date: datetime.date = datetime.date(2026, 10, 5),
    customer: Customer | None = None,
    plate: str = "7ABC123",
    kind: str = "parking",
    number: str | None = None,
):
    """An entered (posted) citation. Needs ar_fees."""
    from receivables.services.citations import issue_citation

    return issue_citation(
        number=number or f"P{next(_citation_numbers)}",
        kind=kind,
        issue_date=issue_date,
        violation_code=code,
        customer=customer,
        plate=plate if kind == "parking" else "",
        respondent_name="" if customer or kind == "parking" else "Test Respondent",
        actor=actor,
    )


def pay(reference: str, kind: str, amount: str, *, actor, day=datetime.date(2026, 11, 2)):
    """What cashiering will do: apply a payment through the registry and post it with the
    cash, in one transaction. Returns the journal entry."""
    from django.db import transaction

    from ledger.services import LineSpec, post_entry
    from millbrae_finance.payment_targets import payment_target_type

    key = f"test-pay-{reference}-{amount}-{day}"
    with transaction.atomic():
        credits = payment_target_type(kind).apply_payment(
            reference,
            amount=Decimal(amount),
            as_of=day,
            receipt=f"R-{reference}",
            actor=actor,
            payment_key=key,
        )
        cash = Account.objects.get(number="101-0000-1010")
        return post_entry(
            entry_date=day,
            lines=[LineSpec(cash, Decimal(amount))]
            + [LineSpec(line.account, line.amount, line.memo) for line in credits],
            memo=f"Payment on {reference}",
            source_module="cashiering",
            source_document=f"R-{reference}",
            idempotency_key=key,
            prepared_by=actor,
        )
