"""Locations and accounts: move-in with the deposit rule, owner and tenant, move-out,
transfer, contact details; the screens, their role checks and bad input."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from receivables.models import Customer
from tests.receivables.conftest import make_customer
from tests.utility_billing.conftest import make_account, make_location, make_meter, make_schedule
from utility_billing.models import (
    AccountRole,
    AccountService,
    AccountStatus,
    DepositRule,
    ServiceOrder,
    ServiceOrderKind,
    UtilityAccount,
)
from utility_billing.services.accounts import (
    MoveIn,
    MoveOut,
    close_account,
    open_account,
    transfer_service,
)

D = datetime.date
KINDS = ["water", "sewer", "storm_drain"]


@pytest.fixture
def desk(ub_users) -> dict:
    """A single-family location with a meter, its class's schedules, and the deposit rule
    (150.00; a year of history or a letter of credit waives it)."""
    schedules = {
        "water": make_schedule("W-SFR"),
        "sewer": make_schedule("S-SFR", service_kind="sewer"),
        "storm_drain": make_schedule("SD", service_kind="storm_drain", service_class=""),
    }
    DepositRule.objects.create(
        service_class="single_family", amount=Decimal("150.00"), good_history_months=12
    )
    location = make_location()
    make_meter(location=location)
    return {"location": location, "schedules": schedules, **ub_users}


def _open_services(account) -> dict[str, AccountService]:
    return {s.kind: s for s in AccountService.objects.filter(account=account, end_date=None)}


def test_move_in_asks_the_deposit_and_makes_a_connect_order(desk):
    customer = make_customer("Nguyen, An")
    account = open_account(
        desk["location"],
        MoveIn(
            role=AccountRole.TENANT, start_date=D(2026, 1, 10), services=KINDS, customer=customer
        ),
        actor=desk["tech"],
    )
    assert account.deposit_required == Decimal("150.00") and not account.deposit_waived
    services = _open_services(account)
    assert set(services) == set(KINDS)
    assert services["storm_drain"].rate_schedule.code == "SD"
    assert all(s.start_date == D(2026, 1, 10) for s in services.values())
    order = ServiceOrder.objects.get(account=account)
    assert order.kind == ServiceOrderKind.CONNECT and order.scheduled_for == D(2026, 1, 10)
    assert order.meter is not None
    event = apps.get_model("utility_billing", "UtilityAccountEvent")
    assert event.objects.filter(pgh_obj_id=account.pk).exists()


def test_move_in_deposit_waived_by_letter_of_history_or_staff(desk):
    location = desk["location"]
    letter = open_account(
        location,
        MoveIn(
            role=AccountRole.OWNER,
            start_date=D(2026, 1, 1),
            services=KINDS,
            customer=make_customer("Owner, Olive"),
            letter_of_credit=True,
        ),
        actor=desk["tech"],
    )
    assert letter.deposit_waived and "Letter of credit" in letter.deposit_waiver_reason

    # Two years at another location, no receivable past due: history waives it.
    elsewhere = make_location("021-101-099", address_line1="9 Helen Dr")
    veteran = make_customer("Patel, Ravi")
    make_account(
        "100050",
        location=elsewhere,
        customer=veteran,
        opened_by=desk["tech"],
        status=AccountStatus.CLOSED,
        start_date=D(2023, 6, 1),
        end_date=D(2025, 12, 31),
    )
    tenant = open_account(
        location,
        MoveIn(role=AccountRole.TENANT, start_date=D(2026, 2, 1), services=KINDS, customer=veteran),
        actor=desk["tech"],
    )
    assert (
        tenant.deposit_waived and "months of good payment history" in tenant.deposit_waiver_reason
    )

    staff = open_account(
        make_location("021-101-100", address_line1="11 Helen Dr"),
        MoveIn(
            role=AccountRole.OWNER,
            start_date=D(2026, 2, 1),
            services=KINDS,
            customer=make_customer("Kim, Jae"),
            waiver_reason="Senior housing referral",
        ),
        actor=desk["tech"],
    )
    assert staff.deposit_waived and staff.deposit_waiver_reason == "Senior housing referral"


def test_tenant_move_in_ends_owner_services_and_move_out_reverts_them(desk):
    location = desk["location"]
    owner = open_account(
        location,
        MoveIn(
            role=AccountRole.OWNER,
            start_date=D(2025, 7, 1),
            services=KINDS,
            customer=make_customer("Owner, Olive"),
        ),
        actor=desk["tech"],
    )
    tenant = open_account(
        location,
        MoveIn(
            role=AccountRole.TENANT,
            start_date=D(2026, 1, 10),
            services=KINDS,
            customer=make_customer("Tenant, Tom"),
        ),
        actor=desk["tech"],
    )
    assert _open_services(owner) == {}
    assert set(AccountService.objects.filter(account=owner).values_list("end_date", flat=True)) == {
        D(2026, 1, 9)
    }

    close_account(
        tenant,
        MoveOut(
            end_date=D(2026, 5, 31),
            forwarding={
                "care_of": "",
                "address_line1": "77 Elm St",
                "address_line2": "",
                "city": "San Mateo",
                "state": "CA",
                "postal_code": "94401",
            },
        ),
        actor=desk["tech"],
    )
    tenant.refresh_from_db()
    assert tenant.status == AccountStatus.CLOSED and tenant.end_date == D(2026, 5, 31)
    assert _open_services(tenant) == {}
    back = _open_services(owner)
    assert set(back) == set(KINDS)
    assert all(s.start_date == D(2026, 6, 1) for s in back.values())
    assert Customer.objects.get(pk=tenant.customer_id).address_line1 == "77 Elm St"
    final = ServiceOrder.objects.get(account=tenant, kind=ServiceOrderKind.FINAL_READ)
    assert final.scheduled_for == D(2026, 5, 31)


def test_move_in_refusals_name_their_field(desk):
    location = desk["location"]
    customer = make_customer("Nguyen, An")
    open_account(
        location,
        MoveIn(
            role=AccountRole.TENANT, start_date=D(2026, 1, 10), services=KINDS, customer=customer
        ),
        actor=desk["tech"],
    )
    with pytest.raises(ValidationError) as refused:
        open_account(
            location,
            MoveIn(
                role=AccountRole.TENANT, start_date=D(2026, 2, 1), services=KINDS, customer=customer
            ),
            actor=desk["tech"],
        )
    assert "role" in refused.value.message_dict
    irrigation = make_location("021-101-200", service_class="irrigation", address_line1="1 Park")
    with pytest.raises(ValidationError) as refused:
        open_account(
            irrigation,
            MoveIn(
                role=AccountRole.OWNER,
                start_date=D(2026, 2, 1),
                services=["sewer"],
                customer=customer,
            ),
            actor=desk["tech"],
        )
    assert "services" in refused.value.message_dict


def test_transfer_is_all_or_nothing(desk):
    location = desk["location"]
    seller = open_account(
        location,
        MoveIn(
            role=AccountRole.OWNER,
            start_date=D(2025, 7, 1),
            services=KINDS,
            customer=make_customer("Seller, Sam"),
        ),
        actor=desk["tech"],
    )
    # A new customer with a bad email: nothing changes, not even the seller's account.
    with pytest.raises(ValidationError):
        transfer_service(
            seller,
            last_day=D(2026, 3, 31),
            move_in=MoveIn(
                role="",
                start_date=D(2026, 4, 1),
                services=[],
                new_customer={"kind": "person", "name": "Buyer, Bea", "email": "not-an-email"},
            ),
            actor=desk["tech"],
        )
    seller.refresh_from_db()
    assert seller.status == AccountStatus.ACTIVE and seller.end_date is None
    assert set(_open_services(seller)) == set(KINDS)
    assert not Customer.objects.filter(name="Buyer, Bea").exists()

    buyer = transfer_service(
        seller,
        last_day=D(2026, 3, 31),
        move_in=MoveIn(
            role="",
            start_date=D(2026, 4, 1),
            services=[],
            new_customer={"kind": "person", "name": "Buyer, Bea", "email": "bea@example.com"},
            letter_of_credit=True,
        ),
        actor=desk["tech"],
    )
    seller.refresh_from_db()
    assert seller.status == AccountStatus.CLOSED and seller.end_date == D(2026, 3, 31)
    assert buyer.role == AccountRole.OWNER and buyer.start_date == D(2026, 4, 1)
    assert set(_open_services(buyer)) == set(KINDS)
    assert buyer.customer.name == "Buyer, Bea"


# ---------------------------------------------------------------- screens


def _move_in_post(**values) -> dict:
    data = {
        "role": "tenant",
        "start_date": "2026-01-10",
        "services": KINDS,
        "who": "existing",
        "customer": "",
    }
    data.update(values)
    return data


def test_move_in_screen_opens_for_a_new_customer(client, desk):
    client.force_login(desk["tech"])
    url = reverse("utility_billing:account_open", args=[desk["location"].pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        _move_in_post(
            who="new",
            **{
                "new-kind": "person",
                "new-name": "Lopez, Ana",
                "new-address_line1": "5 Vallejo Dr",
                "new-city": "Millbrae",
                "new-state": "CA",
                "new-postal_code": "94030",
                "new-preferred_contact": "mail",
            },
        ),
    )
    assert response.status_code == 302
    account = UtilityAccount.objects.get(customer__name="Lopez, Ana")
    page = client.get(response["Location"])
    assert account.number in page.content.decode() and "150.00" in page.content.decode()


@pytest.mark.parametrize(
    "values, field",
    [
        ({"customer": "C999999"}, "customer"),
        ({"customer": "garbage\x00"}, "customer"),
        ({"start_date": "2026-13-45"}, "start_date"),
        ({"role": "landlord"}, "role"),
        ({"services": ["fire_line"]}, "services"),
        ({"waive_deposit": "on", "waiver_reason": ""}, "waiver_reason"),
        ({"who": "new", "new-name": ""}, None),
    ],
)
def test_move_in_screen_bad_input_answers_beside_the_field(client, desk, values, field):
    client.force_login(desk["tech"])
    url = reverse("utility_billing:account_open", args=[desk["location"].pk])
    response = client.post(url, _move_in_post(**values))
    assert response.status_code == 200
    if field:
        assert field in response.context["form"].errors
    assert not UtilityAccount.objects.exists()


def test_screens_role_checks(client, desk):
    account = make_account(location=desk["location"], opened_by=desk["tech"])
    reads = [
        reverse("utility_billing:location_list"),
        reverse("utility_billing:location_detail", args=[desk["location"].pk]),
        reverse("utility_billing:account_list") + "?q=Garcia",
        reverse("utility_billing:account_detail", args=[account.pk]),
    ]
    writes = [
        reverse("utility_billing:location_create"),
        reverse("utility_billing:account_open", args=[desk["location"].pk]),
        reverse("utility_billing:account_close", args=[account.pk]),
        reverse("utility_billing:account_transfer", args=[account.pk]),
        reverse("utility_billing:account_contact", args=[account.pk]),
    ]
    for name in ("clerk", "auditor", "supervisor"):
        client.force_login(desk[name])
        assert all(client.get(url).status_code == 200 for url in reads), name
        assert all(client.get(url).status_code == 403 for url in writes), name
    client.force_login(desk["admin"])
    assert client.get(reads[0]).status_code == 403
    client.force_login(desk["senior"])
    assert all(client.get(url).status_code == 200 for url in writes)
    assert client.get(reverse("utility_billing:account_detail", args=[999999])).status_code == 404


def test_account_search_finds_by_number_name_and_address(client, desk):
    account = make_account(location=desk["location"], opened_by=desk["tech"])
    client.force_login(desk["clerk"])
    for q in (account.number, "garcia", "magnolia", "120 magn", "'; drop", "\x00"):
        response = client.get(reverse("utility_billing:account_list"), {"q": q})
        assert response.status_code == 200
    found = client.get(reverse("utility_billing:account_list"), {"q": "120 magnolia"})
    assert account.number in found.content.decode()


def test_location_create_and_edit(client, desk):
    client.force_login(desk["tech"])
    url = reverse("utility_billing:location_create")
    data = {
        "parcel_number": "021-200-001",
        "address_line1": "400 Broadway",
        "city": "Millbrae",
        "postal_code": "94030",
        "service_class": "commercial",
        "cycle": desk["location"].cycle_id,
        "route": "r02",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    duplicate = client.post(url, data)
    assert duplicate.status_code == 200 and "parcel_number" in duplicate.context["form"].errors
    bad = client.post(url, {**data, "parcel_number": "x", "postal_code": "abc"})
    assert set(bad.context["form"].errors) >= {"parcel_number", "postal_code"}
    # A class does not change under open services.
    make_account(location=desk["location"], opened_by=desk["tech"])
    AccountService.objects.create(
        account=UtilityAccount.objects.get(),
        kind="water",
        rate_schedule=desk["schedules"]["water"],
        start_date=D(2025, 7, 1),
    )
    edit = reverse("utility_billing:location_edit", args=[desk["location"].pk])
    response = client.post(
        edit,
        {**data, "parcel_number": desk["location"].parcel_number, "is_active": "on"},
    )
    assert response.status_code == 200 and "service_class" in response.context["form"].errors


def test_move_out_screen_and_contact_details(client, desk):
    account = make_account(location=desk["location"], opened_by=desk["tech"])
    client.force_login(desk["tech"])
    url = reverse("utility_billing:account_close", args=[account.pk])
    early = client.post(url, {"end_date": "2020-01-01"})
    assert early.status_code == 200 and "end_date" in early.context["form"].errors
    half = client.post(url, {"end_date": "2026-01-31", "address_line1": "1 Elm"})
    assert half.status_code == 200 and "postal_code" in half.context["form"].errors
    assert client.post(url, {"end_date": "2026-01-31"}).status_code == 302
    account.refresh_from_db()
    assert account.status == AccountStatus.CLOSED
    again = client.post(url, {"end_date": "2026-02-28"})
    assert again.status_code == 200

    contact = reverse("utility_billing:account_contact", args=[account.pk])
    bad = client.post(
        contact, {"phone": "12", "preferred_contact": "mail", "address_line1": "1 Elm"}
    )
    assert bad.status_code == 200 and "phone" in bad.context["form"].errors
    good = client.post(
        contact,
        {
            "phone": "650 259 2334",
            "address_line1": "1 Elm St",
            "city": "Millbrae",
            "state": "CA",
            "postal_code": "94030",
            "preferred_contact": "phone",
        },
    )
    assert good.status_code == 302
    assert Customer.objects.get(pk=account.customer_id).phone == "650-259-2334"


def role_matrix_samples() -> dict:
    """The location, account and service order URLs with a pk."""
    from django.contrib.auth.models import User

    from tests.conftest import make_user

    account = UtilityAccount.objects.filter(number="ROLEMATRIX1").first()
    if account is None:
        user = User.objects.filter(username="accounts_matrix").first() or make_user(
            None, "accounts_matrix"
        )
        location = make_location("099-999-999", address_line1="1 Matrix Way")
        account = make_account("ROLEMATRIX1", location=location, opened_by=user)
        ServiceOrder.objects.create(
            location=location, account=account, kind="re_read", requested_by=user
        )
    order = ServiceOrder.objects.filter(account=account).first()
    location_pk, account_pk = account.location_id, account.pk
    return {
        "utility_billing:location_detail": {"pk": location_pk},
        "utility_billing:location_edit": {"pk": location_pk},
        "utility_billing:account_open": {"pk": location_pk},
        "utility_billing:service_order_create": {"pk": location_pk},
        **{
            f"utility_billing:account_{action}": {"pk": account_pk}
            for action in ("detail", "close", "transfer", "contact", "settle")
        },
        **{
            f"utility_billing:service_order_{action}": {"pk": order.pk}
            for action in ("detail", "schedule", "complete", "cancel")
        },
    }
