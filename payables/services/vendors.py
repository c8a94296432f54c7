"""Vendors: enter and change them, their remit-to addresses, and their bank details,
which change only when a second person approves."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from millbrae_finance.roles import has_role
from payables.access import BANK_CHANGE_APPROVERS, PAYABLES_PREPARERS
from payables.models import (
    BOXES_1099,
    BankChangeStatus,
    Form1099Type,
    PaymentMethod,
    SealedValue,
    Vendor,
    VendorAddress,
    VendorBankChange,
    VendorStatus,
)
from payables.validators import clean_account_number, clean_routing_number, clean_tax_id

MAX_TERMS_DAYS = 180


@dataclass(frozen=True)
class AddressInput:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""
    label: str = ""
    is_default: bool = False


@dataclass(frozen=True)
class VendorInput:
    """A vendor's details as entered (bank details go through request_bank_change)."""

    name: str
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    status: str = VendorStatus.ACTIVE
    payment_method: str = PaymentMethod.CHECK
    terms_days: int = 30
    tax_id_kind: str = ""
    # Blank on an edit keeps the tax ID on file.
    tax_id: str = ""
    form_1099_type: str = ""
    form_1099_box: str = ""
    w9_received_on: dt.date | None = None


def seal(value: str) -> SealedValue:
    """Store a confidential value where the app's role cannot read it back."""
    return SealedValue.objects.create(value=value)


def _require_preparer(actor: AbstractBaseUser) -> None:
    if not has_role(actor, *PAYABLES_PREPARERS):
        raise PermissionDenied("Only finance staff enter vendors.")


def _checked(data: VendorInput, vendor: Vendor | None) -> tuple[dict, str]:
    """The vendor's fields, and the tax ID normalized ("" to keep the one on file)."""
    errors: dict[str, str] = {}
    name = data.name.replace("\x00", "").strip()
    if not name:
        errors["name"] = "Enter the vendor's name as it prints on a check."
    if data.status not in VendorStatus.values:
        errors["status"] = "Choose a status."
    if data.payment_method not in PaymentMethod.values:
        errors["payment_method"] = "Choose check or ACH."
    if not 0 <= data.terms_days <= MAX_TERMS_DAYS:
        errors["terms_days"] = f"Terms run from 0 to {MAX_TERMS_DAYS} days."
    tax_id = ""
    if data.tax_id.strip():
        try:
            tax_id = clean_tax_id(data.tax_id, data.tax_id_kind)
        except ValidationError as error:
            errors["tax_id_kind" if error.code == "tax_id_kind" else "tax_id"] = error.messages[0]
    elif data.tax_id_kind and (vendor is None or vendor.tax_id_id is None):
        errors["tax_id"] = "Enter the tax ID, or leave its kind blank."
    kind = data.form_1099_type
    if kind not in Form1099Type.values:
        errors["form_1099_type"] = "Choose a 1099 type."
    elif kind and data.form_1099_box not in BOXES_1099[kind]:
        boxes = ", ".join(BOXES_1099[kind])
        errors["form_1099_box"] = f"A {Form1099Type(kind).label} box is one of {boxes}."
    elif kind and not (data.tax_id.strip() or (vendor is not None and vendor.tax_id_id)):
        errors["tax_id"] = "A vendor reported on a 1099 needs a tax ID (from the W-9)."
    if data.w9_received_on and data.w9_received_on > timezone.localdate():
        errors["w9_received_on"] = "The W-9 cannot be received after today."
    if errors:
        raise ValidationError(errors)
    fields = {
        "name": name[:120],
        "contact_name": data.contact_name.strip()[:120],
        "phone": data.phone.strip()[:30],
        "email": data.email.strip(),
        "status": data.status,
        "payment_method": data.payment_method,
        "terms_days": data.terms_days,
        "form_1099_type": kind,
        "form_1099_box": data.form_1099_box if kind else "",
        "w9_received_on": data.w9_received_on,
    }
    return fields, tax_id


def _checked_addresses(addresses: Sequence[AddressInput]) -> list[AddressInput]:
    if not addresses:
        raise ValidationError({"addresses": "Enter at least one remit-to address."})
    errors = {}
    for number, address in enumerate(addresses, start=1):
        if not (address.line1.strip() and address.city.strip()):
            errors[f"address-{number}"] = "Enter the street and the city."
        elif len(address.state.strip()) != 2:
            errors[f"address-{number}"] = "The state is two letters (CA)."
        elif not address.postal_code.strip():
            errors[f"address-{number}"] = "Enter the ZIP code."
    if errors:
        raise ValidationError(errors)
    defaults = [address for address in addresses if address.is_default]
    if len(defaults) > 1:
        raise ValidationError({"addresses": "Mark one remit-to address as the default."})
    if not defaults:  # the first is the default when none is marked
        first = addresses[0]
        addresses = [AddressInput(**{**first.__dict__, "is_default": True}), *addresses[1:]]
    return list(addresses)


def _write_addresses(vendor: Vendor, addresses: Sequence[AddressInput]) -> None:
    vendor.addresses.all().delete()
    VendorAddress.objects.bulk_create(
        VendorAddress(
            vendor=vendor,
            label=address.label.strip()[:60],
            line1=address.line1.strip()[:120],
            line2=address.line2.strip()[:120],
            city=address.city.strip()[:60],
            state=address.state.strip().upper()[:2],
            postal_code=address.postal_code.strip()[:10],
            is_default=address.is_default,
        )
        for address in addresses
    )


def _set_tax_id(vendor: Vendor, kind: str, tax_id: str) -> None:
    vendor.tax_id = seal(tax_id)
    vendor.tax_id_kind = kind
    vendor.tax_id_last4 = tax_id[-4:]


def create_vendor(
    data: VendorInput,
    *,
    addresses: Sequence[AddressInput],
    bank_routing: str = "",
    bank_account: str = "",
    actor: AbstractBaseUser,
) -> Vendor:
    """Enter a vendor. Bank details given with it wait for a second person's approval,
    as any change of them does."""
    _require_preparer(actor)
    errors: dict[str, str] = {}
    try:
        fields, tax_id = _checked(data, None)
    except ValidationError as error:
        errors.update(error.message_dict)
        fields, tax_id = {}, ""
    try:
        addresses = _checked_addresses(addresses)
    except ValidationError as error:
        errors.update(error.message_dict)
    bank = None
    try:
        bank = _checked_bank(bank_routing, bank_account, required=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if bank is None and data.payment_method == PaymentMethod.ACH and "bank_routing" not in errors:
        errors["bank_routing"] = "An ACH vendor needs a routing and an account number."
    if errors:
        raise ValidationError({key: value[0] for key, value in errors.items()})
    with transaction.atomic(durable=True):
        vendor = Vendor(**fields, created_by=actor)
        if tax_id:
            _set_tax_id(vendor, data.tax_id_kind, tax_id)
        vendor.save()
        _write_addresses(vendor, addresses)
        if bank is not None:
            _create_bank_change(vendor, *bank, reason="Bank details of a new vendor", actor=actor)
    return vendor


def update_vendor(
    vendor: Vendor, data: VendorInput, *, addresses: Sequence[AddressInput], actor: AbstractBaseUser
) -> Vendor:
    """Change a vendor's details and addresses (not its bank details: see
    request_bank_change). A blank tax ID keeps the one on file."""
    _require_preparer(actor)
    fields, tax_id = _checked(data, vendor)
    addresses = _checked_addresses(addresses)
    if data.payment_method == PaymentMethod.ACH and not vendor.bank_routing:
        pending = vendor.bank_changes.filter(status=BankChangeStatus.PENDING).exists()
        if not pending:
            raise ValidationError(
                {"payment_method": "Enter the vendor's bank details before paying it by ACH."}
            )
    with transaction.atomic(durable=True):
        vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
        for name, value in fields.items():
            setattr(vendor, name, value)
        if tax_id:
            _set_tax_id(vendor, data.tax_id_kind, tax_id)
        vendor.save()
        _write_addresses(vendor, addresses)
    return vendor


def _checked_bank(routing: str, account: str, *, required: bool) -> tuple[str, str] | None:
    if not routing.strip() and not account.strip() and not required:
        return None
    errors = {}
    try:
        routing = clean_routing_number(routing)
    except ValidationError as error:
        errors["bank_routing"] = error.messages[0]
    try:
        account = clean_account_number(account)
    except ValidationError as error:
        errors["bank_account"] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    return routing, account


def _create_bank_change(
    vendor: Vendor, routing: str, account: str, *, reason: str, actor: AbstractBaseUser
) -> VendorBankChange:
    return VendorBankChange.objects.create(
        vendor=vendor,
        bank_routing=routing,
        bank_account_last4=account[-4:],
        bank_account=seal(account),
        reason=reason[:250],
        prepared_by=actor,
    )


def request_bank_change(
    vendor: Vendor, *, bank_routing: str, bank_account: str, reason: str, actor: AbstractBaseUser
) -> VendorBankChange:
    """Enter new bank details for a vendor; they take effect when someone else approves."""
    _require_preparer(actor)
    routing, account = _checked_bank(bank_routing, bank_account, required=True)
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise ValidationError(
            {"reason": "Say how the vendor asked for the change (and how it was verified)."}
        )
    with transaction.atomic(durable=True):
        vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
        pending = vendor.bank_changes.filter(status=BankChangeStatus.PENDING).first()
        if pending is not None:
            if pending.prepared_by_id == actor.pk and pending.bank_routing == routing:
                return pending  # a double-clicked submit
            raise ValidationError(
                f"{pending.number} is already waiting for approval: it is approved or "
                "rejected before another change is entered."
            )
        return _create_bank_change(vendor, routing, account, reason=reason, actor=actor)


def _check_decider(change: VendorBankChange, actor: AbstractBaseUser) -> None:
    if not has_role(actor, *BANK_CHANGE_APPROVERS):
        raise PermissionDenied("The Finance Supervisor approves bank detail changes.")
    if change.prepared_by_id == actor.pk:
        raise ValidationError(
            f"You entered {change.number}: someone else must approve it (segregation of duties)."
        )


def approve_bank_change(change: VendorBankChange, *, actor: AbstractBaseUser) -> VendorBankChange:
    """Approve new bank details: the vendor is paid to them from now on, after a prenote
    (the next payment run sends it before any ACH payment to the account)."""
    _check_decider(change, actor)
    with transaction.atomic(durable=True):
        # Locks in one order: the vendor, then its change.
        vendor = Vendor.objects.select_for_update().get(pk=change.vendor_id)
        change = VendorBankChange.objects.select_for_update().get(pk=change.pk)
        if change.status == BankChangeStatus.APPROVED:
            return change
        if change.status != BankChangeStatus.PENDING:
            raise ValidationError(f"{change.number} was rejected; it cannot be approved.")
        vendor.bank_routing = change.bank_routing
        vendor.bank_account_last4 = change.bank_account_last4
        vendor.bank_account_id = change.bank_account_id
        vendor.prenote_required = True
        vendor.prenote_sent_on = None
        vendor.save(
            update_fields=[
                "bank_routing",
                "bank_account_last4",
                "bank_account",
                "prenote_required",
                "prenote_sent_on",
            ]
        )
        change.status = BankChangeStatus.APPROVED
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.save(update_fields=["status", "decided_by", "decided_at"])
    return change


def reject_bank_change(
    change: VendorBankChange, *, note: str, actor: AbstractBaseUser
) -> VendorBankChange:
    """Reject new bank details, saying why; the vendor's details stay as they were."""
    _check_decider(change, actor)
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise ValidationError({"note": "Say why the change is rejected."})
    with transaction.atomic(durable=True):
        change = VendorBankChange.objects.select_for_update().get(pk=change.pk)
        if change.status == BankChangeStatus.REJECTED:
            return change
        if change.status != BankChangeStatus.PENDING:
            raise ValidationError(f"{change.number} is approved; it stands.")
        change.status = BankChangeStatus.REJECTED
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.decision_note = note[:250]
        change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return change
