"""The mail batch screens (open a batch, key checks, save a draft, post when it agrees;
each bad row's problem beside it; the account's name as the clerk types) and the lockbox
import page (layout, refused lines, the job's progress), with 403 for roles that may not."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cashiering.models import BatchStatus, PaymentBatch
from millbrae_finance.roles import Role
from tests.conftest import make_user
from tests.jobs_helpers import run_queued_jobs

D = Decimal


def _rows(*rows) -> dict:
    return {
        "account": [r[0] for r in rows],
        "amount": [r[1] for r in rows],
        "check": [r[2] for r in rows],
    }


def test_a_clerk_keys_saves_and_posts_a_mail_batch(client, counter):
    a1, a8 = (counter["billing"]["accounts"][n].number for n in ("A1", "A8"))
    client.force_login(counter["users"]["clerk"])
    page = client.get(reverse("cashiering:batch_create"))
    assert page.status_code == 200
    key = page.context["form"]["idempotency_key"].value()
    data = {"batch_date": "2026-12-20", "control_total": "148.30", "control_count": "2"}
    response = client.post(reverse("cashiering:batch_create"), data | {"idempotency_key": key})
    again = client.post(reverse("cashiering:batch_create"), data | {"idempotency_key": key})
    batch = PaymentBatch.objects.get()
    url = reverse("cashiering:batch_detail", args=[batch.pk])
    assert response.url == again.url == url

    # A draft with a row whose amount is not one: refused beside the row, as typed.
    control = {"control_total": "148.30", "control_count": "2"}
    page = client.post(
        url, control | _rows((a1, "144.80", "1001"), (a8, "3.5x", "1002")) | {"action": "save"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "&#x27;3.5x&#x27; is not an amount" in html and 'value="3.5x"' in html
    assert not batch.items.exists()

    # Saved as a draft with an unknown account, then posted: refused beside row 2.
    rows = _rows((a1, "144.80", "1001"), ("NOPE-9", "3.50", "1002"))
    client.post(url, control | rows | {"action": "save"})
    assert batch.items.count() == 2
    page = client.post(url, control | rows | {"action": "post"})
    html = page.content.decode()
    assert "No utility account NOPE-9." in html and "1 row to fix" in html
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT

    # Resumed: the draft's rows are on the page; fixed and posted, once.
    page = client.get(url)
    assert [r.account for r in page.context["rows"][:2]] == [a1, "NOPE-9"]
    rows = _rows((a1, "144.80", "1001"), (a8, "3.50", "1002"))
    response = client.post(url, control | rows | {"action": "post"}, follow=True)
    assert "posted: 2 checks" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED and batch.checks_total == D("148.30")
    entry = batch.journal_entry_id
    client.post(url, control | rows | {"action": "post"})
    batch.refresh_from_db()
    assert batch.journal_entry_id == entry
    page = client.get(url)
    assert "Checks in the office" in page.content.decode() and page.context["may_key"] is False

    # The list shows it; the account lookup names the customer as the clerk types.
    assert batch.display_number in client.get(reverse("cashiering:batch_list")).content.decode()
    found = client.get(reverse("cashiering:batch_account"), {"account": a1}, HTTP_HX_REQUEST="true")
    customer = counter["billing"]["accounts"]["A1"].customer
    assert customer.name in found.content.decode()
    missing = client.get(reverse("cashiering:batch_account"), {"account": "NOPE"})
    assert "No such account" in missing.content.decode()


def test_batch_pages_refuse_roles_that_may_not(client, ub_users):
    auditor = make_user(Role.AUDITOR, "batch_auditor")
    client.force_login(auditor)
    assert client.get(reverse("cashiering:batch_list")).status_code == 200
    assert client.get(reverse("cashiering:batch_create")).status_code == 403
    assert client.get(reverse("cashiering:lockbox_import")).status_code == 403
    client.force_login(ub_users["clerk"])
    assert client.get(reverse("cashiering:lockbox_import")).status_code == 403
    client.force_login(ub_users["supervisor"])
    assert client.post(reverse("cashiering:batch_create"), {}).status_code == 403
    nav = client.get(reverse("cashiering:batch_list")).content.decode()
    assert "Mail batches" in nav and "Lockbox import" not in nav


def test_a_lockbox_file_is_uploaded_checked_and_refused_by_line(client, ub_users):
    client.force_login(ub_users["tech"])
    page = client.get(reverse("cashiering:lockbox_import"))
    html = page.content.decode()
    assert "account_number" in html and "TOTAL" in html
    template = client.get(reverse("cashiering:lockbox_template"))
    assert b"account_number,amount,paid_on,check_number,payer_name" in b"".join(
        template.streaming_content if template.streaming else [template.content]
    )
    upload = SimpleUploadedFile(
        "bad.csv", b"account_number,amount,paid_on\n100,0.00,2026-01-05\n100,5,nope\n"
    )
    key = page.context["import_key"]
    response = client.post(
        reverse("cashiering:lockbox_import"), {"file": upload, "idempotency_key": key}, follow=True
    )
    html = response.content.decode()
    assert "2 problems to fix: nothing was posted" in html
    assert "The amount must be more than zero." in html and "is not a date" in html
    batch = PaymentBatch.objects.get()
    assert batch.status == BatchStatus.REFUSED
    csv = client.get(reverse("cashiering:batch_detail", args=[batch.pk]), {"format": "csv"})
    assert b"line,problem" in b"".join(csv.streaming_content if csv.streaming else [csv.content])


def test_a_good_lockbox_file_shows_its_job_then_posts(client, counter):
    a1 = counter["billing"]["accounts"]["A1"].number
    client.force_login(counter["users"]["tech"])
    content = f"account_number,amount,paid_on,reference\n{a1},100.00,2026-12-19,W-1\n"
    response = client.post(
        reverse("cashiering:lockbox_import"),
        {"file": SimpleUploadedFile("lb.csv", content.encode()), "idempotency_key": "v-up"},
        follow=True,
    )
    html = response.content.decode()
    assert "Progress" in html and "Waiting for a worker" in html
    run_queued_jobs()
    batch = PaymentBatch.objects.get()
    page = client.get(reverse("cashiering:batch_detail", args=[batch.pk]))
    html = page.content.decode()
    assert "Posted" in html and "Already in the bank" in html and "W-1" in html
