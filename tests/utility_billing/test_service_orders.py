"""Service orders: made, scheduled, completed or cancelled, each step checked and
recorded with who and when; the screens and their role checks."""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.utility_billing.conftest import make_account, make_location, make_meter
from utility_billing.models import AccountStatus, ServiceOrder, ServiceOrderStatus
from utility_billing.services.service_orders import (
    cancel_service_order,
    complete_service_order,
    create_service_order,
    schedule_service_order,
)


@pytest.fixture
def site(ub_users) -> dict:
    location = make_location()
    make_meter(location=location)
    account = make_account(location=location, opened_by=ub_users["tech"])
    return {"location": location, "account": account, **ub_users}


def test_order_runs_open_scheduled_completed(site):
    order = create_service_order(
        site["location"], kind="re_read", account=site["account"], actor=site["tech"]
    )
    assert order.status == ServiceOrderStatus.OPEN and order.meter is not None
    order = schedule_service_order(
        order, scheduled_for=datetime.date(2026, 2, 3), actor=site["tech"]
    )
    assert order.status == ServiceOrderStatus.SCHEDULED
    order = complete_service_order(order, notes="Read 01234", actor=site["senior"])
    assert order.status == ServiceOrderStatus.COMPLETED and order.completed_by == site["senior"]
    assert "01234" in order.notes
    for action in (
        lambda: cancel_service_order(order, reason="x", actor=site["tech"]),
        lambda: schedule_service_order(
            order, scheduled_for=datetime.date(2026, 3, 1), actor=site["tech"]
        ),
        lambda: complete_service_order(order, actor=site["tech"]),
    ):
        with pytest.raises(ValidationError):
            action()
    events = apps.get_model("utility_billing", "ServiceOrderEvent")
    assert events.objects.filter(pgh_obj_id=order.pk).count() >= 3


def test_cancelled_order_cannot_be_completed_and_needs_a_reason(site):
    order = create_service_order(site["location"], kind="disconnect", actor=site["tech"])
    with pytest.raises(ValidationError) as refused:
        cancel_service_order(order, reason="  ", actor=site["tech"])
    assert "reason" in refused.value.message_dict
    order = cancel_service_order(order, reason="Customer paid", actor=site["tech"])
    assert order.cancelled_by == site["tech"] and order.cancelled_at is not None
    with pytest.raises(ValidationError, match="cancelled"):
        complete_service_order(order, actor=site["tech"])


def test_completing_a_connect_activates_a_pending_account(site):
    site["account"].status = AccountStatus.PENDING
    site["account"].save()
    order = create_service_order(
        site["location"], kind="connect", account=site["account"], actor=site["tech"]
    )
    complete_service_order(order, actor=site["tech"])
    site["account"].refresh_from_db()
    assert site["account"].status == AccountStatus.ACTIVE


def test_reread_needs_a_meter(site):
    bare = make_location("021-555-001", address_line1="3 Palm Ave")
    with pytest.raises(ValidationError) as refused:
        create_service_order(bare, kind="re_read", actor=site["tech"])
    assert "kind" in refused.value.message_dict


def test_service_order_screens(client, site):
    client.force_login(site["tech"])
    new = reverse("utility_billing:service_order_create", args=[site["location"].pk])
    assert client.post(new, {"kind": "final_read"}).status_code == 200
    assert client.post(new, {"kind": "re_read", "scheduled_for": "not a date"}).status_code == 200
    response = client.post(new, {"kind": "re_read", "scheduled_for": "2026-02-03"})
    assert response.status_code == 302
    order = ServiceOrder.objects.get()
    assert order.status == ServiceOrderStatus.SCHEDULED
    cancel = reverse("utility_billing:service_order_cancel", args=[order.pk])
    refused = client.post(cancel, {"reason": ""})
    assert refused.status_code == 200 and "reason" in refused.context["cancel_form"].errors
    assert client.post(cancel, {"reason": "Duplicate"}).status_code == 302
    complete = reverse("utility_billing:service_order_complete", args=[order.pk])
    late = client.post(complete, {})
    assert late.status_code == 200 and "cancelled" in late.content.decode()
    order.refresh_from_db()
    assert order.status == ServiceOrderStatus.CANCELLED

    listing = reverse("utility_billing:service_order_list")
    for query in ({"status": "cancelled"}, {"kind": "bogus"}, {"cycle": "x"}, {"route": "R01"}):
        assert client.get(listing, query).status_code == 200
    client.force_login(site["clerk"])
    assert client.get(listing).status_code == 200
    assert client.post(cancel, {"reason": "x"}).status_code == 403
    assert (
        client.get(reverse("utility_billing:service_order_detail", args=[order.pk])).status_code
        == 200
    )
