import datetime as dt
from decimal import Decimal

import pytest

from millbrae_finance.aging_sections import (
    AgingLine,
    AgingSection,
    aging_sections,
    bucket_index,
    register_aging_section,
    unregister_aging_section,
)


def test_buckets_cover_every_day_as_the_receivables_aging_counts_them():
    assert [bucket_index(days) for days in (-10, 0, 30, 31, 60, 61, 90, 91, 120, 121, 999)] == [
        0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4,
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_registered_section_is_aged_on_the_day_asked():
    def build(as_of: dt.date) -> AgingSection:
        line = AgingLine("Lee", "X1", 1, [Decimal("5.00"), *[Decimal("0.00")] * 4], Decimal("-1"))
        return AgingSection("test", f"Test {as_of:%Y}", "Thing", "due date", [line], line)

    register_aging_section("test", build)
    try:
        section = next(s for s in aging_sections(dt.date(2027, 1, 1)) if s.key == "test")
        assert section.title == "Test 2027"
        assert section.total.total == Decimal("4.00")
        assert section.total.past_due == 0
    finally:
        unregister_aging_section("test")
