"""Dunning notices, written: recording the notices planned for a date, and moving a
customer's notices on a merge. Who gets which notice is receivables.queries.dunning."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from receivables.models import Customer, DunningNotice
from receivables.queries.dunning import plan_notices


@dataclass
class NoticeRun:
    """What sending the notices of a date did."""

    notice_date: dt.date
    created: int
    planned: int


def send_notices(
    as_of: dt.date, *, actor: AbstractBaseUser, min_days_past_due: int = 30
) -> NoticeRun:
    """Record the notices planned for a date, all or none. Sending the same date again
    (a double click, a retry) records nothing twice: a customer gets at most one notice a
    day (a unique constraint), and the 14-day spacing leaves nobody to send to."""
    with transaction.atomic(durable=True):
        planned = plan_notices(as_of, min_days_past_due=min_days_past_due)
        before = DunningNotice.objects.filter(notice_date=as_of).count()
        DunningNotice.objects.bulk_create(
            [
                DunningNotice(
                    customer=plan.customer,
                    notice_date=as_of,
                    level=plan.level,
                    amount_past_due=plan.amount_past_due,
                    items=[item.reference for item in plan.items],
                    sent_by=actor,
                )
                for plan in planned
            ],
            ignore_conflicts=True,
        )
        created = DunningNotice.objects.filter(notice_date=as_of).count() - before
    return NoticeRun(notice_date=as_of, created=created, planned=len(planned))


def move_notices(*, duplicate: Customer, survivor: Customer, actor: AbstractBaseUser) -> int:
    """On a customer merge the duplicate's notices go to the survivor, except one on a day
    the survivor already had a notice (one notice a day per customer): that one stays with
    the duplicate, where its history still shows it."""
    taken = DunningNotice.objects.filter(customer=survivor).values("notice_date")
    return (
        DunningNotice.objects.filter(customer=duplicate)
        .exclude(notice_date__in=taken)
        .update(customer=survivor)
    )
