"""Cashiering fixtures: a chart with cash in drawers, billed utility accounts to pay, a
drawer, and an open session for the clerk."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from cashiering.models import CashSession, Drawer
from cashiering.services.receipts import CASH_IN_DRAWERS
from ledger.models import Account
from tests.utility_billing.conftest import ub_users  # noqa: F401  (a fixture used here)
from tests.utility_billing.payment_helpers import billed

D = Decimal
# After both bill runs of the payment helpers (the second dated 2026-12-10).
PAY_MOMENT = datetime.datetime(2026, 12, 20, 12, 0)


def cash_in_drawers() -> Account:
    from ledger.models import AccountType, Department, Fund, FundType, ObjectCode
    from ledger.services import create_account

    existing = Account.objects.filter(number=CASH_IN_DRAWERS).first()
    if existing is not None:
        return existing
    fund, _ = Fund.objects.get_or_create(
        code="101", defaults={"name": "General Fund", "fund_type": FundType.GENERAL}
    )
    department, _ = Department.objects.get_or_create(
        code="0000", defaults={"name": "Non-departmental"}
    )
    code, _ = ObjectCode.objects.get_or_create(
        code="1020", defaults={"name": "Cash in drawers", "account_type": AccountType.ASSET}
    )
    return create_account(fund=fund, department=department, object_code=code)


def cash_over_short() -> Account:
    """101-0000-5990, where a drawer counted over or short posts (the demo chart has it)."""
    from cashiering.services.closing import CASH_OVER_SHORT
    from ledger.models import AccountType, Department, Fund, ObjectCode
    from ledger.services import create_account

    existing = Account.objects.filter(number=CASH_OVER_SHORT).first()
    if existing is not None:
        return existing
    cash_in_drawers()
    code, _ = ObjectCode.objects.get_or_create(
        code="5990",
        defaults={"name": "Cash over and short", "account_type": AccountType.EXPENDITURE},
    )
    return create_account(
        fund=Fund.objects.get(code="101"),
        department=Department.objects.get(code="0000"),
        object_code=code,
    )


def make_drawer(code: str = "D1") -> Drawer:
    return Drawer.objects.create(code=code, name=f"Counter {code}")


def make_session(clerk, drawer: Drawer | None = None, opening_float: str = "100.00"):
    return CashSession.objects.create(
        drawer=drawer or make_drawer(), clerk=clerk, opening_float=D(opening_float)
    )


@pytest.fixture
def pay_day():
    with time_machine.travel(PAY_MOMENT, tick=False):
        yield PAY_MOMENT.date()


@pytest.fixture
def counter(ub_users, pay_day):  # noqa: F811
    """Two billed accounts (A1 owes 244.05 over two bills), cash in drawers, and the
    clerk's open session on drawer D1."""
    billing = billed(ub_users, second=True)
    cash_in_drawers()
    cash_over_short()
    session = make_session(ub_users["clerk"])
    return {"billing": billing, "session": session, "users": ub_users}


def role_matrix_samples(clerk) -> dict:
    """A session of `clerk` with one receipt, written directly (the receipt's entry is
    left out: the pages read no ledger row)."""
    from django.utils import timezone

    from cashiering.models import Receipt, ReceiptItem, ReceiptTender

    drawer = Drawer.objects.filter(code="RM").first() or make_drawer("RM")
    session = CashSession.objects.filter(drawer=drawer).first() or make_session(clerk, drawer)
    receipt = Receipt.objects.filter(session=session).first()
    if receipt is None:
        receipt = Receipt.objects.create(
            session=session,
            drawer=drawer,
            number=1,
            idempotency_key="role-matrix",
            posted_at=timezone.now(),
            total=D("12.50"),
            customer_name="Role Matrix",
            created_by=clerk,
        )
        ReceiptItem.objects.create(
            receipt=receipt,
            line=1,
            target_kind="invoice",
            target_reference="INV-000001",
            description="Invoice INV-000001",
            amount=D("12.50"),
        )
        ReceiptTender.objects.create(
            receipt=receipt, kind="cash", amount=D("20.00"), change_given=D("12.50")
        )
        ReceiptTender.objects.create(
            receipt=receipt, kind="check", amount=D("5.00"), check_number="101"
        )
    from cashiering.models import PaymentBatch

    batch, _ = PaymentBatch.objects.get_or_create(
        idempotency_key="role-matrix-batch",
        defaults={
            "kind": "mail",
            "batch_date": timezone.localdate(),
            "control_total": D("12.50"),
            "control_count": 1,
            "created_by": clerk,
        },
    )
    return {
        "cashiering:batch_detail": {"pk": batch.pk},
        "cashiering:session_detail": {"pk": session.pk},
        "cashiering:session_close": {"pk": session.pk},
        "cashiering:session_verify": {"pk": session.pk},
        "cashiering:receipt_detail": {"pk": receipt.pk},
        "cashiering:receipt_print": {"pk": receipt.pk},
        "cashiering:receipt_void": {"pk": receipt.pk},
        "cashiering:receipt_reverse": {"pk": receipt.pk},
        "cashiering:receipt_return_check": {"pk": receipt.pk},
        **deposit_role_matrix_samples(clerk),
    }


def cash_in_bank() -> Account:
    """101-0000-1010, the General Fund's pooled cash: where deposits go (the demo chart
    has one a fund)."""
    from ledger.models import AccountType, Department, Fund, ObjectCode
    from ledger.services import create_account

    existing = Account.objects.filter(number="101-0000-1010").first()
    if existing is not None:
        return existing
    cash_in_drawers()
    code, _ = ObjectCode.objects.get_or_create(
        code="1010", defaults={"name": "Pooled cash", "account_type": AccountType.ASSET}
    )
    return create_account(
        fund=Fund.objects.get(code="101"),
        department=Department.objects.get(code="0000"),
        object_code=code,
    )


def deposit_role_matrix_samples(clerk) -> dict:
    """A deposit written directly (no entry: the pages read no ledger row)."""
    from django.utils import timezone

    from cashiering.models import Deposit

    deposit = Deposit.objects.filter(idempotency_key="role-matrix").first()
    if deposit is None:
        deposit = Deposit.objects.create(
            deposit_date=timezone.localdate(),
            bank_account=cash_in_bank(),
            bank_name="Role Matrix Bank",
            currency_total=D("20.00"),
            coin_total=D("0.00"),
            floats_kept=D("0.00"),
            cash_total=D("20.00"),
            check_count=0,
            check_total=D("0.00"),
            card_total=D("0.00"),
            total=D("20.00"),
            idempotency_key="role-matrix",
            created_by=clerk,
            created_at=timezone.now(),
        )
    return {
        "cashiering:deposit_detail": {"pk": deposit.pk},
        "cashiering:deposit_slip": {"pk": deposit.pk},
    }
