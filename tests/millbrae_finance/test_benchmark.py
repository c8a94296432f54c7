"""The benchmark command runs end to end (quick) and prints well-formed figures.

Timings are never asserted: they depend on the machine.
"""

import io
import json
import os

import dj_database_url
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from millbrae_finance.benchmarks.pages import database_url

FIGURE_KEYS = {"name", "value", "unit", "baseline", "baseline_value", "ratio"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_benchmark_quick_json_prints_one_figure_per_line(settings, benchmark_database_name):
    # The benchmark's user logs in through gunicorn, a separate process with the real
    # settings: its password must be hashed the way that process checks it.
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    name_before = connection.settings_dict["NAME"]
    test_name_before = connection.settings_dict["TEST"]["NAME"]
    out = io.StringIO()

    # The site's own pages only: every other workload has a test of its own beside its
    # app's tests (running all of them here cost two minutes of CI a run).
    call_command("benchmark", "--quick", "--json", "--only", "pages", stdout=out)

    figures = [json.loads(line) for line in out.getvalue().splitlines()]
    for figure in figures:
        assert set(figure) == FIGURE_KEYS
        assert figure["value"] > 0
        assert figure["baseline_value"] > 0
        assert figure["ratio"] == pytest.approx(figure["value"] / figure["baseline_value"])
    names = {figure["name"] for figure in figures}
    assert {"login_page_rps", "home_page_rps"} <= names
    # The benchmark database is gone and the test database is back in place.
    assert connection.settings_dict["NAME"] == name_before
    assert connection.settings_dict["TEST"]["NAME"] == test_name_before
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [benchmark_database_name])
        assert cursor.fetchone() is None


def test_the_benchmark_database_is_named_after_the_test_database(benchmark_database_name):
    # Two test runs side by side (pytest-xdist's workers) never share one.
    assert benchmark_database_name == connection.settings_dict["TEST"]["NAME"] + "_benchmark"
    assert benchmark_database_name == django_settings.BENCHMARK_DATABASE_NAME
    assert os.environ["BENCHMARK_DATABASE_NAME"] == benchmark_database_name


def test_database_url_round_trips_through_dj_database_url():
    socket_dir = {
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "/srv/pg data/run",
        "PORT": "5433",
        "NAME": "millbrae_benchmark",
    }
    remote = {
        "USER": "fin ance",
        "PASSWORD": "p@ss:/w?rd",
        "HOST": "db.city.local",
        "PORT": "",
        "NAME": "millbrae",
        "OPTIONS": {"sslmode": "require"},
    }
    for settings_dict in (socket_dir, remote):
        parsed = dj_database_url.parse(database_url(settings_dict))
        for key in ("USER", "PASSWORD", "HOST", "NAME"):
            assert parsed[key] == settings_dict[key]
        assert str(parsed["PORT"]) == settings_dict["PORT"]
    assert parsed["OPTIONS"] == {"sslmode": "require"}
