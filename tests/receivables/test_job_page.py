"""The one progress component, as the penalty batch's job shows it: the page, the HTMX
fragment that polls, the result link when done, the error in words when not."""

import datetime
import uuid

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from ledger.models import FiscalPeriod
from ledger.services import close_period
from millbrae_finance.jobs import JOB_LOCK_CLASS, Job, JobState, is_abandoned
from receivables.tasks import start_penalty_batch
from tests.jobs_helpers import run_queued_jobs
from tests.receivables.conftest import make_citation
from tests.receivables.penalty_helpers import make_rules

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 16)


@pytest.fixture
def job(ar_fees, ar_users) -> Job:
    make_rules()
    for number in ("P101", "P102"):
        make_citation(actor=ar_users["tech"], number=number, issue_date=datetime.date(2026, 9, 1))
    return start_penalty_batch(DAY, idempotency_key="k", actor=ar_users["senior"])


def test_a_running_job_polls_its_fragment_and_shows_rows_done(client_for, job, ar_users):
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, rows_done=3, rows_total=4)
    client = client_for(ar_users["senior"])
    url = reverse("job_detail", args=[job.pk])
    page = client.get(url).content.decode()
    assert "<h1>Penalty batch for 2026-11-16</h1>" in page
    assert "3 of 4 rows" in page
    assert '<progress max="100" value="75"' in page
    fragment = client.get(url, headers={"HX-Request": "true"})
    content = fragment.content.decode()
    assert content.lstrip().startswith('<section class="card job-progress"')
    assert f'hx-get="{url}" hx-trigger="every 1s"' in content
    assert "<h1>" not in content
    assert "Refresh</a>" in content


def test_a_failed_job_says_why_in_words(client_for, job, ar_users):
    period = FiscalPeriod.objects.get(start_date__lte=DAY, end_date__gte=DAY, number__lt=13)
    close_period(period, actor=ar_users["supervisor2"], reason="Month end")
    with pytest.raises(ValidationError):
        run_queued_jobs()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    page = client_for(ar_users["senior"]).get(reverse("job_detail", args=[job.pk]))
    content = page.content.decode()
    assert "<strong>Failed</strong>" in content
    assert "is closed to posting." in content
    assert "hx-trigger" not in content


def test_anyone_with_a_role_reads_a_job_and_only_its_starter_resumes_it(client_for, job, ar_users):
    url = reverse("job_detail", args=[job.pk])
    assert client_for(ar_users["tech"]).get(url).status_code == 200
    assert client_for(ar_users["auditor"]).get(url).status_code == 200
    assert Client().get(url).status_code == 302
    assert client_for(ar_users["senior"]).get(reverse("job_detail", args=[0])).status_code == 404
    resume = reverse("job_resume", args=[job.pk])
    assert client_for(ar_users["supervisor"]).post(resume).status_code == 403
    # A job still waiting for a worker needs no resuming: the starter is shown its page.
    response = client_for(ar_users["senior"]).post(resume)
    assert response["Location"] == url
    assert "Resume</button>" not in client_for(ar_users["senior"]).get(url).content.decode()


def _connect(dbname: str) -> psycopg.Connection:
    """A connection of its own, as the app's role, to `dbname` on the test server."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**{**params, "dbname": dbname}, autocommit=True)


def test_only_a_lock_in_this_database_keeps_a_running_job_alive(job):
    """Advisory locks belong to a database, yet pg_locks lists the whole server's: a worker
    on another database of the same server (a second test database, the benchmark's)
    holding its own job of the same id must not make this job look taken."""
    # Taken by a worker: its task is no longer in the queue.
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, task_result_id=str(uuid.uuid4()))
    job.refresh_from_db()
    assert is_abandoned(job)
    try:
        elsewhere = _connect("postgres")
    except psycopg.OperationalError:
        pytest.skip("The app's role may not connect to the server's postgres database.")
    with elsewhere, _connect(connection.settings_dict["NAME"]) as here:
        elsewhere.execute("SELECT pg_advisory_lock(%s, %s)", [JOB_LOCK_CLASS, job.pk])
        assert is_abandoned(job)
        here.execute("SELECT pg_advisory_lock(%s, %s)", [JOB_LOCK_CLASS, job.pk])
        assert not is_abandoned(job)
