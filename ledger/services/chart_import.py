"""Import of the chart of accounts from a CSV file: every row checked against the file and
the chart first, then all of it written in one transaction, or none of it.

Each row is one account and names its fund, department and object code: new ones are
created, known ones updated (names and flags; never a number, never an object's type).
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction

from ledger.models import (
    NORMAL_BALANCE,
    Account,
    AccountType,
    Department,
    Fund,
    FundType,
    JournalLine,
    ObjectCode,
    Subledger,
    account_number,
)
from ledger.services.chart import (
    CODE_DIGITS,
    CONTROL_ACCOUNT_TYPES,
    CONTROL_FIXED,
    default_account_name,
    lock_chart,
)

# The columns of a chart file, in the order the template has them. Each row is one account
# and names its fund, department and object: new ones are created, known ones updated.
IMPORT_COLUMNS = (
    "fund",
    "fund_name",
    "fund_type",
    "department",
    "department_name",
    "object",
    "object_name",
    "account_type",
    "account_name",
    "allows_posting",
    "control_subledger",
    "active",
)
# Columns the export adds, so an exported chart imports again: checked, never written.
DERIVED_COLUMNS = ("number", "normal_balance")
# What a row's cells mean, shown on the import page.
IMPORT_COLUMN_HELP = {
    "fund": "Fund code, 3 digits.",
    "fund_name": "Name of the fund. Needed for a new fund; blank keeps a known fund's name.",
    "fund_type": "Needed for a new fund; blank keeps a known fund's type.",
    "department": "Department code, 4 digits.",
    "department_name": "Needed for a new department; blank keeps a known one's name.",
    "object": "Object code, 4 digits.",
    "object_name": "Needed for a new object code; blank keeps a known one's name.",
    "account_type": "Type of the object code. Needed for a new object code; must match a known "
    "one (an object code's type does not change by import).",
    "account_name": "Blank: a new account is named after its fund and object; a known account "
    "keeps its name.",
    "allows_posting": "yes or no (blank is yes): no for an account that only sums others.",
    "control_subledger": "Blank, or the subledger this account controls (asset or "
    "liability accounts only).",
    "active": "yes or no (blank is yes).",
    "number": "Optional (the export has it): must be fund-department-object.",
    "normal_balance": "Optional (the export has it): must be the type's normal balance.",
}
# 2 MB: a large utility's chart is about 10,000 rows of 150 bytes. The confirm step sends
# the text back as a form field, which must stay under DATA_UPLOAD_MAX_MEMORY_SIZE.
MAX_IMPORT_BYTES = 2_000_000
_CHART_MODELS = (Fund, Department, ObjectCode, Account)
_TRUE = {"yes", "y", "true", "t", "1"}
_FALSE = {"no", "n", "false", "f", "0"}


@dataclass
class ImportRow:
    """One line of the file, as read, with what is wrong with it."""

    line: int
    cells: dict[str, str]
    errors: list[str] = field(default_factory=list)

    @property
    def number(self) -> str:
        return account_number(self.cells["fund"], self.cells["department"], self.cells["object"])


@dataclass(frozen=True)
class PlannedChange:
    """What an import will do to one fund, department, object code or account."""

    action: str  # "create" or "update"
    kind: str
    code: str
    name: str
    detail: str = ""


@dataclass
class ChartImportPlan:
    """A chart file read and checked against the chart: its errors, or the changes it makes."""

    file_errors: list[str] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)
    changes: list[PlannedChange] = field(default_factory=list)
    unchanged_accounts: int = 0
    # What _apply writes, by model: new rows (unsaved) and known rows with changes made.
    new: dict[type, list] = field(default_factory=lambda: {m: [] for m in _CHART_MODELS})
    changed: dict[type, list] = field(default_factory=lambda: {m: [] for m in _CHART_MODELS})
    # Every fund, department and object code the file names, known or new, by code.
    segments: dict[type, dict[str, models.Model]] = field(default_factory=dict)

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and not self.bad_rows

    @property
    def summary(self) -> str:
        """Like "1 fund created, 14 accounts created, 3 accounts updated"."""
        counts: dict[tuple[str, str], int] = {}
        for change in self.changes:
            counts[(change.kind, change.action)] = counts.get((change.kind, change.action), 0) + 1
        parts = [
            f"{count} {_plural(kind, count)} {action}d" for (kind, action), count in counts.items()
        ]
        if self.unchanged_accounts:
            parts.append(
                f"{self.unchanged_accounts} {_plural('account', self.unchanged_accounts)} unchanged"
            )
        return ", ".join(parts) or "nothing to change"


class ChartImportInvalid(ValidationError):
    """The file has errors; the plan names them, row by row."""

    def __init__(self, plan: ChartImportPlan) -> None:
        super().__init__("The file has errors; nothing was imported.")
        self.plan = plan


def plan_chart_import(text: str) -> ChartImportPlan:
    """Read a chart file and check every row against the file and the chart, changing
    nothing: the errors by line, or the funds, departments, object codes and accounts the
    import would create or update."""
    plan = ChartImportPlan()
    plan.rows = _read_rows(text, plan.file_errors)
    if plan.file_errors:
        return plan
    good = [row for row in plan.rows if not _check_cells(row)]
    plan.segments = {
        Fund: {f.code: f for f in Fund.objects.filter(code__in={r.cells["fund"] for r in good})},
        Department: {
            d.code: d
            for d in Department.objects.filter(code__in={r.cells["department"] for r in good})
        },
        ObjectCode: {
            o.code: o for o in ObjectCode.objects.filter(code__in={r.cells["object"] for r in good})
        },
    }
    for model, columns in _SEGMENT_COLUMNS.items():
        _plan_segments(plan, good, model, columns)
    _plan_accounts(plan, [row for row in good if not row.errors])
    return plan


def import_chart(text: str, *, actor: AbstractBaseUser) -> ChartImportPlan:
    """Import a chart file in one transaction: checked again here (the chart may have
    changed since the preview), then written all together, or not at all. Importing the
    same file twice changes nothing the second time."""
    with transaction.atomic(durable=True):
        lock_chart()
        plan = plan_chart_import(text)
        if not plan.is_valid:
            raise ChartImportInvalid(plan)
        _apply(plan)
    return plan


def _plural(kind: str, count: int) -> str:
    return kind if count == 1 else f"{kind}s"


def _read_rows(text: str, file_errors: list[str]) -> list[ImportRow]:
    text = text.removeprefix("\ufeff")
    if not text.strip():
        file_errors.append("The file is empty.")
        return []
    if "\x00" in text:  # PostgreSQL text cannot hold one, and no spreadsheet writes one
        file_errors.append("The file has NUL characters: it is not a CSV text file.")
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[ImportRow] = []
    try:
        header = [name.strip().lower() for name in next(reader)]
        missing = [name for name in IMPORT_COLUMNS if name not in header]
        unknown = [name for name in header if name not in IMPORT_COLUMNS + DERIVED_COLUMNS]
        repeated = sorted({name for name in header if header.count(name) > 1})
        if missing:
            file_errors.append(f"Line 1: missing column(s): {', '.join(missing)}.")
        if unknown:
            file_errors.append(f"Line 1: unknown column(s): {', '.join(unknown)}.")
        if repeated:
            file_errors.append(f"Line 1: column(s) named twice: {', '.join(repeated)}.")
        if file_errors:
            return []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, and the empty rows spreadsheets leave at the end
            row = ImportRow(
                line=reader.line_num,
                cells=dict.fromkeys(header, "")
                | dict(zip(header, (c.strip() for c in cells), strict=False)),
            )
            if len(cells) != len(header):
                row.errors.append(f"{len(cells)} cells; the header has {len(header)} columns.")
            rows.append(row)
    except csv.Error as error:
        file_errors.append(f"Line {reader.line_num}: not readable as CSV ({error}).")
        return []
    if not rows:
        file_errors.append("The file has a header but no rows.")
    return rows


def _choice(value: str, choices: type[models.TextChoices]) -> str | None:
    """A choice by its value or its label, in any case: "Fund balance" -> "fund_balance"."""
    wanted = re.sub(r"[\s-]+", "_", value.strip().lower())
    for choice in choices:
        if wanted in (choice.value, re.sub(r"[\s-]+", "_", str(choice.label).lower())):
            return choice.value
    return None


def _check_cells(row: ImportRow) -> list[str]:
    """Check each cell on its own and put the parsed values back; returns the errors."""
    cells, errors = row.cells, row.errors
    for column, model in (("fund", Fund), ("department", Department), ("object", ObjectCode)):
        digits = CODE_DIGITS[model]
        if not re.fullmatch(rf"[0-9]{{{digits}}}", cells[column]):
            message = f"{column} {cells[column]!r} is not a {digits}-digit code."
            if re.fullmatch(rf"[0-9]{{1,{digits - 1}}}", cells[column]):
                message += " (A spreadsheet drops leading zeros: format the column as text.)"
            errors.append(message)
    for column, choices in (
        ("fund_type", FundType),
        ("account_type", AccountType),
        ("control_subledger", Subledger),
    ):
        if cells[column]:
            value = _choice(cells[column], choices)
            if value is None:
                allowed = ", ".join(choices.values)
                errors.append(f"{column} {cells[column]!r} is not one of: {allowed}.")
            else:
                cells[column] = value
    for column in ("allows_posting", "active"):
        value = cells[column].lower()
        if value and value not in _TRUE | _FALSE:
            errors.append(f"{column} {cells[column]!r} is not yes or no.")
        cells[column] = "no" if value in _FALSE else "yes"
    for column, model, name in (
        ("fund_name", Fund, "name"),
        ("department_name", Department, "name"),
        ("object_name", ObjectCode, "name"),
        ("account_name", Account, "name"),
    ):
        limit = model._meta.get_field(name).max_length
        if len(cells[column]) > limit:
            errors.append(f"{column} is {len(cells[column])} characters long; at most {limit}.")
    if not errors and cells.get("number") and cells["number"] != row.number:
        errors.append(
            f"number {cells['number']} is not fund-department-object ({row.number}); "
            "the number follows from them."
        )
    return errors


# For each segment: its code column, then (column, model field) pairs a row may set.
_SEGMENT_COLUMNS = {
    Fund: ("fund", (("fund_name", "name"), ("fund_type", "fund_type"))),
    Department: ("department", (("department_name", "name"),)),
    ObjectCode: ("object", (("object_name", "name"), ("account_type", "account_type"))),
}
_ACCOUNT_FLAGS = ("name", "allows_posting", "control_subledger", "is_active")


def _plan_segments(
    plan: ChartImportPlan, rows: list[ImportRow], model: type[models.Model], columns: tuple
) -> None:
    """Agree what the rows say of each fund (department, object code), check it against
    the chart, and plan the creates and the renames."""
    code_column, settable = columns
    label = model._meta.verbose_name
    known = plan.segments[model]
    said: dict[str, dict[str, tuple[str, int]]] = {}  # code -> field -> (value, first line)
    first_row: dict[str, ImportRow] = {}
    for row in rows:
        code = row.cells[code_column]
        first_row.setdefault(code, row)
        values = said.setdefault(code, {})
        for column, name in settable:
            if value := row.cells[column]:
                first, line = values.setdefault(name, (value, row.line))
                if first != value:
                    row.errors.append(
                        f"{column} of {label} {code} is {value!r} here, {first!r} on line {line}."
                    )
        segment = known.get(code)
        if (
            model is ObjectCode
            and segment
            and row.cells["account_type"] not in ("", segment.account_type)
        ):
            row.errors.append(
                f"object {code} is a {segment.get_account_type_display().lower()} object code, "
                f"not {row.cells['account_type']}: an object code's type does not change by import."
            )
    for code, values in said.items():
        wanted = {name: value for name, (value, _) in values.items()}
        segment = known.get(code)
        if segment is None:
            lacking = [column for column, name in settable if name not in wanted]
            if lacking:
                first_row[code].errors.append(
                    f"{label} {code} is new: give its {' and '.join(lacking)}."
                )
                continue
            known[code] = model(code=code, **wanted)
            plan.new[model].append(known[code])
            plan.changes.append(PlannedChange("create", label, code, wanted["name"]))
            continue
        wanted.pop("account_type", None)  # never changed by import: a conflict is a row error
        detail = _differences(segment, wanted)
        if detail:
            plan.changed[model].append(segment)
            plan.changes.append(PlannedChange("update", label, code, segment.name, detail))


def _plan_accounts(plan: ChartImportPlan, rows: list[ImportRow]) -> None:
    existing = {a.number: a for a in Account.objects.filter(number__in={r.number for r in rows})}
    # Accounts with journal lines keep their control flag (see chart.CONTROL_FIXED).
    posted = set(
        JournalLine.objects.filter(account__in=existing.values())
        .values_list("account__number", flat=True)
        .distinct()
    )
    seen: dict[str, int] = {}
    for row in rows:
        cells, number = row.cells, row.number
        if number in seen:
            row.errors.append(f"account {number} is on line {seen[number]} already.")
            continue
        seen[number] = row.line
        fund = plan.segments[Fund].get(cells["fund"])
        department = plan.segments[Department].get(cells["department"])
        object_code = plan.segments[ObjectCode].get(cells["object"])
        if fund is None or department is None or object_code is None:
            continue  # a new segment the file does not describe: its first row says so
        normal_balance = NORMAL_BALANCE[object_code.account_type]
        if cells.get("normal_balance") and cells["normal_balance"].lower() != normal_balance:
            row.errors.append(
                f"normal_balance {cells['normal_balance']!r}: a {object_code.account_type} "
                f"account's normal balance is {normal_balance}."
            )
        if cells["control_subledger"] and object_code.account_type not in CONTROL_ACCOUNT_TYPES:
            row.errors.append(
                f"control_subledger: a control account is an asset or a liability; {number} "
                f"is {object_code.get_account_type_display().lower()}."
            )
        wanted = {
            "allows_posting": cells["allows_posting"] == "yes",
            "control_subledger": cells["control_subledger"],
            "is_active": cells["active"] == "yes",
        }
        if cells["account_name"]:
            wanted["name"] = cells["account_name"]
        account = existing.get(number)
        if account is None:
            inactive = [str(s) for s in (fund, department, object_code) if s.pk and not s.is_active]
            if inactive:
                row.errors.append(f"{', '.join(inactive)}: inactive, so no new accounts in it.")
            if row.errors:
                continue
            account = Account(
                number=number,
                # Unsaved segments get their ids when _apply creates them first.
                fund=fund,
                department=department,
                object_code=object_code,
                account_type=object_code.account_type,
                normal_balance=normal_balance,
                **{"name": default_account_name(fund.name, object_code.name)} | wanted,
            )
            plan.new[Account].append(account)
            plan.changes.append(PlannedChange("create", "account", number, account.name))
        elif number in posted and wanted["control_subledger"] != account.control_subledger:
            row.errors.append(f"control_subledger: {CONTROL_FIXED.format(number=number)}")
        elif not row.errors:
            detail = _differences(account, wanted)
            if detail:
                plan.changed[Account].append(account)
                plan.changes.append(
                    PlannedChange("update", "account", number, account.name, detail)
                )
            else:
                plan.unchanged_accounts += 1


def _differences(instance: models.Model, wanted: dict) -> str:
    """Set the wanted values on an instance; describe those that differ ("" if none)."""
    detail = []
    for name, value in wanted.items():
        before = getattr(instance, name)
        if before != value:
            detail.append(f"{name.replace('_', ' ')}: {_shown(before)} → {_shown(value)}")
            setattr(instance, name, value)
    return "; ".join(detail)


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value) if value != "" else "(none)"


def _apply(plan: ChartImportPlan) -> None:
    # Set-based: a few statements per table, whatever the size of the file.
    for model, (_, settable) in _SEGMENT_COLUMNS.items():
        model.objects.bulk_create(plan.new[model])
        fields = [name for _, name in settable if name != "account_type"]
        model.objects.bulk_update(plan.changed[model], fields)
    Account.objects.bulk_create(plan.new[Account], batch_size=2000)
    Account.objects.bulk_update(plan.changed[Account], _ACCOUNT_FLAGS, batch_size=2000)
