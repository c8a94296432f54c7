"""The utility workloads (account search, account page, bill run, bill PDFs) run end to
end (quick) and report their figures.

Run as `manage.py benchmark` in a subprocess, as a developer runs it. Timings are never
asserted: they depend on the machine.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.parametrize(
    "workload, figures",
    [
        (
            "utility_account_search",
            {
                "utility_account_search_p95": "pk_lookup_p95",
                "utility_account_search_p50": "pk_lookup_p50",
            },
        ),
        (
            "utility_account_page",
            {
                "utility_account_page_p95": "trivial_page_p95",
                "utility_account_page_p50": "trivial_page_p50",
            },
        ),
        (
            "bill_run",
            {"bill_run": "copy_rows", "bill_run_compute": "copy_rows"},
        ),
        (
            "bill_pdf",
            {
                "bill_pdf_per_account": "minimal_pdf",
                "bill_pdf_combined": "minimal_pdf",
                "bill_pdf_per_account_cpu": "minimal_pdf",
                "bill_pdf_combined_cpu": "minimal_pdf",
            },
        ),
    ],
)
def test_utility_workload_quick_json_reports_its_figures(workload, figures):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "benchmark", "--quick", "--json", "--only", workload],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    reported = [json.loads(line) for line in result.stdout.splitlines()]
    assert {f["name"]: f["baseline"] for f in reported} == figures
    for figure in reported:
        assert figure["value"] > 0
        assert figure["baseline_value"] > 0
