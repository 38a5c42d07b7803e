"""Model instances from one fixed, hand-written SELECT: for the few lookups on every request.

Why: the ORM compiles a queryset's SQL afresh on each evaluation; for a join of several
models (a select_related of four) that compilation costs more CPU than the database
spends answering (bench/checkin_profile, bench/entry_profile). Here the column list is
built once per process from the models' own fields, the statement is parameterised, and
each value goes through the converters the ORM itself would apply (SQLite's datetimes,
for one), so the instances are the ones a queryset would have built.
"""

import functools

from django.db import connection


def columns(alias: str, model) -> str:
    """``alias."col", …`` for every concrete field of ``model``, in the model's order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


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
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def instances(row: tuple, *models) -> tuple[list, tuple]:
    """Split ``row`` (the columns of ``models`` in turn, as ``columns`` lists them, then
    anything else) into one instance per model; a model whose columns are all NULL (the
    far side of a LEFT JOIN that found nothing) gives None. Returns (instances, the rest)."""
    built, at = [], 0
    for model in models:
        names, converters = _readers(model)
        values = list(row[at : at + len(names)])
        at += len(names)
        if all(value is None for value in values):
            built.append(None)
            continue
        for index, (column, steps) in enumerate(converters):
            for convert in steps:
                values[index] = convert(values[index], column, connection)
        built.append(model.from_db(connection.alias, names, values))
    return built, row[at:]
