"""What the site imports when it starts: no app's demo data and no benchmark workload.
They are registered by dotted path in AppConfig.ready() and imported only when
`manage.py seed_demo` or `manage.py benchmark` runs."""

import json
import subprocess
import sys

from django.conf import settings

# A fresh interpreter: this one (pytest's) has imported whatever earlier tests needed.
START_UP = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millbrae_finance.settings")
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # every view module, as the first request loads them
print(json.dumps(sorted(
    name for name in sys.modules
    if name.endswith((".benchmarks", ".demo")) or ".demo." in name or ".benchmarks." in name
)))
"""

# The cross-app registries the apps register with: the benchmark harness and the demo
# seed's runner. The workloads and seeders they hold are not imported.
REGISTRIES = ["millbrae_finance.benchmarks", "millbrae_finance.demo"]


def test_start_up_imports_no_demo_or_benchmark_module():
    result = subprocess.run(
        [sys.executable, "-c", START_UP],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == REGISTRIES


def test_demo_seeders_and_workloads_resolve_by_their_dotted_paths():
    from millbrae_finance import demo
    from millbrae_finance.benchmarks import load_workload, workload_names

    for _, name, seeder in demo._seeders:
        assert callable(demo.load_seeder(seeder)), name
    for name in workload_names():
        assert callable(load_workload(name)), name
