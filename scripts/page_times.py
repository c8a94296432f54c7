"""Server time of every page each demo role reaches, on the database the settings name.

    .venv/bin/python manage.py seed_demo      # once: the demo data
    .venv/bin/python scripts/page_times.py [--per-pattern N] [--slowest N]

Walks like tests/millbrae_finance/test_page_walk.py (home page, navigation, every link,
each URL pattern and format a few times) as the first demo user of each role, through
Django's test client: the time is the server's (middleware, view, queries, template),
without a network. Prints the 95th percentile and the maximum, per role and overall, and
the slowest pages. GET only: the walk changes nothing.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "millbrae_finance.settings")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-pattern", type=int, default=3)
    parser.add_argument("--slowest", type=int, default=15)
    parser.add_argument(
        "--pdf", action="store_true", help="also print lists as PDFs (batch documents: slow)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from millbrae_finance.demo import DEMO_USERS
    from tests.page_walk import walk

    setup_test_environment()  # lets the test client's host in
    from django.contrib.auth.models import User

    everything = []
    roles_done = set()
    for demo in DEMO_USERS:
        if demo.role in roles_done:
            continue
        roles_done.add(demo.role)
        client = Client(raise_request_exception=False)
        client.force_login(User.objects.get(username=demo.username))
        skip = set() if args.pdf else {"pdf"}
        # Warm first: the first requests compile templates and fill caches.
        walk(client, per_pattern=1, skip_formats=skip)
        visits, _ = walk(client, per_pattern=args.per_pattern, skip_formats=skip)
        times = [v.seconds * 1000 for v in visits]
        errors = [v for v in visits if v.status >= 500]
        print(
            f"{demo.role.label:<30} {len(visits):>4} pages  p50 {statistics.median(times):6.1f} ms"
            f"  p95 {percentile(times, 0.95):6.1f} ms  max {max(times):7.1f} ms"
            f"  5xx {len(errors)}"
        )
        for visit in errors:
            print(f"  {visit.status} {visit.url} from {visit.via}: {visit.error}")
        everything += [(demo.role.label, v) for v in visits]
    times = [v.seconds * 1000 for _, v in everything]
    html = [v.seconds * 1000 for _, v in everything if v.content_type.startswith("text/html")]
    pdfs = [v.seconds * 1000 for _, v in everything if "pdf" in v.content_type]
    print(
        f"{'all':<30} {len(times):>4} pages  p50 {statistics.median(times):6.1f} ms"
        f"  p95 {percentile(times, 0.95):6.1f} ms  max {max(times):7.1f} ms"
    )
    print(
        f"{'HTML pages only':<30} {len(html):>4} pages  p50 {statistics.median(html):6.1f} ms"
        f"  p95 {percentile(html, 0.95):6.1f} ms  max {max(html):7.1f} ms"
    )
    if pdfs:
        print(f"{'PDFs':<30} {len(pdfs):>4} pages  max {max(pdfs):7.1f} ms")
    print("\nslowest:")
    for role, visit in sorted(everything, key=lambda item: -item[1].seconds)[: args.slowest]:
        print(f"  {visit.seconds * 1000:7.1f} ms  {visit.status}  {role:<28} {visit.url}")


if __name__ == "__main__":
    main()
