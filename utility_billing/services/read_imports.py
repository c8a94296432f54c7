"""Read files from the handhelds and the AMI head end: uploaded, checked row by row, and
imported whole or refused whole with every bad row listed by its line.

The layout (documented on the import page and in its template download):

    meter_serial,read_date,reading,kind,source
    M-104233,2026-11-05,1234.5,actual,handheld

- meter_serial: the serial number on the meter, as on file;
- read_date: YYYY-MM-DD (or MM/DD/YYYY), not in the future;
- reading: the register as shown, a number from 0 up to what the meter's dials show,
  at most three decimal places, no thousands separators;
- kind: actual (blank means actual) or estimated;
- source: handheld, ami or import (blank means import).

A header row names the columns, in any order; kind and source may be left out.
A small file is checked and imported while the person waits; a larger one (more than
INLINE_ROWS rows) by a background job, with the progress bar.
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from millbrae_finance.forms import EARLIEST_DATE, LATEST_DATE
from millbrae_finance.roles import has_role
from utility_billing.models import ReadImport, ReadImportStatus, ReadKind, ReadSource
from utility_billing.permissions import METER_WORKERS
from utility_billing.services.reads import ReadRow, ReadsRefused, record_reads

READ_FILE_COLUMNS = ("meter_serial", "read_date", "reading", "kind", "source")
REQUIRED_COLUMNS = ("meter_serial", "read_date", "reading")
READ_FILE_SAMPLE = (
    ("M-104233", "2026-11-05", "1234.5", "actual", "handheld"),
    ("M-104871", "2026-11-05", "98012", "actual", "ami"),
    ("M-105002", "2026-11-05", "4410.25", "estimated", "handheld"),
)
FILE_SOURCES = (ReadSource.HANDHELD, ReadSource.AMI, ReadSource.IMPORT)
# Up to this many rows a file is imported while the person waits (well under a second);
# a larger one goes to a background job.
INLINE_ROWS = 1_000
MAX_ROWS = 500_000
MAX_SERIAL = 30
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _date(text: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _row(line: int, values: dict[str, str]) -> ReadRow:
    serial = values.get("meter_serial", "").strip()
    date_text = values.get("read_date", "").strip()
    reading_text = values.get("reading", "").strip()
    kind = values.get("kind", "").strip().lower() or ReadKind.ACTUAL
    source = values.get("source", "").strip().lower() or ReadSource.IMPORT
    errors = []
    if not serial:
        errors.append("The meter serial is blank.")
    elif len(serial) > MAX_SERIAL or "\x00" in serial:
        errors.append(f"The meter serial is longer than {MAX_SERIAL} characters.")
    read_date = _date(date_text)
    if not date_text:
        errors.append("The read date is blank.")
    elif read_date is None:
        errors.append(f"The read date {date_text!r} is not a date (YYYY-MM-DD).")
    elif not EARLIEST_DATE <= read_date <= LATEST_DATE:
        errors.append(f"The read date {date_text} is out of range.")
        read_date = None
    reading = None
    if not reading_text:
        errors.append("The reading is blank.")
    elif not _NUMBER.fullmatch(reading_text) or len(reading_text) > 20:
        errors.append(f"The reading {reading_text!r} is not a number.")
    else:
        reading = Decimal(reading_text)
        if reading.as_tuple().exponent < -3:
            errors.append(f"The reading {reading_text} has more than three decimal places.")
            reading = None
    if kind not in ReadKind.values:
        errors.append(f"The kind {kind!r} is not actual or estimated.")
    if source not in FILE_SOURCES:
        errors.append(f"The source {source!r} is not handheld, ami or import.")
    return ReadRow(
        line=line,
        serial=serial[:MAX_SERIAL],
        read_date=read_date,
        reading=reading,
        kind=kind if kind in ReadKind.values else ReadKind.ACTUAL,
        source=source if source in FILE_SOURCES else ReadSource.IMPORT,
        errors=errors,
    )


def parse_read_file(content: str) -> tuple[list[ReadRow], list[str]]:
    """The file's rows, each with the problems found in its own text, and the problems
    of the file as a whole (its header). Blank lines are skipped."""
    reader = csv.reader(io.StringIO(content))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [], ["The file is empty: it needs a header row and a row per read."]
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    unknown = [name for name in columns if name not in READ_FILE_COLUMNS]
    problems = []
    if missing:
        problems.append(f"The header row lacks {', '.join(missing)}.")
    if unknown:
        problems.append(
            f"The header row names columns this import does not know: {', '.join(unknown)} "
            f"(the columns are {', '.join(READ_FILE_COLUMNS)})."
        )
    if len(set(columns)) != len(columns):
        problems.append("The header row names a column twice.")
    if problems:
        return [], problems
    rows = []
    try:
        for fields in reader:
            if not any(field.strip() for field in fields):
                continue
            if len(rows) >= MAX_ROWS:
                return [], [f"The file has more than {MAX_ROWS:,} rows: split it."]
            row = _row(reader.line_num, dict(zip(columns, fields, strict=False)))
            if len(fields) != len(columns):
                row.errors.insert(
                    0, f"The row has {len(fields)} fields; the header has {len(columns)}."
                )
            rows.append(row)
    except csv.Error as error:
        return [], [f"Line {reader.line_num} is not valid CSV ({error})."]
    if not rows:
        return [], ["The file has a header but no reads."]
    return rows, []


def data_rows(content: str) -> int:
    """About how many reads the file holds (its non-blank lines less the header): enough
    to choose between importing at once and a background job."""
    return max(sum(1 for line in content.splitlines() if line.strip()) - 1, 0)


def upload_read_file(
    *, filename: str, content: str, idempotency_key: str, actor: AbstractBaseUser
) -> ReadImport:
    """Take a read file: a small one is checked and imported (or refused) now; a large
    one is handed to a background job (read_import.job). The same key again returns the
    first upload and does nothing more."""
    if not has_role(actor, *METER_WORKERS):
        raise PermissionDenied("Only technicians and senior technicians import meter reads.")
    if not idempotency_key:
        raise ValueError("Every read import needs an idempotency key.")
    with transaction.atomic(durable=True):
        read_import, created = ReadImport.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "filename": filename[:200],
                "content": content,
                "uploaded_by": actor,
                "rows": data_rows(content),
            },
        )
        if created and read_import.rows > INLINE_ROWS:
            from utility_billing.tasks import start_read_import_job

            read_import.job = start_read_import_job(read_import, actor=actor)
            read_import.save(update_fields=["job"])
    # Small files are checked now; so is one whose first request stopped before it could
    # be (run_read_import leaves a finished import as it is).
    if read_import.status == ReadImportStatus.PENDING and read_import.job_id is None:
        read_import = run_read_import(read_import)
    return read_import


def run_read_import(
    read_import: ReadImport, *, progress: Callable[[int, int | None], None] | None = None
) -> ReadImport:
    """Check every row of the file and import them all, or refuse the file with every bad
    row listed. In one transaction: a run killed halfway leaves nothing, and run again it
    does what a run that never stopped would have; a finished import is left as it is."""
    with transaction.atomic(durable=True):
        read_import = ReadImport.objects.select_for_update().get(pk=read_import.pk)
        if read_import.status != ReadImportStatus.PENDING:
            return read_import
        rows, file_problems = parse_read_file(read_import.content)
        read_import.rows = len(rows)
        if progress is not None:
            progress(0, len(rows))
        errors: list[list] = [[1, problem] for problem in file_problems]
        if not file_problems:
            try:
                recorded = record_reads(rows, actor=read_import.uploaded_by, progress=progress)
            except ReadsRefused as refused:
                errors = [[row.line, " ".join(row.errors)] for row in refused.bad_rows]
            else:
                read_import.reads_created = len(recorded.read_ids)
                read_import.exceptions = recorded.exceptions
        read_import.errors = errors
        read_import.status = ReadImportStatus.REFUSED if errors else ReadImportStatus.IMPORTED
        read_import.finished_at = timezone.now()
        read_import.save(
            update_fields=[
                "rows",
                "reads_created",
                "exceptions",
                "errors",
                "status",
                "finished_at",
            ]
        )
    return read_import
