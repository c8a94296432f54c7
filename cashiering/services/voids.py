"""Voiding a receipt the same day: the clerk asks, a lead approves on the same screen
(their own login, never the clerk's), and every item is undone through its target with
one entry that reverses the cash entry. The receipt keeps its number, marked void.

After the session is closed only a supervisor's reversal undoes a receipt (not here)."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cashiering.models import CashSession, Drawer, Receipt, SessionStatus
from ledger.models import JournalLine
from ledger.services import LineSpec, post_entry
from millbrae_finance.payment_targets import can_reverse, payment_target_type
from millbrae_finance.roles import Role, has_role

# Who approves a void: a lead or the supervisor, never the clerk who took the payment.
VOID_APPROVERS = frozenset({Role.SENIOR_ACCOUNTING_TECHNICIAN, Role.FINANCE_SUPERVISOR})


def void_receipt(
    receipt: Receipt, *, reason: str, actor: AbstractBaseUser, approver: AbstractBaseUser
) -> Receipt:
    """Void the actor's receipt of today, approved by a lead; a repeat returns it as is."""
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the receipt is voided."})
    if approver is None or approver.pk == actor.pk or not has_role(approver, *VOID_APPROVERS):
        raise ValidationError(
            {"approver": "A senior accounting technician or the supervisor approves a void."}
        )
    with transaction.atomic(durable=True):
        # Drawer, session, receipt: the order a receipt is posted in.
        Drawer.objects.select_for_update().get(pk=receipt.drawer_id)
        session = CashSession.objects.select_for_update().get(pk=receipt.session_id)
        receipt = (
            Receipt.objects.select_for_update(of=("self",))
            .select_related("drawer", "journal_entry")
            .get(pk=receipt.pk)
        )
        if receipt.is_void:
            return receipt
        if session.clerk_id != actor.pk:
            raise PermissionDenied("A clerk voids only their own receipts.")
        today = timezone.localdate()
        if session.status != SessionStatus.OPEN or timezone.localdate(receipt.posted_at) != today:
            raise ValidationError(
                {
                    "reason": "Only a receipt of today in an open session is voided here; "
                    "after the close a supervisor reverses it."
                }
            )
        items = list(receipt.items.order_by("line"))
        for item in items:
            if not can_reverse(payment_target_type(item.target_kind)):
                raise ValidationError(
                    {
                        "reason": f"Item {item.line} ({item.description}) cannot be voided at the "
                        "counter: ask the supervisor for a reversal."
                    }
                )
        original = receipt.journal_entry
        lines = [
            LineSpec(line.account, -line.amount, f"Void: {line.memo}"[:100])
            for line in JournalLine.objects.filter(entry=original).select_related("account")
        ]
        number = receipt.display_number
        entry = post_entry(
            entry_date=today,
            lines=lines,
            memo=f"Void of receipt {number}: {reason}"[:200],
            source_module="cashiering",
            source_document=number,
            idempotency_key=f"void:{receipt.idempotency_key}",
            prepared_by=actor,
            approved_by=approver,
            reverses=original,
        )
        for item in items:
            try:
                payment_target_type(item.target_kind).reverse_payment(
                    item.target_reference,
                    payment_key=f"{receipt.idempotency_key}:{item.line}",
                    as_of=today,
                    receipt=number,
                    actor=actor,
                    journal_entry=entry,
                )
            except ValidationError as error:
                raise ValidationError({"reason": error.messages}) from None
        receipt.voided_at = timezone.now()
        receipt.void_reason = reason[:200]
        receipt.voided_by = actor
        receipt.void_approved_by = approver
        receipt.void_entry = entry
        receipt.save(
            update_fields=[
                "voided_at",
                "void_reason",
                "voided_by",
                "void_approved_by",
                "void_entry",
            ]
        )
        return receipt
