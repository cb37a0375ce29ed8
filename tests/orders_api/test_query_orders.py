"""GET /orders with NData queries: each member and operator selects the right orders, paging is
stable under ties, the query count does not grow with the page, and malformed queries are
problems. Contract: shared/contracts/orders-ndata.md."""

import re
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import quote

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

import pytest

from accounts.models import ApiKey
from orders.models import Order, OrderItem, OrderItemEndpoint
from orders.services import NewItem, NewOrder, create_order
from orders.status import OrderState, ProcessingStatus
from tests.conftest import Api
from tests.jobs import A_LENS

ON_SQLITE = connection.vendor == "sqlite"

SQLITE_CASE_FOLDING = (
    "contains/startswith/endswith are documented case-insensitive, but on SQLite they become "
    "LIKE, which folds ASCII only: ticketName=contains:ÜLL does not find 'Müller' "
    "(it does on PostgreSQL)"
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def query_string(*pairs: tuple[str, str]) -> str:
    """``name=value&...`` with every reserved character of the value percent-encoded."""
    return "&".join(f"{quote(name, safe='$')}={quote(value, safe='')}" for name, value in pairs)


def numbers(body: dict) -> list[int]:
    return [item["number"] for item in body["items"]]


# --- the fixture set --------------------------------------------------------------------------

# number: ticketId, ticketName, deviceName, creator, tray, PO, status, processed, createdAt.
ROWS = {
    101: ("T1", "Smith", "WS-1", "alice", "12", "PO1", "New", False, utc(2026, 3, 1, 8)),
    102: ("T2", "smith", "ws-1", "alice", "3", "PO22", "InProgress", True, utc(2026, 3, 1, 10, 15)),
    103: ("T3", "SMITHERS", "WS-2", "bob", "", "PO3", "Done", True, utc(2026, 3, 2)),
    104: ("", "Brown", "", "bob", "105", "", "New", False, utc(2026, 3, 2, 12, 30)),
    105: ("T5", "", "WS-3", None, "", "X9", "Cancelled", False, utc(2026, 3, 3, 9)),
    106: ("T6", "Müller", "ws-2", "alice", "7", "PO1", "New", False, utc(2026, 3, 3, 22)),
    107: ("T7", "O'Neil; Jr", "WS-1", None, "", "", "Done", True, utc(2026, 3, 5, 6, 45, 30)),
    108: ("T8", "a:b\\c", "", "bob", "88", "PO9", "New", False, utc(2026, 3, 6, 23, 59, 59)),
    109: ("", "", "WS-4", "alice", "", "", "InProgress", True, utc(2026, 3, 7)),
    110: ("T10", "Jones", "ws-3", "bob", "9", "PO22", "New", False, utc(2026, 3, 1, 10, 15)),
}
# So that only 101, 108 and 110 are processable.
EXTRA = {
    104: {"on_hold": True},
    105: {"cancelled_at": utc(2026, 3, 4)},
    106: {"state": OrderState.UNVALID},
    107: {"state": OrderState.COMPLETED},
}


def create(*, number: int, actor=None, **fields) -> Order:
    """As the ``make_order`` fixture does: through the service, then force the other fields."""
    new = {key: fields.pop(key) for key in ("ticket_id", "ticket_name", "tray", "po_number")}
    order = create_order(
        data=NewOrder(
            number=str(number),
            items=[NewItem(sku="SKU0", name="Lens", endpoints=["surfacing"])],
            eyes=A_LENS,
            **new,
        ),
        actor=actor,
    )
    Order.objects.filter(pk=order.pk).update(**fields)
    order.refresh_from_db()
    return order


@contextmanager
def shared_rows(django_db_blocker):
    """A transaction around a class of tests: rows made in it are seen by every test of the
    class (each test runs in a savepoint inside it) and rolled back after the last one."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- every member x its operators -------------------------------------------------------------


def value(name):
    return lambda item: item[name]


def ordered(name, compare):
    """Ordering comparisons never match a null value."""
    return lambda item: item[name] is not None and compare(item[name])


def case(name, text, expected, *, marks=(), allow_empty=False):
    return pytest.param(name, text, expected, allow_empty, id=f"{name}={text}", marks=marks)


def created(compare):
    return lambda item: compare(at(item["createdAt"]))


SQLITE_CASE_BUG = pytest.mark.xfail(ON_SQLITE, strict=True, reason=SQLITE_CASE_FOLDING)

CASES = [
    # id (uuid): eq ne in nin
    case("id", "eq:<103>", lambda o: o["number"] == 103),
    case("id", "<103>", lambda o: o["number"] == 103),
    case("id", "eq:<103U>", lambda o: o["number"] == 103),
    case("id", "ne:<103>", lambda o: o["number"] != 103),
    case("id", "in:<101>:<110>", lambda o: o["number"] in (101, 110)),
    case("id", "nin:<101>:<110>", lambda o: o["number"] not in (101, 110)),
    case("id", f"eq:{uuid.UUID(int=1)}", lambda o: False, allow_empty=True),
    # number (int): eq ne gt ge lt le in nin between
    case("number", "105", lambda o: o["number"] == 105),
    case("number", "eq:105", lambda o: o["number"] == 105),
    case("number", "ne:105", lambda o: o["number"] != 105),
    case("number", "gt:107", lambda o: o["number"] > 107),
    case("number", "ge:107", lambda o: o["number"] >= 107),
    case("number", "lt:103", lambda o: o["number"] < 103),
    case("number", "le:103", lambda o: o["number"] <= 103),
    case("number", "in:101:104:999", lambda o: o["number"] in (101, 104)),
    case("number", "nin:101:104", lambda o: o["number"] not in (101, 104)),
    case("number", "between:103:106", lambda o: 103 <= o["number"] <= 106),
    case("number", "between:106:103", lambda o: False, allow_empty=True),
    case("number", "ge:103;le:105", lambda o: 103 <= o["number"] <= 105),
    case("number", "ge:-5;lt:9223372036854775807", lambda o: True),
    # ticketId (string, empty is null)
    case("ticketId", "eq:T1", lambda o: o["ticketId"] == "T1"),
    case("ticketId", "T10", lambda o: o["ticketId"] == "T10"),
    case("ticketId", "eq:t1", lambda o: False, allow_empty=True),
    case("ticketId", "ne:T1", lambda o: o["ticketId"] != "T1"),
    case("ticketId", "gt:T5", ordered("ticketId", lambda v: v > "T5")),
    case("ticketId", "ge:T5", ordered("ticketId", lambda v: v >= "T5")),
    case("ticketId", "lt:T3", ordered("ticketId", lambda v: v < "T3")),
    case("ticketId", "le:T3", ordered("ticketId", lambda v: v <= "T3")),
    case("ticketId", "between:T2:T5", ordered("ticketId", lambda v: "T2" <= v <= "T5")),
    case("ticketId", "in:T1:T3:T9", lambda o: o["ticketId"] in ("T1", "T3")),
    case("ticketId", "nin:T1:T3", lambda o: o["ticketId"] not in ("T1", "T3")),
    case("ticketId", "contains:1", ordered("ticketId", lambda v: "1" in v)),
    case("ticketId", "startswith:t1", ordered("ticketId", lambda v: v.startswith("T1"))),
    case("ticketId", "endswith:0", ordered("ticketId", lambda v: v.endswith("0"))),
    case("ticketId", "null", lambda o: o["ticketId"] is None),
    case("ticketId", "notnull", lambda o: o["ticketId"] is not None),
    case("ticketId", "eq:", lambda o: False, allow_empty=True),
    # ticketName (string, empty is null): values are case-sensitive, text search is not
    case("ticketName", "Smith", lambda o: o["ticketName"] == "Smith"),
    case("ticketName", "eq:smith", lambda o: o["ticketName"] == "smith"),
    case("ticketName", "ne:Smith", lambda o: o["ticketName"] != "Smith"),
    case("ticketName", "contains:MIT", ordered("ticketName", lambda v: "mit" in v.lower())),
    case("ticketName", "contains:o", ordered("ticketName", lambda v: "o" in v.lower())),
    case(
        "ticketName", "startswith:smi", ordered("ticketName", lambda v: v.lower().startswith("smi"))
    ),
    case("ticketName", "endswith:ERS", ordered("ticketName", lambda v: v.lower().endswith("ers"))),
    case("ticketName", "in:Smith:Brown:smithers", lambda o: o["ticketName"] in ("Smith", "Brown")),
    case("ticketName", "nin:Smith:Brown", lambda o: o["ticketName"] not in ("Smith", "Brown")),
    case("ticketName", "null", lambda o: o["ticketName"] is None),
    case("ticketName", "notnull", lambda o: o["ticketName"] is not None),
    case("ticketName", r"eq:O'Neil\; Jr", lambda o: o["ticketName"] == "O'Neil; Jr"),
    case("ticketName", r"eq:a\:b\\c", lambda o: o["ticketName"] == "a:b\\c"),
    case("ticketName", r"contains:\;", ordered("ticketName", lambda v: ";" in v)),
    case("ticketName", r"contains:\\", ordered("ticketName", lambda v: "\\" in v)),
    case("ticketName", r"startswith:A\:", ordered("ticketName", lambda v: v.startswith("a:"))),
    case("ticketName", "contains:%", lambda o: False, allow_empty=True),
    case("ticketName", "contains:_", lambda o: False, allow_empty=True),
    case("ticketName", "contains:üll", ordered("ticketName", lambda v: "üll" in v)),
    case(
        "ticketName",
        "contains:ÜLL",
        ordered("ticketName", lambda v: "üll" in v),
        marks=SQLITE_CASE_BUG,
    ),
    case("ticketName", "eq:müller", lambda o: False, allow_empty=True),
    # deviceName (string, empty is null)
    case("deviceName", "eq:WS-1", lambda o: o["deviceName"] == "WS-1"),
    case("deviceName", "ws-1", lambda o: o["deviceName"] == "ws-1"),
    case("deviceName", "ne:WS-1", lambda o: o["deviceName"] != "WS-1"),
    case("deviceName", "contains:s-1", ordered("deviceName", lambda v: "s-1" in v.lower())),
    case(
        "deviceName", "startswith:WS-", ordered("deviceName", lambda v: v.lower().startswith("ws-"))
    ),
    case("deviceName", "endswith:-3", ordered("deviceName", lambda v: v.endswith("-3"))),
    case("deviceName", "in:WS-2:ws-2", lambda o: o["deviceName"] in ("WS-2", "ws-2")),
    case("deviceName", "nin:WS-2:ws-2", lambda o: o["deviceName"] not in ("WS-2", "ws-2")),
    case("deviceName", "between:WS-2:WS-4", ordered("deviceName", lambda v: "WS-2" <= v <= "WS-4")),
    case("deviceName", "lt:WS-2", ordered("deviceName", lambda v: v < "WS-2")),
    case("deviceName", "null", lambda o: o["deviceName"] is None),
    case("deviceName", "notnull", lambda o: o["deviceName"] is not None),
    # userUserName (string, the creator; null when there is none)
    case("userUserName", "eq:alice", lambda o: o["userUserName"] == "alice"),
    case("userUserName", "bob", lambda o: o["userUserName"] == "bob"),
    case("userUserName", "ne:alice", lambda o: o["userUserName"] != "alice"),
    case("userUserName", "in:alice:bob", lambda o: o["userUserName"] in ("alice", "bob")),
    case("userUserName", "nin:bob", lambda o: o["userUserName"] != "bob"),
    case("userUserName", "contains:LIC", ordered("userUserName", lambda v: "lic" in v)),
    case("userUserName", "startswith:B", ordered("userUserName", lambda v: v.startswith("b"))),
    case("userUserName", "endswith:ce", ordered("userUserName", lambda v: v.endswith("ce"))),
    case("userUserName", "gt:alice", ordered("userUserName", lambda v: v > "alice")),
    case("userUserName", "ge:alice", ordered("userUserName", lambda v: v >= "alice")),
    case("userUserName", "lt:bob", ordered("userUserName", lambda v: v < "bob")),
    case("userUserName", "le:bob", ordered("userUserName", lambda v: v <= "bob")),
    case("userUserName", "between:a:b", ordered("userUserName", lambda v: "a" <= v <= "b")),
    case("userUserName", "null", lambda o: o["userUserName"] is None),
    case("userUserName", "notnull", lambda o: o["userUserName"] is not None),
    # isProcessed, isProcessable (computed booleans): eq ne
    case("isProcessed", "true", value("isProcessed")),
    case("isProcessed", "eq:TRUE", value("isProcessed")),
    case("isProcessed", "false", lambda o: not o["isProcessed"]),
    case("isProcessed", "ne:true", lambda o: not o["isProcessed"]),
    case("isProcessed", "ne:false", value("isProcessed")),
    case("isProcessable", "true", value("isProcessable")),
    case("isProcessable", "eq:false", lambda o: not o["isProcessable"]),
    case("isProcessable", "ne:False", value("isProcessable")),
    case("isProcessable", "ne:true", lambda o: not o["isProcessable"]),
    # status (enum): eq ne in nin, values case-insensitive
    case("status", "New", lambda o: o["status"] == "New"),
    case("status", "eq:inprogress", lambda o: o["status"] == "InProgress"),
    case("status", "ne:New", lambda o: o["status"] != "New"),
    case("status", "in:Done:cancelled", lambda o: o["status"] in ("Done", "Cancelled")),
    case("status", "nin:New:INPROGRESS", lambda o: o["status"] in ("Done", "Cancelled")),
    # createdAt (date-time): comparisons; colons unescaped for one argument
    case("createdAt", "eq:2026-03-01T10:15:00Z", created(lambda t: t == utc(2026, 3, 1, 10, 15))),
    case("createdAt", "2026-03-01T10:15:00Z", created(lambda t: t == utc(2026, 3, 1, 10, 15))),
    case(
        "createdAt", "eq:2026-03-01T12:15:00+02:00", created(lambda t: t == utc(2026, 3, 1, 10, 15))
    ),
    case("createdAt", "ne:2026-03-01T10:15:00Z", created(lambda t: t != utc(2026, 3, 1, 10, 15))),
    case("createdAt", "gt:2026-03-03T09:00:00Z", created(lambda t: t > utc(2026, 3, 3, 9))),
    case("createdAt", "ge:2026-03-03T09:00:00Z", created(lambda t: t >= utc(2026, 3, 3, 9))),
    case("createdAt", "ge:2026-03-04T00:00:00+02:00", created(lambda t: t >= utc(2026, 3, 3, 22))),
    case("createdAt", "lt:2026-03-02", created(lambda t: t < utc(2026, 3, 2))),
    case("createdAt", "le:2026-03-02", created(lambda t: t <= utc(2026, 3, 2))),
    case(
        "createdAt",
        "gt:2026-03-06T23:59:58.999Z",
        created(lambda t: t > utc(2026, 3, 6, 23, 59, 58, 999000)),
    ),
    case("createdAt", "2026-03-07", created(lambda t: t == utc(2026, 3, 7))),
    case(
        "createdAt",
        "ge:2026-03-02;lt:2026-03-03",
        created(lambda t: utc(2026, 3, 2) <= t < utc(2026, 3, 3)),
    ),
    case(
        "createdAt",
        r"between:2026-03-01T10\:15\:00Z:2026-03-02T02\:00\:00+02\:00",
        created(lambda t: utc(2026, 3, 1, 10, 15) <= t <= utc(2026, 3, 2)),
    ),
    case(
        "createdAt",
        r"in:2026-03-01T08\:00\:00Z:2026-03-07:2026-03-08",
        created(lambda t: t in (utc(2026, 3, 1, 8), utc(2026, 3, 7))),
    ),
    case(
        "createdAt",
        r"nin:2026-03-01T10\:15\:00Z:2026-03-07",
        created(lambda t: t not in (utc(2026, 3, 1, 10, 15), utc(2026, 3, 7))),
    ),
    # trayNumber (string, empty is null)
    case("trayNumber", "eq:12", lambda o: o["trayNumber"] == "12"),
    case("trayNumber", "12", lambda o: o["trayNumber"] == "12"),
    case("trayNumber", "ne:12", lambda o: o["trayNumber"] != "12"),
    case("trayNumber", "gt:3", ordered("trayNumber", lambda v: v > "3")),
    case("trayNumber", "ge:3", ordered("trayNumber", lambda v: v >= "3")),
    case("trayNumber", "lt:3", ordered("trayNumber", lambda v: v < "3")),
    case("trayNumber", "le:3", ordered("trayNumber", lambda v: v <= "3")),
    case("trayNumber", "between:1:3", ordered("trayNumber", lambda v: "1" <= v <= "3")),
    case("trayNumber", "in:12:7:999", lambda o: o["trayNumber"] in ("12", "7")),
    case("trayNumber", "nin:12:7", lambda o: o["trayNumber"] not in ("12", "7")),
    case("trayNumber", "contains:0", ordered("trayNumber", lambda v: "0" in v)),
    case("trayNumber", "startswith:1", ordered("trayNumber", lambda v: v.startswith("1"))),
    case("trayNumber", "endswith:8", ordered("trayNumber", lambda v: v.endswith("8"))),
    case("trayNumber", "null", lambda o: o["trayNumber"] is None),
    case("trayNumber", "notnull", lambda o: o["trayNumber"] is not None),
    # poNumber (string, empty is null)
    case("poNumber", "eq:PO1", lambda o: o["poNumber"] == "PO1"),
    case("poNumber", "PO22", lambda o: o["poNumber"] == "PO22"),
    case("poNumber", "ne:PO1", lambda o: o["poNumber"] != "PO1"),
    case("poNumber", "gt:PO22", ordered("poNumber", lambda v: v > "PO22")),
    case("poNumber", "ge:PO22", ordered("poNumber", lambda v: v >= "PO22")),
    case("poNumber", "lt:PO3", ordered("poNumber", lambda v: v < "PO3")),
    case("poNumber", "le:PO22", ordered("poNumber", lambda v: v <= "PO22")),
    case("poNumber", "between:PO1:PO22", ordered("poNumber", lambda v: "PO1" <= v <= "PO22")),
    case("poNumber", "in:PO3:X9", lambda o: o["poNumber"] in ("PO3", "X9")),
    case("poNumber", "nin:PO1", lambda o: o["poNumber"] != "PO1"),
    case("poNumber", "contains:o2", ordered("poNumber", lambda v: "o2" in v.lower())),
    case("poNumber", "startswith:po", ordered("poNumber", lambda v: v.lower().startswith("po"))),
    case("poNumber", "endswith:9", ordered("poNumber", lambda v: v.endswith("9"))),
    case("poNumber", "null", lambda o: o["poNumber"] is None),
    case("poNumber", "notnull", lambda o: o["poNumber"] is not None),
]

PLACEHOLDER = re.compile(r"<(\d+)(U?)>")


@pytest.fixture(scope="class")
def orders(django_db_setup, django_db_blocker) -> dict[int, Order]:
    with shared_rows(django_db_blocker):
        users = {name: User.objects.create_user(username=name) for name in ("alice", "bob")}
        made = {}
        for number, row in ROWS.items():
            ticket_id, name, device, user, tray, po, status, processed, created = row
            made[number] = create(
                number=number,
                actor=users.get(user),
                ticket_id=ticket_id,
                ticket_name=name,
                tray=tray,
                po_number=po,
                created_device=device,
                processing_status=status,
                processed_at=created if processed else None,
                received_at=created,
                **EXTRA.get(number, {}),
            )
        yield made


@pytest.fixture(scope="class")
def all_orders(orders, django_db_blocker) -> list[dict]:
    """Every order of the fixture set as GET /orders shows it: what the filters are judged by."""
    with django_db_blocker.unblock():
        # A superuser: the class's rows outlive tests that flush the permissions table.
        viewer = User.objects.create_superuser(username="viewer")
        _, raw_key = ApiKey.issue(user=viewer, name="viewer")
        body = Api(raw_key).get("/orders?$sort=number", status=200)
    assert numbers(body) == sorted(ROWS)
    return body["items"]


class TestFilters:
    """The member x operator table and friends, against one fixture set for the class."""

    def test_the_fixture_set_shows_as_intended(self, all_orders):
        shown = {item["number"]: item for item in all_orders}
        assert {n for n, item in shown.items() if item["isProcessable"]} == {101, 108, 110}
        assert {n for n, item in shown.items() if item["isProcessed"]} == {102, 103, 107, 109}
        assert shown[105]["ticketName"] is None
        assert shown[104]["deviceName"] is None
        assert shown[105]["userUserName"] is None
        assert shown[108]["ticketName"] == "a:b\\c"
        assert shown[106]["createdAt"] == "2026-03-03T22:00:00.000Z"

    @pytest.mark.parametrize(("name", "text", "expected", "allow_empty"), CASES)
    def test_member_operator_selects_the_right_orders(
        self, client_api, orders, all_orders, name, text, expected, allow_empty
    ):
        def public_id(match: re.Match) -> str:
            shown = str(orders[int(match.group(1))].public_id)
            return shown.upper() if match.group(2) else shown

        text = PLACEHOLDER.sub(public_id, text)
        wanted = sorted(item["number"] for item in all_orders if expected(item))
        if not allow_empty:
            assert wanted, "the case selects some order"
        body = client_api.get(
            "/orders?" + query_string((name, text), ("$sort", "number")), status=200, max_queries=8
        )
        assert numbers(body) == wanted
        assert body["count"] == body["totalCount"] == len(wanted)

    def test_the_member_name_is_case_insensitive(self, client_api, orders):
        body = client_api.get("/orders?TICKETNAME=Smith&isprocessable=TRUE", status=200)
        assert numbers(body) == [101]

    def test_members_and_together(self, client_api, orders):
        body = client_api.get(
            "/orders?" + query_string(("ticketName", "contains:smith"), ("isProcessed", "true")),
            status=200,
        )
        assert sorted(numbers(body)) == [102, 103]

    def test_a_repeated_member_ands_its_operations(self, client_api, orders):
        body = client_api.get("/orders?number=ge:103&number=le:105&number=ne:104", status=200)
        assert sorted(numbers(body)) == [103, 105]

    def test_the_default_sort_is_by_number_descending(self, client_api, orders):
        assert numbers(client_api.get("/orders", status=200)) == sorted(ROWS, reverse=True)

    # --- date-times on the wire ---------------------------------------------------------------

    def test_a_date_time_with_unescaped_colons_in_the_url(self, client_api, orders):
        body = client_api.get("/orders?createdAt=ge:2026-03-05T06:45:30Z&$sort=number", status=200)
        assert numbers(body) == [107, 108, 109]

    def test_a_date_time_with_an_offset_in_the_url(self, client_api, orders):
        # '+' must be sent as %2B: a raw '+' in a query string is a space
        body = client_api.get("/orders?createdAt=lt:2026-03-01T12:15:00%2B02:00", status=200)
        assert numbers(body) == [101]
        body = client_api.get(
            "/orders?createdAt=2026-03-01T12:15:00%2B02:00&$sort=number", status=200
        )
        assert numbers(body) == [102, 110]

    def test_a_date_time_whose_plus_became_a_space_is_refused(self, client_api, orders):
        body = client_api.get("/orders?createdAt=lt:2026-03-01T12:15:00+02:00", status=400)
        assert [e["memberName"] for e in body["errors"]] == ["createdAt"]

    def test_a_between_on_date_times_with_escaped_colons_in_the_url(self, client_api, orders):
        body = client_api.get(
            "/orders?createdAt=between:2026-03-03T09%5C:00%5C:00Z"
            ":2026-03-04T00%5C:00%5C:00%2B02%5C:00&$sort=number",
            status=200,
        )
        assert numbers(body) == [105, 106]

    # --- $count -------------------------------------------------------------------------------

    def test_count_with_a_filter_has_no_items(self, client_api, orders):
        body = client_api.get("/orders?$count=true&status=New", status=200)
        assert body == {"count": 5, "totalCount": 5}

    @pytest.mark.parametrize(
        ("paging", "count"),
        [("", 5), ("&$take=2", 2), ("&$skip=2&$take=2", 2), ("&$skip=4", 1), ("&$skip=10", 0)],
    )
    def test_count_with_paging_counts_the_page(self, client_api, orders, paging, count):
        body = client_api.get(f"/orders?$count=TRUE&status=New{paging}", status=200)
        assert body == {"count": count, "totalCount": 5}

    def test_count_false_gives_items(self, client_api, orders):
        body = client_api.get("/orders?$count=false&status=New", status=200)
        assert sorted(numbers(body)) == [101, 104, 106, 108, 110]
        assert body["count"] == body["totalCount"] == 5


# --- problems ---------------------------------------------------------------------------------


def test_a_malformed_query_is_a_problem(client_api, db):
    body = client_api.get("/orders?$skip=-1&bogus=1&number=eq:x&$sort=nope", status=400)
    response = client_api.last_response
    assert response["Content-Type"].startswith("application/problem+json")
    assert body["status"] == 400
    assert body["errorCode"] == 3
    assert body["title"]
    assert body["instance"] == "/orders"
    assert body["traceId"] == response["X-Request-ID"]
    assert [e["memberName"] for e in body["errors"]] == ["$skip", "bogus", "number", "$sort"]
    assert all(e["message"] for e in body["errors"])
    for entry in body["errors"]:
        assert f"{entry['memberName']}: {entry['message']}" in body["detail"]


def test_the_trace_id_is_the_request_id_the_client_sent(client_api, db):
    body = client_api.get(
        "/orders?$take=1001", status=400, headers={"HTTP_X_REQUEST_ID": "till-7.req_42"}
    )
    assert body["traceId"] == "till-7.req_42"
    assert client_api.last_response["X-Request-ID"] == "till-7.req_42"
    assert [e["memberName"] for e in body["errors"]] == ["$take"]


@pytest.mark.parametrize(
    ("query", "member"),
    [
        ("$skip=-1", "$skip"),
        ("$take=abc", "$take"),
        ("$take=1001", "$take"),
        ("$count=yes", "$count"),
        ("$sort=isProcessed", "$sort"),
        ("$sort=-number:asc", "$sort"),
        ("$skip=1&$skip=2", "$skip"),
        ("Bogus=1", "Bogus"),
        ("number=like:5", "number"),
        ("number=in", "number"),
        ("ticketName=between:a", "ticketName"),
        ("ticketName=eq:a%5Cx", "ticketName"),
        ("ticketName=eq:a%5C", "ticketName"),
        ("ticketName=eq:1;", "ticketName"),
        ("ticketName=eq:%00", "ticketName"),
        ("createdAt=eq:2026-02-30", "createdAt"),
        ("createdAt=between:2026-03-01T10:00:00Z:2026-03-02T10:00:00Z", "createdAt"),
        ("isProcessed=null", "isProcessed"),
        ("status=Pending", "status"),
        ("id=123", "id"),
        ("TrayNumber=", "TrayNumber"),
    ],
)
def test_each_malformed_parameter_is_named(client_api, db, query, member):
    body = client_api.get("/orders?" + query, status=400)
    assert body["errorCode"] == 3
    assert [e["memberName"] for e in body["errors"]] == [member]


@pytest.mark.parametrize("fmt", ["xml", "api", "csv"])
def test_format_is_an_unknown_member_like_any_other(client_api, db, fmt):
    body = client_api.get(f"/orders?format={fmt}", status=400)
    assert [e["memberName"] for e in body["errors"]] == ["format"]


@pytest.mark.parametrize(
    ("raw_name", "name"),
    [
        ("detail", "detail"),
        ("non_field_errors", "non_field_errors"),
        ("a%3A%20b", "a: b"),
        ("", ""),
    ],
)
def test_the_member_name_is_the_parameter_as_sent(client_api, db, raw_name, name):
    body = client_api.get(f"/orders?{raw_name}=1", status=400)
    assert [e["memberName"] for e in body["errors"]] == [name]


@pytest.mark.parametrize(
    "text",
    ["gt:0001-01-01T00:00:00%2B01:00", "lt:9999-12-31T23:59:59-01:00", "0001-01-01T00:30%2B01:00"],
)
def test_a_date_time_outside_the_utc_range_is_never_a_500(client_api, db, text):
    body = client_api.get(f"/orders?createdAt={text}", status=400)
    assert body["errors"][0]["memberName"] == "createdAt"


# --- the number of queries does not grow with the page ----------------------------------------


def test_query_count_does_not_depend_on_the_page_size(client_api, make_order, make_user):
    creator = make_user(username="carol")
    templates = [
        make_order(actor=creator, items=2, endpoints=("surfacing", "coating"), ticket_name="T")
        for _ in range(3)
    ]
    start = max(order.number for order in templates) + 1
    now = timezone.now()
    copies = Order.objects.bulk_create(
        Order(
            number=start + n,
            public_id=uuid.uuid4(),
            ticket_name=f"copy {n}",
            created_by=creator if n % 2 else None,
            created_device="WS-9",
            received_at=now,
            processed_at=now if n % 3 == 0 else None,
        )
        for n in range(210)
    )
    if any(order.pk is None for order in copies):  # a backend that returns no keys
        copies = list(Order.objects.filter(number__gte=start))
    items = OrderItem.objects.bulk_create(
        OrderItem(order=order, sku=f"SKU{k}", name=f"Lens {k}")
        for order in copies
        for k in range(2)
    )
    if any(item.pk is None for item in items):
        items = list(OrderItem.objects.filter(order__number__gte=start))
    OrderItemEndpoint.objects.bulk_create(
        OrderItemEndpoint(item=item, name=name) for item in items for name in ("surfacing", "qa")
    )

    client_api.get("/orders?$take=1", status=200)  # first use of the key writes last_used_at
    small = client_api.get("/orders?$take=1", status=200)
    small_queries = client_api.last_queries
    large = client_api.get("/orders?$take=200", status=200, max_queries=small_queries)
    assert client_api.last_queries == small_queries
    assert (small["count"], large["count"]) == (1, 200)
    assert large["totalCount"] == 213
    assert all(len(item["items"]) == 2 for item in large["items"])
    assert all(len(item["endpoints"]) == 2 for item in large["items"])
    filtered = client_api.get(
        "/orders?$take=200&userUserName=carol&$sort=-userUserName,createdAt", status=200
    )
    # 108 matches fit on one page: the last page needs no count, so one query fewer.
    assert client_api.last_queries == small_queries - 1
    assert filtered["count"] == 108
    assert filtered["totalCount"] == 108


# --- stable paging under ties -----------------------------------------------------------------

# Few distinct values per key, so most sort keys have long runs of ties.
TIE_NAMES = ["Smith", "Smith", "", "Brown"] * 3 + ["Adams"]
TIE_TIMES = [utc(2026, 3, 1, 8), utc(2026, 3, 1, 8), utc(2026, 3, 2, 9, 30)]
TIE_STATUSES = ["New", "New", "Done", "InProgress", "New", "Cancelled"]
TIE_DEVICES = ["WS-1", "WS-1", "", "WS-2"]
TIE_TICKETS = ["T1", "T1", "", "T2", ""]
TIE_POS = ["PO1", "", "PO1", "", "PO2"]
TIE_TRAYS = {3: "41", 8: "42"}  # the other trays are empty
TIE_USERS = ["dora", "dora", None, "erik"]


SORTABLE = [
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
]
# Keys whose wire values order the same way under any collation.
MONOTONIC = {
    "id": lambda item: item["id"],
    "number": lambda item: item["number"],
    "status": lambda item: item["status"],
    "createdAt": lambda item: at(item["createdAt"]),
}


def walk(client_api, query: str, take: int) -> tuple[list[dict], int]:
    """Every page of ``query`` with ``$skip``/``$take``, concatenated, and the total."""
    seen, skip, total = [], 0, None
    while True:
        body = client_api.get(f"/orders?{query}&$skip={skip}&$take={take}", status=200)
        total = body["totalCount"] if total is None else total
        assert body["totalCount"] == total
        assert body["count"] == len(body["items"]) == max(0, min(take, total - skip))
        seen.extend(body["items"])
        skip += take
        if skip >= total:
            return seen, total


@pytest.fixture(scope="class")
def tied_orders(django_db_setup, django_db_blocker) -> list[Order]:
    with shared_rows(django_db_blocker):
        users = {name: User.objects.create_user(username=name) for name in ("dora", "erik")}
        made = []
        for n, name in enumerate(TIE_NAMES):
            made.append(
                create(
                    number=500 + (n * 7) % 13,  # numbers not in creation order
                    actor=users.get(TIE_USERS[n % len(TIE_USERS)]),
                    ticket_name=name,
                    ticket_id=TIE_TICKETS[n % len(TIE_TICKETS)],
                    po_number=TIE_POS[n % len(TIE_POS)],
                    tray=TIE_TRAYS.get(n, ""),
                    created_device=TIE_DEVICES[n % len(TIE_DEVICES)],
                    received_at=TIE_TIMES[n % len(TIE_TIMES)],
                    processing_status=TIE_STATUSES[n % len(TIE_STATUSES)],
                )
            )
        yield made


class TestStablePaging:
    """Walking the pages of every sort gives every match once, in the one-page order."""

    @pytest.mark.parametrize("take", [3])
    @pytest.mark.parametrize(
        "filter_",
        [pytest.param("", id="all"), pytest.param("status=ne:Cancelled", id="filtered")],
    )
    @pytest.mark.parametrize("direction", ["asc", "desc"])
    @pytest.mark.parametrize("key", SORTABLE)
    def test_paging_is_stable(self, client_api, tied_orders, key, direction, filter_, take):
        sort = f"{key}:asc" if direction == "asc" else f"-{key}"
        query = f"$sort={sort}" + (f"&{filter_}" if filter_ else "")
        one_page = client_api.get(f"/orders?{query}&$take=1000", status=200)
        ids = [item["id"] for item in one_page["items"]]
        expected = {
            str(order.public_id)
            for order in tied_orders
            if not filter_ or order.processing_status != ProcessingStatus.CANCELLED
        }
        assert set(ids) == expected
        assert len(ids) == len(expected) == one_page["totalCount"]

        pages, total = walk(client_api, query, take)
        assert total == len(expected)
        assert [item["id"] for item in pages] == ids  # each exactly once, in the same order

        # Equal keys sit together, and ties are broken by id.
        runs: list[tuple[object, list[str]]] = []
        for item in one_page["items"]:
            if runs and runs[-1][0] == item[key]:
                runs[-1][1].append(item["id"])
            else:
                runs.append((item[key], [item["id"]]))
        assert len({run_key for run_key, _ in runs}) == len(runs), "each key value forms one run"
        for _, run in runs:
            assert run == sorted(run), "ties are in id order"
        if key in MONOTONIC:
            values = [MONOTONIC[key](item) for item in one_page["items"]]
            assert values == sorted(values, reverse=direction == "desc")

    def test_the_tied_fixture_has_ties(self, tied_orders):
        assert max(TIE_NAMES.count(name) for name in set(TIE_NAMES)) >= 4
        assert len({order.received_at for order in tied_orders}) == 2
        assert sum(1 for order in tied_orders if not order.tray) == len(tied_orders) - 2

    @pytest.mark.parametrize(
        "sort", ["status,-createdAt", "-ticketName,userUserName:desc,trayNumber"]
    )
    def test_paging_is_stable_with_several_keys(self, client_api, tied_orders, sort):
        one_page = client_api.get(f"/orders?$sort={sort}&$take=1000", status=200)
        pages, total = walk(client_api, f"$sort={sort}", 4)
        assert total == len(tied_orders)
        assert [item["id"] for item in pages] == [item["id"] for item in one_page["items"]]
