"""The consumption chart an account's bill (and page) shows: water use by month over the
last 13 months, drawn here as inline SVG. Pure Python, no JavaScript and nothing
fetched: the same markup goes into a WeasyPrint PDF and a web page, and the text
alternative (its title, its description and the figures below it) says what the bars
show for whoever cannot see them.

Thirteen months, so that the month billed stands beside the same month a year before.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MONTHS = 13
# Drawing units (SVG user units; the print CSS sets the chart's size on paper).
WIDTH = 360
HEIGHT = 150
LEFT = 34  # room for the y axis's figures and its title
RIGHT = 6
TOP = 14  # room for the figure above the tallest bar
BOTTOM = 30  # two lines of month labels
# The City's blue for the month billed, a pale one for the months before.
CURRENT = "#0b4f6c"
PAST = "#9fc3d4"
INK = "#222"
MUTED = "#555"
GRID = "#ccc"
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))


@dataclass(frozen=True)
class MonthUse:
    """One month's bar: the first of the month, the HCF billed with a period ending in
    it (None: no bill that month), and whether an estimated read went into it."""

    month: dt.date
    hcf: Decimal | None
    estimated: bool = False

    @property
    def label(self) -> str:
        return self.month.strftime("%b %Y")


@dataclass(frozen=True)
class ConsumptionChart:
    months: list[MonthUse]
    svg: SafeString
    # The text alternative, in words: "Water use by month, Nov 2025 to Nov 2026: ..."
    summary: str


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def chart_months(last: dt.date) -> list[dt.date]:
    """The first days of the 13 months ending with `last`'s month, oldest first."""
    end = month_start(last)
    return [add_months(end, offset) for offset in range(-(MONTHS - 1), 1)]


def monthly_use(last: dt.date, bills: Iterable[tuple[dt.date, Decimal, bool]]) -> list[MonthUse]:
    """The 13 months ending with `last`'s month, each with the use of the bills (period
    end, HCF, estimated) whose period ends in it."""
    months = chart_months(last)
    used: dict[dt.date, Decimal] = {}
    estimated: set[dt.date] = set()
    for period_end, hcf, on_estimate in bills:
        month = month_start(period_end)
        used[month] = used.get(month, Decimal(0)) + hcf
        if on_estimate:
            estimated.add(month)
    return [MonthUse(month, used.get(month), month in estimated) for month in months]


def _axis_top(highest: Decimal) -> tuple[Decimal, Decimal]:
    """The axis's top and its step: a round figure (1, 2, 2.5 or 5 times a power of ten)
    at or above the highest bar, in four steps or fewer."""
    if highest <= 0:
        return Decimal(4), Decimal(1)
    scale = Decimal(1)
    while True:
        for step in NICE_STEPS:
            size = step * scale
            if size * 4 >= highest:
                # The next multiple of the step (Decimal's // truncates toward zero).
                top = (highest / size).to_integral_value(rounding=ROUND_CEILING) * size
                return top, size
        scale *= 10


def _figure(value: Decimal) -> str:
    """A figure as the chart prints it: whole HCF when whole, else one decimal."""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def consumption_chart(months: list[MonthUse], *, unit: str = "HCF") -> ConsumptionChart:
    """The SVG bar chart of these months (the last one is the month billed, drawn dark).
    Styled by presentation attributes, not CSS: WeasyPrint draws inline SVG with the
    SVG's own styles only."""
    highest = max((m.hcf for m in months if m.hcf is not None), default=Decimal(0))
    top, step = _axis_top(highest)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    slot = plot_w / len(months)
    bar_w = slot * 0.62
    first, last = months[0].month, months[-1].month
    summary = (
        f"Water use by month, {months[0].label} to {months[-1].label}, in {unit}: "
        + "; ".join(
            f"{m.label} {_figure(m.hcf) if m.hcf is not None else 'no bill'}"
            + (" (estimated)" if m.estimated else "")
            for m in months
        )
        + "."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="use-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        'font-family="DejaVu Sans, sans-serif">',
        # Its accessible name and description (no ids: WeasyPrint makes an anchor of
        # each, and a print file holds thousands of charts).
        f"<title>Water use, {first:%b %Y} to {last:%b %Y}</title>",
        f"<desc>{escape(summary)}</desc>",
    ]
    # The y axis: gridlines at each step, its figures, and its title.
    value = Decimal(0)
    while value <= top:
        y = base - float(value / top) * plot_h
        parts.append(
            f'<line x1="{LEFT}" y1="{_num(y)}" x2="{WIDTH - RIGHT}" y2="{_num(y)}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
            f'<text x="{LEFT - 3}" y="{_num(y + 2.5)}" text-anchor="end" font-size="7" '
            f'fill="{INK}">'
            f"{_figure(value)}</text>"
        )
        value += step
    parts.append(
        f'<text x="8" y="{_num(TOP + plot_h / 2)}" text-anchor="middle" font-size="7.5" '
        f'fill="{INK}" '
        f'transform="rotate(-90 8 {_num(TOP + plot_h / 2)})">{escape(unit)}</text>'
    )
    for index, month in enumerate(months):
        x = LEFT + slot * index + (slot - bar_w) / 2
        centre = LEFT + slot * index + slot / 2
        current = index == len(months) - 1
        if month.hcf is not None:
            height = float(month.hcf / top) * plot_h
            fill = CURRENT if current else PAST
            pattern = ' stroke-dasharray="2 1.5"' if month.estimated else ""
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(base - height)}" width="{_num(bar_w)}" '
                f'height="{_num(max(height, 0.0))}" fill="{fill}" '
                f'stroke="{CURRENT}" stroke-width="0.6"{pattern}/>'
                f'<text x="{_num(centre)}" y="{_num(base - height - 2.5)}" text-anchor="middle" '
                f'font-size="6.5" fill="{INK}">{_figure(month.hcf)}'
                f"{'E' if month.estimated else ''}</text>"
            )
        # Month initials under every bar; the year under January and the first month.
        parts.append(
            f'<text x="{_num(centre)}" y="{base + 10}" text-anchor="middle" font-size="7" '
            f'fill="{INK}">'
            f"{month.month:%b}</text>"
        )
        if index == 0 or month.month.month == 1:
            parts.append(
                f'<text x="{_num(centre)}" y="{base + 20}" text-anchor="middle" '
                f'font-size="6.5" fill="{MUTED}">'
                f"{month.month:%Y}</text>"
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{INK}" '
        'stroke-width="0.8"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="{INK}" '
        'stroke-width="0.8"/>'
        "</svg>"
    )
    return ConsumptionChart(months=months, svg=mark_safe("".join(parts)), summary=summary)  # noqa: S308
