"""NData: the query-string language of the Orders API, parsed into a typed query.

``parse_query`` turns the parameters of a request into an ``NDataQuery`` against a declared
table of ``Member`` s; ``NDataQuery.apply`` turns it into Django ORM filters and ordering.
Anything malformed raises ``NDataError`` listing every problem with the parameter it is in:
nothing is guessed, nothing is ignored.

Grammar (the contract's, with its case rules):

- ``$skip=N``, ``$take=N``: non-negative integers; ``$take`` at most ``max_take``.
- ``$count=true|false``: only count the matches.
- ``$sort=key[:asc|:desc],-key,...``: ``-key`` is ``key:desc``; a repeated key counts once.
- ``MEMBER=OP:ARG[:ARG...][;OP:ARG...]``: operations AND together, and so do repeated
  parameters of one member. A bare value (``number=5``) is ``eq:5``.
- Escapes inside an argument: ``\\:`` ``\\;`` ``\\\\``. A one-argument operation on a date-time
  member takes the rest of the operation as its argument, so its colons need no escaping.

Parameter names, sort keys and directions, operators, booleans and enum values are
case-insensitive; other values are taken as written.
"""

import enum
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


class Kind(enum.Enum):
    INT = "integer"
    BOOL = "boolean"
    STRING = "string"
    DATETIME = "date-time"
    ENUM = "enum"
    UUID = "uuid"


# Operator -> (least, most) number of arguments; None means no upper bound.
ARITY: dict[str, tuple[int, int | None]] = {
    **dict.fromkeys(("eq", "ne", "gt", "ge", "lt", "le"), (1, 1)),
    **dict.fromkeys(("in", "nin"), (1, None)),
    **dict.fromkeys(("contains", "startswith", "endswith"), (1, 1)),
    **dict.fromkeys(("null", "notnull"), (0, 0)),
    "between": (2, 2),
}

COMPARISON = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "in", "nin", "between"})
TEXT_SEARCH = frozenset({"contains", "startswith", "endswith"})
EQUALITY = frozenset({"eq", "ne", "in", "nin"})
NULLNESS = frozenset({"null", "notnull"})

# Which operators each kind of value supports (before nullness, which depends on the member).
OPERATORS_BY_KIND: dict[Kind, frozenset[str]] = {
    Kind.INT: COMPARISON,
    Kind.DATETIME: COMPARISON,
    Kind.STRING: COMPARISON | TEXT_SEARCH,
    Kind.BOOL: frozenset({"eq", "ne"}),
    Kind.ENUM: EQUALITY,
    Kind.UUID: EQUALITY,
}

SKIP, TAKE, SORT, COUNT = "$skip", "$take", "$sort", "$count"
PAGING_PARAMETERS = (SKIP, TAKE, SORT, COUNT)

INT_RANGE = (-(2**63), 2**63 - 1)
MAX_ARGUMENTS = 1000
MAX_PARAMETER_LENGTH = 4000
# The largest ``$skip``: beyond any row count, and keeps OFFSET within 64 bits.
MAX_SKIP = 999_999_999_999_999_999
_INT_RE = re.compile(r"[+-]?[0-9]{1,19}")


@dataclass(frozen=True)
class Member:
    """A filterable (and usually sortable) member of the resource.

    ``field`` is the ORM path compared against. A boolean member computed from other fields
    gives ``truth`` (the Q meaning "true") instead. ``empty_is_null``: the field stores
    "no value" as an empty string, which the wire shows as null.
    """

    name: str
    kind: Kind
    field: str | None = None
    nullable: bool = False
    empty_is_null: bool = False
    sortable: bool = True
    choices: tuple[str, ...] = ()
    truth: Q | None = None
    description: str = ""

    @property
    def operators(self) -> tuple[str, ...]:
        allowed = OPERATORS_BY_KIND[self.kind] | (NULLNESS if self.nullable else frozenset())
        return tuple(op for op in ARITY if op in allowed)


@dataclass(frozen=True)
class Problem:
    parameter: str
    message: str
    code: str = "invalid"


class NDataError(Exception):
    """The query is malformed. ``problems`` name the parameter of each mistake."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.parameter}: {p.message}" for p in problems))


@dataclass(frozen=True)
class Operation:
    member: Member
    operator: str
    arguments: tuple[Any, ...]


@dataclass(frozen=True)
class SortKey:
    member: Member
    descending: bool


@dataclass
class NDataQuery:
    skip: int = 0
    take: int = 1000
    count_only: bool = False
    sort: list[SortKey] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)

    def filter(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` narrowed by every operation (AND)."""
        condition = Q()
        for operation in self.operations:
            condition &= operation_q(operation)
        return queryset.filter(condition) if condition else queryset

    def ordering(self, *, tiebreak: Member, unique: Iterable[str] = ()) -> list:
        """ORM ordering for the sort keys, ending with ``tiebreak`` unless a unique key is
        already sorted on, so that every page boundary falls at the same place each time."""
        unique_names = {tiebreak.name, *unique}
        order = [
            F(key.member.field).desc() if key.descending else F(key.member.field).asc()
            for key in self.sort
        ]
        if not any(key.member.name in unique_names for key in self.sort):
            order.append(F(tiebreak.field).asc())
        return order


# --- parsing ----------------------------------------------------------------------------------


def parse_query(
    params: Iterable[tuple[str, str]],
    members: Iterable[Member],
    *,
    default_sort: str = "",
    default_take: int = 1000,
    max_take: int = 1000,
) -> NDataQuery:
    """Parse ``(name, value)`` pairs (every value of every parameter, in order)."""
    by_name = {member.name.lower(): member for member in members}
    query = NDataQuery(take=default_take)
    problems: list[Problem] = []
    seen_paging: set[str] = set()
    sort_text = default_sort
    arguments = 0

    for raw_name, value in params:
        name = raw_name.lower()
        if len(value) > MAX_PARAMETER_LENGTH:
            problems.append(
                Problem(raw_name, f"is longer than {MAX_PARAMETER_LENGTH} characters", "too_long")
            )
            continue
        if name in PAGING_PARAMETERS:
            if name in seen_paging:
                problems.append(Problem(raw_name, "is given more than once", "repeated"))
                continue
            seen_paging.add(name)
            try:
                if name == SKIP:
                    query.skip = _non_negative(value)
                elif name == TAKE:
                    query.take = _non_negative(value, most=max_take)
                elif name == COUNT:
                    query.count_only = _boolean(value)
                else:
                    sort_text = value
                    if not value:
                        raise ValueError("must name at least one member")
            except ValueError as exc:
                problems.append(Problem(raw_name, str(exc)))
            continue
        member = by_name.get(name)
        if member is None:
            problems.append(Problem(raw_name, "is not a known member or parameter", "unknown"))
            continue
        try:
            operations = _parse_filter(member, value)
        except ValueError as exc:
            problems.append(Problem(raw_name, str(exc)))
            continue
        arguments += sum(len(operation.arguments) for operation in operations)
        if arguments > MAX_ARGUMENTS:
            message = f"the filters have more than {MAX_ARGUMENTS} arguments in all"
            problems.append(Problem(raw_name, message, "too_many"))
            break
        query.operations.extend(operations)

    if sort_text:
        try:
            query.sort = _parse_sort(sort_text, by_name)
        except ValueError as exc:
            problems.append(Problem(SORT, str(exc)))

    if problems:
        raise NDataError(problems)
    return query


def _non_negative(text: str, *, most: int | None = None) -> int:
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"must be a non-negative integer, not {text!r}")
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_SKIP)):  # beyond any row count; keeps OFFSET within 64 bits
        raise ValueError("is too large")
    number = int(digits)
    if most is not None and number > most:
        raise ValueError(f"must be at most {most}")
    return number


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"must be true or false, not {text!r}")
    return lowered == "true"


def _parse_sort(text: str, by_name: dict[str, Member]) -> list[SortKey]:
    keys: list[SortKey] = []
    seen: set[str] = set()
    for entry in text.split(","):
        spec = entry.strip()
        descending = False
        if spec.startswith("-"):
            descending, spec = True, spec[1:]
            if ":" in spec:
                raise ValueError(f"{entry!r}: use either -key or key:direction, not both")
        elif ":" in spec:
            spec, _, direction = spec.partition(":")
            if direction.lower() not in ("asc", "desc"):
                raise ValueError(f"{entry!r}: the direction must be asc or desc")
            descending = direction.lower() == "desc"
        if not spec:
            raise ValueError(f"{entry!r}: empty sort key")
        member = by_name.get(spec.lower())
        if member is None:
            raise ValueError(f"{spec!r} is not a known member")
        if not member.sortable:
            raise ValueError(f"{member.name} cannot be sorted on")
        if member.name not in seen:  # a repeated key counts once: the first one
            seen.add(member.name)
            keys.append(SortKey(member, descending))
    return keys


def _split_unescaped(text: str, separator: str) -> list[str]:
    """Split on ``separator`` where it is not escaped; escapes are kept for the next step."""
    parts, current, index = [], [], 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            following = text[index + 1 : index + 2]
            if following not in (":", ";", "\\"):
                shown = f"\\{following}" if following else "a trailing \\"
                raise ValueError(f"{shown!r} is not an escape (use \\:, \\; or \\\\)")
            out.append(following)
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _parse_filter(member: Member, text: str) -> list[Operation]:
    operations = []
    for operation_text in _split_unescaped(text, ";"):
        if not operation_text:
            raise ValueError("has an empty operation")
        operations.append(_parse_operation(member, operation_text))
    return operations


def _parse_operation(member: Member, text: str) -> Operation:
    segments = _split_unescaped(text, ":")
    head = segments[0].lower()
    if head in ARITY:
        operator, raw_arguments = head, segments[1:]
    elif len(segments) == 1:
        operator, raw_arguments = "eq", segments  # a bare value
    elif member.kind is Kind.DATETIME:
        operator, raw_arguments = "eq", [text]  # a bare date-time, colons unescaped
    else:
        raise ValueError(f"{segments[0]!r} is not an operator (escape a ':' in a value as '\\:')")

    least, most = ARITY[operator]
    if member.kind is Kind.DATETIME and most == 1 and len(raw_arguments) > 1:
        raw_arguments = [":".join(raw_arguments)]  # the rest of the operation is the argument
    if operator not in member.operators:
        allowed = ", ".join(member.operators)
        raise ValueError(f"operator {operator!r} does not apply to {member.name} (use {allowed})")
    count = len(raw_arguments)
    if count < least or (most is not None and count > most):
        expected = f"at least {least}" if most is None else str(least)
        raise ValueError(f"{operator} takes {expected} argument(s), got {count}")
    arguments = tuple(_typed(member, operator, _unescape(raw)) for raw in raw_arguments)
    return Operation(member, operator, arguments)


def _typed(member: Member, operator: str, text: str) -> Any:
    kind = member.kind
    if operator in TEXT_SEARCH or kind is Kind.STRING:
        if "\x00" in text or any(0xD800 <= ord(char) <= 0xDFFF for char in text):
            raise ValueError("contains characters no value can hold")
        return text
    if kind is Kind.INT:
        if not _INT_RE.fullmatch(text) or not INT_RANGE[0] <= int(text) <= INT_RANGE[1]:
            raise ValueError(f"{text!r} is not an integer")
        return int(text)
    if kind is Kind.BOOL:
        return _boolean(text)
    if kind is Kind.DATETIME:
        return _datetime(text)
    if kind is Kind.ENUM:
        for choice in member.choices:
            if choice.lower() == text.lower():
                return choice
        raise ValueError(f"{text!r} is not one of {', '.join(member.choices)}")
    if kind is Kind.UUID:
        try:
            return uuid.UUID(text)
        except ValueError:
            raise ValueError(f"{text!r} is not an id") from None
    raise AssertionError(kind)  # every kind is handled above


def _datetime(text: str) -> datetime:
    try:
        moment = parse_datetime(text)
        if moment is None and (day := parse_date(text)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None  # well-formed but impossible, e.g. month 13
    if moment is None:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time")
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        # Stored instants are UTC: one that UTC cannot hold (year 1 at +01:00) matches nothing
        # the database could store, and some drivers fail on it.
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"{text!r} is outside the range of date-times") from None


# --- translation ------------------------------------------------------------------------------

_LOOKUPS: dict[str, str] = {
    "eq": "exact",
    "gt": "gt",
    "ge": "gte",
    "lt": "lt",
    "le": "lte",
    "in": "in",
    "contains": "icontains",
    "startswith": "istartswith",
    "endswith": "iendswith",
    "between": "range",
}
_NEGATED = {"ne": "eq", "nin": "in", "notnull": "null"}


def operation_q(operation: Operation) -> Q:
    """The ORM condition for one operation."""
    if operation.operator in _NEGATED:
        positive = Operation(operation.member, _NEGATED[operation.operator], operation.arguments)
        return ~operation_q(positive)
    member, operator, arguments = operation.member, operation.operator, operation.arguments
    if member.truth is not None:  # a computed boolean: eq only (ne is negated above)
        return member.truth if arguments[0] else ~member.truth
    if operator == "null":
        if member.empty_is_null:
            return Q(**{member.field: ""})
        return Q(**{f"{member.field}__isnull": True})
    lookup = _LOOKUPS[operator]
    if operator == "in":
        value: Any = list(dict.fromkeys(arguments))
    elif operator == "between":
        value = arguments
    else:
        value = arguments[0]
    condition = Q(**{f"{member.field}__{lookup}": value})
    if member.empty_is_null:
        # "" is how the field stores null, and null matches no comparison (as with SQL NULL):
        # ``lt:T3`` must not select orders without a value. ``ne``/``nin``, negated above,
        # then do include them, as they do for a real NULL.
        condition &= ~Q(**{member.field: ""})
    return condition


# Seen by the OpenAPI schema: how to describe a member's parameter to a reader.
def describe_member(member: Member) -> str:
    text = member.description or member.name
    kind = member.kind.value
    if member.choices:
        kind += f" ({', '.join(member.choices)})"
    return (
        f"{text}. NData filter ({kind}): `OP:ARG[:ARG...][;OP:ARG...]` or a bare value; "
        f"operators: {', '.join(member.operators)}."
    )
