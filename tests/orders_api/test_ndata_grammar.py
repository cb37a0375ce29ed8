"""The NData grammar of the Orders API (contract: shared/contracts/orders-ndata.md), rule by rule.

Pure parser and translation tests: ``parse_query`` against the declared order members, and
``operation_q`` for the ORM condition each operation becomes. No database is needed.
"""

import uuid
from datetime import UTC, datetime

from django.db.models import F, Q
from django.test import override_settings
from django.utils import timezone

import pytest

from orders.api.pos.members import DEFAULT_SORT, ID, ORDER_MEMBERS, UNIQUE_MEMBERS
from orders.models import PROCESSABLE_ORDER
from toolkit.api.ndata import (
    ARITY,
    MAX_ARGUMENTS,
    MAX_PARAMETER_LENGTH,
    NDataError,
    NDataQuery,
    Operation,
    operation_q,
    parse_query,
)

BY_NAME = {member.name: member for member in ORDER_MEMBERS}


def parse(*pairs: tuple[str, str], **options) -> NDataQuery:
    return parse_query(list(pairs), ORDER_MEMBERS, **options)


def problems(*pairs: tuple[str, str], **options) -> list[tuple[str, str]]:
    """``(parameter, message)`` of every problem; fails if the query parses."""
    with pytest.raises(NDataError) as caught:
        parse(*pairs, **options)
    found = [(problem.parameter, problem.message) for problem in caught.value.problems]
    assert found, "an NDataError names at least one problem"
    assert all(message for _, message in found)
    return found


def only_problem(*pairs: tuple[str, str], **options) -> tuple[str, str]:
    found = problems(*pairs, **options)
    assert len(found) == 1, found
    return found[0]


def single_operation(name: str, text: str) -> Operation:
    query = parse((name, text))
    assert len(query.operations) == 1, query.operations
    return query.operations[0]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- the declared members ---------------------------------------------------------------------


def test_members_are_the_documented_filters():
    assert [member.name for member in ORDER_MEMBERS] == [
        "id",
        "number",
        "ticketId",
        "ticketName",
        "deviceName",
        "userUserName",
        "isProcessed",
        "isProcessable",
        "status",
        "createdAt",
        "trayNumber",
        "poNumber",
    ]


def test_sortable_members():
    assert {member.name for member in ORDER_MEMBERS if member.sortable} == {
        "id",
        "number",
        "ticketId",
        "ticketName",
        "deviceName",
        "userUserName",
        "status",
        "createdAt",
        "trayNumber",
        "poNumber",
    }


def test_status_values_are_the_documented_ones():
    assert set(BY_NAME["status"].choices) == {"New", "InProgress", "Done", "Cancelled"}


# --- $skip / $take ----------------------------------------------------------------------------


def test_paging_defaults():
    query = parse()
    assert (query.skip, query.take, query.count_only) == (0, 1000, False)
    assert query.operations == []


@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        ("$skip", "0", 0),
        ("$skip", "25", 25),
        ("$skip", "007", 7),
        ("$skip", "999999999", 999_999_999),
        ("$take", "0", 0),
        ("$take", "1", 1),
        ("$take", "1000", 1000),
        ("$SKIP", "3", 3),
        ("$Take", "4", 4),
    ],
)
def test_skip_and_take_accept_non_negative_integers(parameter, value, expected):
    query = parse((parameter, value))
    assert getattr(query, parameter.lower().removeprefix("$")) == expected


@pytest.mark.parametrize("parameter", ["$skip", "$take"])
@pytest.mark.parametrize(
    "value",
    ["-1", "1.5", "1e3", "abc", "", " 1", "1 ", "+1", "0x10", "١", "²", "1_000", "true"],
)
def test_skip_and_take_refuse_anything_but_a_non_negative_integer(parameter, value):
    name, message = only_problem((parameter, value))
    assert name == parameter
    assert "non-negative integer" in message


def test_take_is_at_most_1000():
    name, message = only_problem(("$take", "1001"))
    assert name == "$take"
    assert "1000" in message


def test_take_maximum_is_configurable():
    assert parse(("$take", "50"), max_take=50).take == 50
    assert only_problem(("$take", "51"), max_take=50)[0] == "$take"


@pytest.mark.parametrize("parameter", ["$skip", "$take", "$sort", "$count"])
def test_paging_parameters_given_twice_are_refused(parameter):
    value = {"$sort": "number", "$count": "true"}.get(parameter, "1")
    name, message = only_problem((parameter, value), (parameter.upper(), value))
    assert name == parameter.upper()
    assert "more than once" in message


def test_skip_with_leading_zeros_is_still_an_integer():
    assert parse(("$skip", "0000000005")).skip == 5


# --- $count -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("false", False), ("TRUE", True), ("False", False), ("tRuE", True)],
)
def test_count_takes_a_boolean(value, expected):
    assert parse(("$count", value)).count_only is expected


@pytest.mark.parametrize("value", ["", "1", "0", "yes", "no", "truee", " true", "null"])
def test_count_refuses_anything_else(value):
    name, message = only_problem(("$count", value))
    assert name == "$count"
    assert "true or false" in message


# --- $sort ------------------------------------------------------------------------------------


def sort_of(text: str) -> list[tuple[str, bool]]:
    return [(key.member.name, key.descending) for key in parse(("$sort", text)).sort]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("number", [("number", False)]),
        ("-number", [("number", True)]),
        ("number:asc", [("number", False)]),
        ("number:desc", [("number", True)]),
        ("NUMBER:DESC", [("number", True)]),
        ("ticketname:Asc", [("ticketName", False)]),
        ("-CreatedAt", [("createdAt", True)]),
        ("status,-createdAt", [("status", False), ("createdAt", True)]),
        (
            "trayNumber:desc,poNumber:asc,id",
            [("trayNumber", True), ("poNumber", False), ("id", False)],
        ),
    ],
)
def test_sort_keys_and_directions(text, expected):
    assert sort_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("number,number", [("number", False)]),
        ("-number,number:asc", [("number", True)]),
        ("ticketName,TICKETNAME:desc,status", [("ticketName", False), ("status", False)]),
    ],
)
def test_a_repeated_sort_key_counts_once(text, expected):
    assert sort_of(text) == expected


@pytest.mark.parametrize("member", [m for m in ORDER_MEMBERS if m.sortable], ids=lambda m: m.name)
def test_every_sortable_member_sorts_both_ways(member):
    assert sort_of(member.name) == [(member.name, False)]
    assert sort_of(f"-{member.name}") == [(member.name, True)]
    assert sort_of(f"{member.name.upper()}:DESC") == [(member.name, True)]


@pytest.mark.parametrize("text", ["bogus", "ticket_name", "-bogus", "bogus:desc", "number,bogus"])
def test_sort_on_an_unknown_key_is_refused(text):
    name, message = only_problem(("$sort", text))
    assert name == "$sort"
    assert "bogus" in message or "ticket_name" in message


@pytest.mark.parametrize("text", ["isProcessed", "-isProcessable", "isprocessed:asc"])
def test_sort_on_an_unsortable_member_is_refused(text):
    name, message = only_problem(("$sort", text))
    assert name == "$sort"
    assert "cannot be sorted" in message


@pytest.mark.parametrize("text", ["", ",", "number,", ",number", "number,,status", "-", ":asc"])
def test_sort_with_an_empty_entry_is_refused(text):
    assert only_problem(("$sort", text))[0] == "$sort"


@pytest.mark.parametrize("text", ["-number:asc", "-number:desc"])
def test_sort_minus_and_direction_together_are_refused(text):
    name, message = only_problem(("$sort", text))
    assert name == "$sort"
    assert "not both" in message


@pytest.mark.parametrize("text", ["number:up", "number:", "number:asc:desc", "number:descending"])
def test_sort_with_an_unknown_direction_is_refused(text):
    name, message = only_problem(("$sort", text))
    assert name == "$sort"
    assert "asc or desc" in message


def test_default_sort_applies_only_without_sort():
    assert [(k.member.name, k.descending) for k in parse(default_sort=DEFAULT_SORT).sort] == [
        ("number", True)
    ]
    query = parse(("$sort", "status"), default_sort=DEFAULT_SORT)
    assert [(k.member.name, k.descending) for k in query.sort] == [("status", False)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ticketName", [F("ticket_name").asc(), F("public_id").asc()]),
        ("-createdAt", [F("received_at").desc(), F("public_id").asc()]),
        (
            "status,-userUserName",
            [
                F("processing_status").asc(),
                F("created_by__username").desc(),
                F("public_id").asc(),
            ],
        ),
        ("-number", [F("number").desc()]),
        ("id:desc", [F("public_id").desc()]),
        ("trayNumber,number", [F("tray").asc(), F("number").asc()]),
    ],
)
def test_ordering_ends_with_the_id_tiebreak_unless_a_unique_key_is_sorted(text, expected):
    assert parse(("$sort", text)).ordering(tiebreak=ID, unique=UNIQUE_MEMBERS) == expected


# --- filters: shape ---------------------------------------------------------------------------


def test_operator_and_argument():
    operation = single_operation("number", "eq:5")
    assert (operation.member.name, operation.operator, operation.arguments) == (
        "number",
        "eq",
        (5,),
    )


def test_several_operations_with_semicolons_and_together():
    query = parse(("number", "ge:3;le:9;ne:5"))
    assert [(o.operator, o.arguments) for o in query.operations] == [
        ("ge", (3,)),
        ("le", (9,)),
        ("ne", (5,)),
    ]
    assert query.filter(_Recorder()).condition == (
        Q(number__gte=3) & Q(number__lte=9) & ~Q(number__exact=5)
    )


def test_a_repeated_member_means_the_same_as_a_semicolon():
    repeated = parse(("number", "ge:3"), ("NUMBER", "le:9"))
    joined = parse(("number", "ge:3;le:9"))
    assert repeated.operations == joined.operations
    assert repeated.filter(_Recorder()).condition == Q(number__gte=3) & Q(number__lte=9)


def test_operations_of_different_members_and_together():
    query = parse(("ticketName", "contains:smi"), ("status", "new"))
    assert query.filter(_Recorder()).condition == (
        Q(ticket_name__icontains="smi") & ~Q(ticket_name="") & Q(processing_status__exact="New")
    )


def test_no_filter_leaves_the_queryset_alone():
    recorder = _Recorder()
    assert parse().filter(recorder) is recorder
    assert recorder.condition is None


class _Recorder:
    """Stands in for a queryset: remembers the condition ``NDataQuery.filter`` applies."""

    condition = None

    def filter(self, condition):
        self.condition = condition
        return self


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("number", "5", 5),
        ("number", "-5", -5),
        ("ticketName", "Smith", "Smith"),
        ("ticketName", "smith", "smith"),
        ("isProcessed", "true", True),
        ("isProcessable", "FALSE", False),
        ("status", "inprogress", "InProgress"),
        ("createdAt", "2026-03-01T10:15:00Z", utc(2026, 3, 1, 10, 15)),
        ("createdAt", "2026-03-01", utc(2026, 3, 1)),
        (
            "id",
            "6f1c2a5e-0d3b-4c8e-9a7f-1b2c3d4e5f60",
            uuid.UUID("6f1c2a5e-0d3b-4c8e-9a7f-1b2c3d4e5f60"),
        ),
        ("trayNumber", "12", "12"),
    ],
)
def test_a_bare_value_means_eq(name, text, expected):
    operation = single_operation(name, text)
    assert (operation.operator, operation.arguments) == ("eq", (expected,))


@pytest.mark.parametrize(
    ("text", "operator"),
    [
        ("EQ:5", "eq"),
        ("Ne:5", "ne"),
        ("gT:5", "gt"),
        ("IN:5:6", "in"),
        ("NIN:5", "nin"),
        ("Between:1:9", "between"),
        ("GE:5", "ge"),
        ("lE:5", "le"),
        ("lt:5", "lt"),
    ],
)
def test_operators_are_case_insensitive(text, operator):
    assert single_operation("number", text).operator == operator


@pytest.mark.parametrize(
    ("text", "operator"),
    [("CONTAINS:a", "contains"), ("StartsWith:a", "startswith"), ("ENDSWITH:a", "endswith")],
)
def test_text_operators_are_case_insensitive(text, operator):
    assert single_operation("ticketName", text).operator == operator


@pytest.mark.parametrize(("text", "operator"), [("NULL", "null"), ("NotNull", "notnull")])
def test_nullness_operators_are_case_insensitive(text, operator):
    operation = single_operation("ticketName", text)
    assert (operation.operator, operation.arguments) == (operator, ())


@pytest.mark.parametrize(
    ("name", "text", "bad"),
    [
        ("number", "foo:5", "foo"),
        ("number", "equals:5", "equals"),
        ("ticketName", "like:smi", "like"),
        ("ticketName", "is:x", "is"),
        ("status", "has:New", "has"),
        ("isProcessed", "is:true", "is"),
        ("number", ":5", "''"),
    ],
)
def test_an_unknown_operator_is_refused(name, text, bad):
    parameter, message = only_problem((name, text))
    assert parameter == name
    assert bad in message
    assert "not an operator" in message


def test_a_member_name_is_case_insensitive():
    assert single_operation("TICKETNAME", "Smith").member.name == "ticketName"
    assert single_operation("isprocessed", "true").member.name == "isProcessed"


@pytest.mark.parametrize("name", ["bogus", "ticket_name", "order", "$filter", "$top", "items", ""])
def test_an_unknown_member_is_refused(name):
    parameter, message = only_problem((name, "1"))
    assert parameter == name
    assert "not a known member" in message


# --- filters: arity ---------------------------------------------------------------------------

# Arguments written for each count; on ``number`` or ``ticketName`` depending on the operator.
ARGUMENT_TEXTS = {0: "", 1: ":1", 2: ":1:2", 3: ":1:2:3"}
ARITY_OF = {  # the contract's arities, written out: (least, most or None)
    "eq": (1, 1),
    "ne": (1, 1),
    "gt": (1, 1),
    "ge": (1, 1),
    "lt": (1, 1),
    "le": (1, 1),
    "in": (1, None),
    "nin": (1, None),
    "contains": (1, 1),
    "startswith": (1, 1),
    "endswith": (1, 1),
    "null": (0, 0),
    "notnull": (0, 0),
    "between": (2, 2),
}


def test_the_operators_are_the_documented_ones():
    assert ARITY == ARITY_OF


@pytest.mark.parametrize("count", sorted(ARGUMENT_TEXTS))
@pytest.mark.parametrize("operator", sorted(ARITY_OF))
def test_arity_of_every_operator(operator, count):
    member = "ticketName"  # a string member takes every operator
    least, most = ARITY_OF[operator]
    text = operator + ARGUMENT_TEXTS[count]
    if least <= count and (most is None or count <= most):
        operation = single_operation(member, text)
        assert operation.operator == operator
        assert operation.arguments == tuple(str(n) for n in range(1, count + 1))
    else:
        parameter, message = only_problem((member, text))
        assert parameter == member
        assert f"{operator} takes" in message
        assert f"got {count}" in message


@pytest.mark.parametrize(
    ("text", "arguments"),
    [("in:1", (1,)), ("in:1:2:3", (1, 2, 3)), ("nin:4:5", (4, 5)), ("between:1:9", (1, 9))],
)
def test_arguments_of_n_ary_operators(text, arguments):
    assert single_operation("number", text).arguments == arguments


def test_in_takes_at_most_the_maximum_number_of_arguments():
    allowed = "in:" + ":".join(["1"] * MAX_ARGUMENTS)
    assert len(single_operation("number", allowed).arguments) == MAX_ARGUMENTS
    parameter, message = only_problem(("number", allowed + ":1"))
    assert parameter == "number"
    assert str(MAX_ARGUMENTS) in message


def test_a_too_long_parameter_is_refused():
    assert single_operation("ticketName", "eq:" + "x" * (MAX_PARAMETER_LENGTH - 3))
    parameter, message = only_problem(("ticketName", "eq:" + "x" * (MAX_PARAMETER_LENGTH - 2)))
    assert parameter == "ticketName"
    assert str(MAX_PARAMETER_LENGTH) in message


# --- filters: escapes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "arguments"),
    [
        (r"eq:a\:b", ("a:b",)),
        (r"eq:a\;b", ("a;b",)),
        (r"eq:a\\b", ("a\\b",)),
        (r"eq:\\\:\;", ("\\:;",)),
        (r"a\:b", ("a:b",)),  # a bare value with an escaped colon
        (r"in:a\:b:c\;d", ("a:b", "c;d")),
        (r"between:a\:1:b\:2", ("a:1", "b:2")),
        (r"contains:\;", (";",)),
        (r"eq:O'Neil\; Jr", ("O'Neil; Jr",)),
    ],
)
def test_escapes_inside_arguments(text, arguments):
    assert single_operation("ticketName", text).arguments == arguments


def test_an_escaped_semicolon_does_not_split_operations():
    query = parse(("ticketName", r"eq:a\;ne\:b"))
    assert [(o.operator, o.arguments) for o in query.operations] == [("eq", ("a;ne:b",))]


def test_an_escaped_backslash_before_a_colon_leaves_the_colon_a_separator():
    parameter, message = only_problem(("ticketName", r"eq:a\\:b"))
    assert parameter == "ticketName"
    assert "got 2" in message


@pytest.mark.parametrize(
    "text", [r"eq:a\b", r"eq:\n", r"eq:a\ b", r"eq:\"", r"eq:a\\\b", r"in:a:\x", r"\q"]
)
def test_an_invalid_escape_is_refused(text):
    parameter, message = only_problem(("ticketName", text))
    assert parameter == "ticketName"
    assert "not an escape" in message


@pytest.mark.parametrize("text", ["eq:a\\", "\\", "in:a:b\\", "eq:a\\\\\\"])
def test_a_trailing_backslash_is_refused(text):
    parameter, message = only_problem(("ticketName", text))
    assert parameter == "ticketName"
    assert "trailing" in message


# --- filters: empty operations ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["", ";", "eq:1;", ";eq:1", "eq:1;;eq:2"])
def test_an_empty_operation_is_refused(text):
    parameter, message = only_problem(("number", text))
    assert parameter == "number"
    assert "empty operation" in message


# --- filters: typed values --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["eq:abc", "eq:1.5", "eq:", "eq: 1", "eq:1e3", "eq:0x10", "eq:١", f"eq:{2**63}", "in:1:x"],
)
def test_an_integer_member_refuses_a_non_integer(text):
    assert only_problem(("number", text))[0] == "number"


@pytest.mark.parametrize(
    ("text", "value"), [("eq:+7", 7), ("eq:007", 7), (f"eq:{2**63 - 1}", 2**63 - 1)]
)
def test_an_integer_member_reads_integers(text, value):
    assert single_operation("number", text).arguments == (value,)


@pytest.mark.parametrize("text", ["eq:1", "eq:yes", "eq:", "eq:t", "ne:null"])
def test_a_boolean_member_refuses_a_non_boolean(text):
    parameter, message = only_problem(("isProcessed", text))
    assert parameter == "isProcessed"
    assert "true or false" in message


@pytest.mark.parametrize(
    ("text", "arguments"),
    [
        ("eq:new", ("New",)),
        ("eq:INPROGRESS", ("InProgress",)),
        ("in:done:cancelled", ("Done", "Cancelled")),
        ("nin:New", ("New",)),
    ],
)
def test_an_enum_member_reads_its_values_case_insensitively(text, arguments):
    assert single_operation("status", text).arguments == arguments


@pytest.mark.parametrize("text", ["eq:Pending", "eq:In Progress", "eq:", "in:New:Open"])
def test_an_enum_member_refuses_other_values(text):
    parameter, message = only_problem(("status", text))
    assert parameter == "status"
    assert "New" in message


@pytest.mark.parametrize(
    "text", ["eq:123", "eq:", "eq:6f1c2a5e-0d3b-4c8e-9a7f-1b2c3d4e5f6", "in:6f1c2a5e:x"]
)
def test_an_id_member_refuses_a_non_uuid(text):
    assert only_problem(("id", text))[0] == "id"


def test_an_id_member_reads_uuids_in_any_case():
    text = "6F1C2A5E-0D3B-4C8E-9A7F-1B2C3D4E5F60"
    assert single_operation("id", "eq:" + text).arguments == (uuid.UUID(text),)


@pytest.mark.parametrize("text", ["eq:a\x00b", "contains:\x00", "in:ok:\ud800", "eq:\udfff"])
def test_a_string_member_refuses_characters_no_value_can_hold(text):
    assert only_problem(("ticketName", text))[0] == "ticketName"


# --- filters: date-times ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "operator", "moment"),
    [
        ("eq:2026-03-01T10:15:00Z", "eq", utc(2026, 3, 1, 10, 15)),
        ("ge:2026-03-01T10:15:00Z", "ge", utc(2026, 3, 1, 10, 15)),
        ("gt:2026-03-01T10:15:30.250Z", "gt", utc(2026, 3, 1, 10, 15, 30, 250_000)),
        ("lt:2026-03-01T10:15:00+02:00", "lt", utc(2026, 3, 1, 8, 15)),
        ("le:2026-03-01T10:15:00-05:30", "le", utc(2026, 3, 1, 15, 45)),
        ("ne:2026-03-01T10:15", "ne", utc(2026, 3, 1, 10, 15)),
        ("2026-03-01T10:15:00+02:00", "eq", utc(2026, 3, 1, 8, 15)),  # bare
        ("EQ:2026-03-01T10:15:00Z", "eq", utc(2026, 3, 1, 10, 15)),
        (r"ge:2026-03-01T10\:15\:00Z", "ge", utc(2026, 3, 1, 10, 15)),  # escaping still works
        (r"ge:2026-03-01T10\:15:00Z", "ge", utc(2026, 3, 1, 10, 15)),
    ],
)
def test_a_one_argument_date_time_needs_no_escaped_colons(text, operator, moment):
    operation = single_operation("createdAt", text)
    assert (operation.operator, operation.arguments) == (operator, (moment,))
    assert operation.arguments[0].utcoffset() is not None


def test_date_time_operations_split_on_semicolons_first():
    query = parse(("createdAt", "ge:2026-03-01T10:15:00+02:00;lt:2026-03-02T00:00:00Z"))
    assert [(o.operator, o.arguments) for o in query.operations] == [
        ("ge", (utc(2026, 3, 1, 8, 15),)),
        ("lt", (utc(2026, 3, 2),)),
    ]


@pytest.mark.parametrize(
    ("text", "operator", "moments"),
    [
        (
            r"between:2026-03-01T10\:15\:00Z:2026-03-02T00\:00\:00+02\:00",
            "between",
            (utc(2026, 3, 1, 10, 15), utc(2026, 3, 1, 22)),
        ),
        (
            r"in:2026-03-01T10\:15\:00Z:2026-03-05T06\:45\:30Z",
            "in",
            (utc(2026, 3, 1, 10, 15), utc(2026, 3, 5, 6, 45, 30)),
        ),
        (r"nin:2026-03-01T10\:15\:00Z", "nin", (utc(2026, 3, 1, 10, 15),)),
        ("between:2026-03-01:2026-03-02", "between", (utc(2026, 3, 1), utc(2026, 3, 2))),
        (
            "in:2026-03-01:2026-03-02:2026-03-03",
            "in",
            (utc(2026, 3, 1), utc(2026, 3, 2), utc(2026, 3, 3)),
        ),
    ],
)
def test_several_date_time_arguments_escape_their_colons(text, operator, moments):
    operation = single_operation("createdAt", text)
    assert (operation.operator, operation.arguments) == (operator, moments)


@pytest.mark.parametrize(
    "text",
    [
        "between:2026-03-01T10:15:00Z:2026-03-02T00:00:00Z",
        "in:2026-03-01T10:15:00Z",
        "in:2026-03-01T10:15:00Z:2026-03-02T00:00:00Z",
    ],
)
def test_several_date_time_arguments_with_unescaped_colons_are_refused(text):
    assert only_problem(("createdAt", text))[0] == "createdAt"


def test_a_date_only_argument_is_midnight_in_the_current_time_zone():
    operation = single_operation("createdAt", "ge:2026-03-03")
    assert operation.arguments == (timezone.make_aware(datetime(2026, 3, 3)),)


@override_settings(TIME_ZONE="Europe/Berlin")
def test_a_naive_date_time_is_in_the_current_time_zone():
    summer = single_operation("createdAt", "eq:2026-07-01T12:00:00").arguments[0]
    winter = single_operation("createdAt", "eq:2026-01-15T12:00:00").arguments[0]
    day = single_operation("createdAt", "eq:2026-07-01").arguments[0]
    assert summer == utc(2026, 7, 1, 10)
    assert winter == utc(2026, 1, 15, 11)
    assert day == utc(2026, 6, 30, 22)


@pytest.mark.parametrize(
    "text",
    [
        "eq:2026-02-30",
        "eq:2026-13-01",
        "eq:2026-00-10",
        "eq:2026-02-29T10:00:00Z",
        "eq:2026-01-01T24:01:00Z",
        "eq:2026-01-01T10:61:00Z",
        "eq:2026-01-01T10:00:60Z",
        "eq:2026-01-01T10:00:00+25:00",
        "eq:not-a-date",
        "eq:",
        "eq:2026",
        "eq:1772359200",
        "between:2026-02-30:2026-03-01",
        "in:2026-03-01:2026-02-31",
    ],
)
def test_an_impossible_date_time_is_refused(text):
    parameter, message = only_problem(("createdAt", text))
    assert parameter == "createdAt"
    assert "date-time" in message


@pytest.mark.parametrize("text", ["gt:0001-01-01T00:00:00+01:00", "lt:9999-12-31T23:59:59-01:00"])
def test_a_date_time_outside_the_utc_range_is_refused(text):
    assert only_problem(("createdAt", text))[0] == "createdAt"


# --- several problems -------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_parameter():
    found = problems(
        ("$skip", "-1"),
        ("$take", "lots"),
        ("bogus", "1"),
        ("number", "eq:x"),
        ("createdAt", "2026-02-30"),
        ("status", "like:New"),
        ("isProcessed", "null"),
        ("$count", "maybe"),
        ("$sort", "nope"),
    )
    assert [parameter for parameter, _ in found] == [
        "$skip",
        "$take",
        "bogus",
        "number",
        "createdAt",
        "status",
        "isProcessed",
        "$count",
        "$sort",
    ]


def test_problems_of_one_member_given_twice_are_both_reported():
    found = problems(("number", "eq:x"), ("number", "eq:y"))
    assert [parameter for parameter, _ in found] == ["number", "number"]
    assert "'x'" in found[0][1]
    assert "'y'" in found[1][1]


def test_the_error_message_joins_the_problems():
    with pytest.raises(NDataError) as caught:
        parse(("$skip", "-1"), ("bogus", "1"))
    assert str(caught.value).startswith("$skip: ")
    assert "; bogus: " in str(caught.value)


# --- operator x member table ------------------------------------------------------------------

# The field behind each member and the operators it takes, written out from the contract and
# members.py rather than derived from the code under test.
FIELD = {
    "id": "public_id",
    "number": "number",
    "ticketId": "ticket_id",
    "ticketName": "ticket_name",
    "deviceName": "created_device",
    "userUserName": "created_by__username",
    "status": "processing_status",
    "createdAt": "received_at",
    "trayNumber": "tray",
    "poNumber": "po_number",
}
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le", "in", "nin", "between"}
STRINGS = COMPARISONS | {"contains", "startswith", "endswith", "null", "notnull"}
ALLOWED = {
    "id": {"eq", "ne", "in", "nin"},
    "number": COMPARISONS,
    "ticketId": STRINGS,
    "ticketName": STRINGS,
    "deviceName": STRINGS,
    "userUserName": STRINGS,
    "isProcessed": {"eq", "ne"},
    "isProcessable": {"eq", "ne"},
    "status": {"eq", "ne", "in", "nin"},
    "createdAt": COMPARISONS,
    "trayNumber": STRINGS,
    "poNumber": STRINGS,
}
EMPTY_IS_NULL = {"ticketId", "ticketName", "deviceName", "trayNumber", "poNumber"}
TRUTH = {"isProcessed": Q(processed_at__isnull=False), "isProcessable": PROCESSABLE_ORDER}

UUID_A = "6f1c2a5e-0d3b-4c8e-9a7f-1b2c3d4e5f60"
UUID_B = "0a8e4b1c-9f2d-4e3a-8b7c-6d5e4f3a2b1c"
# member kind -> operator -> (argument text, typed arguments)
SAMPLES = {
    "uuid": {
        1: (UUID_A.upper(), (uuid.UUID(UUID_A),)),
        2: (f"{UUID_A}:{UUID_B}", (uuid.UUID(UUID_A), uuid.UUID(UUID_B))),
        "n": (
            f"{UUID_A}:{UUID_B}:{UUID_A}",
            (uuid.UUID(UUID_A), uuid.UUID(UUID_B), uuid.UUID(UUID_A)),
        ),
    },
    "integer": {1: ("7", (7,)), 2: ("3:9", (3, 9)), "n": ("3:9:3:12", (3, 9, 3, 12))},
    "string": {1: ("Ab", ("Ab",)), 2: ("A:M", ("A", "M")), "n": ("A:b:A", ("A", "b", "A"))},
    "boolean": {1: ("TRUE", (True,)), 2: ("true:false", (True, False)), "n": ("true", (True,))},
    "enum": {
        1: ("inprogress", ("InProgress",)),
        2: ("new:DONE", ("New", "Done")),
        "n": ("new:DONE:New", ("New", "Done", "New")),
    },
    "date-time": {
        1: ("2026-03-01T10:15:00+02:00", (utc(2026, 3, 1, 8, 15),)),
        2: (
            r"2026-03-01:2026-03-02T00\:00\:00Z",
            (utc(2026, 3, 1), utc(2026, 3, 2)),
        ),
        "n": (
            r"2026-03-01:2026-03-02T00\:00\:00Z:2026-03-01T00\:00\:00+00\:00",
            (utc(2026, 3, 1), utc(2026, 3, 2), utc(2026, 3, 1)),
        ),
    },
}
SHAPE = {op: 1 for op in ARITY_OF} | {"between": 2, "in": "n", "nin": "n", "null": 0, "notnull": 0}
LOOKUP = {
    "eq": "exact",
    "ne": "exact",
    "gt": "gt",
    "ge": "gte",
    "lt": "lt",
    "le": "lte",
    "contains": "icontains",
    "startswith": "istartswith",
    "endswith": "iendswith",
}


def expected_q(name: str, operator: str, values: tuple) -> Q:
    if name in TRUTH:
        truth = TRUTH[name]
        wanted = values[0] if operator == "eq" else not values[0]
        return truth if wanted else ~truth
    field = FIELD[name]
    if operator in ("null", "notnull"):
        condition = Q(**{field: ""}) if name in EMPTY_IS_NULL else Q(**{f"{field}__isnull": True})
        return condition if operator == "null" else ~condition
    if operator in ("in", "nin"):
        condition = Q(**{f"{field}__in": list(dict.fromkeys(values))})  # duplicates once
    elif operator == "between":
        condition = Q(**{f"{field}__range": values})
    else:
        condition = Q(**{f"{field}__{LOOKUP.get(operator, 'exact')}": values[0]})
    if name in EMPTY_IS_NULL:
        # "" stores null, and null matches no comparison
        condition &= ~Q(**{field: ""})
    return ~condition if operator in ("ne", "nin") else condition


TABLE = [
    pytest.param(member, operator, id=f"{member.name}-{operator}")
    for member in ORDER_MEMBERS
    for operator in ARITY_OF
]


@pytest.mark.parametrize(("member", "operator"), TABLE)
def test_operator_on_member(member, operator):
    shape = SHAPE[operator]
    text, values = ("", ()) if shape == 0 else SAMPLES[member.kind.value][shape]
    query_text = f"{operator}:{text}" if text else operator
    if operator in ALLOWED[member.name]:
        operation = single_operation(member.name, query_text)
        assert (operation.member, operation.operator, operation.arguments) == (
            member,
            operator,
            values,
        )
        assert operation_q(operation) == expected_q(member.name, operator, values)
    else:
        parameter, message = only_problem((member.name, query_text))
        assert parameter == member.name
        assert f"'{operator}'" in message
        assert "does not apply" in message
        for allowed in ALLOWED[member.name]:
            assert allowed in message


@pytest.mark.parametrize("member", ORDER_MEMBERS, ids=lambda m: m.name)
def test_member_operators(member):
    assert set(member.operators) == ALLOWED[member.name]


@pytest.mark.parametrize(
    ("name", "text", "condition"),
    [
        ("isProcessed", "true", Q(processed_at__isnull=False)),
        ("isProcessed", "false", ~Q(processed_at__isnull=False)),
        ("isProcessed", "ne:true", ~Q(processed_at__isnull=False)),
        ("isProcessed", "ne:false", Q(processed_at__isnull=False)),
        ("isProcessable", "eq:true", PROCESSABLE_ORDER),
        ("isProcessable", "ne:TRUE", ~PROCESSABLE_ORDER),
        ("ticketName", "null", Q(ticket_name="")),
        ("ticketName", "notnull", ~Q(ticket_name="")),
        ("userUserName", "null", Q(created_by__username__isnull=True)),
        ("userUserName", "notnull", ~Q(created_by__username__isnull=True)),
        ("number", "in:3:3:4:3", Q(number__in=[3, 4])),
        ("number", "nin:3", ~Q(number__in=[3])),
        ("ticketName", "contains:MIT", Q(ticket_name__icontains="MIT") & ~Q(ticket_name="")),
        (
            "createdAt",
            "between:2026-03-02:2026-03-01",
            Q(received_at__range=(utc(2026, 3, 2), utc(2026, 3, 1))),
        ),
    ],
)
def test_translation_examples(name, text, condition):
    assert operation_q(single_operation(name, text)) == condition
