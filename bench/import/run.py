"""Import throughput: a synthetic CSV of N realistic rows imported into a copy of a scratch
database that already holds the world's places.

    DATABASE_URL=sqlite:///var/bench/import/base.sqlite3 python bench/import/run.py make 100000
    python bench/import/run.py import 100000 [--resolver] [--db var/bench/import/base.sqlite3]
    python bench/import/run.py import 100000 --resolver --database-url postgres://…/db
    python bench/import/run.py files PATH=NAME PATH=NAME ... [--resolver]

`make` writes var/bench/import-N.csv from real town names in the places table; `import` copies
the base database, imports the file with `commonweal import`'s code path and prints time, rows
per second and peak memory. Without --resolver, the resolution app's receiver steps aside so
the figure is the import alone (records, geocoding, first issue tags, one organization each).
"""

import argparse
import csv
import os
import random
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "var" / "bench"

KINDS = [
    "Mutual Aid",
    "Tenants Union",
    "Food Not Bombs",
    "Community Fridge",
    "Solidarity Network",
    "Food Co-op",
    "Climate Coalition",
    "Neighbors Helping Neighbors",
    "Workers Center",
    "Housing Alliance",
    "Bike Collective",
    "Community Land Trust",
]
AREAS = ["", "North", "South", "East", "West", "Downtown", "Greater", "Old Town"]


def make(n: int, seed: int = 1) -> Path:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
    django.setup()
    from places.models import Place

    towns = list(
        Place.objects.filter(kind="locality", parent__kind__in=["state", "county"])
        .exclude(latitude=None)
        .values_list(
            "name",
            "parent__name",
            "parent__kind",
            "parent__parent__name",
            "parent__parent__kind",
            "parent__parent__parent__name",
            "latitude",
            "longitude",
        )[:50000]
    )
    rng = random.Random(seed)
    path = OUT / f"import-{n}.csv"
    OUT.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "Group Name",
                "City",
                "State",
                "Country",
                "Zip",
                "Latitude",
                "Longitude",
                "Website",
                "Facebook",
                "Email",
                "Phone",
                "Description",
                "Tags",
            ]
        )
        for i in range(n):
            town, parent, pkind, grand, gkind, great, lat, lng = rng.choice(towns)
            state = parent if pkind == "state" else grand
            country = grand if gkind == "country" else great
            name = f"{rng.choice(AREAS)} {town} {rng.choice(KINDS)} {i}".strip()
            slug = name.lower().replace(" ", "")
            has_point = rng.random() < 0.3
            w.writerow(
                [
                    name,
                    town,
                    state,
                    country if rng.random() < 0.5 else "",
                    f"{rng.randint(10000, 99999)}" if rng.random() < 0.3 else "",
                    f"{lat + rng.uniform(-0.05, 0.05):.5f}" if has_point else "",
                    f"{lng + rng.uniform(-0.05, 0.05):.5f}" if has_point else "",
                    f"www.{slug}.example.org" if rng.random() < 0.5 else "",
                    f"https://www.facebook.com/groups/{slug}/" if rng.random() < 0.4 else "",
                    f"hello@{slug}.example.org" if rng.random() < 0.3 else "",
                    f"({rng.randint(200, 999)}) 555-{rng.randint(0, 9999):04d}"
                    if rng.random() < 0.3
                    else "",
                    "Neighbors sharing food, rides and rent support; housing and climate work."
                    if rng.random() < 0.5
                    else "",
                    rng.choice(["mutual aid", "housing;tenants", "food", "climate", ""]),
                ]
            )
    print(f"wrote {path} ({n:,} rows)")
    return path


def _use_copy_of(base: Path, db: Path) -> None:
    """Point Django at a fresh copy of the base SQLite database (its WAL files left behind)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(base, db)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"


def run_import(n: int, base: Path, resolver: bool, database_url: str = "") -> None:
    path = OUT / f"import-{n}.csv"
    if database_url:
        # Another database (PostgreSQL), migrated and holding the places; imported into as is.
        os.environ["DATABASE_URL"] = database_url
    else:
        _use_copy_of(base, OUT / "import" / f"bench-{n}.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from places.geocoder import get_geocoder
    from sources.models import SourceRecord
    from sources.services import import_file
    from sources.signals import records_imported

    if not resolver:
        records_imported.receivers = []
        records_imported.sender_receivers_cache.clear()
    t0 = time.monotonic()
    get_geocoder()
    t_geo = time.monotonic() - t0

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{done:,}/{total:,} rows")

    t1 = time.monotonic()
    c1 = time.process_time()
    run, outcome = import_file(user=None, path=path, source_name=f"bench {n}", progress=progress)
    elapsed = time.monotonic() - t1
    cpu = time.process_time() - c1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Large files are read and cleaned by a forked second process (sources.services.reader).
    reader_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    reader_cpu = os.times().children_user + os.times().children_system
    print()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"geocoder build (once per process): {t_geo:.1f} s")
    print(f"import of {n:,} rows: {elapsed:.1f} s ({n / elapsed:,.0f} rows/s), resolver={resolver}")
    # The machine is shared: CPU time says what the import costs when it has a core to itself.
    print(f"  CPU time of this process: {cpu:.1f} s; of the file reader: {reader_cpu:.1f} s")
    print(f"  {outcome.summary()}")
    print(f"  records stored: {SourceRecord.objects.count():,}; run {run.pk} {run.status}")
    print(f"peak RSS: {peak_mb:,.0f} MB (the file reader: {reader_mb:,.0f} MB)")


def run_files(files: list[str], base: Path, resolver: bool) -> None:
    """Import real lists (PATH=SOURCE NAME) one after the other into one scratch database."""
    _use_copy_of(base, OUT / "import" / f"files{'-resolved' if resolver else ''}.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from directory.models import Organization
    from sources.models import SourceRecord
    from sources.services import import_file
    from sources.signals import records_imported

    if not resolver:
        records_imported.receivers = []
        records_imported.sender_receivers_cache.clear()
    for spec in files:
        path, _, name = spec.partition("=")
        t = time.monotonic()
        run, outcome = import_file(user=None, path=Path(path), source_name=name or Path(path).stem)
        print(f"{name}: {time.monotonic() - t:.1f} s; {outcome.summary()}")
        for error in outcome.errors[:5]:
            print(f"  line {error.line}: {error.reason}")
    placed = SourceRecord.objects.exclude(place=None).count()
    print(
        f"records: {SourceRecord.objects.count():,} ({placed:,} placed), "
        f"organizations: {Organization.objects.count():,}, resolver={resolver}"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["make", "import", "files"])
    parser.add_argument("n", nargs="+", help="row count, or PATH=SOURCE NAME for files")
    parser.add_argument("--resolver", action="store_true")
    parser.add_argument("--db", type=Path, default=OUT / "import" / "base.sqlite3")
    parser.add_argument(
        "--database-url",
        default="",
        help="import into this database instead of a copy of --db (e.g. a PostgreSQL one "
        "prepared with `commonweal migrate` and `commonweal setup --sample 0`)",
    )
    args = parser.parse_args()
    if args.what == "files":
        run_files(args.n, args.db, args.resolver)
    elif args.what == "make":
        make(int(args.n[0]))
    else:
        run_import(int(args.n[0]), args.db, args.resolver, args.database_url)


if __name__ == "__main__":
    main()
