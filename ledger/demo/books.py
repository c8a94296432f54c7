"""Demo data for the ledger: a California city's chart of accounts, fiscal years, and
monthly activity from July 2024 on, posted through the posting service (idempotent
keys, so a second seed posts nothing)."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction

from ledger.models import (
    ADJUSTMENT_PERIOD,
    Account,
    AccountType,
    Department,
    FiscalPeriod,
    FiscalYear,
    Fund,
    FundType,
    ObjectCode,
    PeriodStatus,
    Subledger,
)
from ledger.services import (
    LineSpec,
    close_period,
    create_account,
    create_fiscal_year,
    post_entry,
)
from ledger.services.year_end import close_fiscal_year

FUNDS = [
    ("101", "General Fund", FundType.GENERAL),
    ("201", "Gas Tax", FundType.SPECIAL_REVENUE),
    ("202", "Storm Drain", FundType.SPECIAL_REVENUE),
    ("301", "Capital Projects", FundType.CAPITAL_PROJECTS),
    ("501", "Water Enterprise", FundType.ENTERPRISE),
    ("502", "Sewer Enterprise", FundType.ENTERPRISE),
]
DEPARTMENTS = [
    ("0000", "Non-departmental"),
    ("1100", "Finance"),
    ("1200", "City Manager"),
    ("2100", "Police"),
    ("3100", "Public Works"),
    ("4100", "Water Operations"),
    ("4200", "Sewer Operations"),
    ("5100", "Community Development"),
    ("6100", "Recreation"),
]
A, L, F, R, E = (
    AccountType.ASSET,
    AccountType.LIABILITY,
    AccountType.FUND_BALANCE,
    AccountType.REVENUE,
    AccountType.EXPENDITURE,
)
OBJECTS = [
    ("1010", "Pooled cash", A),
    ("1015", "Change funds", A),
    # Cash taken at the counter, until it is deposited (cashiering).
    ("1020", "Cash in drawers", A),
    ("1110", "Utility accounts receivable", A),
    ("1120", "Miscellaneous accounts receivable", A),
    ("1130", "Fines receivable", A),
    ("1310", "Due from other funds", A),
    ("2010", "Accounts payable", L),
    ("2110", "Due to other funds", L),
    ("2210", "Customer deposits held", L),
    ("2220", "Refunds payable", L),
    ("3100", "Fund balance", F),
    ("4110", "Property tax", R),
    ("4210", "Sales tax", R),
    ("4310", "Gas tax apportionment", R),
    ("4411", "Water sales", R),
    ("4421", "Sewer service charges", R),
    ("4510", "Business license fees", R),
    ("4520", "Building permits", R),
    ("4610", "Parking fines", R),
    ("4620", "Administrative citations", R),
    ("4710", "Facility rentals", R),
    ("4810", "Interest earnings", R),
    ("4910", "Penalties and late charges", R),
    ("4920", "Miscellaneous revenue", R),
    ("5110", "Salaries and wages", E),
    ("5210", "Postage", E),
    ("5220", "Office supplies", E),
    ("5310", "Contract services", E),
    ("5410", "Utilities", E),
    ("5510", "Water purchases (SFPUC)", E),
    ("5610", "Capital outlay", E),
    ("5710", "Bank and merchant fees", E),
    ("5720", "Uncollectible accounts", E),
    # A drawer counted over or short at the close (cashiering).
    ("5990", "Cash over and short", E),
]
# Balance-sheet accounts every fund has, in the non-departmental department.
EVERY_FUND = ["1010", "1310", "2010", "2110", "3100"]
ACCOUNTS = {
    "101": {
        "0000": ["1015", "1020", "1120", "1130", "4110", "4210", "4810", "5990"],
        "1100": ["4510", "4910", "4920", "5110", "5210", "5220", "5310", "5710", "5720"],
        "1200": ["5110", "5310"],
        "2100": ["4610", "4620", "5110", "5310"],
        "3100": ["5110", "5410"],
        "5100": ["4520", "5110"],
        "6100": ["4710", "5110", "5410"],
    },
    "201": {"0000": ["4310", "4810"], "3100": ["5310"]},
    "202": {"0000": ["1110", "4920"], "3100": ["5310"]},
    "301": {"0000": ["4810"], "3100": ["5610"]},
    "501": {
        # 2220: a utility credit left at move-out, refunded to the customer.
        "0000": ["1110", "2210", "2220", "4810"],
        "4100": ["4411", "4910", "5110", "5210", "5310", "5410", "5510", "5610"],
    },
    "502": {"0000": ["1110", "4810"], "4200": ["4421", "4910", "5110", "5310", "5410"]},
}
CONTROL = {
    "501-0000-1110": Subledger.UTILITY_AR,
    "502-0000-1110": Subledger.UTILITY_AR,
    # The storm drain (clean bay) charge on utility bills is the Storm Drain fund's.
    "202-0000-1110": Subledger.UTILITY_AR,
    "101-0000-1120": Subledger.MISC_AR,
    "101-0000-1130": Subledger.FINES_AR,
    "501-0000-2210": Subledger.DEPOSITS,
    **{f"{fund}-0000-2010": Subledger.AP for fund, _, _ in FUNDS},
}

# Monthly activity: (memo, [(account, amount)]); amounts in dollars, debit positive.
MONTHLY = [
    (
        "Property tax apportionment",
        [("101-0000-1010", "310000.00"), ("101-0000-4110", "-310000.00")],
    ),
    ("Sales tax apportionment", [("101-0000-1010", "142500.00"), ("101-0000-4210", "-142500.00")]),
    ("Gas tax apportionment", [("201-0000-1010", "38250.00"), ("201-0000-4310", "-38250.00")]),
    # Slots 3 to 5 are retired: water and sewer revenue, and the cash received for it, are
    # utility billing's (its bill runs and the payments against the bills); entries here
    # would count them twice. Kept empty so the later slots keep their keys.
    None,
    None,
    None,
    (
        "Water purchases from SFPUC",
        [("501-4100-5510", "212880.00"), ("501-0000-1010", "-212880.00")],
    ),
    (
        "Payroll",
        [
            ("101-1100-5110", "96500.00"),
            ("101-2100-5110", "418200.00"),
            ("101-3100-5110", "121300.00"),
            ("501-4100-5110", "88400.00"),
            ("502-4200-5110", "61250.00"),
            ("101-0000-1010", "-636000.00"),
            ("501-0000-1010", "-88400.00"),
            ("502-0000-1010", "-61250.00"),
        ],
    ),
    (
        "Postage for utility bills, paid by the General Fund",
        [("501-4100-5210", "4312.60"), ("101-0000-1010", "-4312.60")],
    ),
    ("Parking fines collected", [("101-0000-1010", "18640.00"), ("101-2100-4610", "-18640.00")]),
    ("Facility rentals", [("101-0000-1010", "6275.00"), ("101-6100-4710", "-6275.00")]),
    ("Merchant card fees", [("101-1100-5710", "1895.42"), ("101-0000-1010", "-1895.42")]),
]


def seed_ledger(log: Callable[[str], None]) -> None:
    seed_chart()
    _post_activity(log)


def seed_chart() -> None:
    """The demo's chart of accounts and fiscal years, without any activity (the
    benchmarks post into it too)."""
    with transaction.atomic():
        funds = {
            c: Fund.objects.get_or_create(code=c, defaults={"name": n, "fund_type": t})[0]
            for c, n, t in FUNDS
        }
        departments = {
            c: Department.objects.get_or_create(code=c, defaults={"name": n})[0]
            for c, n in DEPARTMENTS
        }
        objects = {
            c: ObjectCode.objects.get_or_create(code=c, defaults={"name": n, "account_type": t})[0]
            for c, n, t in OBJECTS
        }
        existing = set(Account.objects.values_list("number", flat=True))
        wanted = [(fund, "0000", obj) for fund in funds for obj in EVERY_FUND]
        wanted += [
            (fund, dept, obj)
            for fund, depts in ACCOUNTS.items()
            for dept, objs in depts.items()
            for obj in objs
        ]
        for fund, dept, obj in wanted:
            number = f"{fund}-{dept}-{obj}"
            if number not in existing:
                create_account(
                    fund=funds[fund],
                    department=departments[dept],
                    object_code=objects[obj],
                    control_subledger=CONTROL.get(number, ""),
                )
                existing.add(number)
        for year in FISCAL_YEARS:
            create_fiscal_year(year)


# The demo's books: FY 2025 (July 2024 to June 2025, closed), FY 2026 (closed), FY 2027.
FISCAL_YEARS = (2025, 2026, 2027)
# The City started on this system on July 1, 2024: fund balances brought forward then.
FIRST_DAY = dt.date(2024, 7, 1)
OPENING = [
    ("101", "8450000.00"),
    ("201", "612000.00"),
    ("202", "188500.00"),
    ("301", "2375000.00"),
    ("501", "4120000.00"),
    ("502", "2960000.00"),
]


def _post_activity(log: Callable[[str], None]) -> None:
    preparer = User.objects.get(username="tech")
    approver = User.objects.get(username="senior")
    post_entry(
        entry_date=FIRST_DAY,
        lines=[
            line
            for fund, amount in OPENING
            for line in (
                LineSpec(f"{fund}-0000-1010", Decimal(amount)),
                LineSpec(f"{fund}-0000-3100", -Decimal(amount)),
            )
        ],
        memo="Fund balances brought forward",
        source_module="ledger",
        source_document="DEMO-OPENING",
        idempotency_key="demo-ledger-opening",
        prepared_by=preparer,
        approved_by=approver,
    )
    month = FIRST_DAY
    last = dt.date(2026, 10, 1)
    posted = 0
    while month <= last:
        with transaction.atomic():
            for index, entry in enumerate(MONTHLY):
                if entry is None:
                    continue
                memo, lines = entry
                key = f"demo-ledger-{month:%Y%m}-{index}"
                day = month.replace(day=min(28, 5 + 2 * index))
                post_entry(
                    entry_date=day,
                    lines=[LineSpec(account, Decimal(amount)) for account, amount in lines],
                    memo=f"{memo}, {month:%B %Y}",
                    source_module="ledger",
                    source_document=f"DEMO-{month:%Y%m}-{index + 1:02d}",
                    idempotency_key=key,
                    prepared_by=preparer,
                    approved_by=approver,
                )
                posted += 1
        month = (month + dt.timedelta(days=32)).replace(day=1)
    log(f"ledger: {posted} monthly entries in place")


def close_past_periods(log: Callable[[str], None]) -> None:
    """FY 2025 and FY 2026 are closed into fund balance, each in turn, and their periods,
    with July to September 2026, are closed, as a finance office would have them by late
    November; October and later stay open. Last of the seeders: the modules' history
    (bill runs, payments) posts into these periods while they are open."""
    supervisor = User.objects.get(username="supervisor")
    for fiscal_year in FiscalYear.objects.filter(year__in=FISCAL_YEARS[:-1]).order_by("year"):
        if fiscal_year.periods.get(number=ADJUSTMENT_PERIOD).is_open:
            close_fiscal_year(fiscal_year, actor=supervisor, idempotency_key="demo")
    for period in FiscalPeriod.objects.filter(
        end_date__lt=dt.date(2026, 10, 1), status=PeriodStatus.OPEN
    ).order_by("fiscal_year__year", "number"):
        close_period(period, actor=supervisor, reason="Month-end close")
