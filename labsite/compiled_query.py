"""Queries of a fixed shape, compiled to SQL once and then run with new values.

For a lookup by one indexed column, building the queryset and compiling it to SQL cost more
than the database's work: Django compiles again on every evaluation. The requests that every
client sends most (an order by its number, tray or PO number) therefore compile their statement
once per database and reuse its text.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: tuple[int, ...]  # where each argument goes in ``params``
    converters: dict  # column position -> (converter functions, expression), as Django's


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
        params = list(compiled.params)
        for position, argument in zip(compiled.positions, arguments, strict=True):
            params[position] = argument
        connection = connections[using]
        with connection.cursor() as cursor:
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
            columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
            compiled = _Compiled(
                sql=sql,
                params=tuple(params),
                positions=tuple(positions),
                converters=compiler.get_converters(columns),
            )
            self._compiled[using] = compiled
            return compiled


def _converted(row: tuple, converters: dict, connection) -> tuple:
    values = list(row)
    for position, (functions, expression) in converters.items():
        value = values[position]
        for convert in functions:
            value = convert(value, expression, connection)
        values[position] = value
    return tuple(values)
