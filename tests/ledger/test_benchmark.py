"""The ledger's benchmark workloads run end to end (quick) and report their figures.

Run as `manage.py benchmark` in a subprocess, as a developer runs them: the workloads
open connections of their own in threads, which a test database in a transaction would
not see. Timings are never asserted: they depend on the machine.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings

from tests.processes import program_env

WORKLOADS = {
    "ledger_posting": {
        "ledger_post_1conn": "bare_insert_1conn",
        "ledger_post_8conn": "bare_insert_8conn",
    },
    "ledger_batch_posting": {"ledger_post_batch_100k": "copy_100k"},
    "ledger_trial_balance": {"trial_balance_10m": "sum_group_by_10m"},
}


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
@pytest.mark.slow
def test_ledger_workload_quick_json_reports_its_figures(workload):
    result = subprocess.run(
        [sys.executable, "manage.py", "benchmark", "--quick", "--json", "--only", workload],
        cwd=settings.BASE_DIR,
        env=program_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    figures = [json.loads(line) for line in result.stdout.splitlines()]
    assert {f["name"]: f["baseline"] for f in figures} == WORKLOADS[workload]
    for figure in figures:
        assert figure["value"] > 0
        assert figure["baseline_value"] > 0
