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

The writes every request makes (the history row, the order's changed fields, the statuses a
cancel sets) are compiled the same way: ``CompiledUpdate`` is a ``QuerySet.update`` of a fixed
shape, ``CompiledInsert`` the ``INSERT`` of ``Model.save`` for a new row, and ``save_fields``
is ``Model.save(update_fields=...)``. Their SQL is the ORM's own, compiled once with slots where
the values go; each value is converted for its column by its field at every run, as the ORM
converts it. They send no model signals, so they refuse models that have receivers.
"""

import contextlib
import functools
import inspect
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import DatabaseError, connections, transaction
from django.db.models import Expression, Model, QuerySet
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery, UpdateQuery
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
        with _cursor(connection) as cursor:
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


class _Slot(Expression):
    """Where one value of a compiled write goes: it compiles to a parameter that is itself, so
    its position among the statement's parameters can be found after compiling."""

    def __init__(self, field=None):
        super().__init__(output_field=field)
        self.target = field

    # Never a copy (the ORM copies expressions as it resolves, relabels and clones queries):
    # the slot is found again among the parameters by identity.
    def resolve_expression(self, *args, **kwargs):
        return self

    def relabeled_clone(self, change_map):
        return self

    def copy(self):
        return self

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def as_sql(self, compiler, connection):
        return "%s", [self]

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)


@dataclass(frozen=True)
class _CompiledWrite:
    sql: str
    params: tuple
    slots: tuple[tuple[int, object], ...]  # (position in params, field converting the value)


def _refuse_signals(model) -> None:
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        raise TypeError(
            f"{model._meta.label} has save signal receivers, which a compiled write would not "
            "call: save it through the ORM"
        )


def _compile_write(sql: str, params, slots: list[_Slot], using: str) -> _CompiledWrite:
    params = list(params)
    positions = []
    for slot in slots:
        found = [i for i, param in enumerate(params) if param is slot]
        if len(found) != 1:
            raise ValueError(f"a value appears {len(found)} times in the statement, not once")
        positions.append(found[0])
    if not all(
        any(param is slot for slot in slots) for param in params if isinstance(param, _Slot)
    ):
        raise ValueError("the statement has a slot that is not one of its values")
    connection = connections[using]
    if connection.vendor == "postgresql":
        sql, params, positions = _with_constants_inlined(sql, params, positions, connection)
    return _CompiledWrite(
        sql=sql,
        params=tuple(params),
        slots=tuple(
            (position, slot.target) for position, slot in zip(positions, slots, strict=True)
        ),
    )


def _bound(compiled: _CompiledWrite, values, connection) -> list:
    """The statement's parameters with ``values`` in their slots, each converted by its field
    as the ORM converts a value it saves (a model instance for a foreign key included)."""
    params = list(compiled.params)
    for (position, field), value in zip(compiled.slots, values, strict=True):
        if field is not None:
            if field.remote_field is not None and hasattr(value, "prepare_database_save"):
                value = value.prepare_database_save(field)
            value = field.get_db_prep_save(value, connection=connection)
        params[position] = value
    return params


class _PerDatabase:
    def __init__(self):
        self._compiled: dict[str, _CompiledWrite] = {}
        self._lock = threading.Lock()

    def compiled(self, using: str) -> _CompiledWrite:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using)
                if compiled is None:
                    compiled = self._compiled[using] = self._compile(using)
        return compiled


class CompiledUpdate(_PerDatabase):
    """``build(*arguments).update(**values)`` compiled once per database.

    ``build`` receives one slot per parameter it declares and returns the queryset to change;
    a slot stands for a filter value, which ``run`` passes to the database as given (of the
    column's type, as ``CompiledQuery``'s arguments). ``fields`` are the fields set: ``run``
    takes their values by name and converts each as ``QuerySet.update`` would. A value that is
    the same on every run (a status set by a cancel) belongs in ``build``'s filters or in
    ``constants``, which are compiled into the statement. Returns the number of rows changed.
    """

    def __init__(
        self,
        build: Callable[..., QuerySet],
        fields: Sequence[str],
        constants: dict | None = None,
    ):
        super().__init__()
        self._build = build
        self._arguments = len(inspect.signature(build).parameters)
        self._fields = tuple(fields)
        self._constants = dict(constants or {})

    def run(self, *arguments, using: str = "default", **values) -> int:
        if len(arguments) != self._arguments:
            raise TypeError(f"expected {self._arguments} arguments, got {len(arguments)}")
        if set(values) != set(self._fields):
            raise TypeError(f"expected values for {sorted(self._fields)}, got {sorted(values)}")
        compiled = self.compiled(using)
        _refuse_signals(self._model)  # a receiver may have been connected since compiling
        connection = connections[using]
        ordered = [*arguments, *(values[name] for name in self._fields)]
        with transaction.mark_for_rollback_on_error(using), _cursor(connection) as cursor:
            cursor.execute(compiled.sql, _bound(compiled, ordered, connection))
            return cursor.rowcount

    def _compile(self, using: str) -> _CompiledWrite:
        filter_slots = [_Slot() for _ in range(self._arguments)]
        queryset = self._build(*filter_slots)
        self._model = queryset.model
        _refuse_signals(queryset.model)
        meta = queryset.model._meta
        value_slots = {name: _Slot(meta.get_field(name)) for name in self._fields}
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values({**self._constants, **value_slots})
        query.annotations = {}
        compiler = query.get_compiler(using)
        sql, params = compiler.as_sql()
        if query.get_related_updates():
            raise ValueError("a compiled update changes one table only")
        return _compile_write(sql, params, [*filter_slots, *value_slots.values()], using)


class CompiledInsert(_PerDatabase):
    """``Model.save()`` of a new row, compiled once per database: ``run(instance)`` inserts
    the instance's concrete fields (its primary key from the database) as the ORM's own insert
    does, ``pre_save`` included, and sets its primary key."""

    def __init__(self, model: type[Model]):
        super().__init__()
        self._model = model
        meta = model._meta
        self._fields = [
            field
            for field in meta.local_concrete_fields
            if not field.generated and field is not meta.auto_field
        ]

    def run(self, instance: Model, *, using: str = "default") -> Model:
        if type(instance) is not self._model:
            raise TypeError(f"expected a {self._model._meta.label}, got {type(instance)!r}")
        if not instance._state.adding:
            raise ValueError("the instance is already saved")
        compiled = self.compiled(using)
        _refuse_signals(self._model)  # a receiver may have been connected since compiling
        connection = connections[using]
        values = [field.pre_save(instance, add=True) for field in self._fields]
        with transaction.mark_for_rollback_on_error(using), _cursor(connection) as cursor:
            cursor.execute(compiled.sql, _bound(compiled, values, connection))
            meta = self._model._meta
            if connection.features.can_return_columns_from_insert:
                pk = cursor.fetchone()[0]
            else:
                pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
        instance.pk = meta.pk.to_python(pk)
        instance._state.adding = False
        instance._state.db = using
        return instance

    def _compile(self, using: str) -> _CompiledWrite:
        _refuse_signals(self._model)
        slots = [_Slot(field) for field in self._fields]
        row = self._model()
        for field, slot in zip(self._fields, slots, strict=True):
            setattr(row, field.attname, slot)
        query = InsertQuery(self._model)
        # raw: the compiler takes the slots as they are, without the fields' pre_save (which
        # for an auto_now field would put the time of compiling in a slot's place); run()
        # calls pre_save itself on every insert.
        query.insert_values(self._fields, [row], raw=True)
        compiler = query.get_compiler(using)
        compiler.returning_fields = [self._model._meta.pk]
        statements = compiler.as_sql()
        if len(statements) != 1:
            raise ValueError("an insert of one row compiled to more than one statement")
        sql, params = statements[0]
        return _compile_write(sql, params, slots, using)


_SAVES: dict[tuple, tuple[CompiledUpdate, tuple]] = {}  # (model, fields) -> (update, fields)


def save_fields(instance: Model, fields: Sequence[str], *, using: str = "default") -> None:
    """``instance.save(update_fields=fields)`` through a statement compiled once per model and
    set of fields. Raises ``DatabaseError``, as ``save`` does, when no row was changed; with no
    fields, does nothing, as ``save`` does."""
    if not fields:
        return
    model = type(instance)
    key = (model, tuple(fields))
    found = _SAVES.get(key)
    if found is None:
        model_fields = tuple(model._meta.get_field(name) for name in fields)
        update = CompiledUpdate(
            lambda pk: model._base_manager.filter(pk=pk), [f.attname for f in model_fields]
        )
        found = _SAVES.setdefault(key, (update, model_fields))
    update, model_fields = found
    values = {field.attname: field.pre_save(instance, add=False) for field in model_fields}
    if not update.run(instance.pk, using=using, **values):
        raise DatabaseError("Save with update_fields did not affect any rows.")


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


@contextlib.contextmanager
def _cursor(connection):
    """A cursor of ``connection`` (Django's wrapper, which times, logs and wraps errors as
    usual) that prepares its statement on the server where the connection prepares statements
    (settings: ``DB_PREPARE_STATEMENTS``, which sets psycopg's ``prepare_threshold``).

    There it runs the statement through a psycopg cursor that binds the parameters on the
    server and prepares the statement: psycopg keeps it prepared on the connection, and the
    next execution of the same text skips the planning. That psycopg cursor is made once per
    database connection and reused, as these statements are the most frequent of all.
    """
    if connection.vendor == "postgresql":
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        raw = connection.connection
        if getattr(raw, "prepare_threshold", None) is not None:
            kept = getattr(connection, "_labsite_preparing_cursor", None)
            if kept is None or kept[0] is not raw or kept[1].closed:
                kept = (raw, _preparing_cursor_class()(raw))
                connection._labsite_preparing_cursor = kept
            with connection.wrap_database_errors:
                wrapped = connection._prepare_cursor(kept[1])
            yield wrapped
            return
    with connection.cursor() as cursor:
        yield cursor


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
