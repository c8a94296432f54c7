"""The nightly penalty batch, as cron runs it:

    manage.py run_penalty_batch --date 2026-11-16 --user senior [--preview]

A retried run for the same date posts once: its idempotency key is made from the date.
"""

import datetime as dt
from typing import Any

import pghistory
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from millbrae_finance.roles import has_role
from receivables.queries.penalties import preview_penalty_batch
from receivables.services.penalties import BATCH_RUNNERS, batch_reference, run_penalty_batch


def cli_key(day: dt.date) -> str:
    return f"penalty-batch-{day:%Y-%m-%d}-cli"


class Command(BaseCommand):
    help = "Charge the penalties and interest due on a date (or, with --preview, list them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            dest="day",
            type=dt.date.fromisoformat,
            help="The batch date, YYYY-MM-DD (default: today).",
        )
        parser.add_argument(
            "--user",
            required=True,
            help="Who runs it: a Senior Accounting Technician or Finance Supervisor.",
        )
        parser.add_argument(
            "--preview", action="store_true", help="List what would be charged; post nothing."
        )

    def handle(
        self, *args: Any, day: dt.date | None, user: str, preview: bool, **options: Any
    ) -> None:
        day = day or timezone.localdate()
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {user!r}.")
        if preview:
            self._preview(day)
            return
        if not has_role(actor, *BATCH_RUNNERS):
            raise CommandError(f"{user} may not post penalties: a lead runs the batch.")
        if day > timezone.localdate():
            raise CommandError(f"{day:%Y-%m-%d} has not come yet.")
        try:
            with pghistory.context(user=actor.pk, command="run_penalty_batch"):
                batch = run_penalty_batch(day, idempotency_key=cli_key(day), actor=actor)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        entry = f"JE {batch.journal_entry.number}" if batch.journal_entry else "no entry"
        self.stdout.write(
            f"{batch_reference(batch)} {day:%Y-%m-%d}: {batch.items_charged} charges, "
            f"{batch.total:,.2f}, {entry}"
        )

    def _preview(self, day: dt.date) -> None:
        preview = preview_penalty_batch(day)
        for row in preview.rows:
            self.stdout.write(
                f"{row.document_number:<12} {row.rule_code:<14} {row.occurrence:>3} "
                f"{row.amount:>10,.2f}  {row.who}  ({row.why}; {row.how})"
            )
        for total in preview.totals:
            self.stdout.write(
                f"{total.code:<14} {total.items:>7} items {total.amount:>14,.2f}  {total.name}"
            )
        self.stdout.write(f"Would charge {preview.items} items, {preview.total:,.2f} in all.")
