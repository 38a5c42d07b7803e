"""INSERTs built once per process from a model's columns, for rows written on every request.

Why: ``Model.save()`` compiles its INSERT afresh each time, which on the hot paths (an
audit row per page, the diary entry) costs more CPU than PostgreSQL spends writing the
row (bench/checkin_profile, bench/entry_profile). The values are prepared by each field
exactly as the ORM's INSERT compiler prepares them (``pre_save`` then
``get_db_prep_save``), so the stored row is the one ``save()`` would store.
On a database without ``INSERT … RETURNING`` through this path (anything but PostgreSQL
here), ``insert`` falls back to ``save()``.
"""

import functools

from django.db import connection


def supported() -> bool:
    return connection.vendor == "postgresql"


@functools.cache
def fields(model, leave_out: tuple[str, ...] = ()) -> list:
    """The columns an INSERT writes: every concrete field but the primary key."""
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in leave_out]


def column_list(model_fields) -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(f.column) for f in model_fields)


def values(instance, model_fields) -> list:
    # pre_save first: it fills auto_now_add fields as Model.save would.
    return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in model_fields]


@functools.cache
def _sql(model) -> str:
    quote = connection.ops.quote_name
    written = fields(model)
    placeholders = ", ".join(["%s"] * len(written))
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({column_list(written)}) "  # noqa: S608
        f"VALUES ({placeholders}) RETURNING {quote(model._meta.pk.column)}"
    )


def saved(instance, pk) -> None:
    """Mark ``instance`` as the stored row ``pk``, as ``save()`` leaves it."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias


def insert(instance) -> None:
    """Write ``instance`` (unsaved) as a new row and set its primary key."""
    model = type(instance)
    if not supported():
        instance.save(force_insert=True)
        return
    with connection.cursor() as cursor:
        cursor.execute(_sql(model), values(instance, fields(model)))
        (pk,) = cursor.fetchone()
    saved(instance, pk)
