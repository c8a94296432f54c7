from receivables.demo.customers import seed_customers
from receivables.models import Customer
from receivables.queries.customers import search_customers


def test_demo_customers_are_added_once_with_phone_digits(db):
    seed_customers(lambda message: None)
    count = Customer.objects.count()
    assert 300 <= count <= 500
    seed_customers(lambda message: None)
    assert Customer.objects.count() == count
    assert not Customer.objects.exclude(phone="").filter(phone_digits="").exists()
    assert Customer.objects.filter(kind="business").exists()
    assert Customer.objects.exclude(email="").exists()
    assert search_customers("el camino", limit=5)
    assert search_customers("650", limit=5)


def test_demo_fees_are_approved_once_with_a_rate_change(db):
    import datetime
    from decimal import Decimal

    from millbrae_finance.demo import seed_users
    from receivables.demo.customers import DEMO_FEES, seed_fees
    from receivables.models import Fee, FeeStatus
    from receivables.queries.fees import fee_in_effect
    from tests.receivables.conftest import revenue_account

    seed_users(lambda message: None)
    revenue_account("101-1100-4920")
    revenue_account("101-2100-4610")
    seed_fees(lambda message: None)
    seed_fees(lambda message: None)
    assert Fee.objects.count() == len(DEMO_FEES)
    assert set(Fee.objects.values_list("status", flat=True)) == {FeeStatus.APPROVED}
    assert set(Fee.objects.values_list("approved_by__username", flat=True)) == {"supervisor"}
    assert fee_in_effect("PKG-RED-ZONE", datetime.date(2026, 8, 1)).revenue_account.number == (
        "101-2100-4610"
    )
    before = fee_in_effect("FACILITY-RENTAL", datetime.date(2027, 6, 30))
    after = fee_in_effect("FACILITY-RENTAL", datetime.date(2027, 7, 1))
    assert (before.rate, after.rate) == (Decimal("85"), Decimal("92"))
    # An account missing from the chart falls back to miscellaneous revenue.
    assert fee_in_effect("REINSPECTION", datetime.date(2026, 8, 1)).revenue_account.number == (
        "101-1100-4920"
    )
