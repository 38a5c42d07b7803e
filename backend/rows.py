"""Rows read and written through SQL built once per process, for the statements of every request.

Why: the ORM compiles a statement afresh each time. ``Model.save()`` does for its INSERT,
a queryset for its SELECT (a select_related of four models most of all), and on the hot
paths (an audit row per page, the diary entry, the web check-in's lookups) that costs more
CPU than PostgreSQL spends on the row (bench/checkin_profile, bench/entry_profile). Here:

- the column lists come from the models' own fields (``columns``);
- an INSERT's values are prepared by each field as the ORM's INSERT compiler prepares
  them (``pre_save`` then ``get_db_prep_save``), so the stored row is the one ``save()``
  would store (``values``, ``insert``);
- a SELECT's values go through the converters the ORM itself would apply (SQLite's
  datetimes, for one), so the instances are the ones a queryset would have built
  (``instances``).

``INSERT … RETURNING`` through this path is PostgreSQL's only (``supported``); elsewhere
``insert`` falls back to ``save()``.
"""

import contextlib
import functools

import psycopg
from django.db import connection, models


def supported() -> bool:
    return connection.vendor == "postgresql"


def prepares() -> bool:
    """Whether ``cursor`` prepares its statements on the server: on PostgreSQL, when a
    connection outlives a request (``CONN_MAX_AGE`` or Django's pool; preparing for one
    request would cost a round trip more) and psycopg may prepare at all (``OPTIONS``
    ``prepare_threshold`` not None: backend/settings_sections/database.py sets it unless
    ``PREPARED_HOT_STATEMENTS`` is off)."""
    database = connection.settings_dict
    options = database.get("OPTIONS", {})
    persistent = database["CONN_MAX_AGE"] != 0 or options.get("pool")
    return supported() and bool(persistent) and options.get("prepare_threshold") is not None


@contextlib.contextmanager
def cursor():
    """A cursor for the statements of every request (an entry's block, its INSERT).

    Why: Django binds parameters on the client (``server_side_binding`` off) and psycopg
    prepares nothing (``prepare_threshold`` None by Django's default), so PostgreSQL
    parses and plans each statement afresh: for the entry's statement more database CPU
    than writing its rows (bench/entry_profile --compare). This cursor binds on the
    server and prepares each statement the first time a connection runs it, for that
    connection's life; psycopg keeps the names (at most ``prepared_max``, 100, per
    connection). Only these few statements take this path, not every query.

    Elsewhere (SQLite, a connection per request, preparing off) and while queries are
    logged (DEBUG, a test capturing them: the log shows each statement with its values)
    it is Django's own cursor."""
    if not prepares() or connection.queries_logged:
        with connection.cursor() as plain:
            yield plain
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.make_cursor(_PreparingCursor(connection.connection)) as wrapped:
        yield wrapped


class _PreparingCursor(psycopg.Cursor):
    """psycopg's server-binding cursor, each statement prepared on its first run."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def columns(model, alias: str = "", *, fields=None) -> str:
    """``"col", …`` for ``fields`` (every concrete field of ``model`` unless given), in
    that order; each prefixed ``alias.`` when an alias is given."""
    quote, prefix = connection.ops.quote_name, f"{alias}." if alias else ""
    chosen = model._meta.concrete_fields if fields is None else fields
    return ", ".join(f"{prefix}{quote(f.column)}" for f in chosen)


# --- INSERTs -------------------------------------------------------------------------


@functools.cache
def insert_fields(model, leave_out: tuple[str, ...] = ()) -> list:
    """The columns an INSERT writes: every concrete field but the primary key."""
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in leave_out]


def values(instance, leave_out: tuple[str, ...] = ()) -> list:
    """What the ORM's INSERT would send for ``instance``: its ``insert_fields``, in order."""
    return [prepare(instance) for prepare in _preparers(type(instance), leave_out)]


@functools.cache
def _preparers(model, leave_out: tuple[str, ...]) -> list:
    return [_preparer(field) for field in insert_fields(model, leave_out)]


# Django's own fields whose get_db_prep_save gives back a value of these types unchanged
# (their to_python returns it as it is). A value of any other type (a lazy string, 1 for a
# boolean, an expression) takes the field's whole path.
_AS_IS = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
}


def _preparer(field):
    """``field.get_db_prep_save(field.pre_save(instance, add=True))`` for an instance,
    without the calls where they change nothing: this runs for every column of every
    entry and audit row (bench/entry_profile), the ORM's path for a field costing a few
    microseconds even for a NULL."""
    pre_save = type(field).pre_save
    plain_read = pre_save is models.Field.pre_save or (
        # A date's pre_save only fills auto_now / auto_now_add; else it reads the attribute.
        pre_save in (models.DateField.pre_save, models.DateTimeField.pre_save)
        and not (field.auto_now or field.auto_now_add)
    )
    if not plain_read:

        def prepare(instance):
            # pre_save first: it fills auto_now_add fields as Model.save would.
            return field.get_db_prep_save(field.pre_save(instance, True), connection)

        return prepare

    attname, as_is = field.attname, _AS_IS.get(type(field), ())
    # NULL is NULL for Django's own fields; asked of the field once, not assumed.
    null_as_is = type(field).__module__.startswith("django.db.models.") and (
        field.get_db_prep_save(None, connection) is None
    )

    def prepare(instance):
        value = getattr(instance, attname)
        if value is None:
            return None if null_as_is else field.get_db_prep_save(value, connection)
        if as_is and isinstance(value, as_is):
            return value
        return field.get_db_prep_save(value, connection)

    return prepare


@functools.cache
def _insert_sql(model) -> str:
    quote = connection.ops.quote_name
    written = insert_fields(model)
    placeholders = ", ".join(["%s"] * len(written))
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns(model, fields=written)}) "  # noqa: S608
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
        cursor.execute(_insert_sql(model), values(instance))
        (pk,) = cursor.fetchone()
    saved(instance, pk)


# --- SELECTs -------------------------------------------------------------------------


@functools.cache
def _readers(model) -> tuple[list[str], list]:
    names, converters = [], []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        names.append(field.attname)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        converters.append((column, found))
    return names, converters


def fetch_one(sql: str, params: list) -> tuple | None:
    with cursor() as hot:
        hot.execute(sql, params)
        return hot.fetchone()


def instances(row: tuple, *models) -> tuple[list, tuple]:
    """Split ``row`` (the columns of ``models`` in turn, as ``columns`` lists them, then
    anything else) into one instance per model; a model whose columns are all NULL (the
    far side of a LEFT JOIN that found nothing) gives None. Returns (instances, the rest)."""
    built, at = [], 0
    for model in models:
        names, converters = _readers(model)
        found = list(row[at : at + len(names)])
        at += len(names)
        if all(value is None for value in found):
            built.append(None)
            continue
        for index, (column, steps) in enumerate(converters):
            for convert in steps:
                found[index] = convert(found[index], column, connection)
        built.append(model.from_db(connection.alias, names, found))
    return built, row[at:]
