"""Finding receipts (the supervisor's list), and what a receipt's page offers after the
close: a reversal, a returned check."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from cashiering.models import Receipt, ReceiptTender, ReturnedCheck, SessionStatus, TenderKind
from millbrae_finance.roles import has_role


def receipts_matching(
    *, number: str = "", day: dt.date | None = None, clerk: AbstractBaseUser | None = None
) -> QuerySet[Receipt]:
    """Receipts newest first, by number ("D1-000042", "D1-42" or just 42), day and clerk."""
    rows = Receipt.objects.select_related("drawer", "session__clerk", "reversal").order_by(
        "-posted_at", "-id"
    )
    number = (number or "").replace("\x00", "").strip().upper()
    if number:
        code, _, digits = number.rpartition("-")
        if not (digits.isascii() and digits.isdigit()):
            return rows.none()
        rows = rows.filter(number=int(digits))
        if code:
            rows = rows.filter(drawer__code=code)
    if day is not None:
        rows = rows.filter(posted_at__date=day)
    if clerk is not None:
        rows = rows.filter(session__clerk=clerk)
    return rows


def after_close_actions(receipt: Receipt, user: AbstractBaseUser) -> dict:
    """What the receipt's page offers the user once its session is closed: Reverse (the
    supervisor), Record a returned check (the supervisor or a lead), and the checks that
    may still come back. The services check all of it again."""
    from cashiering.services.reversals import CHECK_RETURNERS, REVERSERS

    closed = receipt.session.status != SessionStatus.OPEN
    live = closed and not receipt.is_void and not receipt.is_reversed
    returned = list(
        ReturnedCheck.objects.filter(receipt=receipt)
        .select_related("tender", "recorded_by")
        .prefetch_related("shares__item")
    )
    returnable = [
        t
        for t in ReceiptTender.objects.filter(receipt=receipt, kind=TenderKind.CHECK).order_by("id")
        if t.pk not in {r.tender_id for r in returned}
    ]
    return {
        "may_reverse": live and not returned and has_role(user, *REVERSERS),
        "may_return_check": live and bool(returnable) and has_role(user, *CHECK_RETURNERS),
        "returnable_checks": returnable,
        "returned_checks": returned,
    }
