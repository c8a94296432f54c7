"""Owners told of a tenant's delinquency: a notice (data, a letter to send) for each
tenant bill more than 30 days past its due date at a location whose owner has an open
account. Recorded set-based, once per tenant bill (a unique constraint), so recording
again on another day adds only bills newly past due."""

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from utility_billing.models import OwnerNotice, OwnerNoticeStatus
from utility_billing.queries.payments import parts_sql

# Days past a bill's due date after which the owner is told.
OWNER_NOTICE_DAYS = 30

DELINQUENT_SQL = f"""
SELECT o.id, t.id, p.bill_id, p.due_date, SUM(p.open), %(as_of)s::date - p.due_date
  FROM ({parts_sql(accounts=True)}) p
  JOIN utility_billing_utilityaccount t ON t.id = p.account_id AND t.role = 'tenant'
  JOIN utility_billing_utilityaccount o
    ON o.location_id = t.location_id AND o.role = 'owner' AND o.status IN ('pending', 'active')
 WHERE p.bill_id IS NOT NULL AND p.open > 0 AND %(as_of)s::date - p.due_date > %(days)s
 GROUP BY o.id, t.id, p.bill_id, p.due_date
 ORDER BY o.id, t.id, p.bill_id
"""  # noqa: S608 (constant fragments; values go as parameters)

TENANTS_SQL = """
SELECT t.id FROM utility_billing_utilityaccount t
  JOIN utility_billing_utilityaccount o
    ON o.location_id = t.location_id AND o.role = 'owner' AND o.status IN ('pending', 'active')
 WHERE t.role = 'tenant'
"""


def record_owner_notices(
    as_of: dt.date, *, actor: AbstractBaseUser, days: int = OWNER_NOTICE_DAYS
) -> int:
    """Record a notice to the owner for each tenant bill more than `days` past due at
    the close of `as_of` not noticed yet; returns how many were recorded."""
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": "Notices are recorded for today or a past day."})
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute(TENANTS_SQL)
            tenants = [row[0] for row in cursor.fetchall()]
            cursor.execute(DELINQUENT_SQL, {"as_of": as_of, "account_ids": tenants, "days": days})
            rows = cursor.fetchall()
        before = OwnerNotice.objects.count()
        OwnerNotice.objects.bulk_create(
            [
                OwnerNotice(
                    owner_account_id=owner_id,
                    tenant_account_id=tenant_id,
                    bill_id=bill_id,
                    due_date=due_date,
                    amount_past_due=amount,
                    days_past_due=late,
                    as_of=as_of,
                    created_by=actor,
                )
                for owner_id, tenant_id, bill_id, due_date, amount, late in rows
            ],
            ignore_conflicts=True,
        )
        return OwnerNotice.objects.count() - before


def mark_owner_notices_sent(ids: Sequence[int], *, actor: AbstractBaseUser) -> int:
    """Mark notices to send as sent (the letters went out); returns how many."""
    with transaction.atomic(durable=True):
        notices = list(
            OwnerNotice.objects.select_for_update()
            .filter(pk__in=list(ids), status=OwnerNoticeStatus.TO_SEND)
            .order_by("id")
        )
        now = timezone.now()
        for notice in notices:
            notice.status = OwnerNoticeStatus.SENT
            notice.sent_at = now
            notice.sent_by = actor
            notice.save(update_fields=["status", "sent_at", "sent_by"])
    return len(notices)
