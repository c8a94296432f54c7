from receivables.demo import seed_customers
from receivables.models import Customer
from receivables.queries import search_customers


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
