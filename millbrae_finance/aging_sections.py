"""The aging registry: receivables kept outside receivables (utility AR) add a section to
the aging report, without receivables knowing the module that keeps them.

A module registers a function from its AppConfig.ready() that ages its subledger at the
close of a day into the report's buckets (days past the date each item fell due), one
line per account, with a total equal to its control accounts' balance on that day. The
aging report shows each section under its own table, and exports it with the rest.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0.00")
# Days past due each bucket holds (inclusive), as the receivables aging counts them.
BUCKET_DAYS = ((None, 30), (31, 60), (61, 90), (91, 120), (121, None))
BUCKET_LABELS = ("Current", "31–60 days", "61–90 days", "91–120 days", "Over 120 days")


def bucket_index(days_past_due: int) -> int:
    """Which bucket an item this many days past due falls in."""
    for index, (low, high) in enumerate(BUCKET_DAYS):
        if (low is None or days_past_due >= low) and (high is None or days_past_due <= high):
            return index
    raise AssertionError("The buckets cover every day.")


@dataclass
class AgingLine:
    """One account of a section, or its total: what is open in each bucket, the credit
    not yet applied to anything (zero or negative), and the balance (their sum)."""

    label: str
    number: str = ""
    items: int = 0
    buckets: list[Decimal] = field(default_factory=lambda: [ZERO] * len(BUCKET_LABELS))
    credit: Decimal = ZERO
    url: str | None = None

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, ZERO) + self.credit

    @property
    def past_due(self) -> Decimal:
        return sum(self.buckets[1:], ZERO)


@dataclass
class AgingSection:
    key: str
    title: str
    group_heading: str
    basis: str  # what items age from, in words
    lines: list[AgingLine]
    total: AgingLine

    @property
    def headings(self) -> tuple[str, ...]:
        return BUCKET_LABELS


SectionBuilder = Callable[[dt.date], AgingSection]
_sections: dict[str, SectionBuilder] = {}


def register_aging_section(key: str, build: SectionBuilder) -> None:
    """Register (or replace, by key) a section of the aging report."""
    _sections[key] = build


def unregister_aging_section(key: str) -> None:
    _sections.pop(key, None)


def aging_sections(as_of: dt.date) -> list[AgingSection]:
    """Every registered section, aged at the close of the day, in registration order."""
    return [build(as_of) for build in _sections.values()]
