"""Service orders: field work at a location (connect, disconnect, re-read, meter change).
An order is open, then scheduled for a day (and may be rescheduled), then completed or
cancelled; a completed or cancelled order does not change again. Who did each step and
when is on the row, and the audit trail keeps every change."""

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from utility_billing.models import (
    AccountStatus,
    ServiceLocation,
    ServiceOrder,
    ServiceOrderKind,
    ServiceOrderStatus,
    UtilityAccount,
)
from utility_billing.queries.accounts import installed_meter

# Orders staff create by hand; final reads come from a move-out.
MANUAL_KINDS = (
    ServiceOrderKind.CONNECT,
    ServiceOrderKind.DISCONNECT,
    ServiceOrderKind.RE_READ,
    ServiceOrderKind.METER_CHANGE,
)
OUTSTANDING = (ServiceOrderStatus.OPEN, ServiceOrderStatus.SCHEDULED)


def create_service_order(
    location: ServiceLocation,
    *,
    kind: str,
    account: UtilityAccount | None = None,
    scheduled_for: datetime.date | None = None,
    notes: str = "",
    actor: AbstractBaseUser,
) -> ServiceOrder:
    """Ask for field work at a location, for one of its accounts or none; scheduled at
    once when a day is given."""
    if kind not in MANUAL_KINDS:
        raise ValidationError({"kind": "Choose connect, disconnect, re-read or meter change."})
    if account is not None and account.location_id != location.pk:
        raise ValidationError({"account": f"{account.number} is not at this location."})
    with transaction.atomic(durable=True):
        meter = installed_meter(location)
        if kind in (ServiceOrderKind.RE_READ, ServiceOrderKind.METER_CHANGE) and meter is None:
            raise ValidationError({"kind": "No meter is installed here to read or change."})
        return ServiceOrder.objects.create(
            location=location,
            account=account,
            meter=meter,
            kind=kind,
            status=ServiceOrderStatus.SCHEDULED if scheduled_for else ServiceOrderStatus.OPEN,
            scheduled_for=scheduled_for,
            requested_by=actor,
            notes=notes,
        )


def _locked(order: ServiceOrder, action: str) -> ServiceOrder:
    order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in OUTSTANDING:
        raise ValidationError(
            f"{order.number} is {order.get_status_display().lower()}: it cannot be {action}."
        )
    return order


def schedule_service_order(
    order: ServiceOrder, *, scheduled_for: datetime.date, actor: AbstractBaseUser
) -> ServiceOrder:
    """Schedule (or reschedule) an outstanding order for a day."""
    with transaction.atomic(durable=True):
        order = _locked(order, "scheduled")
        order.status = ServiceOrderStatus.SCHEDULED
        order.scheduled_for = scheduled_for
        order.save(update_fields=["status", "scheduled_for"])
    return order


def complete_service_order(
    order: ServiceOrder, *, notes: str = "", actor: AbstractBaseUser
) -> ServiceOrder:
    """Record an outstanding order done, by whom and when. Completing the connect order
    of a move-in scheduled ahead makes its account active."""
    with transaction.atomic(durable=True):
        order = _locked(order, "completed")
        order.status = ServiceOrderStatus.COMPLETED
        order.completed_at = timezone.now()
        order.completed_by = actor
        if notes.strip():
            order.notes = "\n".join(part for part in (order.notes, notes.strip()) if part)
        order.save(update_fields=["status", "completed_at", "completed_by", "notes"])
        if order.kind == ServiceOrderKind.CONNECT and order.account_id is not None:
            UtilityAccount.objects.filter(pk=order.account_id, status=AccountStatus.PENDING).update(
                status=AccountStatus.ACTIVE
            )
    return order


def cancel_service_order(
    order: ServiceOrder, *, reason: str, actor: AbstractBaseUser
) -> ServiceOrder:
    """Cancel an outstanding order, saying why."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the order is cancelled."})
    with transaction.atomic(durable=True):
        order = _locked(order, "cancelled")
        order.status = ServiceOrderStatus.CANCELLED
        order.cancelled_at = timezone.now()
        order.cancelled_by = actor
        order.cancel_reason = reason[:200]
        order.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    return order
