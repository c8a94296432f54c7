"""Meters: added to stock, installed at a location, removed, changed for another.

Installing a meter records its first read (the install reading, measuring nothing);
removing one records its final read; a change does both in one step, all or nothing,
and completes the location's open meter-change order. Each locks the meters it touches
in id order, as record_reads does.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from millbrae_finance.roles import has_role
from utility_billing.models import (
    Meter,
    MeterRead,
    MeterStatus,
    ServiceLocation,
    ServiceOrder,
    ServiceOrderKind,
    ServiceOrderStatus,
)
from utility_billing.permissions import METER_WORKERS
from utility_billing.services.reads import record_one_read

METER_FIELDS = ("serial", "size", "meter_type", "dials", "multiplier", "notes")
INSTALLABLE = (MeterStatus.IN_STOCK, MeterStatus.REMOVED)


def _require_worker(actor: AbstractBaseUser) -> None:
    if not has_role(actor, *METER_WORKERS):
        raise PermissionDenied("Only technicians and senior technicians work on meters.")


def _not_in_future(day: dt.date, field_name: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field_name: "The date is in the future."})


def create_meter(
    *,
    serial: str,
    size: str,
    meter_type: str,
    dials: int,
    multiplier: Decimal,
    notes: str = "",
    actor: AbstractBaseUser,
) -> Meter:
    """Add a meter to stock, ready to install."""
    _require_worker(actor)
    serial = serial.strip()
    with transaction.atomic(durable=True):
        if Meter.objects.filter(serial=serial).exists():
            raise ValidationError({"serial": f"Meter {serial} is on file already."})
        meter = Meter(
            serial=serial,
            size=size,
            meter_type=meter_type,
            dials=dials,
            multiplier=multiplier,
            notes=notes,
            status=MeterStatus.IN_STOCK,
        )
        meter.full_clean(validate_constraints=False)
        meter.save()
    return meter


def _install(
    meter: Meter,
    *,
    location: ServiceLocation,
    install_date: dt.date,
    install_reading: Decimal,
    actor: AbstractBaseUser,
    note: str,
    fields: dict[str, str],
) -> MeterRead:
    """Install a locked meter and record its first read (inside the caller's transaction).
    `fields` names the form fields its problems belong beside."""
    if meter.status not in INSTALLABLE:
        raise ValidationError(
            {
                fields["meter"]: f"Meter {meter.serial} is {meter.get_status_display().lower()}: "
                "only a meter in stock or removed can be installed."
            }
        )
    if not location.is_active:
        raise ValidationError({fields["location"]: f"{location} is not an active location."})
    _not_in_future(install_date, fields["date"])
    if install_reading < 0 or install_reading >= 10**meter.dials:
        raise ValidationError(
            {
                fields["reading"]: f"Meter {meter.serial} has {meter.dials} dials: a reading "
                f"from 0 to {10**meter.dials - 1}."
            }
        )
    last = meter.reads.order_by("-read_date").values_list("read_date", flat=True).first()
    if last is not None and install_date <= last:
        raise ValidationError(
            {
                fields["date"]: f"Meter {meter.serial} was last read on {last:%Y-%m-%d}: it "
                "is installed after that."
            }
        )
    meter.status = MeterStatus.INSTALLED
    meter.location = location
    meter.install_date = install_date
    meter.install_reading = install_reading
    meter.removal_date = None
    meter.save(
        update_fields=["status", "location", "install_date", "install_reading", "removal_date"]
    )
    return record_one_read(
        meter,
        read_date=install_date,
        reading=install_reading,
        note=note or f"Installed at {location.address}.",
        actor=actor,
        field_name=fields["reading"],
    )


def install_meter(
    meter: Meter,
    *,
    location: ServiceLocation,
    install_date: dt.date,
    install_reading: Decimal,
    note: str = "",
    actor: AbstractBaseUser,
) -> MeterRead:
    """Install a meter from stock at a location; returns its first read."""
    _require_worker(actor)
    with transaction.atomic(durable=True):
        meter = Meter.objects.select_for_update().get(pk=meter.pk)
        location = ServiceLocation.objects.get(pk=location.pk)
        return _install(
            meter,
            location=location,
            install_date=install_date,
            install_reading=install_reading,
            actor=actor,
            note=note,
            fields={
                "meter": "__all__",
                "location": "location",
                "date": "install_date",
                "reading": "install_reading",
            },
        )


def _remove(
    meter: Meter,
    *,
    removal_date: dt.date,
    final_reading: Decimal,
    actor: AbstractBaseUser,
    note: str,
    fields: dict[str, str],
) -> MeterRead:
    """Record a locked, installed meter's final read and take it out (inside the caller's
    transaction). The read stays with the location it measured."""
    if meter.status != MeterStatus.INSTALLED:
        raise ValidationError(
            {fields["meter"]: f"Meter {meter.serial} is not installed: nothing to remove."}
        )
    _not_in_future(removal_date, fields["date"])
    if removal_date < meter.install_date:
        raise ValidationError(
            {
                fields["date"]: f"Meter {meter.serial} was installed on "
                f"{meter.install_date:%Y-%m-%d}: it is removed after that."
            }
        )
    existing = meter.reads.filter(read_date=removal_date).first()
    if existing is not None:
        if existing.reading != final_reading:
            raise ValidationError(
                {
                    fields["reading"]: f"Meter {meter.serial} was read on "
                    f"{removal_date:%Y-%m-%d} at {existing.reading}: the final reading is that "
                    "read (correct it first if it was wrong)."
                }
            )
        final = existing
    else:
        final = record_one_read(
            meter,
            read_date=removal_date,
            reading=final_reading,
            note=note or f"Final read: removed from {meter.location.address}.",
            actor=actor,
            field_name=fields["reading"],
        )
    meter.status = MeterStatus.REMOVED
    meter.location = None
    meter.removal_date = removal_date
    meter.save(update_fields=["status", "location", "removal_date"])
    return final


def remove_meter(
    meter: Meter,
    *,
    removal_date: dt.date,
    final_reading: Decimal,
    note: str = "",
    actor: AbstractBaseUser,
) -> MeterRead:
    """Take a meter out of service with its final read; returns that read."""
    _require_worker(actor)
    with transaction.atomic(durable=True):
        meter = (
            Meter.objects.select_for_update(of=("self",))
            .select_related("location")
            .get(pk=meter.pk)
        )
        return _remove(
            meter,
            removal_date=removal_date,
            final_reading=final_reading,
            actor=actor,
            note=note,
            fields={"meter": "__all__", "date": "removal_date", "reading": "final_reading"},
        )


@dataclass(frozen=True)
class MeterChange:
    """A change's two reads, and the meter-change order it completed (if one was open)."""

    final_read: MeterRead
    first_read: MeterRead
    order: ServiceOrder | None


def change_meter(
    old: Meter,
    *,
    change_date: dt.date,
    final_reading: Decimal,
    new_meter: Meter,
    start_reading: Decimal,
    note: str = "",
    actor: AbstractBaseUser,
) -> MeterChange:
    """Replace an installed meter with another on a day, in one step, all or nothing:
    the old meter's final read, its removal, the new meter's installation at the same
    location with its first read, and the location's open meter-change order completed.
    The period's bill sums both meters' reads."""
    _require_worker(actor)
    if old.pk == new_meter.pk:
        raise ValidationError({"new_meter": "Choose another meter to put in."})
    with transaction.atomic(durable=True):
        locked = {
            meter.pk: meter
            for meter in Meter.objects.select_for_update(of=("self",))
            .select_related("location")
            .filter(pk__in=[old.pk, new_meter.pk])
            .order_by("pk")
        }
        old, new_meter = locked[old.pk], locked[new_meter.pk]
        location = old.location
        if location is None:
            raise ValidationError(f"Meter {old.serial} is not installed: nothing to change.")
        what = f"Meter change: {old.serial} out, {new_meter.serial} in."
        final = _remove(
            old,
            removal_date=change_date,
            final_reading=final_reading,
            actor=actor,
            note=f"{what} {note}".strip(),
            fields={"meter": "__all__", "date": "change_date", "reading": "final_reading"},
        )
        first = _install(
            new_meter,
            location=location,
            install_date=change_date,
            install_reading=start_reading,
            actor=actor,
            note=f"{what} {note}".strip(),
            fields={
                "meter": "new_meter",
                "location": "__all__",
                "date": "change_date",
                "reading": "start_reading",
            },
        )
        order = _complete_meter_change_order(location, old, actor=actor, note=note)
    return MeterChange(final_read=final, first_read=first, order=order)


def _complete_meter_change_order(
    location: ServiceLocation, old: Meter, *, actor: AbstractBaseUser, note: str
) -> ServiceOrder | None:
    """The location's oldest outstanding meter-change order (for this meter, or for no
    meter in particular), completed."""
    order = (
        ServiceOrder.objects.select_for_update()
        .outstanding()
        .filter(Q(meter__isnull=True) | Q(meter=old), location=location)
        .filter(kind=ServiceOrderKind.METER_CHANGE)
        .order_by("requested_at", "id")
        .first()
    )
    if order is None:
        return None
    order.status = ServiceOrderStatus.COMPLETED
    order.completed_at = timezone.now()
    order.completed_by = actor
    if order.meter_id is None:
        order.meter = old
    if note.strip():
        order.notes = f"{order.notes}\n{note.strip()}" if order.notes else note.strip()
    order.save(update_fields=["status", "completed_at", "completed_by", "meter", "notes"])
    return order
