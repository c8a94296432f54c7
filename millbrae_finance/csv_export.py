"""CSV out: every list in the app exports through here."""

import csv
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

# A spreadsheet runs a cell that starts with one of these as a formula. Values typed by
# the public (names, memos) are prefixed with a quote so an export cannot carry one.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_cell(value: Any) -> str:
    """One value as CSV text: Decimals keep their cents, None is empty, and text that a
    spreadsheet would run as a formula is defused."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    text = str(value)
    if text.startswith(_FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """Stream rows as a CSV download, so a long export never sits whole in memory."""
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def queryset_csv_response(
    filename: str, queryset: QuerySet, fields: Sequence[tuple[str, str]]
) -> StreamingHttpResponse:
    """Export a queryset: fields are (header, lookup) pairs, lookups may span relations."""
    lookups = [lookup for _, lookup in fields]
    rows = queryset.values_list(*lookups).iterator(chunk_size=2000)
    return csv_response(filename, [header for header, _ in fields], rows)
