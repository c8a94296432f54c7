"""The audited bulk insert workload runs end to end (quick) and reports its figure.

Run as `manage.py benchmark` in a subprocess, as a developer runs it: the workload commits
what it inserts, which a test database in a transaction would not allow. Timings are
never asserted: they depend on the machine.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings

from tests.processes import program_env


@pytest.mark.slow
def test_audited_bulk_insert_quick_json_reports_per_row_time_beside_its_baseline():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "benchmark",
            "--quick",
            "--json",
            "--only",
            "audited_bulk_insert",
        ],
        cwd=settings.BASE_DIR,
        env=program_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    figures = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(f["name"], f["baseline"], f["unit"]) for f in figures] == [
        ("audited_insert_100k", "audited_insert_10k", "us/row")
    ]
    assert figures[0]["value"] > 0
    assert figures[0]["baseline_value"] > 0
