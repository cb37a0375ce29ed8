"""Queries of a fixed shape, compiled to SQL once and then run with new values.

For a lookup by one indexed column, building the queryset and compiling it to SQL cost more
than the database's work: Django compiles again on every evaluation. The requests that every
client sends most (an order by its number, tray or PO number) therefore compile their statement
once per database and reuse its text.

On PostgreSQL the database then plans the same text again on every execution, which for a
statement that joins a few tables costs it more than running it. There these statements are
also prepared on the server (once per connection, by psycopg) and planned once for any
argument (``plan_cache_mode=force_generic_plan`` on labsite's connections), so they suit lookups
whose best plan does not depend on the argument's value; their constants are written into the
text, where the planner sees them. The setting ``DB_PREPARE_STATEMENTS`` turns preparing off,
for a connection pooler in transaction mode (PgBouncer before 1.21), which cannot keep prepared
statements. Only these statements are prepared; Django's own queries never are.
"""

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: tuple[int, ...]  # where each argument goes in ``params``
    converters: dict  # column position -> (converter functions, expression), as Django's
    for_update: bool  # SELECT ... FOR UPDATE: only inside a transaction


class CompiledQuery:
    """A ``values_list`` query compiled once per database, run with new arguments.

    ``build`` receives placeholder arguments and returns the queryset; it is called once per
    database alias. ``placeholders`` are values that appear nowhere else in the query's
    parameters (``rows`` raises at the first call otherwise). Each argument is passed to the
    database as given, so it must already be of the column's type. Rows come back as
    ``values_list`` gives them: tuples, with the fields' and the backend's conversions applied.
    """

    def __init__(self, build: Callable[..., QuerySet], *placeholders):
        self._build = build
        self._placeholders = placeholders
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def rows(self, *arguments, using: str = "default") -> list[tuple]:
        if len(arguments) != len(self._placeholders):
            raise TypeError(f"expected {len(self._placeholders)} arguments, got {len(arguments)}")
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        if (
            compiled.for_update
            and connection.get_autocommit()
            and (connection.features.has_select_for_update)
        ):
            # What Django checks while compiling, which happens here once only.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(compiled.params)
        for position, argument in zip(compiled.positions, arguments, strict=True):
            params[position] = argument
        with connection.cursor() as cursor:
            if _can_prepare(cursor):
                _prepare_on_the_server(cursor)
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not compiled.converters:
            return rows
        return [_converted(row, compiled.converters, connection) for row in rows]

    def _compile(self, using: str) -> _Compiled:
        with self._lock:
            if using in self._compiled:
                return self._compiled[using]
            queryset = self._build(*self._placeholders)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            positions = []
            for placeholder in self._placeholders:
                found = [i for i, param in enumerate(params) if param == placeholder]
                if len(found) != 1:
                    raise ValueError(
                        f"placeholder {placeholder!r} appears {len(found)} times in the "
                        "compiled parameters, not once"
                    )
                positions.append(found[0])
            if connections[using].vendor == "postgresql":
                sql, params, positions = _with_constants_inlined(
                    sql, params, positions, connections[using]
                )
            columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
            compiled = _Compiled(
                sql=sql,
                params=tuple(params),
                positions=tuple(positions),
                converters=compiler.get_converters(columns),
                for_update=queryset.query.select_for_update,
            )
            self._compiled[using] = compiled
            return compiled


_PLACEHOLDER_OR_PERCENT = re.compile(r"(%%|%s)")


def _with_constants_inlined(sql: str, params: list, positions: list[int], connection):
    """The statement with every parameter that is not an argument written into its text as a
    literal, its parameters (the arguments alone, in the order they appear) and the arguments'
    new positions.

    A prepared statement is planned once for all arguments; a constant left as a parameter
    would hide from that plan what the query's constants say (``state <> 'C'``, ``tray <> ''``),
    and partial indexes, whose conditions are such constants, could not be used.
    """
    from psycopg import sql as psycopg_sql

    connection.ensure_connection()
    arguments = sorted(positions)
    pieces = _PLACEHOLDER_OR_PERCENT.split(sql)
    written, index = [], 0
    for piece in pieces:
        if piece != "%s":
            written.append(piece)
            continue
        if index in arguments:
            written.append("%s")
        else:
            literal = psycopg_sql.Literal(params[index]).as_string(connection.connection)
            written.append(literal.replace("%", "%%"))
        index += 1
    if index != len(params):
        raise ValueError(f"the statement has {index} placeholders for {len(params)} parameters")
    return (
        "".join(written),
        [params[position] for position in arguments],
        [arguments.index(position) for position in positions],
    )


def _can_prepare(cursor) -> bool:
    """Whether ``cursor`` is on a psycopg connection that prepares statements (settings:
    ``DB_PREPARE_STATEMENTS``, which sets the connection's ``prepare_threshold``)."""
    return (
        getattr(getattr(cursor.cursor, "connection", None), "prepare_threshold", None) is not None
    )


def _prepare_on_the_server(cursor) -> None:
    """Make Django's ``cursor`` (a wrapper, which times, logs and wraps errors as usual) run its
    statement through a psycopg cursor that binds the parameters on the server and prepares the
    statement: psycopg keeps it prepared on the connection, and the next execution of the same
    text skips the planning."""
    client_cursor = cursor.cursor
    cursor.cursor = _preparing_cursor_class()(client_cursor.connection)
    client_cursor.close()


@functools.cache
def _preparing_cursor_class() -> type:
    # Imported here: the PostgreSQL backend needs psycopg, which an SQLite deployment may lack.
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor


def _converted(row: tuple, converters: dict, connection) -> tuple:
    values = list(row)
    for position, (functions, expression) in converters.items():
        value = values[position]
        for convert in functions:
            value = convert(value, expression, connection)
        values[position] = value
    return tuple(values)
