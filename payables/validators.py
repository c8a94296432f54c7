"""Checks of the numbers a vendor gives: ABA routing numbers, bank account numbers, EINs
and SSNs. Each returns the value normalized (digits, or the usual dashes) or raises a
ValidationError saying what is wrong with it."""

import re

from django.core.exceptions import ValidationError

# ABA routing numbers: the first two digits are a Federal Reserve district (01-12),
# a thrift (21-32), an electronic-only number (61-72) or a traveler's check (80); 00 is
# the U.S. government's.
ROUTING_PREFIXES = {*range(0, 13), *range(21, 33), *range(61, 73), 80}
ROUTING_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7, 1)
# IRS: EIN prefixes never assigned.
INVALID_EIN_PREFIXES = {"00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70",
                        "78", "79", "89", "96", "97"}  # fmt: skip


def _digits(text: str) -> str:
    return re.sub(r"[\s-]", "", text or "")


def routing_checksum_ok(digits: str) -> bool:
    """The ABA check: 3, 7, 1 weights over the nine digits sum to a multiple of ten."""
    if not re.fullmatch(r"[0-9]{9}", digits):
        return False
    return sum(int(d) * w for d, w in zip(digits, ROUTING_WEIGHTS, strict=True)) % 10 == 0


def clean_routing_number(text: str) -> str:
    digits = _digits(text)
    if not re.fullmatch(r"[0-9]{9}", digits):
        raise ValidationError("A routing number is nine digits.", code="routing")
    if int(digits[:2]) not in ROUTING_PREFIXES:
        raise ValidationError(
            f"{digits} is not a routing number: no bank's number starts with {digits[:2]}.",
            code="routing",
        )
    if not routing_checksum_ok(digits):
        raise ValidationError(
            f"{digits} is not a valid routing number (its check digit does not match): "
            "check it against the vendor's voided check.",
            code="routing",
        )
    return digits


def clean_account_number(text: str) -> str:
    digits = _digits(text)
    # NACHA's DFI account number field is 17 characters.
    if not re.fullmatch(r"[0-9]{4,17}", digits):
        raise ValidationError("An account number is 4 to 17 digits.", code="account")
    return digits


def clean_tax_id(text: str, kind: str) -> str:
    """An EIN as 12-3456789 or an SSN as 123-45-6789."""
    digits = _digits(text)
    if not re.fullmatch(r"[0-9]{9}", digits):
        raise ValidationError("A tax ID is nine digits.", code="tax_id")
    if kind == "ein":
        if digits[:2] in INVALID_EIN_PREFIXES:
            raise ValidationError(f"No EIN starts with {digits[:2]}.", code="tax_id")
        return f"{digits[:2]}-{digits[2:]}"
    if kind == "ssn":
        area, group, serial = digits[:3], digits[3:5], digits[5:]
        if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
            raise ValidationError(f"{area}-{group}-{serial} is not a valid SSN.", code="tax_id")
        return f"{area}-{group}-{serial}"
    raise ValidationError("Say whether the tax ID is an EIN or an SSN.", code="tax_id_kind")


def masked(last4: str) -> str:
    """What a role that may not see a number whole sees: ****6789."""
    return f"****{last4}" if last4 else ""
