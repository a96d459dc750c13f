"""Walk the directory's pages to the end, as a visitor following Next links, and time them.

Run against a prepared database (the hub's own settings decide which), e.g.:

    COMMONWEAL_VAR_DIR=/tmp/big python manage.py sample --organizations 30000
    COMMONWEAL_VAR_DIR=/tmp/big python bench/paging/walk_directory.py

For each list it prints how many listings the count promises, how many distinct ones the Next
links reached, and the median and slowest page. Figures only; it passes or fails nothing.
"""

import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from directory.models import Organization  # noqa: E402

NEXT = re.compile(r'rel="next" href="([^"]+)"')
RESULT = re.compile(r'<li class="result"')
COUNT = re.compile(r"([\d,]+)\s+organization")


def walk(client: Client, path: str, query: str, max_pages: int) -> None:
    url = f"{path}?{query}"
    times: list[float] = []
    seen = 0
    promised = None
    pages = 0
    while url and pages < max_pages:
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        body = response.content.decode()
        if response.status_code != 200:
            print(f"  stopped: {response.status_code} at {url}")
            break
        if promised is None:
            found = COUNT.search(body)
            promised = found.group(1) if found else "?"
        seen += len(RESULT.findall(body))
        pages += 1
        link = NEXT.search(body)
        url = f"{path}{link.group(1).replace('&amp;', '&')}" if link else ""
    deepest = url or "(end)"
    print(
        f"{path}?{query or '(all)'}: count says {promised}, reached {seen:,} listings on {pages:,} "
        f"pages; page median {statistics.median(times) * 1000:.1f} ms, slowest "
        f"{max(times) * 1000:.1f} ms; stopped at {deepest[:60]}"
    )


def main() -> None:
    print(f"{Organization.objects.count():,} organizations in the database")
    visitor = Client()
    walk(visitor, "/directory/", "", 5_000)
    walk(visitor, "/directory/", "issue=housing", 5_000)
    walk(visitor, "/directory/", "q=union", 5_000)
    coordinator, _ = User.objects.get_or_create(
        email="bench-coordinator@example.org", defaults={"is_site_coordinator": True}
    )
    signed_in = Client()
    signed_in.force_login(coordinator)
    walk(signed_in, "/directory/", "", 5_000)


if __name__ == "__main__":
    main()
