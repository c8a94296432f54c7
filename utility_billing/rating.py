"""The rate engine: what a period of service costs under the rate versions in force, and
the arithmetic that shows it. Pure calculation, no database (like receivables'
fee_rules.py): the bill calculator and the bill run both load the rates (queries/rates.py)
and ask this module, so a bill is computed one way only.

The rules, as the calculator page states them:

- A period runs from its first day of service to its last, both counted: 1 January to
  14 February is 45 days.
- Months. Fixed and per-parcel charges, minimum charges and tier widths are stated per
  month. A period is counted in months from its first day: a whole month runs from a day
  to the day before the same day of the next month (15 January to 14 February; from the
  31st, to the day before the last day of a shorter month). Days left after the whole
  months are the fraction of the month they begin: 1 January to 14 February is 1 month
  and 14 of 28 days (1 to 28 February) = 1.5 months. A whole month therefore bills
  exactly the monthly charge, whatever its length.
- Rate changes. A schedule whose approved version changes inside the period bills each
  side with its own version, pro rata by days: each side's months are the period's months
  × its days / the period's days, and the period's use is split between the sides by
  days, to the thousandth of an HCF, by largest remainder so the sides add up to the
  whole use.
- Tiers. Tier widths are per month and are prorated with the months of the period (or
  of the side of a rate change): a 0-6 HCF a month tier is 0-9 HCF over 1.5 months.
  Prorated bounds are rounded half up to the thousandth of an HCF.
- Sewer. Use charged to a residence (single- or multi-family) on a line marked "capped
  by winter average" is at most the account's winter-average water use (HCF a month)
  × the months billed. With no winter average on file, the use is not capped.
- Minimum. Where a version has a minimum monthly charge, a service's charges on that
  side of the period are raised to the minimum × its months.
- Rounding. Each charge (each tier, each fixed charge, each side of a rate change) is
  rounded half up to the cent where it is computed; the bill is the sum of its lines.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from millbrae_finance.money import QUANTITY_QUANTUM, ZERO, split_by_weights, to_money, to_quantity
from utility_billing.models.choices import (
    RESIDENTIAL_CLASSES,
    MeterSize,
    ServiceClass,
    ServiceKind,
)
from utility_billing.models.rates import ChargeKind

# A period longer than this is a typo in a date, not a bill.
MAX_PERIOD_DAYS = 400
ONE_DAY = datetime.timedelta(days=1)


class RatingError(ValueError):
    """Input the engine cannot bill, said by the field a person would correct."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Charge:
    """A charge line of a rate version (see RateCharge)."""

    kind: str
    rate: Decimal
    meter_size: str = ""
    tier_from: Decimal | None = None
    tier_to: Decimal | None = None
    capped_by_winter_average: bool = False
    description: str = ""
    revenue_account_id: int | None = None
    revenue_account_number: str = ""


@dataclass(frozen=True)
class Rates:
    """An approved rate version: its dates (`effective_to` inclusive, None open) and lines."""

    effective_from: datetime.date
    effective_to: datetime.date | None
    charges: tuple[Charge, ...]
    version_id: int | None = None
    label: str = ""

    def covers(self, day: datetime.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class ServiceRates:
    """One service billed on one schedule, with the schedule's approved versions."""

    kind: str
    schedule_code: str
    schedule_name: str
    versions: tuple[Rates, ...]

    @property
    def kind_label(self) -> str:
        return ServiceKind(self.kind).label


@dataclass(frozen=True)
class MonthCount:
    """A period's length in months: whole months and the days of the next, begun one."""

    whole: int
    extra_days: int
    month_days: int  # the length of the month the extra days fall in

    @property
    def value(self) -> Fraction:
        if self.extra_days == 0:
            return Fraction(self.whole)
        return self.whole + Fraction(self.extra_days, self.month_days)

    @property
    def text(self) -> str:
        parts = []
        if self.whole:
            parts.append(f"{self.whole} month{'s' if self.whole != 1 else ''}")
        if self.extra_days:
            parts.append(f"{self.extra_days} of {self.month_days} days")
        described = " and ".join(parts) or "0 months"
        if self.extra_days == 0:
            return described
        return f"{described} = {_fraction_text(self.value)} months"


@dataclass
class BillLine:
    """A charge on the bill with the arithmetic that reached it."""

    service_kind: str
    service_label: str
    schedule_code: str
    kind: str
    description: str
    arithmetic: str
    amount: Decimal
    rate: Decimal
    units: Decimal | None = None  # HCF billed on this line
    version_id: int | None = None
    version_label: str = ""
    start: datetime.date | None = None
    end: datetime.date | None = None
    days: int = 0
    revenue_account_id: int | None = None
    revenue_account_number: str = ""


@dataclass
class ServiceSide:
    """One side of a rate change for one service (the whole period when none)."""

    service_label: str
    schedule_code: str
    version_label: str
    start: datetime.date
    end: datetime.date
    days: int
    months: Fraction
    months_text: str
    units: Decimal
    units_text: str


@dataclass
class BillComputation:
    start: datetime.date
    end: datetime.date
    days: int
    months: MonthCount
    consumption: Decimal
    winter_average: Decimal | None
    service_class: str
    meter_size: str
    lines: list[BillLine] = field(default_factory=list)
    sides: list[ServiceSide] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    def subtotals(self) -> list[tuple[str, Decimal]]:
        """(service, total) in the order the services were billed."""
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            totals[line.service_label] = totals.get(line.service_label, ZERO) + line.amount
        return list(totals.items())


# ---------------------------------------------------------------- months and days


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the last day of a month too short for it."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = _days_in_month(year, month)
    return day.replace(year=year, month=month, day=min(day.day, last))


def _days_in_month(year: int, month: int) -> int:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - ONE_DAY).day


def count_months(start: datetime.date, end: datetime.date) -> MonthCount:
    """The period from `start` to `end` (both counted) in months: see the module's rules."""
    whole = 0
    while add_months(start, whole + 1) - ONE_DAY <= end:
        whole += 1
    rest_start = add_months(start, whole)
    extra = (end - rest_start).days + 1
    month_days = (add_months(start, whole + 1) - rest_start).days
    return MonthCount(whole=whole, extra_days=extra, month_days=month_days)


def period_days(start: datetime.date, end: datetime.date) -> int:
    return (end - start).days + 1


# ---------------------------------------------------------------- checking a version


@dataclass(frozen=True)
class Problem:
    """Something wrong with a version's lines: `line` is its index (None: the version)."""

    line: int | None
    message: str


def problems_with_charges(charges: Sequence[Charge], *, service_kind: str) -> list[Problem]:
    """What is wrong with a version's charge lines, before anyone is billed by them: tiers
    with a gap or an overlap, two fixed charges for one size, a cap on a fixed charge."""
    problems: list[Problem] = []
    seen_sizes: dict[str, int] = {}
    singles: dict[str, int] = {}
    tiers: list[tuple[int, Charge]] = []
    for index, charge in enumerate(charges):
        kind = ChargeKind(charge.kind)
        if charge.rate is None or charge.rate < 0:
            problems.append(Problem(index, "The rate cannot be negative."))
        if kind == ChargeKind.FIXED_BY_METER_SIZE:
            if charge.meter_size in seen_sizes:
                size = MeterSize(charge.meter_size).label if charge.meter_size else "every size"
                problems.append(Problem(index, f"A second fixed charge for {size}."))
            seen_sizes[charge.meter_size] = index
        elif charge.meter_size:
            problems.append(Problem(index, "Only a fixed charge is by meter size."))
        if kind == ChargeKind.VOLUMETRIC_TIER:
            tiers.append((index, charge))
        elif charge.tier_from is not None or charge.tier_to is not None:
            problems.append(Problem(index, "Only a tier has HCF bounds."))
        if kind in (ChargeKind.VOLUMETRIC_UNIFORM, ChargeKind.PER_PARCEL, ChargeKind.MINIMUM):
            if kind in singles:
                problems.append(Problem(index, f"A second line of “{kind.label}”."))
            singles[kind] = index
        if charge.capped_by_winter_average:
            if kind not in (ChargeKind.VOLUMETRIC_UNIFORM, ChargeKind.VOLUMETRIC_TIER):
                problems.append(Problem(index, "Only use is capped by the winter average."))
            elif service_kind != ServiceKind.SEWER:
                problems.append(Problem(index, "Only sewer use is capped by the winter average."))
    if tiers and ChargeKind.VOLUMETRIC_UNIFORM in singles:
        problems.append(
            Problem(
                singles[ChargeKind.VOLUMETRIC_UNIFORM],
                "Bill use at a uniform rate or by tiers, not both.",
            )
        )
    problems.extend(_tier_problems(tiers))
    return problems


def _tier_problems(tiers: list[tuple[int, Charge]]) -> list[Problem]:
    if not tiers:
        return []
    for index, charge in tiers:
        if charge.tier_from is None:
            return [Problem(index, "A tier needs the HCF it starts from.")]
        if charge.tier_to is not None and charge.tier_to <= charge.tier_from:
            return [Problem(index, "A tier must end above where it starts.")]
    ordered = sorted(tiers, key=lambda item: item[1].tier_from)
    expected = Decimal(0)
    for position, (index, charge) in enumerate(ordered):
        if charge.tier_from > expected:
            return [
                Problem(
                    index,
                    f"Gap: no tier covers {_qty(expected)} to {_qty(charge.tier_from)} HCF.",
                )
            ]
        if charge.tier_from < expected:
            return [
                Problem(
                    index,
                    f"Overlap: this tier starts at {_qty(charge.tier_from)} HCF, inside the "
                    f"tier before it (which runs to {_qty(expected)} HCF).",
                )
            ]
        if charge.tier_to is None:
            if position != len(ordered) - 1:
                return [Problem(index, "Only the last tier is open-ended.")]
            return []
        expected = charge.tier_to
    return [Problem(ordered[-1][0], "The last tier must be open-ended (no “to”).")]


# ---------------------------------------------------------------- computing a bill


def compute_bill(
    services: Sequence[ServiceRates],
    *,
    service_class: str,
    meter_size: str,
    start: datetime.date,
    end: datetime.date,
    consumption: Decimal,
    winter_average: Decimal | None = None,
) -> BillComputation:
    """The charges for a period of service, each with its arithmetic. Raises RatingError
    (with the field to correct) for input it cannot bill."""
    _check_input(
        service_class=service_class,
        meter_size=meter_size,
        start=start,
        end=end,
        consumption=consumption,
        winter_average=winter_average,
    )
    consumption = Decimal(consumption)
    days = period_days(start, end)
    months = count_months(start, end)
    bill = BillComputation(
        start=start,
        end=end,
        days=days,
        months=months,
        consumption=consumption,
        winter_average=winter_average,
        service_class=service_class,
        meter_size=meter_size,
    )
    capped = service_class in RESIDENTIAL_CLASSES and winter_average is not None
    for service in services:
        sides = _sides(service, start, end)
        shares = split_by_weights(
            consumption, [side_days for _, _, side_days, _ in sides], quantum=QUANTITY_QUANTUM
        )
        for (side_start, side_end, side_days, rates), units in zip(sides, shares, strict=True):
            side_months = months.value * Fraction(side_days, days)
            if len(sides) == 1:
                months_text = months.text
                units_text = f"{_qty(units)} HCF"
            else:
                months_text = (
                    f"{_fraction_text(months.value)} months × {side_days}/{days} days"
                    f" = {_fraction_text(side_months)} months"
                )
                units_text = (
                    f"{_qty(consumption)} HCF × {side_days}/{days} days = {_qty(units)} HCF"
                )
            bill.sides.append(
                ServiceSide(
                    service_label=service.kind_label,
                    schedule_code=service.schedule_code,
                    version_label=rates.label,
                    start=side_start,
                    end=side_end,
                    days=side_days,
                    months=side_months,
                    months_text=months_text,
                    units=units,
                    units_text=units_text,
                )
            )
            context = _Side(
                service=service,
                rates=rates,
                start=side_start,
                end=side_end,
                days=side_days,
                months=side_months,
                months_text=_fraction_text(side_months),
                units=units,
                split=len(sides) > 1,
                period_days=days,
            )
            bill.lines.extend(
                _side_lines(
                    context,
                    meter_size=meter_size,
                    winter_average=winter_average if capped else None,
                    notes=bill.notes,
                    residential=service_class in RESIDENTIAL_CLASSES,
                )
            )
    return bill


def _check_input(
    *,
    service_class: str,
    meter_size: str,
    start: datetime.date,
    end: datetime.date,
    consumption: Decimal,
    winter_average: Decimal | None,
) -> None:
    if service_class not in ServiceClass.values:
        raise RatingError("service_class", "Choose the customer class.")
    if meter_size not in MeterSize.values:
        raise RatingError("meter_size", "Choose the meter size.")
    if end < start:
        raise RatingError("end", "The period cannot end before it starts.")
    if period_days(start, end) > MAX_PERIOD_DAYS:
        raise RatingError("end", f"A billing period is at most {MAX_PERIOD_DAYS} days.")
    if consumption is None or consumption < 0:
        raise RatingError("consumption", "Use cannot be negative.")
    if consumption != to_quantity(consumption):
        raise RatingError("consumption", "Use is measured to the thousandth of an HCF.")
    if winter_average is not None and winter_average < 0:
        raise RatingError("winter_average", "The winter average cannot be negative.")


def _sides(
    service: ServiceRates, start: datetime.date, end: datetime.date
) -> list[tuple[datetime.date, datetime.date, int, Rates]]:
    """The period cut where the schedule's version changes: (start, end, days, rates) for
    each side. Every day must have a version."""
    versions = sorted(service.versions, key=lambda rates: rates.effective_from)
    sides = []
    day = start
    while day <= end:
        rates = next((rates for rates in versions if rates.covers(day)), None)
        if rates is None:
            following = next((r for r in versions if r.effective_from > day), None)
            gap_end = min(end, following.effective_from - ONE_DAY) if following else end
            raise RatingError(
                "end" if day > start else "start",
                f"{service.kind_label} ({service.schedule_code}) has no approved rate from "
                f"{day:%m/%d/%Y} to {gap_end:%m/%d/%Y}.",
            )
        side_end = end if rates.effective_to is None else min(end, rates.effective_to)
        sides.append((day, side_end, period_days(day, side_end), rates))
        day = side_end + ONE_DAY
    return sides


@dataclass(frozen=True)
class _Side:
    service: ServiceRates
    rates: Rates
    start: datetime.date
    end: datetime.date
    days: int
    months: Fraction
    months_text: str
    units: Decimal
    split: bool
    period_days: int


def _side_lines(
    side: _Side,
    *,
    meter_size: str,
    winter_average: Decimal | None,
    notes: list[str],
    residential: bool,
) -> list[BillLine]:
    charges = side.rates.charges
    lines: list[BillLine] = []
    fixed = _fixed_charge(charges, meter_size)
    if fixed is None and any(c.kind == ChargeKind.FIXED_BY_METER_SIZE for c in charges):
        raise RatingError(
            "meter_size",
            f"{side.service.schedule_code} ({side.rates.label}) has no fixed charge for a "
            f"{MeterSize(meter_size).label} meter.",
        )
    if fixed is not None:
        size = f", {MeterSize(meter_size).label} meter" if fixed.meter_size else ""
        lines.append(_monthly_line(side, fixed, f"Fixed charge{size}"))
    for charge in charges:
        if charge.kind == ChargeKind.PER_PARCEL:
            lines.append(_monthly_line(side, charge, "Charge per parcel"))
    use = [
        c for c in charges if c.kind in (ChargeKind.VOLUMETRIC_UNIFORM, ChargeKind.VOLUMETRIC_TIER)
    ]
    if use:
        units, cap_text = _billed_units(side, use, winter_average, notes, residential)
        lines.extend(_use_lines(side, use, units, cap_text))
    minimum = next((c for c in charges if c.kind == ChargeKind.MINIMUM), None)
    if minimum is not None:
        charged = sum((line.amount for line in lines), ZERO)
        floor = to_money(_times(minimum.rate, side.months))
        if charged < floor:
            raise_by = floor - charged
            lines.append(
                _line(
                    side,
                    minimum,
                    description=minimum.description or "Minimum charge",
                    arithmetic=(
                        f"minimum {_dollars(minimum.rate)} a month × {_months_words(side)} "
                        f"= {_dollars(floor)}; charges {_dollars(charged)}; "
                        f"raised by {_dollars(raise_by)}"
                    ),
                    amount=raise_by,
                )
            )
    return lines


def _fixed_charge(charges: Sequence[Charge], meter_size: str) -> Charge | None:
    """The fixed charge for the meter's size, else the one for every size."""
    fixed = [c for c in charges if c.kind == ChargeKind.FIXED_BY_METER_SIZE]
    exact = next((c for c in fixed if c.meter_size == meter_size), None)
    return exact or next((c for c in fixed if not c.meter_size), None)


def _monthly_line(side: _Side, charge: Charge, default: str) -> BillLine:
    amount = to_money(_times(charge.rate, side.months))
    return _line(
        side,
        charge,
        description=charge.description or default,
        arithmetic=(
            f"{_dollars(charge.rate)} a month × {_months_phrase(side)} = {_dollars(amount)}"
        ),
        amount=amount,
    )


def _months_phrase(side: _Side) -> str:
    if side.split:
        return f"{_months_words(side)} ({side.days} of {side.period_days} days)"
    return _months_words(side)


def _months_words(side: _Side) -> str:
    return "1 month" if side.months == 1 else f"{side.months_text} months"


def _billed_units(
    side: _Side,
    use: Sequence[Charge],
    winter_average: Decimal | None,
    notes: list[str],
    residential: bool,
) -> tuple[Decimal, str]:
    """The HCF use is billed on: the side's use, capped for a residence's sewer."""
    if not any(c.capped_by_winter_average for c in use) or not residential:
        return side.units, ""
    if winter_average is None:
        note = f"{side.service.kind_label}: no winter average on file, so the use is not capped."
        if note not in notes:
            notes.append(note)
        return side.units, ""
    cap = to_quantity(_times(winter_average, side.months))
    if side.units <= cap:
        return side.units, (
            f"{_qty(side.units)} HCF, under the cap of winter average "
            f"{_qty(winter_average)} HCF a month × {_months_words(side)} = {_qty(cap)} HCF; "
        )
    return cap, (
        f"{_qty(side.units)} HCF capped at winter average {_qty(winter_average)} HCF a month "
        f"× {_months_words(side)} = {_qty(cap)} HCF; "
    )


def _use_lines(side: _Side, use: Sequence[Charge], units: Decimal, cap_text: str) -> list[BillLine]:
    uniform = next((c for c in use if c.kind == ChargeKind.VOLUMETRIC_UNIFORM), None)
    if uniform is not None:
        amount = to_money(units * uniform.rate)
        return [
            _line(
                side,
                uniform,
                description=uniform.description or "Use",
                arithmetic=(
                    f"{cap_text}{_qty(units)} HCF × {_dollars(uniform.rate)} = {_dollars(amount)}"
                ),
                amount=amount,
                units=units,
            )
        ]
    lines = []
    tiers = sorted(use, key=lambda c: c.tier_from)
    prorated = side.months != 1
    for number, tier in enumerate(tiers, start=1):
        low = to_quantity(_times(tier.tier_from, side.months)) if prorated else tier.tier_from
        high = (
            None
            if tier.tier_to is None
            else (to_quantity(_times(tier.tier_to, side.months)) if prorated else tier.tier_to)
        )
        top = units if high is None else min(units, high)
        in_tier = max(top - low, Decimal(0))
        if in_tier <= 0:
            continue
        amount = to_money(in_tier * tier.rate)
        stated = _band(tier.tier_from, tier.tier_to) + " HCF a month"
        if prorated:
            stated += f"; {_band(low, high)} HCF for {side.months_text} months"
        lines.append(
            _line(
                side,
                tier,
                description=tier.description or f"Use, tier {number} ({stated})",
                arithmetic=(
                    f"{cap_text if number == 1 else ''}{_qty(in_tier)} HCF × "
                    f"{_dollars(tier.rate)} = {_dollars(amount)}"
                ),
                amount=amount,
                units=in_tier,
            )
        )
    return lines


def _line(
    side: _Side,
    charge: Charge,
    *,
    description: str,
    arithmetic: str,
    amount: Decimal,
    units: Decimal | None = None,
) -> BillLine:
    return BillLine(
        service_kind=side.service.kind,
        service_label=side.service.kind_label,
        schedule_code=side.service.schedule_code,
        kind=charge.kind,
        description=description,
        arithmetic=arithmetic,
        amount=amount,
        rate=charge.rate,
        units=units,
        version_id=side.rates.version_id,
        version_label=side.rates.label,
        start=side.start,
        end=side.end,
        days=side.days,
        revenue_account_id=charge.revenue_account_id,
        revenue_account_number=charge.revenue_account_number,
    )


def _times(value: Decimal, factor: Fraction) -> Decimal:
    """value × factor, multiplied before the one division so an exact result stays exact
    (and so rounds half up as it should)."""
    return Decimal(value) * factor.numerator / factor.denominator


# ---------------------------------------------------------------- formatting


def _fraction_text(value: Fraction) -> str:
    """A month count as a person reads it: 1.5, or 1.4667 where it does not end."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    rounded = exact.quantize(Decimal("0.0001"))
    if rounded == exact:
        return _qty(exact)
    return f"{_qty(rounded)}…"


def _band(low: Decimal, high: Decimal | None) -> str:
    return f"{_qty(low)}–{_qty(high)}" if high is not None else f"over {_qty(low)}"


def _qty(value: Decimal) -> str:
    """A quantity as a person writes it: 2, 2.5, 1,250 (no trailing zeros)."""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _dollars(value: Decimal) -> str:
    """Dollars to the cent, or to as many places as a rate has."""
    if value == value.quantize(Decimal("0.01")):
        return f"${value:,.2f}"
    return "$" + _qty(value)
