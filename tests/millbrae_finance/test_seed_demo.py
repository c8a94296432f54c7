"""The demo seed is all or nothing: a run killed with SIGKILL halfway leaves no data, and
the next run loads the whole demo."""

import signal
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command

from ledger.models import FiscalPeriod, JournalEntry, PeriodStatus
from receivables.models import Citation, Customer, Invoice
from tests.processes import program_env

# The full demo, as one complete run loads it.
FULL_INVOICES = 179

# Run the seed in its own process and, at its second invoice issued, announce it and wait:
# by then the ledger's year, the customers, the fee schedule and one invoice are written
# (each by a service that, on its own, commits). The test then kills the process.
SEED_UNTIL_SECOND_INVOICE = """
import os, sys, threading
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millbrae_finance.settings")
import django
django.setup()
from django.core.management import call_command
from receivables.demo import billing as billing_demo

issue_invoice, issued = billing_demo.issue_invoice, []

def issue_and_stop_at_the_second(invoice, *, actor):
    issued.append(invoice)
    if len(issued) == 2:
        print("SECOND INVOICE", flush=True)
        threading.Event().wait()
    return issue_invoice(invoice, actor=actor)

billing_demo.issue_invoice = issue_and_stop_at_the_second
call_command("seed_demo", verbosity=2)
"""


def _kill_the_seed_at_its_second_invoice() -> str:
    seed = subprocess.Popen(
        [sys.executable, "-c", SEED_UNTIL_SECOND_INVOICE],
        cwd=settings.BASE_DIR,
        env=program_env(test_database=True, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        for line in seed.stdout:
            lines.append(line)
            if line.startswith("SECOND INVOICE"):
                seed.send_signal(signal.SIGKILL)
                break
    finally:
        if seed.poll() is None:
            seed.kill()
        seed.wait()
        seed.stdout.close()
    output = "".join(lines)
    assert seed.returncode == -signal.SIGKILL, output
    return output


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_seed_killed_halfway_leaves_nothing_and_the_next_run_loads_everything(monkeypatch):
    # The whole demo loads here, in the test database, twice over what the demo tests
    # read from their seeded copy: a small utility demo is enough to show it all loads.
    monkeypatch.setattr("utility_billing.demo.accounts.DEMO_LOCATIONS", 120)
    output = _kill_the_seed_at_its_second_invoice()
    assert "Loading the demo data" in output
    assert "seeding receivables_billing" in output
    # Nothing of the killed run is left: no user, customer, entry or invoice.
    assert User.objects.count() == 0
    assert Customer.objects.count() == 0
    assert JournalEntry.objects.count() == 0
    assert Invoice.objects.count() == 0

    out = StringIO()
    call_command("seed_demo", "--print-logins", stdout=out)
    assert "Demo data is loaded." in out.getvalue()
    assert "supervisor" in out.getvalue()
    assert Invoice.objects.count() == FULL_INVOICES
    assert Citation.objects.count() > 400
    assert User.objects.count() == 8
    # The run got to the end: the last seeder closed the past periods.
    assert FiscalPeriod.objects.get(fiscal_year__year=2027, number=1).status == (
        PeriodStatus.CLOSED
    )


def test_seed_demo_is_idempotent(demo_db):
    # The demo database is seeded once for the run (tests/conftest.py): again, the seed
    # changes nothing.
    from utility_billing.models import Bill, BillRun, MeterRead, UtilityAccount

    def counts():
        return [
            model.objects.count()
            for model in (JournalEntry, Invoice, UtilityAccount, MeterRead, BillRun, Bill)
        ]

    first = list(User.objects.order_by("username").values_list("username", "password"))
    before = counts()
    call_command("seed_demo", verbosity=0)
    assert list(User.objects.order_by("username").values_list("username", "password")) == first
    assert counts() == before
    clerk = User.objects.get(username="clerk")
    assert clerk.check_password("demo-clerk")
    assert list(clerk.groups.values_list("name", flat=True)) == ["Counter Clerk"]
    assert len(first) == 8
