"""The rate engine, on bills worked by hand. No database: the engine is pure arithmetic."""

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from utility_billing.rating import (
    Charge,
    Rates,
    RatingError,
    ServiceRates,
    add_months,
    compute_bill,
    count_months,
    problems_with_charges,
)

D = Decimal
day = datetime.date


def fixed(size: str, rate: str) -> Charge:
    return Charge(kind="fixed_by_meter_size", meter_size=size, rate=D(rate))


def tier(low: str, high: str | None, rate: str) -> Charge:
    return Charge(
        kind="volumetric_tier",
        tier_from=D(low),
        tier_to=D(high) if high is not None else None,
        rate=D(rate),
    )


# Water, single-family: $30.00 a month for a 5/8" meter ($42.00 for 3/4"), and use in
# three tiers a month: 0-6 HCF at $5.25, 6-20 at $6.75, over 20 at $8.50.
WATER_2025 = (
    fixed("5/8", "30.00"),
    fixed("3/4", "42.00"),
    tier("0", "6", "5.25"),
    tier("6", "20", "6.75"),
    tier("20", None, "8.50"),
)
# From 1 March 2026: $33.00 a month, tiers at $5.75, $7.25 and $9.00.
WATER_2026 = (
    fixed("5/8", "33.00"),
    fixed("3/4", "46.00"),
    tier("0", "6", "5.75"),
    tier("6", "20", "7.25"),
    tier("20", None, "9.00"),
)
# Sewer, single-family: $20.00 a month whatever the meter, $4.10 an HCF of use capped
# at the winter average.
SEWER = (
    Charge(kind="fixed_by_meter_size", meter_size="", rate=D("20.00")),
    Charge(kind="volumetric_uniform", rate=D("4.10"), capped_by_winter_average=True),
)
STORM = (Charge(kind="per_parcel", rate=D("3.50")),)


def water(*versions: Rates) -> ServiceRates:
    return ServiceRates("water", "W-SFR", "Water, single-family", versions)


def one_version(charges, code="X", kind="water") -> ServiceRates:
    return ServiceRates(kind, code, code, (Rates(day(2025, 7, 1), None, tuple(charges)),))


def amounts(bill) -> list[tuple[str, Decimal]]:
    return [(line.description, line.amount) for line in bill.lines]


def test_months_count_whole_months_then_days_of_the_month_begun():
    assert count_months(day(2026, 1, 10), day(2026, 2, 9)).value == 1
    assert count_months(day(2026, 2, 1), day(2026, 2, 28)).value == 1  # 28 days, a month
    assert count_months(day(2026, 1, 1), day(2026, 2, 14)).value == Fraction(3, 2)
    assert count_months(day(2026, 1, 1), day(2026, 1, 30)).value == Fraction(30, 31)
    # From the 31st: a month ends the day before the (shorter) month's last day.
    assert add_months(day(2026, 1, 31), 1) == day(2026, 2, 28)
    assert count_months(day(2026, 1, 31), day(2026, 2, 27)).value == 1
    months = count_months(day(2026, 1, 1), day(2026, 2, 14))
    assert months.text == "1 month and 14 of 28 days = 1.5 months"


def test_bill_with_tiers_sewer_cap_and_storm_drain_for_a_whole_month():
    # 10 January to 9 February 2026: 31 days, one whole month. 25 HCF used.
    #   Water fixed, 5/8":   $30.00 × 1 month                          =  30.00
    #   Tier 1, 0-6 HCF:     6 HCF × $5.25                              =  31.50
    #   Tier 2, 6-20 HCF:    14 HCF × $6.75                             =  94.50
    #   Tier 3, over 20:     5 HCF × $8.50                              =  42.50
    #   Sewer fixed:         $20.00 × 1 month                           =  20.00
    #   Sewer use:           25 HCF capped at winter average 8 HCF × 1 month
    #                        = 8 HCF × $4.10                            =  32.80
    #   Storm drain:         $3.50 × 1 month                            =   3.50
    #                                                             total   254.80
    bill = compute_bill(
        [
            water(Rates(day(2025, 7, 1), None, WATER_2025)),
            one_version(SEWER, "S-SFR", "sewer"),
            one_version(STORM, "SD", "storm_drain"),
        ],
        service_class="single_family",
        meter_size="5/8",
        start=day(2026, 1, 10),
        end=day(2026, 2, 9),
        consumption=D("25"),
        winter_average=D("8"),
    )
    assert bill.days == 31
    assert [line.amount for line in bill.lines] == [
        D("30.00"),
        D("31.50"),
        D("94.50"),
        D("42.50"),
        D("20.00"),
        D("32.80"),
        D("3.50"),
    ]
    assert bill.total == D("254.80")
    assert [line.units for line in bill.lines[1:4]] == [D("6"), D("14"), D("5")]
    assert bill.lines[0].arithmetic == "$30.00 a month × 1 month = $30.00"
    assert bill.lines[2].arithmetic == "14 HCF × $6.75 = $94.50"
    assert bill.lines[5].arithmetic == (
        "25 HCF capped at winter average 8 HCF a month × 1 month = 8 HCF; 8 HCF × $4.10 = $32.80"
    )
    assert bill.subtotals() == [
        ("Water", D("198.50")),
        ("Sewer", D("52.80")),
        ("Storm drain (clean bay)", D("3.50")),
    ]


def test_bill_across_a_rate_change_is_split_by_days():
    # 15 February to 16 March 2026: 30 days; the water rates change on 1 March.
    # Months: 15 Feb-14 Mar is a whole month; 15-16 March are 2 of the 31 days of
    # 15 Mar-14 Apr: 1 + 2/31 = 33/31 months.
    # Side A, 15-28 Feb, 14 days: 33/31 × 14/30 = 77/155 months (0.4968).
    # Side B, 1-16 Mar, 16 days: 33/31 × 16/30 = 88/155 months (0.5677).
    # 20 HCF split by days: 9.333… and 10.666…; to the thousandth 9.333 + 10.666 leaves
    # one thousandth, which goes to the larger remainder (B): 9.333 and 10.667.
    #   A fixed: $30.00 × 77/155 = 14.9032… = 14.90
    #   A tiers: 6 × 77/155 = 2.981 and 20 × 77/155 = 9.935 HCF
    #            2.981 HCF × $5.25 = 15.65025 = 15.65
    #            (9.333 − 2.981) = 6.352 HCF × $6.75 = 42.876 = 42.88
    #   B fixed: $33.00 × 88/155 = 18.7354… = 18.74
    #   B tiers: 6 × 88/155 = 3.406 and 20 × 88/155 = 11.355 HCF
    #            3.406 HCF × $5.75 = 19.5845 = 19.58
    #            (10.667 − 3.406) = 7.261 HCF × $7.25 = 52.64225 = 52.64
    #                                                       total 164.39
    bill = compute_bill(
        [
            water(
                Rates(day(2025, 7, 1), day(2026, 2, 28), WATER_2025, label="2025 rates"),
                Rates(day(2026, 3, 1), None, WATER_2026, label="2026 rates"),
            )
        ],
        service_class="single_family",
        meter_size="5/8",
        start=day(2026, 2, 15),
        end=day(2026, 3, 16),
        consumption=D("20"),
    )
    assert bill.days == 30
    assert [(side.days, side.units) for side in bill.sides] == [
        (14, D("9.333")),
        (16, D("10.667")),
    ]
    assert [line.amount for line in bill.lines] == [
        D("14.90"),
        D("15.65"),
        D("42.88"),
        D("18.74"),
        D("19.58"),
        D("52.64"),
    ]
    assert bill.total == D("164.39")
    assert [line.units for line in bill.lines if line.units] == [
        D("2.981"),
        D("6.352"),
        D("3.406"),
        D("7.261"),
    ]
    first = bill.lines[0]
    assert (first.start, first.end, first.days, first.version_label) == (
        day(2026, 2, 15),
        day(2026, 2, 28),
        14,
        "2025 rates",
    )
    assert first.arithmetic == ("$30.00 a month × 0.4968… months (14 of 30 days) = $14.90")
    assert bill.lines[1].description == (
        "Use, tier 1 (0–6 HCF a month; 0–2.981 HCF for 0.4968… months)"
    )


def test_fixed_charge_and_tiers_for_a_45_day_period():
    # 1 January to 14 February 2026: 45 days = 1 month (January) and 14 of the 28 days
    # of February = 1.5 months.
    #   Fixed, 3/4":  $42.00 × 1.5 months             = 63.00
    #   Tier widths × 1.5: 0-9, 9-30, over 30 HCF; 12 HCF used
    #   Tier 1:       9 HCF × $5.25                     = 47.25
    #   Tier 2:       3 HCF × $6.75                     = 20.25
    #   Sewer fixed:  $20.00 × 1.5 months               = 30.00
    #   Sewer use:    12 HCF, not over the cap of winter average 8 HCF × 1.5 = 12 HCF:
    #                 12 HCF × $4.10                    = 49.20
    #   Storm drain:  $3.50 × 1.5 months                =  5.25
    #                                             total 214.95
    bill = compute_bill(
        [
            water(Rates(day(2025, 7, 1), None, WATER_2025)),
            one_version(SEWER, "S-SFR", "sewer"),
            one_version(STORM, "SD", "storm_drain"),
        ],
        service_class="single_family",
        meter_size="3/4",
        start=day(2026, 1, 1),
        end=day(2026, 2, 14),
        consumption=D("12"),
        winter_average=D("8"),
    )
    assert bill.days == 45
    assert bill.months.value == Fraction(3, 2)
    assert amounts(bill) == [
        ('Fixed charge, 3/4" meter', D("63.00")),
        ("Use, tier 1 (0–6 HCF a month; 0–9 HCF for 1.5 months)", D("47.25")),
        ("Use, tier 2 (6–20 HCF a month; 9–30 HCF for 1.5 months)", D("20.25")),
        ("Fixed charge", D("30.00")),
        ("Use", D("49.20")),
        ("Charge per parcel", D("5.25")),
    ]
    assert bill.total == D("214.95")
    assert bill.lines[0].arithmetic == "$42.00 a month × 1.5 months = $63.00"


def test_a_month_not_whole_prorates_by_its_own_days():
    # 1-30 January: 30 of January's 31 days. $30.00 × 30/31 = 29.0322… = 29.03.
    bill = compute_bill(
        [water(Rates(day(2025, 7, 1), None, WATER_2025))],
        service_class="single_family",
        meter_size="5/8",
        start=day(2026, 1, 1),
        end=day(2026, 1, 30),
        consumption=D("0"),
    )
    assert amounts(bill) == [('Fixed charge, 5/8" meter', D("29.03"))]


def test_minimum_charge_raises_a_small_bill():
    # Irrigation: $6.00 an HCF, at least $25.00 a month. 2 HCF in a whole month:
    # 2 × $6.00 = $12.00, raised by $13.00 to $25.00.
    irrigation = one_version(
        [
            Charge(kind="volumetric_uniform", rate=D("6.00")),
            Charge(kind="minimum", rate=D("25.00")),
        ],
        "W-IRR",
    )
    bill = compute_bill(
        [irrigation],
        service_class="irrigation",
        meter_size="1",
        start=day(2026, 4, 1),
        end=day(2026, 4, 30),
        consumption=D("2"),
    )
    assert [line.amount for line in bill.lines] == [D("12.00"), D("13.00")]
    assert bill.total == D("25.00")
    assert "raised by $13.00" in bill.lines[1].arithmetic


def test_sewer_cap_is_for_residences_only_and_needs_a_winter_average():
    args = {
        "meter_size": "5/8",
        "start": day(2026, 1, 10),
        "end": day(2026, 2, 9),
        "consumption": D("25"),
    }
    sewer = [one_version(SEWER, "S", "sewer")]
    commercial = compute_bill(sewer, service_class="commercial", winter_average=D("8"), **args)
    assert commercial.lines[1].amount == D("102.50")  # 25 × $4.10, not capped
    unknown = compute_bill(sewer, service_class="single_family", **args)
    assert unknown.lines[1].amount == D("102.50")
    assert unknown.notes == ["Sewer: no winter average on file, so the use is not capped."]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end": day(2025, 12, 31)}, "end", "cannot end before it starts"),
        ({"consumption": D("-1")}, "consumption", "cannot be negative"),
        ({"consumption": D("1.0005")}, "consumption", "thousandth"),
        ({"meter_size": "6"}, "meter_size", 'no fixed charge for a 6" meter'),
        ({"start": day(2025, 6, 1)}, "start", "no approved rate from 06/01/2025 to 06/30/2025"),
        ({"end": day(2027, 6, 1)}, "end", "at most 400 days"),
    ],
)
def test_input_the_engine_cannot_bill_names_its_field(changes, field, message):
    args = {
        "service_class": "single_family",
        "meter_size": "5/8",
        "start": day(2026, 1, 1),
        "end": day(2026, 1, 31),
        "consumption": D("10"),
        **changes,
    }
    with pytest.raises(RatingError) as raised:
        compute_bill([water(Rates(day(2025, 7, 1), None, WATER_2025))], **args)
    assert raised.value.field == field
    assert message in raised.value.message


def test_tier_schedules_with_a_gap_or_an_overlap_are_refused():
    assert problems_with_charges(WATER_2025, service_kind="water") == []
    gap = (tier("0", "6", "1"), tier("7", None, "2"))
    assert [p.message for p in problems_with_charges(gap, service_kind="water")] == [
        "Gap: no tier covers 6 to 7 HCF."
    ]
    overlap = (tier("0", "6", "1"), tier("5", None, "2"))
    (problem,) = problems_with_charges(overlap, service_kind="water")
    assert problem.line == 1
    assert problem.message.startswith("Overlap: this tier starts at 5 HCF")
    not_zero = (tier("2", None, "1"),)
    assert (
        "no tier covers 0 to 2" in problems_with_charges(not_zero, service_kind="water")[0].message
    )
    closed = (tier("0", "6", "1"),)
    assert "open-ended" in problems_with_charges(closed, service_kind="water")[0].message
    both = (*WATER_2025, Charge(kind="volumetric_uniform", rate=D("1")))
    assert "not both" in problems_with_charges(both, service_kind="water")[0].message
    twice = (fixed("5/8", "1"), fixed("5/8", "2"))
    assert "second fixed charge" in problems_with_charges(twice, service_kind="water")[0].message
    capped_water = (Charge(kind="volumetric_uniform", rate=D("1"), capped_by_winter_average=True),)
    assert "Only sewer" in problems_with_charges(capped_water, service_kind="water")[0].message
