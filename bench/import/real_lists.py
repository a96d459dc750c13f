"""End-to-end check of imports on real lists, with duplicate finding on (issue 10):

    python bench/import/real_lists.py dsa  [--db var/bench/import/base.sqlite3]
    python bench/import/real_lists.py web
    python bench/import/real_lists.py hub

The base database holds the world's places: `DATABASE_URL=sqlite:///var/bench/import/
base.sqlite3 commonweal migrate && … commonweal places load`.

`dsa`: the DSA chapter list (24,371 ZIP code rows naming 207 chapters) imported into a copy of
the base database as `commonweal import` does, then undone. Prints the listings it made, their
service areas, the review pairs, the peak memory of the process, and what the undo left.
`web`: the same file through the pages' services (upload, preview task, confirm, run task).
`hub`: the Mutual Aid Hub sheet: languages, links with their meaning, place prefixes.
Each run uses a fresh copy of the base database, so the two never see each other's listings.
"""

import argparse
import os
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "var" / "bench" / "import"
DATA = next(
    (
        folder / "shared" / "data" / "groups"
        for folder in ROOT.parents
        if (folder / "shared" / "data" / "groups").is_dir()
    ),
    ROOT.parent / "shared" / "data" / "groups",
)
DSA = DATA / "dsa-chapter-zips_2023-09.csv"
HUB = DATA / "mutual-aid-hub_2020-04-02_raw.csv"


def _setup(base: Path, name: str) -> None:
    db = OUT / f"{name}.sqlite3"
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(base, db)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dsa(base: Path) -> None:
    _setup(base, "dsa")
    from accounts.models import User
    from directory.models import Organization
    from resolution.models import ReviewPair
    from sources.models import SourceRecord
    from sources.services import import_file, import_run_undo

    user = User.objects.create_user("bench@example.org", "x" * 20, is_site_coordinator=True)
    t = time.monotonic()
    _run, preview = import_file(user=user, path=DSA, source_name="DSA chapters", dry_run=True)
    print(f"preview: {time.monotonic() - t:.1f} s; {preview.summary()}")
    print(f"  looks misused: {preview.looks_misused} ({preview.names:,} distinct names)")
    t = time.monotonic()
    run, outcome = import_file(user=user, path=DSA, source_name="DSA chapters")
    print(f"import: {time.monotonic() - t:.1f} s; {outcome.summary()}")
    orgs = Organization.objects.filter(source_records__source=run.source).distinct()
    served = Organization.service_areas.through.objects.filter(organization__in=orgs)
    with_area = served.values("organization_id").distinct().count()
    print(
        f"  records: {SourceRecord.objects.count():,}; listings: {orgs.count():,}; "
        f"with a service area: {with_area:,}; service-area places: {served.count():,}; "
        f"review pairs: {ReviewPair.objects.count():,}"
    )
    from django.db.models import Count

    split = orgs.order_by().values("name").annotate(n=Count("id", distinct=True)).filter(n__gt=1)
    for row in split:
        homes = [
            str(o.home_place) for o in orgs.filter(name=row["name"]).select_related("home_place")
        ]
        print(f"  {row['name']!r} is {row['n']} listings, based in {homes}")
    nyc = orgs.filter(name="New York City").first()
    if nyc is not None:
        places = list(nyc.service_areas.order_by("name").values_list("name", flat=True))
        print(
            f"  New York City: based in {nyc.home_place}, serves {len(places)} places: {places[:8]}"
        )
    print(f"peak RSS of this process: {_peak_mb():,.0f} MB")
    counts = import_run_undo(user=user, run=run)
    print(
        f"undo: {counts}; left: {SourceRecord.objects.count():,} records, "
        f"{Organization.objects.count():,} listings"
    )


def web(base: Path) -> None:
    """The DSA list the way the pages take it: uploaded, previewed by the background task,
    confirmed, run by the background task (here in this process, as the worker would)."""
    os.environ["TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
    _setup(base, "web")
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import User
    from directory.models import Organization
    from sources.models import ImportRun
    from sources.services import import_run_confirm, import_upload

    user = User.objects.create_user("web@example.org", "x" * 20, is_site_coordinator=True)
    upload = SimpleUploadedFile(DSA.name, DSA.read_bytes(), content_type="text/csv")
    t = time.monotonic()
    run = import_upload(user=user, source_name="DSA chapters", upload=upload)
    run.refresh_from_db()
    preview = run.preview
    print(
        f"upload and preview: {time.monotonic() - t:.1f} s; {preview.get('rows', 0):,} rows → "
        f"{preview.get('organizations_created', 0):,} listings, "
        f"misuse warning: {preview.get('looks_misused')}"
    )
    t = time.monotonic()
    import_run_confirm(user=user, run=run)
    run = ImportRun.objects.get(pk=run.pk)
    print(
        f"confirmed run: {time.monotonic() - t:.1f} s; status {run.status}; "
        f"listings: {Organization.objects.count():,}"
    )
    print(f"peak RSS of this process (the worker's work): {_peak_mb():,.0f} MB")


def hub(base: Path) -> None:
    _setup(base, "hub")
    from directory.models import Organization
    from sources.services import import_file

    t = time.monotonic()
    _run, outcome = import_file(user=None, path=HUB, source_name="Mutual Aid Hub")
    print(f"import: {time.monotonic() - t:.1f} s; {outcome.summary()}")
    orgs = Organization.objects.all()
    laramie = orgs.filter(name="Laramie Mutual Aid").first()
    if laramie is not None:
        print(f"  Laramie: languages {laramie.languages}; links {laramie.links}")
    with_languages = sum(1 for o in orgs.only("languages") if o.languages)
    with_links = sum(1 for o in orgs.only("links") if o.links)
    prefixed = orgs.filter(name__regex=r"^[^/:]{2,60} / [^:]{2,120}: ").count()
    vancouver = orgs.filter(name__startswith="Mutual Aid for Metro Vancouver").first()
    print(
        f"  listings: {orgs.count():,}; with languages: {with_languages:,}; "
        f"with support links: {with_links:,}; names still prefixed by a place: {prefixed:,}"
    )
    if vancouver is not None:
        print(f"  Vancouver's first listing is based in {vancouver.home_place}")
    print(f"peak RSS of this process: {_peak_mb():,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["dsa", "web", "hub"])
    parser.add_argument("--db", type=Path, default=OUT / "base.sqlite3")
    args = parser.parse_args()
    {"dsa": dsa, "web": web, "hub": hub}[args.what](args.db)


if __name__ == "__main__":
    main()
