"""The cashiering workloads run end to end at a tiny size (--quick) and report their
figures: receipts posted through gunicorn by 1 and 8 clerks beside the bare view, and
the counter's search beside a trivial page.

Run as `manage.py benchmark` in a subprocess, as a developer runs it; the gunicorn the
receipts workload starts is gone when it returns. Timings are never asserted: they
depend on the machine.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.slow
@pytest.mark.parametrize(
    "workload, figures",
    [
        (
            "counter_receipts",
            {
                "receipts_1_clerk_per_s": "bare_view_1_clients_rps",
                "receipt_post_1_clerk_p95": "bare_view_1_clients_p95",
                "receipts_8_clerks_per_s": "bare_view_8_clients_rps",
                "receipt_post_8_clerks_p95": "bare_view_8_clients_p95",
            },
        ),
        (
            "counter_search",
            {"counter_search_p95": "trivial_page_p95", "counter_search_p50": "trivial_page_p50"},
        ),
    ],
)
def test_cashiering_workload_quick_json_reports_its_figures(
    workload, figures, benchmark_database_name
):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "benchmark", "--quick", "--json", "--only", workload],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    reported = [json.loads(line) for line in result.stdout.splitlines()]
    assert {f["name"]: f["baseline"] for f in reported} == figures
    for figure in reported:
        assert figure["value"] > 0
        assert figure["baseline_value"] > 0
