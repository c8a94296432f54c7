"""The printed bill's tables as lines of fixed-width text: the account summary, the meter
reads and the charges with their arithmetic, each a block of monospaced lines whose
columns line up by the character, as utility bills have long been printed.

Why text and not HTML tables: WeasyPrint's cost of a page grows with its boxes, and a
table is a box a cell (each with its borders, its percentages and its own line of text
laid out and drawn). A print file of a hundred thousand bills is mostly that cost. A
section printed as one block of lines is one box and one line of text a row: the bill
shows the same figures at a fraction of the work (issue 10: 30 bills a second on two
cores). Every figure is formatted here, once, as the template filters would
(`|money`, `|floatformat:"-3"`), so the PDF reads the same as the pages do.
"""

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.template.defaultfilters import floatformat

from millbrae_finance.templatetags.millbrae import money

# Columns are separated by this many spaces.
GAP = 2


@dataclass(frozen=True)
class Column:
    width: int  # characters
    right: bool = False  # figures are right-aligned


def table_lines(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as lines of text, each cell padded to its column's width; a cell
    longer than its column wraps at spaces onto the row's next lines (the row grows)."""
    lines: list[str] = []
    for row in rows:
        cells = [
            textwrap.wrap(text, column.width, break_on_hyphens=False) or [""]
            for column, text in zip(columns, row, strict=True)
        ]
        for index in range(max(len(cell) for cell in cells)):
            parts = []
            for column, cell in zip(columns, cells, strict=True):
                text = cell[index] if index < len(cell) else ""
                parts.append(text.rjust(column.width) if column.right else text.ljust(column.width))
            lines.append((" " * GAP).join(parts).rstrip())
    return lines


def quantity(value: Decimal | None) -> str:
    """HCF and readings as the bill shows them: whole when whole, else three places."""
    return "—" if value is None else floatformat(value, "-3")


def date(value) -> str:
    return "—" if value is None else f"{value:%m/%d/%Y}"


# The account summary: a label and its amount (the panel is 51 characters wide).
SUMMARY = (Column(36), Column(12, right=True))


def summary_lines(summary, *, credit: bool, due_date) -> tuple[list[str], str]:
    """The summary's lines, and its last line (the amount due), which prints in bold."""
    since = f" ({summary.last_bill_date:%m/%d/%Y})" if summary.last_bill_date else ""
    rows = [
        (f"Balance after last bill{since}", money(summary.previous_balance)),
        ("Payments received since, thank you", money(summary.payments)),
    ]
    if summary.other:
        rows.append(("Adjustments, credits, other charges", money(summary.other)))
    rows += [
        ("Balance forward", money(summary.balance_forward)),
        ("Current charges (below)", money(summary.current_charges)),
    ]
    label = "Credit balance: nothing to pay" if credit else f"Amount due by {due_date:%m/%d/%Y}"
    total = table_lines((Column(30), Column(12, right=True)), [(label, money(summary.amount_due))])
    return table_lines(SUMMARY, rows), total[0]


READS = (
    Column(16),  # meter and its size
    Column(13),  # prior read's date, E if estimated
    Column(11, right=True),
    Column(22),  # current read's date, "E Estimated"
    Column(20, right=True),  # its reading, "(rolled over)"
    Column(10, right=True),
    Column(11, right=True),
)
READS_HEADER = (
    "Meter",
    "Prior read",
    "Reading",
    "Current read",
    "Reading",
    "Multiplier",
    "Use (HCF)",
)


def read_lines(reads) -> list[str]:
    return table_lines(
        READS,
        [
            (
                f"{read.meter} {read.meter_size}",
                date(read.prior_date) + (" E" if read.prior_estimated else ""),
                quantity(read.prior_reading),
                date(read.current_date) + (" E Estimated" if read.current_estimated else ""),
                quantity(read.current_reading) + (" (rolled over)" if read.rolled_over else ""),
                quantity(read.multiplier),
                quantity(read.consumption),
            )
            for read in reads
        ],
    )


def reads_total(consumption: Decimal) -> str:
    total = sum(column.width for column in READS[:-1]) + GAP * (len(READS) - 2)
    return table_lines((Column(total), READS[-1]), [("Water use billed", quantity(consumption))])[0]


CHARGES = (
    Column(13),  # service
    Column(30),  # the charge
    Column(16),  # service dates and days
    Column(51),  # how the amount is worked out
    Column(10, right=True),
)
CHARGES_HEADER = ("Service", "Charge", "Days", "How the amount is worked out", "Amount")


def charge_lines(lines) -> list[str]:
    return table_lines(
        CHARGES,
        [
            (
                line.get_service_kind_display(),
                line.description,
                f"{line.service_start:%m/%d}–{line.service_end:%m/%d} ({line.days})",
                line.arithmetic,
                money(line.amount),
            )
            for line in lines
        ],
    )


def charges_total(amount: Decimal) -> str:
    total = sum(column.width for column in CHARGES[:-1]) + GAP * (len(CHARGES) - 2)
    return table_lines((Column(total), CHARGES[-1]), [("Total current charges", money(amount))])[0]


def header(columns: Sequence[Column], titles: Sequence[str]) -> str:
    return table_lines(columns, [titles])[0]
