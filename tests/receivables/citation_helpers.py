"""Helpers for the citation tests (no fixtures hidden in a conftest)."""

import datetime
from decimal import Decimal

from ledger.models import Account, JournalEntry
from receivables.models import Citation, PenaltyRule


def make_late_rule(
    code: str = "CIT-LATE-1",
    *,
    days_after: int = 21,
    calculation: str = "flat",
    amount: str | None = "25.00",
    rate: str | None = None,
    kind: str = "parking",
    account: str = "101-1100-4910",
    repeat_every_days: int | None = None,
    max_occurrences: int | None = None,
) -> PenaltyRule:
    """A citation escalation rule, saved directly. Needs the AR chart."""
    return PenaltyRule.objects.create(
        code=code,
        name=f"Late penalty {code}",
        applies_to="citation",
        citation_kind=kind,
        days_after=days_after,
        calculation=calculation,
        amount=Decimal(amount) if amount else None,
        rate=Decimal(rate) if rate else None,
        repeat_every_days=repeat_every_days,
        max_occurrences=max_occurrences,
        revenue_account=Account.objects.get(number=account),
        effective_from=datetime.date(2025, 7, 1),
    )


def entry_lines(entry: JournalEntry | int) -> dict[str, Decimal]:
    """An entry's lines by account number (amounts summed per account)."""
    entry = entry if isinstance(entry, JournalEntry) else JournalEntry.objects.get(pk=entry)
    lines: dict[str, Decimal] = {}
    for line in entry.lines.select_related("account"):
        lines[line.account.number] = lines.get(line.account.number, Decimal(0)) + line.amount
    return lines


def role_matrix_samples(users: dict) -> dict:
    """The citation URLs for the role matrix: one citation, entered by a user outside the
    matrix (so the matrix's supervisor may decide on it)."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from receivables.models import Fee, FeeStatus
    from receivables.services.citations import issue_citation
    from tests.conftest import make_user
    from tests.receivables.conftest import make_ar_chart

    citation = Citation.objects.filter(number="RM-CITATION").first()
    if citation is None:
        chart = make_ar_chart()
        clerk = User.objects.filter(username="citation_matrix_tech").first() or make_user(
            None, "citation_matrix_tech"
        )
        approver = User.objects.filter(username="citation_matrix_approver").first() or make_user(
            None, "citation_matrix_approver"
        )
        Fee.objects.get_or_create(
            code="RM-VIOLATION",
            defaults={
                "description": "Role matrix violation",
                "revenue_account": chart["101-2100-4610"],
                "rule": "flat",
                "amount": Decimal("45.00"),
                "violation_kind": "parking",
                "effective_from": datetime.date(2025, 7, 1),
                "status": FeeStatus.APPROVED,
                "prepared_by": clerk,
                "approved_by": approver,
                "approved_at": timezone.now(),
            },
        )
        citation = issue_citation(
            number="RM-CITATION",
            kind="parking",
            issue_date=datetime.date(2026, 10, 5),
            violation_code="RM-VIOLATION",
            plate="RM1234",
            actor=clerk,
        )
    return {
        f"receivables:{name}": {"pk": citation.pk}
        for name in (
            "citation_detail",
            "citation_notice",
            "citation_hearing",
            "citation_dismiss",
            "citation_reduce",
            "citation_assign",
        )
    }
