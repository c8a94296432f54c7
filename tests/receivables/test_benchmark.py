"""The customer search workload runs end to end (quick) and reports its figure.

Run as `manage.py benchmark` in a subprocess, as a developer runs it. Timings are never
asserted: they depend on the machine.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings

from tests.processes import program_env


@pytest.mark.slow
def test_customer_search_workload_quick_json_reports_its_figure():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "benchmark",
            "--quick",
            "--json",
            "--only",
            "customer_search",
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
    assert {f["name"]: f["baseline"] for f in figures} == {"customer_search": "pk_lookup"}
    for figure in figures:
        assert figure["value"] > 0
        assert figure["baseline_value"] > 0
