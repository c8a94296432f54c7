import pytest

from receivables.models import Customer
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
