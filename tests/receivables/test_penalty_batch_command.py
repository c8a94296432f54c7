"""The scheduled entry point (cron runs it nightly), the demo rules, and the benchmark."""

import datetime
import json
import subprocess
import sys
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from receivables.demo.penalties import DEMO_RULES, seed_penalty_rules
from receivables.models import ArKind, ArTransaction, PenaltyBatch, PenaltyRule
from receivables.services.penalties import run_penalty_batch
from tests.processes import program_env
from tests.receivables.conftest import make_citation
from tests.receivables.penalty_helpers import make_rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def due(ar_fees, ar_users):
    make_rules()
    make_citation(actor=ar_users["tech"], number="P101", issue_date=datetime.date(2026, 9, 1))


def run(*args: str) -> str:
    out = StringIO()
    call_command("run_penalty_batch", *args, stdout=out)
    return out.getvalue()


def test_preview_lists_and_posts_nothing(due):
    out = run("--date", "2026-11-16", "--user", "ar_tech", "--preview")
    assert "P101" in out and "21 days after issue 2026-09-01" in out
    assert "Would charge 2 items, 60.00 in all." in out
    assert not PenaltyBatch.objects.exists()


def test_a_retried_cron_run_posts_once(due):
    first = run("--date", "2026-11-16", "--user", "ar_senior")
    assert "2 charges, 60.00, JE" in first
    second = run("--date", "2026-11-16", "--user", "ar_senior")
    batch = PenaltyBatch.objects.get()
    assert batch.idempotency_key == "penalty-batch-2026-11-16-cli"
    assert second == first
    assert ArTransaction.objects.filter(kind=ArKind.PENALTY).count() == 2
    # The audit context names the command and the user.
    event = batch.events.first()
    assert event.pgh_context.metadata["command"] == "run_penalty_batch"


def test_the_command_refuses_who_may_not_and_what_cannot_be(due, ar_users):
    with pytest.raises(CommandError, match="may not post"):
        run("--date", "2026-11-16", "--user", "ar_tech")
    with pytest.raises(CommandError, match="No active user"):
        run("--date", "2026-11-16", "--user", "nobody")
    with pytest.raises(CommandError, match="No fiscal period"):
        run("--date", "2020-01-06", "--user", "ar_senior")
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    with pytest.raises(CommandError, match="has not come yet"):
        run("--date", tomorrow.isoformat(), "--user", "ar_senior")
    with pytest.raises(PermissionDenied):
        run_penalty_batch(datetime.date(2026, 11, 16), idempotency_key="x", actor=ar_users["tech"])
    assert not PenaltyBatch.objects.exists()


def test_demo_rules_are_seeded_once(ar_chart):
    messages: list[str] = []
    seed_penalty_rules(messages.append)
    seed_penalty_rules(messages.append)
    assert messages == ["Penalty rules: 5 added.", "Penalty rules: already seeded."]
    assert PenaltyRule.objects.count() == len(DEMO_RULES)
    interest = PenaltyRule.objects.get(code="INV-INTEREST")
    assert (interest.rate, interest.repeat_every_days, interest.max_occurrences) == (
        Decimal("1.000000"),
        30,
        12,
    )
    assert interest.revenue_account.number == "101-1100-4910"
    assert PenaltyRule.objects.get(code="PKG-LATE-2").amount == Decimal("35.00")


@pytest.mark.slow
def test_penalty_batch_workload_quick_json_reports_its_figure():
    result = subprocess.run(
        [sys.executable, "manage.py", "benchmark", "--quick", "--json", "--only", "penalty_batch"],
        cwd=settings.BASE_DIR,
        env=program_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = [json.loads(line) for line in result.stdout.splitlines()]
    assert {f["name"]: f["baseline"] for f in figures} == {"penalty_batch": "sql_update"}
    assert figures[0]["value"] > 0
    assert figures[0]["baseline_value"] > 0
