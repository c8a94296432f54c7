"""Every change to service locations and utility accounts: add or edit a location, open
an account (move-in), close it (move-out), transfer service between customers, and
update the customer's contact details.

Locks are taken in one order everywhere: the location, then its accounts by id, then the
customer (receivables' services lock it), so two technicians working one parcel cannot
deadlock."""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from millbrae_finance.roles import Role
from receivables.models import Customer
from receivables.services.customers import add_customer, change_mailing_address, update_customer
from utility_billing.models import (
    AccountRole,
    AccountService,
    AccountStatus,
    Cycle,
    ServiceLocation,
    ServiceOrder,
    ServiceOrderKind,
    ServiceOrderStatus,
    UtilityAccount,
)
from utility_billing.models.locations import OPEN_ACCOUNT_STATUSES
from utility_billing.queries.accounts import (
    MOVE_IN_KINDS,
    default_schedules,
    deposit_decision,
    installed_meter,
)

# Technicians keep locations and accounts; a lead does the same work.
ACCOUNT_EDITORS = frozenset({Role.ACCOUNTING_TECHNICIAN, Role.SENIOR_ACCOUNTING_TECHNICIAN})
ONE_DAY = datetime.timedelta(days=1)
FORWARDING_FIELDS = ("care_of", "address_line1", "address_line2", "city", "state", "postal_code")


@dataclass(frozen=True)
class LocationValues:
    parcel_number: str
    address_line1: str
    address_line2: str
    city: str
    postal_code: str
    service_class: str
    cycle: Cycle
    route: str
    route_sequence: int | None


def create_location(values: LocationValues, *, actor: AbstractBaseUser) -> ServiceLocation:
    """Add a service location (a parcel)."""
    with transaction.atomic(durable=True):
        _check_parcel_free(values.parcel_number, None)
        location = ServiceLocation(**values.__dict__)
        location.full_clean(validate_constraints=False)
        location.save()
    return location


def update_location(
    location: ServiceLocation,
    values: LocationValues,
    *,
    is_active: bool,
    actor: AbstractBaseUser,
) -> ServiceLocation:
    """Change a location's parcel number, address, class, cycle or route. Its class
    does not change under open services (they bill on the old class's schedules)."""
    with transaction.atomic(durable=True):
        location = ServiceLocation.objects.select_for_update().get(pk=location.pk)
        _check_parcel_free(values.parcel_number, location.pk)
        open_services = AccountService.objects.filter(
            account__location=location, end_date__isnull=True
        )
        if values.service_class != location.service_class and open_services.exists():
            raise ValidationError(
                {
                    "service_class": "Open services bill on this class's rates: close or "
                    "transfer the accounts before changing the class."
                }
            )
        if not is_active and UtilityAccount.objects.open().filter(location=location).exists():
            raise ValidationError({"is_active": "An open account takes service here."})
        for field, value in values.__dict__.items():
            setattr(location, field, value)
        location.is_active = is_active
        location.full_clean(validate_constraints=False)
        location.save()
    return location


def _check_parcel_free(parcel_number: str, pk: int | None) -> None:
    taken = ServiceLocation.objects.filter(parcel_number=parcel_number).exclude(pk=pk)
    if taken.exists():
        raise ValidationError({"parcel_number": f"Parcel {parcel_number} is already a location."})


# ---------------------------------------------------------------- move-in


@dataclass(frozen=True)
class MoveIn:
    """A move-in as the form gives it: an existing customer or a new one's fields."""

    role: str
    start_date: datetime.date
    services: Sequence[str]
    customer: Customer | None = None
    new_customer: Mapping[str, object] | None = None
    letter_of_credit: bool = False
    waiver_reason: str = ""
    notes: str = ""


def open_account(
    location: ServiceLocation, move_in: MoveIn, *, actor: AbstractBaseUser
) -> UtilityAccount:
    """Open an account at a location (move-in): the customer (added to receivables' master
    if new), the deposit the credit rule asks or its waiver, the services on the class's
    schedules, and a connect order for the start date. A tenant moving in takes the
    services from the owner's account, which ends them the day before."""
    with transaction.atomic(durable=True):
        location, open_by_role = _lock_location(location)
        return _open(location, open_by_role, move_in, actor=actor, connect=True)


def _lock_location(
    location: ServiceLocation,
) -> tuple[ServiceLocation, dict[str, UtilityAccount]]:
    location = ServiceLocation.objects.select_for_update().get(pk=location.pk)
    accounts = (
        UtilityAccount.objects.select_for_update()
        .filter(location=location, status__in=OPEN_ACCOUNT_STATUSES)
        .order_by("id")
    )
    return location, {account.role: account for account in accounts}


def _open(
    location: ServiceLocation,
    open_by_role: dict[str, UtilityAccount],
    move_in: MoveIn,
    *,
    actor: AbstractBaseUser,
    connect: bool,
    schedules: Mapping[str, object] | None = None,
) -> UtilityAccount:
    errors: dict[str, str] = {}
    if not location.is_active:
        errors["location"] = "This location is inactive: reactivate it first."
    if move_in.role not in AccountRole.values:
        errors["role"] = "Choose owner or tenant."
    elif move_in.role in open_by_role:
        current = open_by_role[move_in.role]
        errors["role"] = (
            f"{current.number} is the open {current.get_role_display().lower()} account "
            "here: move it out or transfer it first."
        )
    last_end = (
        UtilityAccount.objects.filter(location=location, role=move_in.role, end_date__isnull=False)
        .order_by("-end_date")
        .values_list("end_date", flat=True)
        .first()
    )
    if last_end is not None and move_in.start_date <= last_end:
        errors["start_date"] = (
            f"The last {move_in.role} account here ended {last_end:%Y-%m-%d}: start after it."
        )
    unknown = [kind for kind in move_in.services if kind not in MOVE_IN_KINDS]
    if unknown:
        errors["services"] = "Choose water, sewer or storm drain."
    if schedules is None:
        available = default_schedules(location.service_class)
        missing = [kind for kind in move_in.services if kind not in available and not unknown]
        if missing:
            errors["services"] = (
                "No active rate schedule for "
                + ", ".join(missing)
                + f" for {location.get_service_class_display().lower()} locations."
            )
        schedules = {kind: available.get(kind) for kind in move_in.services}
    customer = move_in.customer
    if customer is not None and (customer.merged_into_id is not None or not customer.is_active):
        errors["customer"] = f"{customer.number} is inactive or merged: choose another."
    if customer is None and not move_in.new_customer:
        errors["customer"] = "Choose a customer or enter a new one."
    if errors:
        raise ValidationError(errors)

    if customer is None:
        customer = add_customer(**move_in.new_customer, actor=actor)
    decision = deposit_decision(
        customer,
        location=location,
        on_date=move_in.start_date,
        letter_of_credit=move_in.letter_of_credit,
        staff_waiver_reason=move_in.waiver_reason,
    )
    today = timezone.localdate()
    account = UtilityAccount.objects.create(
        number=_next_account_number(),
        customer=customer,
        location=location,
        role=move_in.role,
        status=AccountStatus.PENDING if move_in.start_date > today else AccountStatus.ACTIVE,
        start_date=move_in.start_date,
        deposit_required=decision.amount,
        deposit_waived=decision.waived,
        deposit_waiver_reason=decision.reason,
        notes=move_in.notes,
        opened_by=actor,
    )
    owner = open_by_role.get(AccountRole.OWNER)
    tenant = open_by_role.get(AccountRole.TENANT)
    if move_in.role == AccountRole.OWNER and tenant is not None:
        # The tenant has the services; they come to this account when the tenant leaves.
        return account
    if move_in.role == AccountRole.TENANT and owner is not None:
        _end_services(owner, last_day=move_in.start_date - ONE_DAY, field="start_date")
    AccountService.objects.bulk_create(
        AccountService(
            account=account,
            kind=kind,
            rate_schedule=schedules[kind],
            start_date=move_in.start_date,
        )
        for kind in move_in.services
    )
    if connect and move_in.services:
        _order(
            account,
            kind=ServiceOrderKind.CONNECT,
            on_date=move_in.start_date,
            notes=f"Move-in of {customer.name} on {move_in.start_date:%Y-%m-%d}.",
            actor=actor,
        )
    return account


def _end_services(account: UtilityAccount, *, last_day: datetime.date, field: str) -> list:
    """End an account's open services on a day; returns what they were."""
    services = list(
        AccountService.objects.select_for_update()
        .filter(account=account, end_date__isnull=True)
        .order_by("id")
    )
    late = [service for service in services if service.start_date > last_day]
    if late:
        raise ValidationError(
            {
                field: f"{account.number}'s {late[0].get_kind_display().lower()} service "
                f"starts {late[0].start_date:%Y-%m-%d}: choose a later date."
            }
        )
    for service in services:
        service.end_date = last_day
    AccountService.objects.bulk_update(services, ["end_date"])
    return services


def _order(
    account: UtilityAccount,
    *,
    kind: str,
    on_date: datetime.date,
    notes: str,
    actor: AbstractBaseUser,
) -> ServiceOrder:
    return ServiceOrder.objects.create(
        location=account.location,
        account=account,
        meter=installed_meter(account.location),
        kind=kind,
        status=ServiceOrderStatus.SCHEDULED,
        scheduled_for=on_date,
        requested_by=actor,
        notes=notes,
    )


def _next_account_number() -> str:
    """The next account number: one more than the highest numeric one. A transaction
    lock serialises two move-ins, so both cannot take the same number."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('utility_billing_account_number'))")
        cursor.execute(
            "SELECT COALESCE(MAX(number::bigint), 100000) + 1 FROM utility_billing_utilityaccount"
            " WHERE number ~ '^[0-9]{1,15}$'"
        )
        return str(cursor.fetchone()[0])


# ---------------------------------------------------------------- move-out


@dataclass(frozen=True)
class MoveOut:
    end_date: datetime.date
    # The customer's new mailing address (FORWARDING_FIELDS), or None to keep it.
    forwarding: Mapping[str, str] | None = None
    notes: str = ""


def close_account(account: UtilityAccount, move_out: MoveOut, *, actor: AbstractBaseUser):
    """Close an account (move-out): its services end on the move-out date, a final-read
    order is made for that day, the forwarding address becomes the customer's mailing
    address, and the account waits for its final bill. A tenant's services go back to
    the owner's account from the next day."""
    with transaction.atomic(durable=True):
        _, open_by_role = _lock_location(account.location)
        return _close(account, open_by_role, move_out, actor=actor, revert_to_owner=True)


def _close(
    account: UtilityAccount,
    open_by_role: dict[str, UtilityAccount],
    move_out: MoveOut,
    *,
    actor: AbstractBaseUser,
    revert_to_owner: bool,
) -> UtilityAccount:
    locked = open_by_role.get(account.role)
    if locked is None or locked.pk != account.pk:
        raise ValidationError("This account is already closed.")
    account = locked
    if move_out.end_date < account.start_date:
        raise ValidationError(
            {"end_date": f"The account started {account.start_date:%Y-%m-%d}: end on or after it."}
        )
    ended = _end_services(account, last_day=move_out.end_date, field="end_date")
    account.status = AccountStatus.CLOSED
    account.end_date = move_out.end_date
    if move_out.notes:
        account.notes = "\n".join(part for part in (account.notes, move_out.notes) if part)
    account.save(update_fields=["status", "end_date", "notes"])
    owner = open_by_role.get(AccountRole.OWNER)
    if revert_to_owner and account.role == AccountRole.TENANT and owner is not None and ended:
        # Service reverts to the owner from the day after the tenant's last day.
        taken = set(
            AccountService.objects.filter(account=owner, end_date__isnull=True).values_list(
                "kind", flat=True
            )
        )
        AccountService.objects.bulk_create(
            AccountService(
                account=owner,
                kind=service.kind,
                rate_schedule_id=service.rate_schedule_id,
                start_date=move_out.end_date + ONE_DAY,
            )
            for service in ended
            if service.kind not in taken
        )
    _order(
        account,
        kind=ServiceOrderKind.FINAL_READ,
        on_date=move_out.end_date,
        notes=f"Final read for the move-out of {account.customer.name}.",
        actor=actor,
    )
    if move_out.forwarding:
        change_mailing_address(account.customer, **move_out.forwarding, actor=actor)
    # FINAL BILL HOOK: the account is now CLOSED ("final bill due"). The bill run work
    # bills it from its last bill to end_date on the final read, applies the deposit held
    # to the balance, refunds the rest or refers it to collection, and sets the status to
    # FINAL_BILLED when that bill posts. Nothing here computes or posts money.
    return account


# ---------------------------------------------------------------- transfer


def transfer_service(
    account: UtilityAccount,
    *,
    last_day: datetime.date,
    move_in: MoveIn,
    forwarding: Mapping[str, str] | None = None,
    actor: AbstractBaseUser,
) -> UtilityAccount:
    """Transfer service at a location from one customer to the next, all or nothing: the
    account closes on its last day (final read, forwarding address) and the next
    customer's account, in the same role, opens the day after with the same services on
    the same schedules. Returns the new account."""
    with transaction.atomic(durable=True):
        location, open_by_role = _lock_location(account.location)
        current = open_by_role.get(account.role)
        services = (
            list(AccountService.objects.filter(account=current, end_date__isnull=True))
            if current is not None and current.pk == account.pk
            else []
        )
        if move_in.customer is not None and move_in.customer.pk == account.customer_id:
            raise ValidationError({"customer": "Service transfers to a different customer."})
        _close(
            account,
            open_by_role,
            MoveOut(end_date=last_day, forwarding=forwarding),
            actor=actor,
            revert_to_owner=False,
        )
        open_by_role = {role: row for role, row in open_by_role.items() if row.pk != account.pk}
        next_in = MoveIn(
            role=account.role,
            start_date=last_day + ONE_DAY,
            services=[service.kind for service in services],
            customer=move_in.customer,
            new_customer=move_in.new_customer,
            letter_of_credit=move_in.letter_of_credit,
            waiver_reason=move_in.waiver_reason,
            notes=move_in.notes or f"Transferred from {account.number}.",
        )
        schedules = {service.kind: service.rate_schedule for service in services}
        try:
            return _open(
                location, open_by_role, next_in, actor=actor, connect=False, schedules=schedules
            )
        except ValidationError as error:
            # The form asks for the last day; the new account's start follows from it.
            if hasattr(error, "error_dict") and "start_date" in error.error_dict:
                error.error_dict["last_day"] = error.error_dict.pop("start_date")
            raise


# ---------------------------------------------------------------- demographics


def update_contact_details(
    account: UtilityAccount,
    *,
    values: Mapping[str, object],
    actor: AbstractBaseUser,
) -> Customer:
    """Update the account holder's contact details and mailing address in receivables'
    customer master (the one payer master; audited there)."""
    customer = Customer.objects.get(pk=account.customer_id)
    current = {
        field: getattr(customer, field)
        for field in (
            "kind",
            "name",
            "care_of",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "phone",
            "phone_alt",
            "email",
            "preferred_contact",
            "notes",
            "do_not_accept_checks",
            "is_active",
        )
    }
    return update_customer(customer, **{**current, **values}, actor=actor)
