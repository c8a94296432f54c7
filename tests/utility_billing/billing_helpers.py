"""A small cycle to bill, worked by hand: rates for water, sewer and storm drain, the
utility AR control accounts of their funds, and accounts that each show one case (tiers,
a sewer cap, a meter changed mid-cycle, no read, an open read exception...).

Period: 6 October to 5 November 2026, one month by the engine's count. Rates a month:
water $30.00 (5/8") or $42.00 (3/4") and tiers of 0-6 HCF at $5.25, 6-20 at $6.75, over
20 at $8.50; sewer $20.00 and $4.10 an HCF capped at the winter average; storm drain
$3.50 per parcel.

    A1  5/8", 10 HCF, winter 8:   water 30 + 31.50 + 27.00 = 88.50;
                                  sewer 20 + 8 x 4.10 = 52.80; storm 3.50   -> 144.80
    A2  3/4", 25 HCF, no winter:  water 42 + 31.50 + 94.50 + 42.50 = 210.50;
                                  sewer 20 + 102.50 = 122.50; storm 3.50    -> 336.50
    A3  meter changed 10/20: 4 HCF on the old meter, 3 on the new, winter 10:
                                  water 30 + 31.50 + 6.75 = 68.25;
                                  sewer 20 + 28.70 = 48.70; storm 3.50      -> 120.45
    A8  storm drain only, no meter:                                          -> 3.50
                                                                     total     605.25
    by fund: water (501) 367.25, sewer (502) 224.00, storm drain (503) 14.00.

    A4 no read; A5 an open read exception; A6 an owner on standby (a tenant takes
    it: A6's location is A1's); A7 water service and no meter; A9 closed (not selected);
    B1 another cycle (not selected).
"""

import datetime
from decimal import Decimal

from ledger.models import Account, AccountType, Department, Fund, FundType, ObjectCode, Subledger
from ledger.services import create_account, create_fiscal_year
from tests.utility_billing.conftest import (
    WATER_FIXED,
    WATER_TIERS,
    make_account,
    make_cycle,
    make_location,
    make_meter,
    make_schedule,
    make_version,
)
from utility_billing.models import (
    AccountRole,
    AccountService,
    AccountStatus,
    ChargeKind,
    ExceptionStatus,
    MeterRead,
    MeterStatus,
)

D = Decimal
day = datetime.date
PERIOD_START = day(2026, 10, 6)
PERIOD_END = day(2026, 11, 5)
BILL_DATE = day(2026, 11, 10)
CONTROLS = ("501-0000-1110", "502-0000-1110", "503-0000-1110")
EXPECTED = {"A1": D("144.80"), "A2": D("336.50"), "A3": D("120.45"), "A8": D("3.50")}
EXPECTED_BY_FUND = {"501": D("367.25"), "502": D("224.00"), "503": D("14.00")}
EXPECTED_EXCEPTIONS = {
    "A4": "no_read",
    "A5": "open_read_exception",
    "A6": "owner_standby",
    "A7": "inactive_meter",
}


def make_utility_chart() -> dict[str, Account]:
    """The utility AR control accounts of the water, sewer and storm drain funds (their
    revenue accounts are made with the rates), and FY 2027 open."""
    names = {"501": "Water Enterprise", "502": "Sewer Enterprise", "503": "Storm Drain"}
    nondept = Department.objects.get_or_create(code="0000", defaults={"name": "Non-departmental"})[
        0
    ]
    receivable = ObjectCode.objects.get_or_create(
        code="1110",
        defaults={"name": "Utility accounts receivable", "account_type": AccountType.ASSET},
    )[0]
    accounts = {}
    for number in CONTROLS:
        fund = Fund.objects.get_or_create(
            code=number[:3],
            defaults={"name": names[number[:3]], "fund_type": FundType.ENTERPRISE},
        )[0]
        accounts[number] = Account.objects.filter(number=number).first() or create_account(
            fund=fund,
            department=nondept,
            object_code=receivable,
            control_subledger=Subledger.UTILITY_AR,
        )
    create_fiscal_year(2027)
    return accounts


def make_rates(users: dict) -> dict:
    """Water, sewer (single-family) and storm drain (every class) schedules, approved."""
    water = make_schedule("W-SFR", service_kind="water")
    make_version(
        water, WATER_FIXED + WATER_TIERS, prepared_by=users["tech"], approved_by=users["senior"]
    )
    sewer = make_schedule("S-SFR", service_kind="sewer")
    make_version(
        sewer,
        [
            {"kind": ChargeKind.FIXED_BY_METER_SIZE, "meter_size": "", "rate": "20.00"},
            {
                "kind": ChargeKind.VOLUMETRIC_UNIFORM,
                "rate": "4.1000",
                "capped_by_winter_average": True,
            },
        ],
        prepared_by=users["tech"],
        approved_by=users["senior"],
    )
    storm = make_schedule("SD", service_kind="storm_drain", service_class="")
    make_version(
        storm,
        [{"kind": ChargeKind.PER_PARCEL, "rate": "3.50"}],
        prepared_by=users["tech"],
        approved_by=users["senior"],
    )
    return {"water": water, "sewer": sewer, "storm_drain": storm}


def add_services(account, schedules: dict, kinds=("water", "sewer", "storm_drain")) -> None:
    for kind in kinds:
        AccountService.objects.create(
            account=account,
            kind=kind,
            rate_schedule=schedules[kind],
            start_date=account.start_date,
        )


def read(meter, on: datetime.date, consumption: str | None, user, **values) -> MeterRead:
    return MeterRead.objects.create(
        meter=meter,
        location=values.pop("location", meter.location),
        read_date=on,
        reading=D(values.pop("reading", "1000")),
        source="handheld",
        entered_by=user,
        consumption=D(consumption) if consumption is not None else None,
        **values,
    )


def make_billing_cycle(users: dict, *, codes: tuple[str, str] = ("C1", "C2")) -> dict:
    """The cycle of the module's docstring; returns its accounts by name, and more. `codes`
    name the cycle and the other cycle (the role matrix makes other samples' cycles too)."""
    chart = make_utility_chart()
    schedules = make_rates(users)
    cycle = make_cycle(codes[0])
    other_cycle = make_cycle(codes[1])
    tech = users["tech"]
    accounts = {}

    def account(name, parcel, *, kinds=("water", "sewer", "storm_drain"), size="5/8", **values):
        location = make_location(
            f"021-{parcel}", cycle=values.pop("cycle", cycle), address_line1=f"{parcel} Elm St"
        )
        meter = None
        if size:
            meter = make_meter(f"M-{name}", location=location, size=size)
        made = make_account(
            f"10{parcel}",
            location=location,
            opened_by=tech,
            start_date=day(2025, 7, 1),
            **values,
        )
        add_services(made, schedules, kinds)
        accounts[name] = made
        return made, meter

    a1, m1 = account("A1", "101", winter_average_hcf=D("8.000"))
    read(m1, day(2026, 10, 5), "9", tech)  # the previous period's read: not billed again
    read(m1, day(2026, 11, 5), "10", tech)
    _a2, m2 = account("A2", "102", size="3/4")
    read(m2, day(2026, 11, 5), "25", tech)
    a3, m3 = account("A3", "103", winter_average_hcf=D("10.000"))
    read(m3, day(2026, 10, 20), "4", tech)  # the old meter's last read
    m3.status, m3.location, m3.removal_date = MeterStatus.REMOVED, None, day(2026, 10, 20)
    m3.save()
    new = make_meter("M-A3-NEW", location=a3.location, size="5/8", install_date=day(2026, 10, 20))
    read(new, day(2026, 11, 5), "3", tech)
    _a4, m4 = account("A4", "104")
    read(m4, day(2026, 10, 5), "6", tech)  # last period's only
    _a5, m5 = account("A5", "105")
    read(
        m5,
        day(2026, 11, 5),
        "60",
        tech,
        exception_status=ExceptionStatus.OPEN,
        exception_codes=["high"],
    )
    owner = make_account(
        "10106",
        location=a1.location,
        opened_by=tech,
        role=AccountRole.OWNER,
        start_date=day(2025, 7, 1),
    )
    accounts["A6"] = owner
    account("A7", "107", size=None)
    account("A8", "108", kinds=("storm_drain",), size=None)
    account(
        "A9",
        "109",
        status=AccountStatus.CLOSED,
        end_date=day(2026, 9, 30),
    )
    account("B1", "201", cycle=other_cycle)
    return {
        "cycle": cycle,
        "other_cycle": other_cycle,
        "accounts": accounts,
        "chart": chart,
        "schedules": schedules,
    }
