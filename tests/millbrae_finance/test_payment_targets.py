import datetime as dt
from decimal import Decimal

import pytest

from millbrae_finance.payment_targets import (
    CreditLine,
    TargetMatch,
    find_payment_targets,
    payment_target_type,
    register_payment_target,
)


class Parking:
    key = "test_parking"
    label = "Parking citation"

    def __init__(self):
        self.paid: dict[str, Decimal] = {}
        self.applied: dict[str, list[CreditLine]] = {}

    def find(self, text, *, limit):
        if text.upper().startswith("PC"):
            return [TargetMatch(self.key, "PC-1", "Citation PC-1", "C000001 Lee", Decimal("45.00"))]
        return []

    def amount_due(self, reference, *, as_of):
        return Decimal("45.00") - self.paid.get(reference, Decimal("0"))

    def apply_payment(self, reference, *, amount, as_of, receipt, actor, payment_key):
        # Once per key: a repeat returns the first lines and pays nothing more.
        if payment_key not in self.applied:
            self.paid[reference] = self.paid.get(reference, Decimal("0")) + amount
            self.applied[payment_key] = [
                CreditLine(account="101-0000-1130", amount=-amount, memo=receipt)
            ]
        return self.applied[payment_key]


@pytest.mark.django_db
def test_registered_targets_are_found_due_and_paid_through_the_registry():
    parking = Parking()
    register_payment_target(parking)
    matches = find_payment_targets(" pc-1 ")
    assert [m.reference for m in matches] == ["PC-1"]
    target = payment_target_type("test_parking")
    for _ in range(2):
        lines = target.apply_payment(
            "PC-1",
            amount=Decimal("20.00"),
            as_of=dt.date(2026, 11, 27),
            receipt="R-9",
            actor=None,
            payment_key="receipt-9",
        )
    assert lines == [CreditLine("101-0000-1130", Decimal("-20.00"), "R-9")]
    assert target.amount_due("PC-1", as_of=dt.date(2026, 11, 27)) == Decimal("25.00")
    assert find_payment_targets("\x00") == []


def test_an_unknown_kind_is_a_clear_error():
    with pytest.raises(LookupError, match="Nothing payable of kind 'nope'"):
        payment_target_type("nope")
