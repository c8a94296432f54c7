"""Notes on utility accounts: staff add them; nobody edits or deletes one."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from millbrae_finance.roles import has_role
from utility_billing.models import AccountNote, UtilityAccount
from utility_billing.models.notes import MAX_NOTE_CHARS
from utility_billing.services.accounts import ACCOUNT_EDITORS
from utility_billing.services.adjustments import ADJUSTMENT_PREPARERS

NOTE_WRITERS = ACCOUNT_EDITORS | ADJUSTMENT_PREPARERS


def add_account_note(account: UtilityAccount, *, text: str, actor: AbstractBaseUser) -> AccountNote:
    """Add a dated, signed note to an account."""
    if not has_role(actor, *NOTE_WRITERS):
        raise PermissionDenied("Finance staff add account notes.")
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ValidationError({"text": "Write the note."})
    if len(text) > MAX_NOTE_CHARS:
        raise ValidationError({"text": f"Keep a note under {MAX_NOTE_CHARS:,} characters."})
    with transaction.atomic(durable=True):
        return AccountNote.objects.create(account=account, text=text, created_by=actor)
