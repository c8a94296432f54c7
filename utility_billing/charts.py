"""A small consumption bar chart the app draws itself, as inline SVG: no JavaScript, no
library, nothing fetched (the app runs on a city LAN). The account page's Reads tab shows
an account's use bill by bill."""

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 28


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    center: int
    label: str
    value: str
    title: str


@dataclass(frozen=True)
class Gridline:
    y: int
    label: str


@dataclass(frozen=True)
class BarChart:
    """Everything the template draws, in SVG units: computed here, laid out there."""

    width: int
    height: int
    bars: list[Bar]
    gridlines: list[Gridline]
    baseline: int
    description: str


def _nice_top(largest: Decimal) -> Decimal:
    """The smallest of 1, 2, 5 x 10^n at least the largest value (a round axis top)."""
    if largest <= 0:
        return Decimal(1)
    step = Decimal(1)
    while step * 10 <= largest:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= largest:
            return step * factor
    return step * 10


def consumption_chart(
    points: list[tuple[str, Decimal]], *, unit: str = "HCF", slots: int = 13
) -> BarChart:
    """Bars of (label, value) pairs in the order given, on an axis from zero, in `slots`
    places, the last point at the right: a new account's few bills are not drawn as wide
    as a year's."""
    top = _nice_top(max((value for _, value in points), default=Decimal(0)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w // max(len(points), slots, 1)
    # The newest bill at the right, where it would be with a full year before it.
    start = LEFT + (max(slots, len(points)) - len(points)) * slot
    width = max(int(slot * 0.7), 2)
    bars = []
    for index, (label, value) in enumerate(points):
        height = int(plot_h * value / top) if value > 0 else 0
        shown = f"{value.normalize():f}"
        bars.append(
            Bar(
                x=start + index * slot + (slot - width) // 2,
                y=TOP + plot_h - height,
                width=width,
                height=height,
                center=start + index * slot + slot // 2,
                label=label,
                value=shown,
                title=f"{label}: {shown} {unit}",
            )
        )
    gridlines = [
        Gridline(y=TOP + plot_h - int(plot_h * part / 4), label=f"{(top * part / 4).normalize():f}")
        for part in range(5)
    ]
    description = "; ".join(bar.title for bar in bars) or "No use billed yet."
    return BarChart(WIDTH, HEIGHT, bars, gridlines, TOP + plot_h, description)
