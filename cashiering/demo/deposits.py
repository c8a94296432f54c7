"""Demo deposits: every verified session not yet deposited goes to the bank with the
others closed the same day, one deposit a business day, made by the supervisor.

Reads only what is in the database (sessions, their counts), not how they were made, so
it follows whatever sessions the earlier demo steps left. Runs again to no effect: a
deposited session is never offered again, and each day's deposit has its own key."""

from collections.abc import Callable
from itertools import groupby

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from cashiering.queries.deposits import sessions_to_deposit
from cashiering.services.deposits import DEFAULT_BANK_NAME, cash_in_bank_accounts, make_deposit

# The General Fund's pooled cash: cash in drawers is the General Fund's too.
DEMO_BANK_ACCOUNT = "101-0000-1010"


def seed_deposits(log: Callable[[str], None]) -> None:
    sessions = list(sessions_to_deposit())
    if not sessions:
        log("no verified sessions waiting for a deposit")
        return
    accounts = cash_in_bank_accounts()
    bank_account = accounts.filter(number=DEMO_BANK_ACCOUNT).first() or accounts.first()
    if bank_account is None:
        log("no cash-in-bank account in the chart: no deposits")
        return
    supervisor = User.objects.get(username="supervisor")
    made = 0

    def day_of(session):
        return timezone.localdate(session.closed_at)

    for day, group in groupby(sorted(sessions, key=lambda s: (day_of(s), s.pk)), key=day_of):
        try:
            make_deposit(
                list(group),
                deposit_date=day,
                bank_account=bank_account,
                bank_name=DEFAULT_BANK_NAME,
                idempotency_key=f"demo-deposit-{day:%Y-%m-%d}",
                actor=supervisor,
            )
        except ValidationError as error:
            log(f"no deposit on {day}: {' '.join(error.messages)}")
        else:
            made += 1
    log(f"{made} deposits of {len(sessions)} sessions")
