"""The million-listing world of issue 12, built once and kept for later runs.

    /work/main/.venv/bin/python bench/connect/world.py            # SQLite: var/bench/connect.sqlite3
    bench/pg.sh -- .venv/bin/python bench/connect/world.py        # PostgreSQL (BENCH_PGDATA keeps it)

What it holds, on top of the world's real places (world → countries → states → counties →
towns, plus bioregions):

1. `--organizations` sample listings with issue areas (`commonweal sample`, the generator
   `bench/run_bench.py` uses), and its city coalitions, state networks and bioregional
   confederations;
2. a CoalitionProfile (level and span) for each of those;
3. national alliances (one per country and theme, gathering its state networks) and world
   assemblies (one per theme, gathering the national alliances): city → state → nation → world;
4. `--big` of the national alliances also take `--big-size` groups of their country directly;
5. more city coalitions, until there are `--coalitions` in all;
6. service areas: `--serving` of the listings serve 40 towns of their own country.

Each step checks whether it is already done, so a second run reuses the database at once
(`--rebuild` is not offered: delete the SQLite file or the kept cluster to start again).
Rows go in with the sample generator's bulk writer (COPY on PostgreSQL).
"""

from __future__ import annotations

import argparse
import bisect
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DEFAULT_SQLITE = ROOT / "var" / "bench" / "connect.sqlite3"


def setup() -> None:
    """Point Django at the kept database (SQLite unless DATABASE_URL says otherwise)."""
    if "DATABASE_URL" not in os.environ:
        DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{DEFAULT_SQLITE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonweal.settings")
    # The test client's host, and no secure-cookie redirects.
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()


# Slug prefixes of what this script adds, so a later run can tell it is there.
NATION = "bench-nation-"
WORLD = "bench-world-"
EXTRA = "bench-city-"


def build(
    *, organizations: int, coalitions: int, big: int, big_size: int, serving: float, seed: int
) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from directory import search
    from directory.models import Organization, OrganizationKind
    from directory.sample import sample_create
    from directory.services import directory_touch
    from places.models import Place

    started = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {text}", flush=True)

    call_command("migrate", verbosity=0, interactive=False)
    if not Place.objects.filter(kind="locality").exists():
        say("loading the world's places…")
        call_command("places", "load", verbosity=0)
    listings = Organization.objects.filter(is_sample=True).exclude(kind=OrganizationKind.COALITION)
    have = listings.count()
    if have < organizations:
        say(f"adding {organizations - have:,} sample listings (there are {have:,})…")
        # The generator's own coalitions: about four in five of the total asked for.
        result = sample_create(
            organizations=organizations - have, seed=seed + have, coalitions=coalitions * 4 // 5
        )
        say(
            f"  {result.organizations:,} listings, {result.coalitions:,} coalitions: {result.seconds}"
        )
    with transaction.atomic():
        added = _profiles_add()
        if added:
            say(f"coalition profiles for {added:,} sample coalitions")
        if not Organization.objects.filter(slug__startswith=NATION).exists():
            say("national alliances and world assemblies…")
            _upper_levels_add(big=big, big_size=big_size, seed=seed)
        total = Organization.objects.filter(kind=OrganizationKind.COALITION).count()
        if total < coalitions:
            say(f"{coalitions - total:,} more city coalitions…")
            _city_coalitions_add(coalitions - total, seed=seed)
        through = Organization.service_areas.through
        if serving and not through.objects.exists():
            say("service areas…")
            rows = _service_areas_add(share=serving, towns=40, seed=seed)
            say(f"  {rows:,} service-area links")
        directory_touch()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        search.analyze()
    say(describe())


def describe() -> str:
    from django.db import connection
    from django.db.models import Count

    from coalitions.models import Membership
    from directory.models import Organization

    listings = Organization.objects.exclude(kind="coalition").count()
    coalitions = Organization.objects.filter(kind="coalition").count()
    biggest = (
        Membership.objects.active()
        .values("coalition")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("n", flat=True)[:1]
    )
    serving = Organization.service_areas.through.objects.count()
    return (
        f"{connection.vendor}: {listings:,} listings, {coalitions:,} coalitions "
        f"(largest {biggest[0] if biggest else 0:,} members), {serving:,} service-area links"
    )


# ---------------------------------------------------------------------------------------------


def _profiles_add() -> int:
    """Level and span for the generator's coalitions, read from how it names them."""
    from coalitions.models import CoalitionProfile
    from directory.models import Organization
    from places.models import Place, PlaceKind

    missing = list(
        Organization.objects.filter(kind="coalition", coalition_profile__isnull=True).values_list(
            "id", "name", "home_place_id"
        )
    )
    if not missing:
        return 0
    regions = sorted(
        Place.objects.filter(kind=PlaceKind.BIOREGION).values_list("name", "id"),
        key=lambda r: -len(r[0]),
    )
    profiles = []
    for pk, name, home in missing:
        if name.endswith(" Confederation"):
            span = next((rid for rname, rid in regions if name.startswith(rname)), None)
            level = "bioregion"
        elif name.endswith(" Network"):
            span, level = home, "state"
        else:
            span, level = home, "city"
        profiles.append(CoalitionProfile(organization_id=pk, level=level, span_id=span))
    CoalitionProfile.objects.bulk_create(profiles, batch_size=5000)
    return len(profiles)


def _countries() -> tuple[list[int], list[tuple[int, int, Any]]]:
    """Countries sorted by lft: (starts, [(lft, rgt, place)])."""
    from places.models import Place, PlaceKind

    bounds = sorted((c.lft, c.rgt, c) for c in Place.objects.filter(kind=PlaceKind.COUNTRY))
    return [b[0] for b in bounds], bounds


def _country_of(lft: int | None, starts: list[int], bounds: list[tuple[int, int, Any]]) -> Any:
    if lft is None:
        return None
    i = bisect.bisect_right(starts, lft) - 1
    return bounds[i][2] if i >= 0 and bounds[i][0] <= lft <= bounds[i][1] else None


def _new_coalitions(specs: list[tuple[str, str, str, Any, str]]) -> list[int]:
    """Coalitions from (slug prefix, name, theme, place, level); returns their ids."""
    import numpy as np
    from django.utils import timezone
    from django.utils.text import slugify

    from coalitions.models import CoalitionProfile
    from directory.models import IssueArea, Organization
    from directory.sample import _base36, _coalition_org, _issue_links_insert, _reserve_ids

    now = timezone.now()
    bits = dict(IssueArea.objects.values_list("slug", "bit"))
    orgs = []
    for _prefix, name, theme, place, _level in specs:
        home = (
            (place.pk, place.lft, place.latitude, place.longitude)
            if place
            else (None, None, None, None)
        )
        orgs.append(_coalition_org(name, "groups and networks", theme, home, bits, now))
    ids = _reserve_ids(Organization, len(orgs)).tolist()
    for org, pk, spec in zip(orgs, ids, specs, strict=True):
        org.pk = pk
        org.slug = f"{spec[0]}{slugify(org.name)[:90]}-{_base36(pk)}"
    Organization.objects.bulk_create(orgs, batch_size=1000)
    area_by_bit = {bit: pk for pk, bit in IssueArea.objects.values_list("id", "bit")}
    masks = np.array([o.issue_mask for o in orgs], dtype=np.int64)
    _issue_links_insert(np.array(ids, dtype=np.int64), masks, area_by_bit, now)
    CoalitionProfile.objects.bulk_create(
        [
            CoalitionProfile(organization_id=pk, level=spec[4], span=spec[3])
            for pk, spec in zip(ids, specs, strict=True)
        ],
        batch_size=1000,
    )
    return ids


def _memberships_add(pairs: list[tuple[int, int]]) -> None:
    """Active memberships (coalition id, member id), written in bulk."""
    from django.db import connection
    from django.utils import timezone

    from coalitions.models import Membership
    from directory.sample import _insert

    now = timezone.now()
    decided = Membership._meta.get_field("decided_at").get_db_prep_save(now, connection)
    _insert(
        Membership,
        {
            "coalition": [c for c, _ in pairs],
            "member": [m for _, m in pairs],
            "status": ["active"] * len(pairs),
            "decided_at": [decided] * len(pairs),
        },
        len(pairs),
        now,
    )


def _upper_levels_add(*, big: int, big_size: int, seed: int) -> None:
    """National alliances over the state networks, world assemblies over those, and a few
    national alliances that groups also join directly, by the thousand."""
    import numpy as np

    from coalitions.models import CoalitionProfile
    from directory.models import IssueArea, Organization
    from directory.sample import COALITION_THEMES

    label_of = dict(COALITION_THEMES)
    theme_of_bit = {bit: slug for slug, bit in IssueArea.objects.values_list("slug", "bit")}
    starts, bounds = _countries()
    networks = CoalitionProfile.objects.filter(level="state").values_list(
        "organization_id", "organization__place_lft", "organization__issue_mask"
    )
    by_country: dict[tuple[int, str], list[int]] = defaultdict(list)
    country_by_id = {b[2].pk: b[2] for b in bounds}
    for pk, lft, mask in networks:
        country = _country_of(lft, starts, bounds)
        theme = theme_of_bit.get(int(mask).bit_length() - 1)
        if country is not None and theme in label_of:
            by_country[(country.pk, theme)].append(pk)
    keys = sorted(by_country, key=lambda k: (-len(by_country[k]), k))
    specs = [
        (NATION, f"{country_by_id[c].name} {label_of[t]} Alliance", t, country_by_id[c], "nation")
        for c, t in keys
    ]
    nation_ids = _new_coalitions(specs)
    pairs = [(nid, m) for nid, key in zip(nation_ids, keys, strict=True) for m in by_country[key]]
    themes = sorted({t for _, t in keys})
    world_ids = _new_coalitions(
        [(WORLD, f"World {label_of[t]} Assembly", t, None, "world") for t in themes]
    )
    world_of = dict(zip(themes, world_ids, strict=True))
    pairs += [(world_of[t], nid) for nid, (_, t) in zip(nation_ids, keys, strict=True)]

    # The biggest alliances take thousands of groups of their country on their theme directly
    # (topped up with other groups of the country where too few work on it).
    bits = dict(IssueArea.objects.values_list("slug", "bit"))
    rng = np.random.default_rng(seed)
    for nid, (country_pk, theme) in list(zip(nation_ids, keys, strict=True))[:big]:
        country = country_by_id[country_pk]
        rows = np.array(
            list(
                Organization.objects.filter(
                    place_lft__gte=country.lft, place_lft__lte=country.rgt, is_sample=True
                )
                .exclude(kind="coalition")
                .values_list("id", "issue_mask")
            ),
            dtype=np.int64,
        ).reshape(-1, 2)
        on_theme = rows[(rows[:, 1] >> bits[theme]) & 1 == 1, 0]
        others = rows[(rows[:, 1] >> bits[theme]) & 1 == 0, 0]
        pick = rng.choice(on_theme, size=min(big_size, on_theme.size), replace=False)
        if pick.size < big_size and others.size:
            more = rng.choice(others, size=min(big_size - pick.size, others.size), replace=False)
            pick = np.concatenate([pick, more])
        pairs += [(nid, int(m)) for m in pick.tolist()]
    _memberships_add(pairs)


def _city_coalitions_add(n: int, *, seed: int) -> None:
    """More town coalitions of a few local groups each, in the towns with the most groups."""
    import numpy as np
    from django.db.models import Count

    from directory.models import IssueArea, Organization
    from directory.sample import COALITION_THEMES
    from places.models import Place

    rng = np.random.default_rng(seed + 1)
    busiest = list(
        Organization.objects.filter(is_sample=True, home_place__kind="locality")
        .exclude(kind="coalition")
        .values("home_place")
        .annotate(k=Count("id"))
        .order_by("-k")
        .values_list("home_place", flat=True)[: max(1, n // 4)]
    )
    towns = Place.objects.in_bulk(busiest)
    bits = dict(IssueArea.objects.values_list("slug", "bit"))
    themes = [t for t in COALITION_THEMES if t[0] in bits]
    specs: list[tuple[str, str, str, Any, str]] = []
    members: list[int] = []
    i = 0
    while len(specs) < n:
        town = towns[busiest[i % len(busiest)]]
        theme, label = themes[(i // len(busiest)) % len(themes)]
        hood = i // (len(busiest) * len(themes))
        specs.append((EXTRA, f"{town.name} {label} Circle {hood + 1}", theme, town, "city"))
        members.append(town.pk)
        i += 1
    ids = _new_coalitions(specs)
    local: dict[int, np.ndarray] = {}
    pairs = []
    for cid, town_pk in zip(ids, members, strict=True):
        if town_pk not in local:
            local[town_pk] = np.array(
                Organization.objects.filter(home_place_id=town_pk, is_sample=True)
                .exclude(kind="coalition")
                .values_list("id", flat=True)[:2000]
            )
        pool = local[town_pk]
        size = min(pool.size, int(rng.integers(3, 26)))
        pairs += [(cid, int(m)) for m in rng.choice(pool, size=size, replace=False).tolist()]
    _memberships_add(pairs)


def _service_areas_add(*, share: float, towns: int, seed: int) -> int:
    """A DSA-like service area for a share of the listings: `towns` towns of their country."""
    import numpy as np
    from django.utils import timezone

    from directory.models import Organization
    from directory.sample import _insert
    from places.models import Place

    rng = np.random.default_rng(seed + 2)
    starts, bounds = _countries()
    localities: dict[int, list[int]] = defaultdict(list)
    for pk, lft in Place.objects.filter(kind="locality").values_list("pk", "lft"):
        country = _country_of(lft, starts, bounds)
        if country is not None:
            localities[country.pk].append(pk)
    rows = np.array(
        Organization.objects.filter(is_sample=True, place_lft__isnull=False)
        .exclude(kind="coalition")
        .values_list("id", "place_lft"),
        dtype=np.int64,
    ).reshape(-1, 2)
    chosen = rows[rng.choice(rows.shape[0], size=int(rows.shape[0] * share), replace=False)]
    del rows
    orgs, places = [], []
    for org_id, lft in chosen.tolist():
        country = _country_of(lft, starts, bounds)
        pool = localities.get(country.pk, []) if country is not None else []
        for place_id in rng.choice(pool, size=min(towns, len(pool)), replace=False).tolist():
            orgs.append(org_id)
            places.append(place_id)
    _insert(
        Organization.service_areas.through,
        {"organization": orgs, "place": places},
        len(orgs),
        timezone.now(),
    )
    return len(orgs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organizations", type=int, default=1_000_000)
    parser.add_argument("--coalitions", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=10, help="national alliances with thousands")
    parser.add_argument("--big-size", type=int, default=5000)
    parser.add_argument("--serving", type=float, default=0.02, help="share with a service area")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    setup()
    build(
        organizations=args.organizations,
        coalitions=args.coalitions,
        big=args.big,
        big_size=args.big_size,
        serving=args.serving,
        seed=args.seed,
    )


if __name__ == "__main__":
    main()
