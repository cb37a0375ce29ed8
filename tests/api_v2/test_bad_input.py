"""Bad input never yields a 500: every malformed request is a clear 4xx in the v2 envelope
``{"error", "details"}`` and leaves the database exactly as it was."""

import json
from dataclasses import dataclass
from urllib.parse import quote

from django.forms.models import model_to_dict
from django.utils import timezone

import pytest

from orders.models import (
    DeleteReason,
    LabSettings,
    LabSettingsChange,
    Order,
    OrderEvent,
    OrderItem,
)

pytestmark = pytest.mark.django_db

# A refused request authenticates (key, last-used write), checks rights (2), and perhaps resolves
# an identifier; a cancel refused at its reason check also runs the service's guards (savepoint,
# lock, settings, reason lookups). Never more, whatever the size of the input.
BAD_INPUT_QUERY_CEILING = 12

ORDER = "10001"  # an active order of the lab below, with a tray, a PO number and two items


class StartsWith(str):
    """Equal to any string that starts with it: for details that quote a parser's message."""

    def __eq__(self, other):
        return isinstance(other, str) and other.startswith(str(self))

    __hash__ = str.__hash__


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def incorrect(*details: str) -> dict:
    return error("Incorrect arguments provided", *details)


MALFORMED = error("Malformed request body", StartsWith("JSON parse error - "))
NOT_JSON = error(
    "Unsupported media type",
    "Send JSON with Content-Type: application/json",
    "Provided: text/plain",
)


@pytest.fixture
def lab(make_order, make_reason, lab_settings):
    """A lab with orders in several states, reason codes (required on delete) and settings."""
    lab_settings(
        enter_reason_code_when_deleting_order=True,
        trays_required=True,
        tracker_heartbeat_seconds=45,
        ticket_paper_size="a4",
    )
    make_reason(code="CUS", description="Customer request")
    make_reason(code="OLD", description="Retired", active=False)
    make_order(number=int(ORDER), tray="42", po_number="PO-1", items=2)
    make_order(number=10002, on_hold=True)
    make_order(number=10003, tray="43", cancelled_at=timezone.now())


def database_state() -> dict:
    """Everything a refused request must leave untouched."""
    return {
        "orders": Order.objects.count(),
        "items": OrderItem.objects.count(),
        "events": OrderEvent.objects.count(),
        "delete reasons": DeleteReason.objects.count(),
        "lab settings": model_to_dict(LabSettings.load()),
        "settings history": LabSettingsChange.objects.count(),
        "order rows": list(
            Order.objects.order_by("number").values_list(
                "number", "version", "state", "on_hold", "cancelled_at", "tray"
            )
        ),
        "reason rows": list(
            DeleteReason.objects.order_by("code").values_list("code", "description", "active")
        ),
    }


def refused(api, method: str, path: str, *, status: int, body=None, raw=None, content_type=None):
    """Send a bad request; assert its status, the envelope and an unchanged database."""
    before = database_state()
    if body is not None:
        raw = json.dumps(body)
    kwargs = {"raw": raw}
    if content_type is not None:
        kwargs["content_type"] = content_type
    response = api.call(method, path, status=status, max_queries=BAD_INPUT_QUERY_CEILING, **kwargs)
    assert set(response) == {"error", "details"}
    assert isinstance(response["error"], str)
    assert all(isinstance(line, str) for line in response["details"])
    assert database_state() == before
    return response


# --- order identifiers in the path ----------------------------------------------------------

ORDER_ENDPOINTS = [
    pytest.param("get", "/api/v2/orders/{}", id="GET-order"),
    pytest.param("get", "/api/v2/orders/{}/status", id="GET-status"),
    pytest.param("delete", "/api/v2/orders/{}", id="DELETE-order"),
    pytest.param("post", "/api/v2/orders/{}/hold", id="POST-hold"),
    pytest.param("post", "/api/v2/orders/{}/release", id="POST-release"),
]

BAD_IDENTIFIERS = [
    pytest.param("A" * 10_000, id="10000-chars"),
    pytest.param("9" * 10_000, id="10000-digits"),
    pytest.param("١٢٣", id="arabic-indic-digits"),
    pytest.param("１０００１", id="fullwidth-digits-of-an-order"),
    pytest.param("注文-7", id="cjk"),
    pytest.param("🦄", id="emoji"),
    pytest.param("\x00", id="nul"),
    pytest.param("10001\x00", id="order-number-then-nul"),
    pytest.param("10001\n", id="order-number-then-newline"),
    pytest.param(" 10001", id="leading-space"),
    pytest.param("1' OR '1'='1", id="sql-or"),
    pytest.param("1;DROP TABLE orders_order", id="sql-drop"),
    pytest.param("PO-1' --", id="sql-comment"),
    pytest.param("%", id="percent"),
    pytest.param("..", id="dot-dot"),
]


@pytest.mark.parametrize("identifier", BAD_IDENTIFIERS)
@pytest.mark.parametrize(("method", "template"), ORDER_ENDPOINTS)
def test_an_unusable_order_identifier_is_not_found(
    supervisor_api, lab, method, template, identifier
):
    path = template.format(quote(identifier, safe=""))

    body = refused(supervisor_api, method, path, status=404)

    assert body == error("No record found", f"Provided: {identifier}")


# --- delete reason codes in the path ----------------------------------------------------------

REASON_ENDPOINTS = [
    pytest.param("get", None, id="GET"),
    pytest.param("patch", {"description": "changed"}, id="PATCH"),
    pytest.param("delete", None, id="DELETE"),
]

BAD_CODES = [
    pytest.param("C" * 10_000, id="10000-chars"),
    pytest.param("\x00", id="nul"),
    pytest.param("CUS\x00", id="code-then-nul"),
    pytest.param("CUS\n", id="code-then-newline"),
    pytest.param("١٢٣", id="arabic-indic-digits"),
    pytest.param("🦄", id="emoji"),
    pytest.param("1' OR '1'='1", id="sql-or"),
    pytest.param("1;DROP TABLE orders_deletereason", id="sql-drop"),
]


@pytest.mark.parametrize("code", BAD_CODES)
@pytest.mark.parametrize(("method", "body"), REASON_ENDPOINTS)
def test_an_unusable_reason_code_is_not_found(supervisor_api, lab, method, body, code):
    path = f"/api/v2/delete_reasons/{quote(code, safe='')}"

    response = refused(supervisor_api, method, path, status=404, body=body)

    assert response == error("No record found", f"Provided: {code}")


# --- request bodies ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Case:
    """One bad request, and the status and exact body it is answered with."""

    id: str  # the endpoint, then what is wrong: "POST-orders-malformed-json"
    method: str
    path: str
    query: str = ""  # the query string, without "?"
    body: object = None  # sent as JSON
    raw: str | bytes | None = None  # sent as it is (for what JSON cannot express)
    content_type: str | None = None  # application/json unless given
    status: int = 400
    expected: dict

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


ORDERS = "/api/v2/orders"
ONE_ITEM = [{"sku": "SV-150"}]


# What a create requires besides the bad input each case sends (contracts/rx-orders.md).
REQUIRED = {"customerNumber": "C1", "customerJobId": "J-BAD", "poNumber": "PO-BAD", "jobType": "U"}


def create_order(case_id: str, **request) -> Case:
    """A bad create: a JSON object sent carries the required fields too (the case's own keys
    come last and win), so that the answer is about what the case gets wrong."""
    if isinstance(request.get("body"), dict):
        request["body"] = REQUIRED | request["body"]
    raw = request.get("raw")
    if isinstance(raw, str) and raw.startswith("{") and len(raw) > 2:
        request["raw"] = "{" + json.dumps(REQUIRED)[1:-1] + ", " + raw[1:]
    return Case(id=f"POST-orders-{case_id}", method="post", path=ORDERS, **request)


CREATE_CASES = [
    create_order("malformed-json", raw='{"items": [', expected=MALFORMED),
    create_order("invalid-utf8", raw=b'{"patient": "\xff"}', expected=MALFORMED),
    create_order("nan", raw='{"items": NaN}', expected=MALFORMED),
    create_order(
        "text-plain",
        raw="orderNumber=1",
        content_type="text/plain",
        status=415,
        expected=NOT_JSON,
    ),
    create_order(
        "array-body",
        body=[{"items": ONE_ITEM}],
        expected=incorrect("body: Invalid data. Expected a dictionary, but got list."),
    ),
    create_order("null-body", raw="null", expected=incorrect("body: No data provided")),
    create_order(
        "string-body",
        body="10001",
        expected=incorrect("body: Invalid data. Expected a dictionary, but got str."),
    ),
    create_order(
        "number-body",
        body=10001,
        expected=incorrect("body: Invalid data. Expected a dictionary, but got int."),
    ),
    create_order(
        "items-as-object",
        body={"items": {"sku": "SV-150"}},
        expected=incorrect('items: Expected a list of items but got type "dict".'),
    ),
    create_order(
        "items-nested-lists",
        body={"items": [["SV-150", 1]]},
        expected=incorrect("items[0]: Invalid data. Expected a dictionary, but got list."),
    ),
    create_order(
        "item-as-number",
        body={"items": [7]},
        expected=incorrect("items[0]: Invalid data. Expected a dictionary, but got int."),
    ),
    create_order(
        "quantity-as-object",
        body={"items": [{"sku": "SV-150", "quantity": {"value": 2}}]},
        expected=incorrect("items[0].quantity: A valid integer is required."),
    ),
    create_order(
        "quantity-zero",
        body={"items": [{"sku": "SV-150", "quantity": 0}]},
        expected=incorrect("items[0].quantity: Ensure this value is greater than or equal to 1."),
    ),
    create_order(
        "order-number-as-object",
        body={"orderNumber": {"n": 10500}, "items": ONE_ITEM},
        expected=incorrect("orderNumber: Not a valid string."),
    ),
    create_order(
        "order-number-as-list",
        body={"orderNumber": [10500], "items": ONE_ITEM},
        expected=incorrect("orderNumber: Not a valid string."),
    ),
    # A number (or a boolean) where text is required is refused, not turned into text.
    create_order(
        "order-number-as-number",
        body={"orderNumber": 10500, "items": ONE_ITEM},
        expected=incorrect("orderNumber: Not a valid string."),
    ),
    create_order(
        "patient-as-boolean",
        body={"patient": True, "items": ONE_ITEM},
        expected=incorrect("patient: Not a valid string."),
    ),
    create_order(
        "sku-and-endpoint-as-numbers",
        body={"items": [{"sku": 150, "endpoints": ["SURF", 7]}]},
        expected=incorrect(
            "items[0].sku: Not a valid string.", "items[0].endpoints[1]: Not a valid string."
        ),
    ),
    create_order(
        "sku-blank",
        body={"items": [{"sku": "  "}]},
        expected=incorrect("items[0].sku: This field may not be blank."),
    ),
    create_order(
        "patient-with-nul",
        body={"patient": "A\u0000B", "items": ONE_ITEM},
        expected=incorrect("patient: Null characters are not allowed."),
    ),
    create_order(
        "order-number-null",
        body={"orderNumber": None, "items": ONE_ITEM},
        expected=incorrect("orderNumber: This field may not be null."),
    ),
    create_order(
        "items-null",
        body={"items": None},
        expected=incorrect("items: This field may not be null."),
    ),
    create_order(
        "sku-null",
        body={"items": [{"sku": None}]},
        expected=incorrect("items[0].sku: This field may not be null."),
    ),
    create_order(
        "sku-missing",
        body={"items": [{"name": "Lens"}]},
        expected=incorrect("items[0].sku: This field is required."),
    ),
    create_order(
        "flag-as-string",
        body={"requiresTint": "yes", "items": ONE_ITEM},
        expected=incorrect("requiresTint: Must be a valid boolean."),
    ),
    create_order(
        "too-many-items",
        body={"items": [{"sku": f"SKU{n}"} for n in range(201)]},
        expected=incorrect("items: Ensure this field has no more than 200 elements."),
    ),
    create_order(
        "far-too-many-items",
        body={"items": [{"sku": "SV-150"}] * 20_000},
        expected=incorrect("items: Ensure this field has no more than 200 elements."),
    ),
    create_order(
        "too-many-endpoints",
        body={"items": [{"sku": "SV-150", "endpoints": [f"e{n}" for n in range(21)]}]},
        expected=incorrect("items[0].endpoints: Ensure this field has no more than 20 elements."),
    ),
    create_order(
        "february-30",
        body={"dateWanted": "2026-02-30", "items": ONE_ITEM},
        expected=incorrect(
            "dateWanted: Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        ),
    ),
    create_order(
        "date-as-word",
        body={"dateWanted": "tomorrow", "items": ONE_ITEM},
        expected=incorrect(
            "dateWanted: Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        ),
    ),
    create_order(
        "date-as-number",
        body={"dateOrdered": 20260101, "items": ONE_ITEM},
        expected=incorrect(
            "dateOrdered: Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        ),
    ),
    create_order(
        "nul-in-string",
        body={"customerNumber": "C\x001", "items": ONE_ITEM},
        expected=incorrect("customerNumber: Null characters are not allowed."),
    ),
    create_order(
        "nul-in-item-string",
        body={"items": [{"sku": "SV\x00150"}]},
        expected=incorrect("items[0].sku: Null characters are not allowed."),
    ),
    create_order(
        "nul-in-po-number",
        body={"poNumber": "\x00", "items": ONE_ITEM},
        expected=incorrect("poNumber: Null characters are not allowed."),
    ),
    create_order(
        "lone-surrogate-in-string",
        raw='{"patient": "\\ud800", "items": [{"sku": "SV-150"}]}',
        expected=incorrect("patient: Surrogate characters are not allowed: U+D800."),
    ),
    create_order(
        "lone-surrogate-in-choice",
        raw='{"jobType": "\\ud800", "items": [{"sku": "SV-150"}]}',
        expected=incorrect('jobType: "\\ud800" is not a valid choice.'),
    ),
    create_order(
        "lone-surrogate-as-key",
        raw='{"\\udc00": 1, "items": [{"sku": "SV-150"}]}',
        expected=incorrect("\\udc00: unknown field"),
    ),
    create_order(
        "unknown-field",
        body={"orderNo": "10500", "items": ONE_ITEM},
        expected=incorrect("orderNo: unknown field"),
    ),
    create_order(
        "10000-char-string",
        body={"patient": "x" * 10_000, "items": ONE_ITEM},
        expected=incorrect("patient: Ensure this field has no more than 100 characters."),
    ),
    create_order(
        "non-ascii-tray",
        body={"trayNumber": "١٢٣", "items": ONE_ITEM},
        expected=incorrect("trayNumber: must contain digits only"),
    ),
    create_order(
        "sql-in-order-number",
        body={"orderNumber": "1' OR '1'='1", "items": ONE_ITEM},
        expected=incorrect("orderNumber: must contain digits only"),
    ),
    create_order(
        "order-number-with-zero",
        body={"orderNumber": "0123", "items": ONE_ITEM},
        expected=incorrect("orderNumber: must not start with 0"),
    ),
    create_order(
        "order-number-too-long",
        body={"orderNumber": "123456789", "items": ONE_ITEM},
        expected=incorrect("orderNumber: must have at most 8 digits"),
    ),
    create_order(
        "existing-order-number",
        body={"orderNumber": ORDER, "items": ONE_ITEM},
        expected=incorrect(f"orderNumber: order number {ORDER} already exists"),
    ),
    create_order(
        "po-number-too-long",
        body={"poNumber": "1;DROP TABLE orders_order", "items": ONE_ITEM},
        expected=incorrect("poNumber: must have at most 20 characters"),
    ),
    create_order(
        "tray-in-use",
        body={"trayNumber": "42", "items": ONE_ITEM},
        expected=incorrect(f"trayNumber: tray 42 is in use by order {ORDER}"),
    ),
]

CANCEL = f"/api/v2/orders/{ORDER}"
SQL_OR = "1' OR '1'='1"
DELETE_REASON_INVALID = "Delete reason code does not exist"


def cancel_order(case_id: str, **request) -> Case:
    return Case(id=f"DELETE-order-{case_id}", method="delete", path=CANCEL, **request)


CANCEL_CASES = [
    cancel_order("malformed-json", raw='{"deleteReason": ', expected=MALFORMED),
    cancel_order(
        "text-plain",
        raw="deleteReason=CUS",
        content_type="text/plain",
        status=415,
        expected=NOT_JSON,
    ),
    cancel_order(
        "array-body",
        body=["CUS"],
        expected=incorrect("body: must be a JSON object"),
    ),
    cancel_order(
        "reason-as-object",
        body={"deleteReason": {"code": "CUS"}},
        expected=incorrect("deleteReason: must be a string"),
    ),
    cancel_order(
        "reason-as-list",
        body={"deleteReason": ["CUS"]},
        expected=incorrect("deleteReason: must be a string"),
    ),
    cancel_order(
        "reason-as-boolean",
        body={"deleteReason": True},
        expected=incorrect("deleteReason: must be a string"),
    ),
    cancel_order(
        "reason-as-number",
        body={"deleteReason": 12},
        expected=incorrect("deleteReason: must be a string"),
    ),
    cancel_order(
        "reason-null",
        body={"deleteReason": None},
        expected=error(DELETE_REASON_INVALID, "Provided: "),
    ),
    cancel_order(
        "nul-in-query",
        query="deleteReason=%00",
        expected=incorrect("deleteReason: Null characters are not allowed."),
    ),
    cancel_order(
        "nul-in-body",
        body={"deleteReason": "CUS\x00"},
        expected=incorrect("deleteReason: Null characters are not allowed."),
    ),
    cancel_order(
        "lone-surrogate-in-body",
        raw='{"deleteReason": "\\ud800"}',
        expected=incorrect("deleteReason: Surrogate characters are not allowed: U+D800."),
    ),
    cancel_order(
        "sql-in-query",
        query=f"deleteReason={quote(SQL_OR)}",
        expected=error(DELETE_REASON_INVALID, f"Provided: {SQL_OR}"),
    ),
    cancel_order(
        "10000-char-reason",
        query=f"deleteReason={'R' * 10_000}",
        expected=error(DELETE_REASON_INVALID, f"Provided: {'R' * 10_000}"),
    ),
    cancel_order(
        "unicode-reason",
        body={"deleteReason": "理由"},
        expected=error(DELETE_REASON_INVALID, "Provided: 理由"),
    ),
]

REASONS = "/api/v2/delete_reasons"
REASON = "/api/v2/delete_reasons/CUS"
CODE_RULE = "code: use 1 to 10 letters, digits, '-' or '_'"


def list_reasons(case_id: str, **request) -> Case:
    return Case(id=f"GET-reasons-{case_id}", method="get", path=REASONS, **request)


def create_reason(case_id: str, **request) -> Case:
    return Case(id=f"POST-reasons-{case_id}", method="post", path=REASONS, **request)


def change_reason(case_id: str, **request) -> Case:
    return Case(id=f"PATCH-reason-{case_id}", method="patch", path=REASON, **request)


REASON_CASES = [
    list_reasons(
        "limit-word",
        query="limit=abc",
        expected=incorrect("limit: must be a non-negative integer"),
    ),
    list_reasons(
        "limit-negative",
        query="limit=-1",
        expected=incorrect("limit: must be a non-negative integer"),
    ),
    list_reasons(
        "limit-huge",
        query=f"limit={'9' * 100}",
        expected=incorrect("limit: must be at most 1000"),
    ),
    list_reasons(
        "limit-past-its-maximum",
        query="limit=1001",
        expected=incorrect("limit: must be at most 1000"),
    ),
    list_reasons(
        "limit-empty",
        query="limit=",
        expected=incorrect("limit: must be a non-negative integer"),
    ),
    list_reasons(
        "offset-past-its-maximum",
        query="offset=1000000000",
        expected=incorrect("offset: must be at most 999999999"),
    ),
    list_reasons(
        "offset-nul",
        query="offset=%00",
        expected=incorrect("offset: must be a non-negative integer"),
    ),
    list_reasons(
        "offset-arabic-digits",
        query=f"offset={quote('١٢')}",
        expected=incorrect("offset: must be a non-negative integer"),
    ),
    create_reason("malformed-json", raw="{code: CUS}", expected=MALFORMED),
    create_reason(
        "text-plain",
        raw="code=X",
        content_type="text/plain",
        status=415,
        expected=NOT_JSON,
    ),
    create_reason(
        "array-body",
        body=[{"code": "X", "description": "x"}],
        expected=incorrect("body: Invalid data. Expected a dictionary, but got list."),
    ),
    create_reason(
        "null-body",
        raw="null",
        expected=incorrect("body: No data provided"),
    ),
    create_reason(
        "nulls",
        body={"code": None, "description": None},
        expected=incorrect(
            "code: This field may not be null.", "description: This field may not be null."
        ),
    ),
    create_reason(
        "code-as-object",
        body={"code": {"x": 1}, "description": "x"},
        expected=incorrect("code: Not a valid string."),
    ),
    create_reason(
        "description-as-number",
        body={"code": "NEW", "description": 0},
        expected=incorrect("description: Not a valid string."),
    ),
    create_reason(
        "code-as-number",
        body={"code": 12, "description": "x"},
        expected=incorrect("code: Not a valid string."),
    ),
    create_reason(
        "code-with-spaces-around",
        body={"code": " NEW ", "description": "x"},
        expected=incorrect(CODE_RULE),
    ),
    create_reason(
        "bad-code",
        body={"code": "A B", "description": "x"},
        expected=incorrect(CODE_RULE),
    ),
    create_reason(
        "sql-code",
        body={"code": "1';DROP--", "description": "x"},
        expected=incorrect(CODE_RULE),
    ),
    create_reason(
        "long-code",
        body={"code": "C" * 11, "description": "x"},
        expected=incorrect(CODE_RULE, "code: Ensure this field has no more than 10 characters."),
    ),
    create_reason(
        "nul-code",
        body={"code": "A\x00", "description": "x"},
        expected=incorrect(CODE_RULE, "code: Null characters are not allowed."),
    ),
    create_reason(
        "active-as-object",
        body={"code": "NEW", "description": "x", "active": {"on": True}},
        expected=incorrect("active: Must be a valid boolean."),
    ),
    create_reason(
        "long-description",
        body={"code": "NEW", "description": "d" * 10_000},
        expected=incorrect("description: Ensure this field has no more than 200 characters."),
    ),
    create_reason(
        "existing-code",
        body={"code": "CUS", "description": "again"},
        expected=incorrect("code: reason code CUS already exists"),
    ),
    create_reason(
        "unknown-field",
        body={"code": "NEW", "description": "x", "colour": "red"},
        expected=incorrect("colour: unknown field"),
    ),
    change_reason("malformed-json", raw='{"active": fals', expected=MALFORMED),
    change_reason(
        "array-body",
        body=[{"active": False}],
        expected=incorrect("body: Invalid data. Expected a dictionary, but got list."),
    ),
    change_reason(
        "code-change",
        body={"code": "OTHER"},
        expected=incorrect("code: cannot be changed; create a new reason instead"),
    ),
    change_reason(
        "active-null",
        body={"active": None},
        expected=incorrect("active: This field may not be null."),
    ),
    change_reason(
        "nul-description",
        body={"description": "\x00"},
        expected=incorrect("description: Null characters are not allowed."),
    ),
]

SETTINGS = "/api/v2/settings"


def change_settings(case_id: str, **request) -> Case:
    return Case(id=f"PATCH-settings-{case_id}", method="patch", path=SETTINGS, **request)


SETTINGS_CASES = [
    change_settings("malformed-json", raw='{"traysRequired": }', expected=MALFORMED),
    change_settings(
        "text-plain",
        raw="traysRequired=true",
        content_type="text/plain",
        status=415,
        expected=NOT_JSON,
    ),
    change_settings(
        "array-body",
        body=[{"traysRequired": False}],
        expected=incorrect("body: Invalid data. Expected a dictionary, but got list."),
    ),
    change_settings("null-body", raw="null", expected=incorrect("body: No data provided")),
    change_settings(
        "heartbeat-as-word",
        body={"trackerHeartbeatSeconds": "soon"},
        expected=incorrect("trackerHeartbeatSeconds: A valid integer is required."),
    ),
    change_settings(
        "heartbeat-as-object",
        body={"trackerHeartbeatSeconds": {"seconds": 60}},
        expected=incorrect("trackerHeartbeatSeconds: A valid integer is required."),
    ),
    change_settings(
        "heartbeat-null",
        body={"trackerHeartbeatSeconds": None},
        expected=incorrect("trackerHeartbeatSeconds: This field may not be null."),
    ),
    change_settings(
        "heartbeat-too-small",
        body={"trackerHeartbeatSeconds": 4},
        expected=incorrect(
            "trackerHeartbeatSeconds: Ensure this value is greater than or equal to 5."
        ),
    ),
    change_settings(
        "heartbeat-huge",
        body={"trackerHeartbeatSeconds": 10**30},
        expected=incorrect(
            "trackerHeartbeatSeconds: Ensure this value is less than or equal to 3600."
        ),
    ),
    change_settings(
        "heartbeat-infinite",
        raw='{"trackerHeartbeatSeconds": 1e400}',
        expected=incorrect("trackerHeartbeatSeconds: A valid integer is required."),
    ),
    change_settings(
        "flag-as-string",
        body={"traysRequired": "false"},
        expected=incorrect("traysRequired: Must be a valid boolean."),
    ),
    change_settings(
        "flag-as-number",
        body={"allowHoldOrders": 0},
        expected=incorrect("allowHoldOrders: Must be a valid boolean."),
    ),
    change_settings(
        "flag-null",
        body={"jobTrackerModuleInstalled": None},
        expected=incorrect("jobTrackerModuleInstalled: This field may not be null."),
    ),
    change_settings(
        "unknown-paper-size",
        body={"ticketPaperSize": "legal"},
        expected=incorrect('ticketPaperSize: "legal" is not a valid choice.'),
    ),
    change_settings(
        "nul-in-choice",
        body={"ticketPaperSize": "a4\x00"},
        expected=incorrect('ticketPaperSize: "a4\x00" is not a valid choice.'),
    ),
    change_settings(
        "lone-surrogate-in-choice",
        raw='{"ticketPaperSize": "\\udfff"}',
        expected=incorrect('ticketPaperSize: "\\udfff" is not a valid choice.'),
    ),
    change_settings(
        "unknown-setting",
        body={"enterReasonCode": False},
        expected=incorrect("enterReasonCode: unknown field"),
    ),
    change_settings(
        "one-bad-value-refuses-all",
        body={"traysRequired": False, "trackerHeartbeatSeconds": 0},
        expected=incorrect(
            "trackerHeartbeatSeconds: Ensure this value is greater than or equal to 5."
        ),
    ),
]

BODY_CASES = CREATE_CASES + CANCEL_CASES + REASON_CASES + SETTINGS_CASES


@pytest.mark.parametrize("case", BODY_CASES, ids=lambda case: case.id)
def test_bad_input_is_refused_with_the_envelope_and_changes_nothing(supervisor_api, lab, case):
    response = refused(
        supervisor_api,
        case.method,
        case.url,
        status=case.status,
        body=case.body,
        raw=case.raw,
        content_type=case.content_type,
    )

    assert response == case.expected


def test_the_bad_input_cases_cover_every_method_of_the_orders_and_config_endpoints():
    covered = {(case.method, case.path) for case in BODY_CASES}
    assert {
        ("post", ORDERS),
        ("delete", CANCEL),
        ("get", REASONS),
        ("post", REASONS),
        ("patch", REASON),
        ("patch", SETTINGS),
    } <= covered
    # Each case has a name of its own (pytest would number look-alikes: "malformed-json1").
    assert len({case.id for case in BODY_CASES}) == len(BODY_CASES)
