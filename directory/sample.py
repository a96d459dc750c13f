"""Fictional sample organizations over the real places, for first runs, demos and benchmarks.

Every organization made here has `is_sample=True` and a description that says it is a sample
listing. They are spread over real localities in proportion to population, with names built
from place names and templates, and issue areas that match their names.

A million listings must take minutes, not hours, so rows are written straight to the tables
in large batches (COPY on PostgreSQL, executemany on SQLite) with `place_lft` and
`issue_mask` computed here. The full-text index follows by itself: SQLite's through its
triggers, PostgreSQL's through its generated column. The few coalitions and their
memberships go through the ORM.
"""

from __future__ import annotations

import datetime as dt
import string
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from commonweal.bulkdb import sqlite_page_cache
from directory import search
from directory.models import IssueArea, Organization, OrganizationKind, OrganizationStatus
from directory.services import directory_touch
from places.models import Place, PlaceKind

BATCH = 10_000
# From this many rows on, PostgreSQL is faster at dropping and rebuilding indexes (above all
# the full-text GIN index) than at updating them row by row. SQLite gains nothing from it.
INDEX_PAUSE_ROWS = 100_000
SAMPLE_NOTE = "Sample listing: this group is fictional, made up to show how the directory works."

K = OrganizationKind

# Neighbourhood-style prefixes, so that one city can hold several groups of one kind.
HOODS = [
    "Eastside", "Westside", "Northside", "Southside", "Downtown", "Midtown", "Uptown", "Riverside",
    "Lakeside", "Hillside", "Old Town", "Harbor", "Parkside", "Central", "North End", "South End",
    "West End", "East End", "University District", "Mill District", "Railyard", "Bayview",
    "Greenwood", "Fairview",
]  # fmt: skip


@dataclass(frozen=True)
class Template:
    """One way of naming a group: its kind, its issue areas (slugs), issues it often takes up
    too, and how common it is."""

    name: str
    kind: str
    issues: tuple[str, ...]
    related: tuple[str, ...]
    weight: float

    @property
    def blurbs(self) -> tuple[str, ...]:
        return BLURBS[self.name]


def T(name: str, kind: str, issues: str, related: str, weight: float) -> Template:  # noqa: N802
    return Template(name, kind, tuple(issues.split()), tuple(related.split()), weight)


# Names are generic on purpose: none is the brand of a real organization.
TEMPLATES: list[Template] = [
    T("{hood} Tenants Union", K.LOCAL_GROUP, "housing", "racial-justice economic-justice", 6),
    T("{city} Tenants Union", K.LOCAL_GROUP, "housing", "democracy transportation", 4),
    T("{city} Mutual Aid Network", K.NETWORK, "mutual-aid", "food health housing", 6),
    T("{hood} Mutual Aid", K.LOCAL_GROUP, "mutual-aid", "food disability-justice", 5),
    T("{county} Climate Action", K.LOCAL_GROUP, "climate", "transportation energy democracy", 4),
    T("{city} Climate Justice Alliance", K.NETWORK, "climate racial-justice", "health housing", 3),
    T("{city} Community Food Share", K.LOCAL_GROUP, "food mutual-aid", "health", 4),
    T("{city} Food Co-op", K.COOP, "food", "labor economic-justice", 3),
    T("{hood} Community Garden", K.LOCAL_GROUP, "food", "climate education", 3),
    T("{city} Workers' Center", K.LOCAL_GROUP, "labor", "immigration racial-justice", 3),
    T("{city} Teachers' Union Local {num}", K.UNION_LOCAL, "labor education", "youth", 3),
    T("{city} Health Care Workers Local {num}", K.UNION_LOCAL, "labor health", "elders", 2),
    T("{city} Solidarity Network", K.NETWORK, "labor housing", "mutual-aid", 3),
    T("{city} Worker Co-op Network", K.NETWORK, "labor economic-justice", "food", 1),
    T(
        "{city} Transit Riders Union",
        K.LOCAL_GROUP,
        "transportation",
        "climate disability-justice",
        3,
    ),
    T("{city} Safe Streets Alliance", K.LOCAL_GROUP, "transportation", "climate health", 2),
    T("{state} Immigrant Rights Network", K.NETWORK, "immigration", "labor racial-justice", 2),
    T("{city} Immigrant Solidarity Committee", K.LOCAL_GROUP, "immigration", "labor mutual-aid", 3),
    T("{city} Court Watch", K.LOCAL_GROUP, "criminal-justice", "racial-justice", 2),
    T(
        "{county} Community Bail Fund",
        K.LOCAL_GROUP,
        "criminal-justice racial-justice",
        "immigration",
        2,
    ),
    T(
        "{city} Racial Justice Alliance",
        K.NETWORK,
        "racial-justice",
        "criminal-justice education",
        3,
    ),
    T("{hood} Neighbors Assembly", K.LOCAL_GROUP, "democracy", "housing mutual-aid", 3),
    T(
        "{city} Fair Elections Project",
        K.LOCAL_GROUP,
        "democracy",
        "racial-justice digital-rights",
        2,
    ),
    T(
        "{city} Community Health Collective",
        K.LOCAL_GROUP,
        "health",
        "mutual-aid gender-justice",
        3,
    ),
    T("{city} Free Clinic Volunteers", K.LOCAL_GROUP, "health mutual-aid", "immigration", 2),
    T("{city} Parents for Public Schools", K.LOCAL_GROUP, "education", "racial-justice youth", 3),
    T("{city} Student Union", K.LOCAL_GROUP, "education youth", "climate democracy", 2),
    T("{city} Housing Co-operative", K.COOP, "housing", "economic-justice", 2),
    T("{city} Chapter, Federation of Renters", K.CHAPTER, "housing", "democracy", 2),
    T("{city} Chapter, Green Jobs Federation", K.CHAPTER, "climate labor", "energy", 2),
    T(
        "{county} Watershed Defenders",
        K.LOCAL_GROUP,
        "water environment-land",
        "indigenous-rights",
        1,
    ),
    T("{county} Community Solar Co-op", K.COOP, "energy climate", "economic-justice", 1),
    T(
        "{city} Disability Justice Collective",
        K.LOCAL_GROUP,
        "disability-justice",
        "health transportation",
        2,
    ),
    T("{city} Reproductive Justice Collective", K.LOCAL_GROUP, "gender-justice health", "", 2),
    T("{city} Queer and Trans Community Network", K.NETWORK, "lgbtq-rights", "health youth", 2),
    T(
        "{state} Indigenous Solidarity Circle",
        K.NETWORK,
        "indigenous-rights",
        "environment-land water",
        1,
    ),
    T("{city} Neighbors for Peace", K.LOCAL_GROUP, "peace", "economic-justice", 1),
    T("{city} Digital Rights Collective", K.LOCAL_GROUP, "digital-rights", "democracy", 1),
    T("{city} Living Wage Campaign", K.LOCAL_GROUP, "economic-justice labor", "racial-justice", 2),
    T("{city} Youth Organizing Project", K.LOCAL_GROUP, "youth", "education climate", 2),
    T("{city} Elders Action Network", K.NETWORK, "elders", "health housing", 1),
    T("{hood} Community Arts Collective", K.LOCAL_GROUP, "arts-culture", "youth democracy", 1),
]

# What each kind of group says about itself, before the sample note.
BLURBS: dict[str, tuple[str, ...]] = {
    "{hood} Tenants Union": (
        (
            "Tenants organizing building by building against evictions, rent hikes and neglected "
            "repairs."
        ),
        (
            "A union of renters who meet monthly, run a hotline and back each other in disputes "
            "with landlords."
        ),
    ),
    "{city} Tenants Union": (
        (
            "Citywide union of renters pushing for rent stabilization and protection from no-"
            "fault eviction."
        ),
    ),
    "{city} Mutual Aid Network": (
        (
            "Neighbors helping neighbors: grocery runs, rides, childcare swaps and an emergency "
            "fund."
        ),
        ("A network of block-level pods sharing food, supplies and rides with whoever needs them."),
    ),
    "{hood} Mutual Aid": (
        (
            "A weekly free market and a phone tree connecting neighbors who need help with those "
            "who can give it."
        ),
    ),
    "{county} Climate Action": (
        (
            "Volunteers campaigning for clean energy, local climate plans and a just transition "
            "for workers."
        ),
    ),
    "{city} Climate Justice Alliance": (
        (
            "Frontline communities and allies working for clean air, green jobs and protection "
            "from heat and floods."
        ),
    ),
    "{city} Community Food Share": (
        (
            "Rescues surplus food from shops and farms and shares it through community fridges "
            "and pantries."
        ),
    ),
    "{city} Food Co-op": (
        (
            "A member-owned grocery co-operative buying from local farms and paying its workers "
            "fairly."
        ),
    ),
    "{hood} Community Garden": (
        (
            "Shared garden plots, a seed library and cooking classes open to everyone in the "
            "neighbourhood."
        ),
    ),
    "{city} Workers' Center": (
        (
            "Helps low-wage and immigrant workers recover stolen wages and organize for safe "
            "workplaces."
        ),
    ),
    "{city} Teachers' Union Local {num}": (
        (
            "Educators and school staff bargaining for smaller classes, fair pay and well-funded "
            "public schools."
        ),
    ),
    "{city} Health Care Workers Local {num}": (
        (
            "Nurses, aides and hospital staff organizing for safe staffing and care everyone can "
            "afford."
        ),
    ),
    "{city} Solidarity Network": (
        ("Direct action against bad bosses and bad landlords, won together, one fight at a time."),
    ),
    "{city} Worker Co-op Network": (
        "Connects worker-owned co-operatives to share skills, financing and customers.",
    ),
    "{city} Transit Riders Union": (
        ("Bus and train riders organizing for frequent, affordable and accessible public transit."),
    ),
    "{city} Safe Streets Alliance": (
        "Campaigns for safe crossings, protected bike lanes and walkable neighbourhoods.",
    ),
    "{state} Immigrant Rights Network": (
        (
            "Legal clinics, rapid response teams and advocacy for the rights of immigrants and "
            "refugees."
        ),
    ),
    "{city} Immigrant Solidarity Committee": (
        (
            "Accompanies neighbors to hearings, runs know-your-rights trainings and raises bond "
            "funds."
        ),
    ),
    "{city} Court Watch": (
        ("Volunteers observe courtrooms and publish what they see to hold the system accountable."),
    ),
    "{county} Community Bail Fund": (
        ("Posts bail for people who cannot afford it and supports them until their cases close."),
    ),
    "{city} Racial Justice Alliance": (
        (
            "Building multiracial power to end discrimination in policing, housing, schools and "
            "jobs."
        ),
    ),
    "{hood} Neighbors Assembly": (
        (
            "An open monthly assembly where residents set priorities for the neighbourhood and "
            "act on them."
        ),
    ),
    "{city} Fair Elections Project": (
        (
            "Registers voters, trains poll workers and campaigns for fair districts and open "
            "elections."
        ),
    ),
    "{city} Community Health Collective": (
        (
            "Free health screenings, harm reduction supplies and peer support run by and for the "
            "community."
        ),
    ),
    "{city} Free Clinic Volunteers": (
        (
            "Volunteer nurses and doctors offering free care at weekends to people without "
            "insurance."
        ),
    ),
    "{city} Parents for Public Schools": (
        "Parents and caregivers working for fully funded, welcoming public schools.",
    ),
    "{city} Student Union": (
        "Students organizing for a voice in how their schools and universities are run.",
    ),
    "{city} Housing Co-operative": (
        ("Resident-owned, permanently affordable homes governed by the people who live in them."),
    ),
    "{city} Chapter, Federation of Renters": (
        (
            "Local chapter of a federation of renters' groups sharing campaigns, training and "
            "legal help."
        ),
    ),
    "{city} Chapter, Green Jobs Federation": (
        ("Local chapter pressing for public investment in clean energy, transit and union jobs."),
    ),
    "{county} Watershed Defenders": (
        (
            "Protects rivers and drinking water from pollution, with monthly clean-ups and water "
            "testing."
        ),
    ),
    "{county} Community Solar Co-op": (
        (
            "Neighbors owning solar panels together and sharing the savings with low-income "
            "households."
        ),
    ),
    "{city} Disability Justice Collective": (
        (
            "Disabled people and allies organizing for access, independent living and care that "
            "respects them."
        ),
    ),
    "{city} Reproductive Justice Collective": (
        (
            "Practical support, clinic escorts and advocacy for everyone's right to decide about "
            "their body."
        ),
    ),
    "{city} Queer and Trans Community Network": (
        (
            "Peer support, safe housing referrals and organizing for the rights of queer and "
            "trans people."
        ),
    ),
    "{state} Indigenous Solidarity Circle": (
        "Supports Indigenous-led land and water defence, language revival and treaty rights.",
    ),
    "{city} Neighbors for Peace": (
        "Vigils, teach-ins and campaigns to move money from weapons to what communities need.",
    ),
    "{city} Digital Rights Collective": (
        ("Workshops on privacy and campaigns against surveillance technology in public services."),
    ),
    "{city} Living Wage Campaign": (
        "Workers, faith groups and small businesses campaigning for wages people can live on.",
    ),
    "{city} Youth Organizing Project": (
        "Young people leading campaigns on schools, climate and safe public spaces.",
    ),
    "{city} Elders Action Network": (
        (
            "Older residents organizing for dignified care, decent pensions and homes they can "
            "stay in."
        ),
    ),
    "{hood} Community Arts Collective": (
        (
            "Murals, street theatre and a community radio show telling the neighbourhood's own "
            "stories."
        ),
    ),
}

# Coalition themes: the issue area that brings groups together and how the coalition names it.
COALITION_THEMES: list[tuple[str, str]] = [
    ("housing", "Housing Justice"),
    ("climate", "Climate"),
    ("labor", "Workers' Rights"),
    ("mutual-aid", "Mutual Aid"),
    ("immigration", "Immigrant Justice"),
    ("food", "Food Sovereignty"),
    ("transportation", "Public Transit"),
    ("racial-justice", "Racial Justice"),
    ("health", "Health for All"),
    ("education", "Public Education"),
    ("democracy", "Democracy"),
    ("criminal-justice", "Decarceration"),
]

STATUS_P = [
    (OrganizationStatus.ACTIVE, 0.78),
    (OrganizationStatus.UNKNOWN, 0.12),
    (OrganizationStatus.INACTIVE, 0.07),
    (OrganizationStatus.DISSOLVED, 0.03),
]

# A rough main language per country for listings' `languages`; others stay empty (unknown).
LANGUAGES = {
    "US": "en", "GB": "en", "CA": "en", "AU": "en", "NZ": "en", "IE": "en", "MX": "es", "ES": "es",
    "AR": "es", "CO": "es", "CL": "es", "PE": "es", "FR": "fr", "BE": "fr", "DE": "de", "AT": "de",
    "IT": "it", "BR": "pt", "PT": "pt", "NL": "nl", "JP": "ja", "CN": "zh", "IN": "hi", "RU": "ru",
    "TR": "tr", "PL": "pl", "ID": "id", "PH": "en", "NG": "en", "ZA": "en", "KE": "sw", "EG": "ar",
}  # fmt: skip


class SampleError(Exception):
    """Sample data cannot be made here (no places loaded, unsupported database)."""


@dataclass
class SampleResult:
    organizations: int = 0
    coalitions: int = 0
    memberships: int = 0
    issue_links: int = 0
    deleted: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Places


@dataclass
class Localities:
    """Localities with coordinates and population as arrays, plus the names around each."""

    ids: np.ndarray
    lft: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    pop: np.ndarray
    city: list[str]
    county: list[str]
    state: list[str]
    country_iso: list[str]
    state_id: list[int | None]


def localities_load() -> Localities:
    rows = list(
        Place.objects.tree().values_list(
            "id",
            "parent_id",
            "kind",
            "name",
            "lft",
            "iso_code",
            "latitude",
            "longitude",
            "population",
        )
    )
    by_id = {r[0]: r for r in rows}
    picked = [
        r
        for r in rows
        if r[2] == PlaceKind.LOCALITY and r[6] is not None and r[7] is not None and r[8]
    ]
    if not picked:
        raise SampleError(
            "There are no towns with a population yet: run `commonweal places load` first."
        )
    city, county, state, iso, state_id = [], [], [], [], []
    for r in picked:
        above: dict[str, tuple[Any, ...]] = {}
        parent = by_id.get(r[1])
        while parent is not None:
            above.setdefault(parent[2], parent)
            parent = by_id.get(parent[1])
        st, co = above.get(PlaceKind.STATE), above.get(PlaceKind.COUNTRY)
        city.append(r[3])
        # Most countries have no county level: the town then lends its own name.
        county.append(above[PlaceKind.COUNTY][3] if PlaceKind.COUNTY in above else r[3])
        state.append(st[3] if st else (co[3] if co else r[3]))
        state_id.append(st[0] if st else None)
        iso.append(co[5] if co else "")
    return Localities(
        ids=np.array([r[0] for r in picked], dtype=np.int64),
        lft=np.array([r[4] for r in picked], dtype=np.int64),
        lat=np.array([r[6] for r in picked], dtype=np.float64),
        lon=np.array([r[7] for r in picked], dtype=np.float64),
        pop=np.array([r[8] for r in picked], dtype=np.float64),
        city=city,
        county=county,
        state=state,
        country_iso=iso,
        state_id=state_id,
    )


# ---------------------------------------------------------------------------------------------
# Writing rows straight to the tables


def _columns_for(
    model: type[models.Model], given: Iterable[str], now: dt.datetime
) -> tuple[list[str], list[Any]]:
    """Column names and, for each column not `given`, its default as one constant DB value.

    Built from the model, so fields added later get their defaults; generated columns (kept
    by the database) and an unset primary key are left out.
    """
    given = set(given)
    names: list[str] = []
    constants: list[Any] = []
    for f in model._meta.concrete_fields:
        assert f.column is not None
        is_given = f.name in given or f.attname in given
        if getattr(f, "generated", False) or (f.primary_key and not is_given):
            continue
        names.append(f.column)
        if is_given:
            constants.append(None)
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value: Any = now
        elif f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif isinstance(f, models.CharField | models.TextField):
            value = ""
        else:
            raise SampleError(f"{model.__name__}.{f.name} needs a value for sample rows.")
        constants.append(f.get_db_prep_save(value, connection))
    return names, constants


def _insert(
    model: type[models.Model], given: dict[str, Sequence[Any]], n: int, now: dt.datetime
) -> None:
    """Insert `n` rows: `given` maps field name → DB-ready values; other fields get defaults."""
    names, constants = _columns_for(model, given, now)
    by_column = {model._meta.get_field(k).column: v for k, v in given.items()}  # type: ignore[union-attr]
    qn = connection.ops.quote_name
    table, cols = qn(model._meta.db_table), ", ".join(qn(c) for c in names)
    for start in range(0, n, BATCH):
        stop = min(n, start + BATCH)
        parts = [
            by_column[c][start:stop] if c in by_column else [k] * (stop - start)
            for c, k in zip(names, constants, strict=True)
        ]
        rows = list(zip(*parts, strict=True))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(names))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608


def _reserve_ids(model: type[models.Model], n: int) -> np.ndarray:
    """Primary keys for `n` new rows, known before the insert so links can be built with them."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return np.array([r[0] for r in cursor.fetchall()], dtype=np.int64)
        if connection.vendor == "sqlite":
            # Safe because the caller's atomic block holds SQLite's write lock (IMMEDIATE mode):
            # nobody else can take these numbers, and AUTOINCREMENT never reuses one.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            top = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            start = max(top, row[0] if row else 0) + 1
            return np.arange(start, start + n, dtype=np.int64)
    raise SampleError(
        f"Sample data can be written to SQLite and PostgreSQL, not {connection.vendor}."
    )


def _issue_links_insert(
    org_ids: np.ndarray, masks: np.ndarray, area_by_bit: dict[int, int], now: dt.datetime
) -> int:
    """One through-table row per (organization, issue area) bit set in its mask."""
    orgs, areas = [], []
    for bit, area_id in area_by_bit.items():
        sel = (masks >> bit) & 1 == 1
        orgs.append(org_ids[sel])
        areas.append(np.full(int(sel.sum()), area_id, dtype=np.int64))
    if not orgs:
        return 0
    o, a = np.concatenate(orgs), np.concatenate(areas)
    order = np.argsort(o, kind="stable")
    o, a = o[order], a[order]
    _insert(
        Organization.issue_areas.through,
        {"organization": o.tolist(), "issuearea": a.tolist()},
        int(o.size),
        now,
    )
    return int(o.size)


# ---------------------------------------------------------------------------------------------
# Generating listings


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _slug_format(template: str) -> str:
    """ "{city} Teachers' Union Local {num}" → "{city}-teachers-union-local-{num}"."""
    pieces: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if slugify(literal):
            pieces.append(slugify(literal))
        if name:
            pieces.append("{" + name + "}")
    return "-".join(pieces)


def _jitter(
    rng: np.random.Generator, loc: Localities, idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scatter points around their town's centre, wider for bigger towns."""
    sigma_km = 0.8 + 9.0 * np.minimum(1.0, np.sqrt(loc.pop[idx] / 2_000_000))
    lat0 = loc.lat[idx]
    shrink = np.maximum(np.cos(np.radians(lat0)), 0.05)
    lat = np.clip(lat0 + rng.normal(0.0, 1.0, idx.size) * sigma_km / 111.0, -89.9, 89.9)
    lon = (
        loc.lon[idx] + rng.normal(0.0, 1.0, idx.size) * sigma_km / (111.0 * shrink) + 180.0
    ) % 360.0 - 180.0
    return np.round(lat, 6), np.round(lon, 6)


def _mask_of(slugs: Iterable[str], bits: dict[str, int]) -> int:
    return sum(1 << bits[s] for s in set(slugs) if s in bits)


def _issue_masks(rng: np.random.Generator, tidx: np.ndarray, bits: dict[str, int]) -> np.ndarray:
    n = tidx.size
    masks = np.zeros(n, dtype=np.int64)
    for t, tpl in enumerate(TEMPLATES):
        sel = np.nonzero(tidx == t)[0]
        if sel.size == 0:
            continue
        masks[sel] = _mask_of(tpl.issues, bits)
        related = [bits[r] for r in tpl.related if r in bits]
        if related:
            # About two groups in five also work on an issue that crosshatches with their own.
            take = sel[rng.random(sel.size) < 0.4]
            masks[take] |= np.left_shift(
                np.int64(1), rng.choice(related, take.size).astype(np.int64)
            )
    all_bits = sorted(bits.values())
    if all_bits:
        # And a few take up something else entirely.
        take = np.nonzero(rng.random(n) < 0.06)[0]
        masks[take] |= np.left_shift(np.int64(1), rng.choice(all_bits, take.size).astype(np.int64))
    return masks


def _organizations_generate(
    rng: np.random.Generator, loc: Localities, n: int, bits: dict[str, int], now: dt.datetime
) -> dict[str, Any]:
    lidx = rng.choice(loc.ids.size, size=n, p=loc.pop / loc.pop.sum())
    weights = np.array([t.weight for t in TEMPLATES])
    tidx = rng.choice(len(TEMPLATES), size=n, p=weights / weights.sum())
    hood = rng.integers(0, len(HOODS), n)
    num = rng.integers(100, 3000, n)
    blurb = rng.integers(0, 1 << 30, n)
    lat, lon = _jitter(rng, loc, lidx)
    masks = _issue_masks(rng, tidx, bits)
    statuses = [s.value for s, _ in STATUS_P]
    sidx = rng.choice(len(statuses), size=n, p=[p for _, p in STATUS_P])
    # Active groups were mostly confirmed within two years; the others longer ago, or never.
    days = np.where(sidx == 0, rng.integers(0, 730, n), rng.integers(365, 2200, n))
    confirmed = rng.random(n) < np.where(sidx == 0, 0.85, 0.4)
    bilingual = rng.random(n) < 0.12

    confirmed_field = Organization._meta.get_field("last_confirmed_at")
    day_value = [
        confirmed_field.get_db_prep_save(now - dt.timedelta(days=d), connection)
        for d in range(2200)
    ]
    languages_field = Organization._meta.get_field("languages")
    language_value: dict[tuple[str, ...], Any] = {}
    slug_of: dict[str, str] = {}

    def slug(text: str) -> str:
        s = slug_of.get(text)
        if s is None:
            s = slug_of[text] = slugify(text)[:40].strip("-") or "place"
        return s

    slug_formats = [_slug_format(t.name) for t in TEMPLATES]
    word_of = {bit: key.replace("-", " ") for key, bit in bits.items()}
    topics_of: dict[int, str] = {}
    around: dict[int, tuple[str, str, str, str, str, str, str, str]] = {}
    hood_slugs = [slug(h) for h in HOODS]
    # Plain lists: indexing numpy arrays one element at a time is several times slower.
    tl, ll, hl, nl, bl = tidx.tolist(), lidx.tolist(), hood.tolist(), num.tolist(), blurb.tolist()
    ml, dl, cl, bil = masks.tolist(), days.tolist(), confirmed.tolist(), bilingual.tolist()
    names, slugs, descriptions, kinds, languages, last = [], [], [], [], [], []
    for i in range(n):
        t, li, m = tl[i], ll[i], ml[i]
        tpl = TEMPLATES[t]
        here = around.get(li)
        if here is None:
            city, county, state = loc.city[li], loc.county[li], loc.state[li]
            where = city if state == city else f"{city}, {state}"
            code = LANGUAGES.get(loc.country_iso[li], "")
            here = (city, county, state, where, slug(city), slug(county), slug(state), code)
            around[li] = here
        city, county, state, where, city_s, county_s, state_s, code = here
        names.append(
            tpl.name.format(city=city, county=county, state=state, hood=HOODS[hl[i]], num=nl[i])
        )
        slugs.append(
            slug_formats[t].format(
                city=city_s, county=county_s, state=state_s, hood=hood_slugs[hl[i]], num=nl[i]
            )
        )
        topics = topics_of.get(m)
        if topics is None:
            topics = topics_of[m] = ", ".join(w for bit, w in word_of.items() if m >> bit & 1)
        says = tpl.blurbs[bl[i] % len(tpl.blurbs)]
        descriptions.append(f"{says} Based in {where}. Works on {topics}. {SAMPLE_NOTE}")
        kinds.append(str(tpl.kind))
        key: tuple[str, ...] = (
            (code, "es" if code == "en" else "en") if code and bil[i] else ((code,) if code else ())
        )
        value = language_value.get(key)
        if value is None:
            value = language_value[key] = languages_field.get_db_prep_save(list(key), connection)
        languages.append(value)
        last.append(day_value[dl[i]] if cl[i] else None)
    return {
        "lidx": lidx,
        "masks": masks,
        "name": names,
        "slug": slugs,
        "description": descriptions,
        "kind": kinds,
        "languages": languages,
        "last_confirmed_at": last,
        "status": [statuses[s] for s in sidx],
        "latitude": lat.tolist(),
        "longitude": lon.tolist(),
    }


@contextmanager
def _indexes_paused(tables: list[str], *, pause: bool) -> Iterator[None]:
    """Drop the tables' plain indexes for a bulk write and build them again afterwards.

    Building an index once over a million rows is several times faster than updating it a
    million times. Indexes that back constraints (primary keys, unique constraints declared
    as such on PostgreSQL) stay. On PostgreSQL the dropped indexes hold an exclusive lock on
    the tables until the transaction ends, so readers wait for the load to finish.
    """
    if not pause:
        yield
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "  # noqa: S608
                f"AND sql IS NOT NULL AND tbl_name IN ({marks})",
                tables,
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() "
                "AND tablename = ANY(%s) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [tables],
            )
        else:
            cursor.execute("SELECT 1 WHERE 1 = 0")
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        if indexes and connection.vendor == "postgresql":
            # PostgreSQL will not build an index while deferred foreign-key checks are queued
            # on the table: run them now, then defer again as Django expects.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for _name, sql in indexes:
            cursor.execute(sql)


@transaction.atomic
def sample_organizations_delete() -> int:
    """Delete every sample listing and, by cascade, its links and memberships; return how many."""
    ids = list(
        Organization.objects.filter(is_sample=True).order_by("id").values_list("id", flat=True)
    )
    if not ids:
        return 0
    # Indexes stay: PostgreSQL would index the deleted rows again on rebuild, as other
    # transactions still see them until this one commits.
    with search.triggers_paused():
        for start in range(0, len(ids), BATCH):
            # Deferring the fields keeps the deletion collector from loading whole rows.
            Organization.objects.filter(id__in=ids[start : start + BATCH]).only("id").delete()
    directory_touch()
    return len(ids)


@transaction.atomic
def sample_create(
    *, organizations: int, seed: int = 0, coalitions: int | None = None, replace: bool = False
) -> SampleResult:
    """Make `organizations` fictional listings and `coalitions` coalitions of them.

    `coalitions` defaults to one per hundred listings (at most 1,000). With `replace`, earlier
    sample listings are deleted first; otherwise new ones are added beside them.
    """
    if organizations < 0 or (coalitions is not None and coalitions < 0):
        raise SampleError("Counts cannot be negative.")
    result = SampleResult()
    lap = _stopwatch(result.seconds)
    if replace:
        result.deleted = sample_organizations_delete()
        lap("delete old samples")
    if organizations == 0:
        return result
    loc = localities_load()
    bits = dict(IssueArea.objects.values_list("slug", "bit"))
    area_by_bit = {bit: pk for pk, bit in IssueArea.objects.values_list("id", "bit")}
    rng = np.random.default_rng(seed)
    now = timezone.now()
    n = organizations
    lap("read places")
    rows = _organizations_generate(rng, loc, n, bits, now)
    lap("generate")
    ids = _reserve_ids(Organization, n)
    # The id in base 36 keeps slugs unique however many listings share a name.
    rows["slug"] = [f"{s}-{_base36(pk)}" for s, pk in zip(rows["slug"], ids.tolist(), strict=True)]
    lidx, masks = rows.pop("lidx"), rows.pop("masks")
    lap("reserve ids")
    given: dict[str, Sequence[Any]] = {
        "id": ids.tolist(),
        "home_place": loc.ids[lidx].tolist(),
        "place_lft": loc.lft[lidx].tolist(),
        "issue_mask": masks.tolist(),
        "is_sample": [True] * n,
        **rows,
    }
    del rows
    tables = [Organization._meta.db_table, Organization.issue_areas.through._meta.db_table]
    with (
        sqlite_page_cache(1000),
        search.triggers_paused(first_new_id=int(ids.min())),
        _indexes_paused(tables, pause=n >= INDEX_PAUSE_ROWS and connection.vendor == "postgresql"),
    ):
        _insert(Organization, given, n, now)
        lap("write organizations")
        result.organizations = n
        result.issue_links = _issue_links_insert(ids, masks, area_by_bit, now)
        lap("write issue areas")
        wanted = min(1000, max(3, n // 100)) if coalitions is None else coalitions
        if wanted:
            made = _coalitions_create(rng, loc, ids, lidx, masks, bits, wanted, now)
            result.coalitions, result.memberships = made
            lap("coalitions")
    lap("indexes")
    # Fresh statistics, or the planner may pick a table scan for a filter an index answers.
    search.analyze()
    lap("statistics")
    directory_touch()
    return result


def _stopwatch(into: dict[str, float]) -> Callable[[str], None]:
    last = [time.perf_counter()]

    def lap(label: str) -> None:
        t = time.perf_counter()
        into[label] = round(t - last[0], 2)
        last[0] = t

    return lap


# ---------------------------------------------------------------------------------------------
# Coalitions


@dataclass
class _Coalition:
    org: Organization
    level: str  # "city", "state" or "bioregion"
    theme: str
    lft: int  # where its home place sits in the tree
    members: list[int]  # organization ids, or -1-i for the i-th coalition made here


def _coalitions_create(
    rng: np.random.Generator,
    loc: Localities,
    ids: np.ndarray,
    lidx: np.ndarray,
    masks: np.ndarray,
    bits: dict[str, int],
    wanted: int,
    now: dt.datetime,
) -> tuple[int, int]:
    """City, state and bioregion coalitions of sample groups, with accepted memberships.

    A city coalition gathers groups of one town around one issue; a state network gathers the
    city coalitions of its state; a bioregional confederation gathers the state networks (and
    city coalitions of states without one) inside the region. Coalitions of coalitions, as
    the movement grows from the neighbourhood up.
    """
    themes = [(key, label) for key, label in COALITION_THEMES if key in bits]
    if not themes:
        return 0, 0
    label_of = dict(themes)
    bioregions = list(Place.objects.filter(kind=PlaceKind.BIOREGION).prefetch_related("members"))
    n_bio = min(len(bioregions) * len(themes), max(1 if bioregions else 0, wanted // 10))
    n_state = (wanted - n_bio) * 3 // 10
    n_city = wanted - n_bio - n_state
    made: list[_Coalition] = []

    # Towns with the most groups first; bigger towns get coalitions on more themes.
    order = np.argsort(lidx, kind="stable")
    sorted_l = lidx[order]
    counts = np.bincount(lidx, minlength=loc.ids.size)
    for c in np.argsort(-counts, kind="stable"):
        if len(made) >= n_city or counts[c] < 3:
            break
        lo, hi = np.searchsorted(sorted_l, [c, c + 1])
        here = order[lo:hi]
        for key, label in themes[: 1 + int(counts[c]) // 40]:
            with_issue = here[(masks[here] >> bits[key]) & 1 == 1]
            if with_issue.size < 3 or len(made) >= n_city:
                continue
            size = min(with_issue.size, int(rng.integers(3, 26)))
            pick = rng.choice(with_issue, size=size, replace=False)
            home = (int(loc.ids[c]), int(loc.lft[c]), float(loc.lat[c]), float(loc.lon[c]))
            org = _coalition_org(
                f"{loc.city[c]} {label} Coalition", f"groups in {loc.city[c]}", key, home, bits, now
            )
            made.append(_Coalition(org, "city", key, int(loc.lft[c]), ids[pick].tolist()))

    # States holding the most city coalitions of one theme first.
    states = {
        p.pk: p
        for p in Place.objects.filter(kind=PlaceKind.STATE).only(
            "id", "name", "lft", "rgt", "latitude", "longitude"
        )
    }
    state_at = {int(loc.lft[c]): loc.state_id[c] for c in range(loc.ids.size)}
    groups: dict[tuple[int, str], list[int]] = {}
    for i, co in enumerate(made):
        st = state_at.get(co.lft)
        if st in states:
            groups.setdefault((st, co.theme), []).append(i)  # type: ignore[arg-type]
    state_ranges: list[tuple[int, int]] = []
    for (st, key), members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if n_state <= 0:
            break
        s = states[st]
        who = f"coalitions and groups across {s.name}"
        at = (s.pk, s.lft, s.latitude, s.longitude)
        org = _coalition_org(f"{s.name} {label_of[key]} Network", who, key, at, bits, now)
        made.append(_Coalition(org, "state", key, s.lft, [-1 - i for i in members]))
        state_ranges.append((s.lft, s.rgt))
        n_state -= 1

    # Bioregions: the region is not a home place of its own, so the confederation lives in
    # the home of its biggest member.
    for region in bioregions:
        ranges = [(m.lft, m.rgt) for m in region.members.all()]
        for key, label in themes:
            if n_bio <= 0:
                break
            inside = [
                i
                for i, co in enumerate(made)
                if co.theme == key and any(a <= co.lft <= b for a, b in ranges)
            ]
            nets = [i for i in inside if made[i].level == "state"]
            covered = [r for r in state_ranges if any(made[i].lft == r[0] for i in nets)]
            alone = [
                i
                for i in inside
                if made[i].level == "city" and not any(a <= made[i].lft <= b for a, b in covered)
            ]
            chosen = nets + alone
            if len(chosen) < 2:
                continue
            h = made[max(chosen, key=lambda i: len(made[i].members))].org
            where = (h.home_place_id, h.place_lft, h.latitude, h.longitude)
            who = f"networks across {region.name}"
            org = _coalition_org(f"{region.name} {label} Confederation", who, key, where, bits, now)
            made.append(
                _Coalition(org, "bioregion", key, h.place_lft or 0, [-1 - i for i in chosen])
            )
            n_bio -= 1

    if not made:
        return 0, 0
    new_ids = _reserve_ids(Organization, len(made)).tolist()
    for co, pk in zip(made, new_ids, strict=True):
        co.org.pk = pk
        co.org.slug = f"{slugify(co.org.name)[:100]}-{_base36(pk)}"
    Organization.objects.bulk_create([co.org for co in made], batch_size=1000)
    area_by_bit = {bit: pk for pk, bit in IssueArea.objects.values_list("id", "bit")}
    masks_new = np.array([co.org.issue_mask for co in made], dtype=np.int64)
    _issue_links_insert(np.array(new_ids, dtype=np.int64), masks_new, area_by_bit, now)
    membership = apps.get_model(
        "coalitions", "Membership"
    )  # looked up, not imported: coalitions sits above directory
    links = [
        membership(
            coalition_id=co.org.pk,
            member_id=made[-1 - m].org.pk if m < 0 else m,
            status="active",
            decided_at=now,
        )
        for co in made
        for m in co.members
    ]
    membership.objects.bulk_create(links, batch_size=5000)
    return len(made), len(links)


def _coalition_org(
    name: str,
    who: str,
    theme: str,
    home: tuple[int | None, int | None, float | None, float | None],
    bits: dict[str, int],
    now: dt.datetime,
) -> Organization:
    place_id, lft, lat, lon = home
    return Organization(
        name=name,
        kind=OrganizationKind.COALITION,
        description=(
            f"A coalition of {who} working on {theme.replace('-', ' ')}: planning campaigns "
            f"together and sending delegates to wider assemblies. {SAMPLE_NOTE}"
        ),
        issue_mask=1 << bits[theme],
        home_place_id=place_id,
        place_lft=lft,
        latitude=lat,
        longitude=lon,
        status=OrganizationStatus.ACTIVE,
        last_confirmed_at=now,
        is_sample=True,
    )
