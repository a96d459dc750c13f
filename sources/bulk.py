"""Plain multi-row INSERTs and UPDATEs for imports of hundreds of thousands of rows.

Django's bulk_create and bulk_update build model instances and one big statement per batch;
at import scale that costs more than the database work itself. These helpers send one
prepared statement with many parameter rows instead. Every concrete column is written, with
the field's default where the row says nothing, so columns added later need no change here.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models

BATCH = 1000
_PREPARED = (
    models.JSONField,
    models.DateTimeField,
    models.DateField,
    models.TimeField,
    models.DecimalField,
    models.UUIDField,
    models.DurationField,
)
_MISSING = object()


def _prep(field: models.Field[Any, Any]) -> Any:
    if isinstance(field, models.JSONField):
        # What JSONField does per value, without its per-call lookups.
        adapt_json = connection.ops.adapt_json_value
        encoder = field.encoder
        return lambda value: adapt_json(value, encoder)
    if isinstance(field, _PREPARED):
        memo: dict[Any, Any] = {}

        def prep(value: Any) -> Any:
            # Imports stamp thousands of rows with the same instant: adapt it once.
            if value not in memo:
                if len(memo) > 1000:
                    memo.clear()
                memo[value] = field.get_db_prep_save(value, connection)
            return memo[value]

        return prep
    return None


def insert(model: type[models.Model], rows: Iterable[dict[str, Any]], *, now: datetime) -> int:
    """Insert rows given as {attname: value}; returns how many."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    defaults: dict[str, Any] = {}
    stamped = set()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
            stamped.add(f.attname)
        elif f.has_default():
            defaults[f.attname] = f.get_default()
        elif f.null:
            defaults[f.attname] = None
        else:
            defaults[f.attname] = _MISSING
    getters = [(f.attname, defaults[f.attname]) for f in fields]
    preps = [(i, p) for i, f in enumerate(fields) if (p := _prep(f)) is not None]
    stamps = [i for i, f in enumerate(fields) if f.attname in stamped]
    required = [(i, f.attname) for i, f in enumerate(fields) if defaults[f.attname] is _MISSING]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(str(f.column)) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    count = 0
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            values = [row.get(name, default) for name, default in getters]
            for i in stamps:
                if values[i] is None:
                    values[i] = now
            for i, name in required:
                if values[i] is _MISSING:
                    raise ValueError(f"{model.__name__}.{name} needs a value")
            for i, prep in preps:
                if values[i] is not None:
                    values[i] = prep(values[i])
            batch.append(values)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def update(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """UPDATE by primary key: each row holds the values of `names` (attnames), then the pk."""
    meta = model._meta
    fields: list[Any] = [meta.get_field(n) for n in names]
    preps = [_prep(f) for f in fields]
    quote = connection.ops.quote_name
    pk: Any = meta.pk
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(pk.column),
    )
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            values = [
                p(v) if p is not None and v is not None else v
                for p, v in zip(preps, row, strict=False)
            ]
            values.append(row[-1])
            batch.append(values)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
