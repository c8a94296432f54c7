"""A returned (NSF) check, on the payer's side: the returned-check fee from the fee schedule
billed to the customer as an issued invoice, and the customer flagged "no checks" through
a date. Cashiering reverses the payments the check made and calls this through the
payment-target registry (`charge_returned_check`), in its own transaction."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from receivables.models import (
    ArKind,
    ArTransaction,
    Customer,
    FeeRule,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from receivables.queries.fees import fee_in_effect
from receivables.services.subledger import post_movement

# The fee's terms: due on receipt of the invoice, like any returned item.
NSF_TERMS_DAYS = 0


def flag_no_checks(customer: Customer, *, through: dt.date) -> Customer:
    """Refuse the customer's checks through a date (in the caller's transaction, the
    customer locked): a flag already set for longer, or without an end, is kept."""
    if customer.do_not_accept_checks and (
        customer.no_checks_until is None or customer.no_checks_until >= through
    ):
        return customer
    customer.do_not_accept_checks = True
    customer.no_checks_until = through
    customer.save(update_fields=["do_not_accept_checks", "no_checks_until"])
    return customer


def charge_returned_check(
    customer: Customer,
    *,
    fee_code: str,
    as_of: dt.date,
    receipt: str,
    check_number: str,
    no_checks_until: dt.date,
    actor: AbstractBaseUser,
    key: str,
) -> Invoice:
    """Bill the returned-check fee (`fee_code`, a flat fee in the schedule on `as_of`) to
    the customer as an issued invoice and flag them "no checks" through `no_checks_until`,
    inside the caller's transaction. Once per key: a repeat returns the first invoice."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    flag_no_checks(customer, through=no_checks_until)
    first = ArTransaction.objects.filter(cause=key).select_related("invoice").first()
    if first is not None:
        return first.invoice
    fee = fee_in_effect(fee_code, as_of)
    if fee is None or fee.rule != FeeRule.FLAT or not fee.amount:
        raise ValidationError(
            {"fee": f"The fee schedule has no flat {fee_code} fee in effect on {as_of:%m/%d/%Y}."}
        )
    description = f"Returned check {check_number}, receipt {receipt}"[:200]
    invoice = Invoice.objects.create(
        customer=customer,
        invoice_date=as_of,
        terms_days=NSF_TERMS_DAYS,
        due_date=as_of + dt.timedelta(days=NSF_TERMS_DAYS),
        description=description,
        total=fee.amount,
        prepared_by=actor,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        fee=fee,
        description=f"{fee.code} {fee.description}"[:200],
        revenue_account=fee.revenue_account,
        amount=fee.amount,
        calculation=f"{fee.summary} (fee schedule {fee.code}, {fee.dates})",
    )
    movement = post_movement(
        invoice,
        kind=ArKind.CHARGE,
        offsets=[(fee.revenue_account, fee.amount)],
        transaction_date=as_of,
        memo=f"Invoice {invoice.number} to {customer.number}: {description}",
        reference=invoice.number,
        idempotency_key=key,
        actor=actor,
    )
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_by = actor
    invoice.issued_at = movement.created_at
    invoice.journal_entry_id = movement.journal_entry_id
    invoice.save(update_fields=["status", "issued_by", "issued_at", "journal_entry"])
    return invoice
