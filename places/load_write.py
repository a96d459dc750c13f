"""Writing planned places: numbered for the tree before they are written, inserted with
prepared statements or COPY, updated in bulk."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from django.db import connection
from django.utils.text import slugify

from places.geocoder import normalize
from places.load_common import (
    LoadReport,
    Spec,
    _norm,
)
from places.models import OVERLAY_KINDS, Place, PlaceKind
from places.services import (
    place_rows_update,
    tree_numbers,
    tree_renumbered_notify,
)

# --------------------------------------------------------------------------- writing


_NUMBERS = ("lft", "rgt", "depth")
_FIELDS = (
    "kind",
    "name",
    "search_name",
    "iso_code",
    "source_ref",
    "parent_id",
    "latitude",
    "longitude",
    "population",
    "alternate_names",
)


def _slug_for(spec: Spec, search_name: str, taken: set[str]) -> str:
    # Normalized names are already lower-case words; slugify only what is not plain ASCII.
    parts = [_norm(p) for p in spec.slug_parts[:-1]]
    base = "-".join(" ".join([*parts, search_name]).split())
    if not base.isascii() or not base.replace("-", "").isalnum():
        base = slugify(base)
    base = base[:110].strip("-")
    if not base:
        base = slugify(spec.key.replace(":", "-"))[:110]
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _existing_key(kind: str, iso_code: str, source_ref: str) -> str | None:
    """The key a stored place answers to: its source, else its ISO code (places made before
    loading, such as a hand-made country, are adopted rather than doubled)."""
    if source_ref:
        return source_ref
    if iso_code:
        return f"iso:{iso_code}"
    if kind == PlaceKind.WORLD:
        return "world"
    return None


def _new_ids(count: int) -> list[int]:
    """Ids for rows we insert ourselves, so children can point at parents without a
    round trip per row."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Place._meta.db_table, count],
            )
            return [int(r[0]) for r in cursor.fetchall()]
        # SQLite: the load runs in one write transaction, so nobody else can take these.
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(Place._meta.db_table)}")
        top = cursor.fetchone()[0] or 0
        return list(range(top + 1, top + 1 + count))


def _insert_rows(rows: list[dict[str, Any]]) -> None:
    """INSERT many places with a prepared statement (bulk_create spends most of a world load
    building SQL)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    columns = list(Place._meta.concrete_fields)
    defaults = {f.attname: f.get_default() for f in columns}
    names = ", ".join(qn(str(f.column)) for f in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {qn(Place._meta.db_table)} ({names}) VALUES ({marks})"
    row_of = itemgetter(*(f.attname for f in columns))
    params = [row_of({**defaults, **row}) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is several times faster than INSERTs for a whole world.
            copy_sql = f"COPY {qn(Place._meta.db_table)} ({names}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for values in params:
                    copy.write_row(values)
            return
        for start in range(0, len(params), 5000):
            cursor.executemany(sql, params[start : start + 5000])


def write_specs(
    specs: dict[str, list[Spec]], report: LoadReport, log: Callable[[str], None]
) -> None:
    """Create or update the places, numbered for the tree (lft/rgt/depth) before they are
    written, so a load needs one pass over the table instead of inserting and renumbering."""
    # Tuples straight from the cursor: building 200k dicts through the ORM costs seconds.
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f) for f in ("id", *_FIELDS, *_NUMBERS))
    overlay = ", ".join(f"'{k}'" for k in OVERLAY_KINDS)
    existing: dict[str, tuple[Any, ...]] = {}
    tree: dict[int, tuple[int | None, str]] = {}  # every tree place: id → (parent id, name)
    stored: dict[int, tuple[Any, ...]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {qn(Place._meta.db_table)} WHERE kind NOT IN ({overlay})"
        )
        for row in cursor.fetchall():
            tree[row[0]] = (row[6], row[2])
            stored[row[0]] = row
            key = _existing_key(row[1], row[4], row[5])
            if key and key not in existing:
                existing[key] = row
    taken = set(Place.objects.values_list("slug", flat=True))
    ids: dict[str, int] = {k: r[0] for k, r in existing.items()}
    fresh = iter(_new_ids(sum(1 for kind in specs.values() for s in kind if s.key not in ids)))
    wanted: dict[int, dict[str, Any]] = {}
    for kind in ("world", "country", "state", "county", "locality"):
        created = 0
        for spec in specs[kind]:
            search_name = normalize(spec.name)[:200]
            values: dict[str, Any] = {
                "kind": str(spec.kind),
                "name": spec.name[:200],
                "search_name": search_name,
                "iso_code": spec.iso_code,
                "source_ref": spec.key,
                "parent_id": ids.get(spec.parent) if spec.parent else None,
                "latitude": spec.latitude,
                "longitude": spec.longitude,
                "population": spec.population,
                "alternate_names": "\n".join(spec.alternates),
            }
            row = existing.get(spec.key)
            if row is None:
                values["id"] = ids[spec.key] = next(fresh)
                values["slug"] = _slug_for(spec, search_name, taken)
                created += 1
            else:
                values["id"] = row[0]
            wanted[values["id"]] = values
            tree[values["id"]] = (values["parent_id"], values["name"])
        report.created[kind] += created
        report.total[kind] = len(specs[kind])
        log(f"{kind}: {len(specs[kind]):,} ({created:,} new)")

    numbers = tree_numbers((pk, parent, name) for pk, (parent, name) in tree.items())
    to_create: list[dict[str, Any]] = []
    to_update: list[tuple[Any, ...]] = []
    for pk, (lft, rgt, depth) in numbers.items():
        want = wanted.get(pk)
        row = stored.get(pk)
        if row is None:
            assert want is not None
            to_create.append({**want, "lft": lft, "rgt": rgt, "depth": depth})
            continue
        # Places the sources no longer mention keep their fields; only their numbers move.
        fields = tuple(want[f] for f in _FIELDS) if want else row[1:-3]
        moved = (lft, rgt, depth) != row[-3:]
        if fields != row[1:-3] or moved:
            to_update.append((*fields, lft, rgt, depth, pk))
            if want and fields != row[1:-3]:
                report.updated[want["kind"]] += 1
            report.renumbered += moved
    report.renumbered += len(to_create)
    _insert_rows(to_create)
    place_rows_update([*_FIELDS, *_NUMBERS], to_update)
    log(f"wrote {len(to_create):,} new and {len(to_update):,} changed places")
    if report.renumbered:
        tree_renumbered_notify(report.renumbered)
