"""The consumption chart an account's bill (and page) shows: water use by month over the
last 13 months, drawn here as inline SVG. Pure Python, no JavaScript and nothing
fetched: the same markup goes into a WeasyPrint PDF and a web page, and the text
alternative (its title, its description and the figures below it) says what the bars
show for whoever cannot see them.

Thirteen months, so that the month billed stands beside the same month a year before.
"""

import datetime as dt
from base64 import b64encode
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
# DejaVu Sans's advance widths (em) of the characters the chart's labels use, read from
# the font: a label centred (or right-aligned) is placed by its start, worked out here.
# WeasyPrint lays SVG text out a letter at a time, and a text-anchor costs it a drawing
# of its own besides; a label given each letter's x draws as it would, at a fraction of
# the cost. A character not listed counts as 0.6 em.
ADVANCE = {
    " ": 0.318, ",": 0.318, ".": 0.318, **dict.fromkeys("0123456789", 0.636),
    "A": 0.684, "C": 0.698, "D": 0.77, "E": 0.632, "F": 0.575, "H": 0.752, "J": 0.295,
    "M": 0.863, "N": 0.748, "O": 0.787, "S": 0.635, "a": 0.613, "b": 0.635, "c": 0.55,
    "e": 0.615, "g": 0.635, "l": 0.278, "n": 0.634, "o": 0.612, "p": 0.635, "r": 0.411,
    "t": 0.392, "u": 0.634, "v": 0.592, "y": 0.592,
}  # fmt: skip


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

    @property
    def data_uri(self) -> str:
        """The SVG as an <img>'s source, for the PDF: WeasyPrint reads an image's SVG
        with an XML parser and draws it as it is, where inline SVG went through its HTML
        parser and its style cascade element by element."""
        return "data:image/svg+xml;base64," + b64encode(self.svg.encode()).decode()


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


class _Labels:
    """The chart's labels, one <text> a size and colour: each letter at its own x (the
    label's start, by the font's advances, then letter by letter), so a row of labels is
    one element and none needs a text-anchor."""

    def __init__(self) -> None:
        self.rows: dict[tuple[float, str], list[tuple[float, float, str]]] = {}

    def add(self, text: str, x: float, y: float, size: float, fill: str, *, anchor: float):
        """`anchor`: the share of the label's width left of x (0.5 centred, 1 right)."""
        advances = [ADVANCE.get(char, 0.6) * size for char in text]
        at = x - sum(advances) * anchor
        row = self.rows.setdefault((size, fill), [])
        for char, advance in zip(text, advances, strict=True):
            row.append((at, y, char))
            at += advance

    def svg(self) -> list[str]:
        return [
            f'<text x="{" ".join(_num(x) for x, _, _ in row)}" '
            f'y="{" ".join(_num(y) for _, y, _ in row)}" font-size="{size}" fill="{fill}">'
            f"{escape(''.join(char for _, _, char in row))}</text>"
            for (size, fill), row in self.rows.items()
        ]


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
    labels = _Labels()
    # The y axis: gridlines at each step, its figures, and its title.
    value = Decimal(0)
    while value <= top:
        y = base - float(value / top) * plot_h
        parts.append(
            f'<line x1="{LEFT}" y1="{_num(y)}" x2="{WIDTH - RIGHT}" y2="{_num(y)}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
        )
        labels.add(_figure(value), LEFT - 3, y + 2.5, 7, INK, anchor=1)
        value += step
    # The axis's title, turned a quarter about (8, middle) and centred there.
    middle = TOP + plot_h / 2
    title_x = 8 - sum(ADVANCE.get(char, 0.6) for char in unit) * 7.5 / 2
    parts.append(
        f'<text x="{_num(title_x)}" y="{_num(middle)}" font-size="7.5" fill="{INK}" '
        f'transform="rotate(-90 8 {_num(middle)})">{escape(unit)}</text>'
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
            )
            figure = _figure(month.hcf) + ("E" if month.estimated else "")
            labels.add(figure, centre, base - height - 2.5, 6.5, INK, anchor=0.5)
        # Month initials under every bar; the year under January and the first month.
        labels.add(f"{month.month:%b}", centre, base + 10, 7, INK, anchor=0.5)
        if index == 0 or month.month.month == 1:
            labels.add(f"{month.month:%Y}", centre, base + 20, 6.5, MUTED, anchor=0.5)
    parts.extend(labels.svg())
    parts.append(
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{INK}" '
        'stroke-width="0.8"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="{INK}" '
        'stroke-width="0.8"/>'
        "</svg>"
    )
    return ConsumptionChart(months=months, svg=mark_safe("".join(parts)), summary=summary)  # noqa: S308
