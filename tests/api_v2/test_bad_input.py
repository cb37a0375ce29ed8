"""Bad input never yields a 500: every malformed request is a clear 4xx in the v2 envelope
``{"error", "details"}`` and leaves the database exactly as it was."""

import json
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


def case(case_id, method, path, *, expected, status=400, body=None, raw=None, content_type=None):
    return pytest.param(method, path, body, raw, content_type, status, expected, id=case_id)


ORDERS = "/api/v2/orders"
ONE_ITEM = [{"sku": "SV-150"}]

CREATE_CASES = [
    case("malformed-json", "post", ORDERS, raw='{"items": [', expected=MALFORMED),
    case("invalid-utf8", "post", ORDERS, raw=b'{"patient": "\xff"}', expected=MALFORMED),
    case("nan", "post", ORDERS, raw='{"items": NaN}', expected=MALFORMED),
    case(
        "text-plain",
        "post",
        ORDERS,
        raw="orderNumber=1",
        content_type="text/plain",
        status=415,
        expected=NOT_JSON,
    ),
    case(
        "array-body",
        "post",
        ORDERS,
        body=[{"items": ONE_ITEM}],
        expected=incorrect("body: Invalid data. Expected a dictionary, but got list."),
    ),
    case("null-body", "post", ORDERS, raw="null", expected=incorrect("body: No data provided")),
    case(
        "string-body",
        "post",
        ORDERS,
        body="10001",
        expected=incorrect("body: Invalid data. Expected a dictionary, but got str."),
    ),
    case(
        "number-body",
        "post",
        ORDERS,
        body=10001,
        expected=incorrect("body: Invalid data. Expected a dictionary, but got int."),
    ),
    case(
        "items-as-object",
        "post",
        ORDERS,
        body={"items": {"sku": "SV-150"}},
        expected=incorrect('items: Expected a list of items but got type "dict".'),
    ),
    case(
        "items-nested-lists",
        "post",
        ORDERS,
        body={"items": [["SV-150", 1]]},
        expected=incorrect("items[0]: Invalid data. Expected a dictionary, but got list."),
    ),
    case(
        "item-as-number",
        "post",
        ORDERS,
        body={"items": [7]},
        expected=incorrect("items[0]: Invalid data. Expected a dictionary, but got int."),
    ),
    case(
        "quantity-as-object",
        "post",
        ORDERS,
        body={"items": [{"sku": "SV-150", "quantity": {"value": 2}}]},
        expected=incorrect("items[0].quantity: A valid integer is required."),
    ),
    case(
        "quantity-zero",
        "post",
        ORDERS,
        body={"items": [{"sku": "SV-150", "quantity": 0}]},
        expected=incorrect("items[0].quantity: Ensure this value is greater than or equal to 1."),
    ),
    case(
        "order-number-as-object",
        "post",
        ORDERS,
        body={"orderNumber": {"n": 10500}, "items": ONE_ITEM},
        expected=incorrect("orderNumber: Not a valid string."),
    ),
    case(
        "order-number-as-list",
        "post",
        ORDERS,
        body={"orderNumber": [10500], "items": ONE_ITEM},
        expected=incorrect("orderNumber: Not a valid string."),
    ),
    case(
        "order-number-null",
        "post",
        ORDERS,
        body={"orderNumber": None, "items": ONE_ITEM},
        expected=incorrect("orderNumber: This field may not be null."),
    ),
    case(
        "items-null",
        "post",
        ORDERS,
        body={"items": None},
        expected=incorrect("items: This field may not be null."),
    ),
    case(
        "sku-null",
        "post",
        ORDERS,
        body={"items": [{"sku": None}]},
        expected=incorrect("items[0].sku: This field may not be null."),
    ),
    case(
        "sku-missing",
        "post",
        ORDERS,
        body={"items": [{"name": "Lens"}]},
        expected=incorrect("items[0].sku: This field is required."),
    ),
    case(
        "flag-as-string",
        "post",
        ORDERS,
        body={"requiresTint": "yes", "items": ONE_ITEM},
        expected=incorrect("requiresTint: Must be a valid boolean."),
    ),
    case(
        "too-many-items",
        "post",
        ORDERS,
        body={"items": [{"sku": f"SKU{n}"} for n in range(201)]},
        expected=incorrect("items: Ensure this field has no more than 200 elements."),
    ),
    case(
        "far-too-many-items",
        "post",
        ORDERS,
        body={"items": [{"sku": "SV-150"}] * 20_000},
        expected=incorrect("items: Ensure this field has no more than 200 elements."),
    ),
    case(
        "too-many-endpoints",
        "post",
        ORDERS,
        body={"items": [{"sku": "SV-150", "endpoints": [f"e{n}" for n in range(21)]}]},
        expected=incorrect("items[0].endpoints: Ensure this field has no more than 20 elements."),
    ),
    case(
        "february-30",
        "post",
        ORDERS,
        body={"dateWanted": "2026-02-30", "items": ONE_ITEM},
        expected=incorrect(
            "dateWanted: Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        ),
    ),
    case(
        "date-as-word",
        "post",
        ORDERS,
        body={"dateWanted": "tomorrow", "items": ONE_ITEM},
        expected=incorrect(
            "dateWanted: Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        ),
    ),
    case(
        "date-as-number",
        "post",
        ORDERS,
        body={"dateOrdered": 20260101, "items": ONE_ITEM},
        expected=incorrect(
            "dateOrdered: Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        ),
    ),
    case(
        "nul-in-string",
        "post",
        ORDERS,
        body={"customerNumber": "C\x001", "items": ONE_ITEM},
        expected=incorrect("customerNumber: Null characters are not allowed."),
    ),
    case(
        "nul-in-item-string",
        "post",
        ORDERS,
        body={"items": [{"sku": "SV\x00150"}]},
        expected=incorrect("items[0].sku: Null characters are not allowed."),
    ),
    case(
        "nul-in-po-number",
        "post",
        ORDERS,
        body={"poNumber": "\x00", "items": ONE_ITEM},
        expected=incorrect("poNumber: Null characters are not allowed."),
    ),
    case(
        "lone-surrogate-in-string",
        "post",
        ORDERS,
        raw='{"patient": "\\ud800", "items": [{"sku": "SV-150"}]}',
        expected=incorrect("patient: Surrogate characters are not allowed: U+D800."),
    ),
    case(
        "lone-surrogate-in-choice",
        "post",
        ORDERS,
        raw='{"jobType": "\\ud800", "items": [{"sku": "SV-150"}]}',
        expected=incorrect('jobType: "\\ud800" is not a valid choice.'),
    ),
    case(
        "lone-surrogate-as-key",
        "post",
        ORDERS,
        raw='{"\\udc00": 1, "items": [{"sku": "SV-150"}]}',
        expected=incorrect("\\udc00: unknown field"),
    ),
    case(
        "unknown-field",
        "post",
        ORDERS,
        body={"orderNo": "10500", "items": ONE_ITEM},
        expected=incorrect("orderNo: unknown field"),
    ),
    case(
        "10000-char-string",
        "post",
        ORDERS,
        body={"patient": "x" * 10_000, "items": ONE_ITEM},
        expected=incorrect("patient: Ensure this field has no more than 100 characters."),
    ),
    case(
        "non-ascii-tray",
        "post",
        ORDERS,
        body={"trayNumber": "١٢٣", "items": ONE_ITEM},
        expected=incorrect("trayNumber: must contain digits only"),
    ),
    case(
        "sql-in-order-number",
        "post",
        ORDERS,
        body={"orderNumber": "1' OR '1'='1", "items": ONE_ITEM},
        expected=incorrect("orderNumber: must contain digits only"),
    ),
    case(
        "order-number-with-zero",
        "post",
        ORDERS,
        body={"orderNumber": "0123", "items": ONE_ITEM},
        expected=incorrect("orderNumber: must not start with 0"),
    ),
    case(
        "order-number-too-long",
        "post",
        ORDERS,
        body={"orderNumber": "123456789", "items": ONE_ITEM},
        expected=incorrect("orderNumber: must have at most 8 digits"),
    ),
    case(
        "existing-order-number",
        "post",
        ORDERS,
        body={"orderNumber": ORDER, "items": ONE_ITEM},
        expected=incorrect(f"orderNumber: order number {ORDER} already exists"),
    ),
    case(
        "po-number-too-long",
        "post",
        ORDERS,
        body={"poNumber": "1;DROP TABLE orders_order", "items": ONE_ITEM},
        expected=incorrect("poNumber: must have at most 20 characters"),
    ),
    case(
        "tray-in-use",
        "post",
        ORDERS,
        body={"trayNumber": "42", "items": ONE_ITEM},
        expected=incorrect(f"trayNumber: tray 42 is in use by order {ORDER}"),
    ),
]

CANCEL = f"/api/v2/orders/{ORDER}"
SQL_OR = "1' OR '1'='1"
DELETE_REASON_INVALID = "Delete reason code does not exist"

CANCEL_CASES = [
    case("malformed-json", "delete", CANCEL, raw='{"deleteReason": ', expected=MALFORMED),
    case(
        "text-plain",
        "delete",
        CANCEL,
        raw="deleteReason=CUS",
        content_type="text/plain",
        status=415,
        expected=NOT_JSON,
    ),
    case(
        "array-body",
        "delete",
        CANCEL,
        body=["CUS"],
        expected=incorrect("body: must be a JSON object"),
    ),
    case(
        "reason-as-object",
        "delete",
        CANCEL,
        body={"deleteReason": {"code": "CUS"}},
        expected=incorrect("deleteReason: must be a string"),
    ),
    case(
        "reason-as-list",
        "delete",
        CANCEL,
        body={"deleteReason": ["CUS"]},
        expected=incorrect("deleteReason: must be a string"),
    ),
    case(
        "reason-as-boolean",
        "delete",
        CANCEL,
        body={"deleteReason": True},
        expected=incorrect("deleteReason: must be a string"),
    ),
    case(
        "reason-null",
        "delete",
        CANCEL,
        body={"deleteReason": None},
        expected=error(DELETE_REASON_INVALID, "Provided: "),
    ),
    case(
        "nul-in-query",
        "delete",
        f"{CANCEL}?deleteReason=%00",
        expected=incorrect("deleteReason: Null characters are not allowed."),
    ),
    case(
        "nul-in-body",
        "delete",
        CANCEL,
        body={"deleteReason": "CUS\x00"},
        expected=incorrect("deleteReason: Null characters are not allowed."),
    ),
    case(
        "lone-surrogate-in-body",
        "delete",
        CANCEL,
        raw='{"deleteReason": "\\ud800"}',
        expected=incorrect("deleteReason: Surrogate characters are not allowed: U+D800."),
    ),
    case(
        "sql-in-query",
        "delete",
        f"{CANCEL}?deleteReason={quote(SQL_OR)}",
        expected=error(DELETE_REASON_INVALID, f"Provided: {SQL_OR}"),
    ),
    case(
        "10000-char-reason",
        "delete",
        f"{CANCEL}?deleteReason={'R' * 10_000}",
        expected=error(DELETE_REASON_INVALID, f"Provided: {'R' * 10_000}"),
    ),
    case(
        "unicode-reason",
        "delete",
        CANCEL,
        body={"deleteReason": "理由"},
        expected=error(DELETE_REASON_INVALID, "Provided: 理由"),
    ),
]

REASONS = "/api/v2/delete_reasons"
REASON = "/api/v2/delete_reasons/CUS"
CODE_RULE = "code: use 1 to 10 letters, digits, '-' or '_'"

REASON_CASES = [
    case(
        "list-limit-word",
        "get",
        f"{REASONS}?limit=abc",
        expected=incorrect("limit: must be a non-negative integer"),
    ),
    case(
        "list-limit-negative",
        "get",
        f"{REASONS}?limit=-1",
        expected=incorrect("limit: must be a non-negative integer"),
    ),
    case(
        "list-limit-huge",
        "get",
        f"{REASONS}?limit={'9' * 100}",
        expected=incorrect("limit: must be a non-negative integer"),
    ),
    case(
        "list-offset-nul",
        "get",
        f"{REASONS}?offset=%00",
        expected=incorrect("offset: must be a non-negative integer"),
    ),
    case(
        "list-offset-arabic-digits",
        "get",
        f"{REASONS}?offset={quote('١٢')}",
        expected=incorrect("offset: must be a non-negative integer"),
    ),
    case("create-malformed-json", "post", REASONS, raw="{code: CUS}", expected=MALFORMED),
    case(
        "create-text-plain",
        "post",
        REASONS,
        raw="code=X",
        content_type="text/plain",
        status=415,
        expected=NOT_JSON,
    ),
    case(
        "create-array-body",
        "post",
        REASONS,
        body=[{"code": "X", "description": "x"}],
        expected=incorrect("body: Invalid data. Expected a dictionary, but got list."),
    ),
    case(
        "create-null-body",
        "post",
        REASONS,
        raw="null",
        expected=incorrect("body: No data provided"),
    ),
    case(
        "create-nulls",
        "post",
        REASONS,
        body={"code": None, "description": None},
        expected=incorrect(
            "code: This field may not be null.", "description: This field may not be null."
        ),
    ),
    case(
        "create-code-as-number",
        "post",
        REASONS,
        body={"code": {"x": 1}, "description": "x"},
        expected=incorrect("code: Not a valid string."),
    ),
    case(
        "create-bad-code",
        "post",
        REASONS,
        body={"code": "A B", "description": "x"},
        expected=incorrect(CODE_RULE),
    ),
    case(
        "create-sql-code",
        "post",
        REASONS,
        body={"code": "1';DROP--", "description": "x"},
        expected=incorrect(CODE_RULE),
    ),
    case(
        "create-long-code",
        "post",
        REASONS,
        body={"code": "C" * 11, "description": "x"},
        expected=incorrect(CODE_RULE, "code: Ensure this field has no more than 10 characters."),
    ),
    case(
        "create-nul-code",
        "post",
        REASONS,
        body={"code": "A\x00", "description": "x"},
        expected=incorrect(CODE_RULE, "code: Null characters are not allowed."),
    ),
    case(
        "create-active-as-object",
        "post",
        REASONS,
        body={"code": "NEW", "description": "x", "active": {"on": True}},
        expected=incorrect("active: Must be a valid boolean."),
    ),
    case(
        "create-long-description",
        "post",
        REASONS,
        body={"code": "NEW", "description": "d" * 10_000},
        expected=incorrect("description: Ensure this field has no more than 200 characters."),
    ),
    case(
        "create-existing-code",
        "post",
        REASONS,
        body={"code": "CUS", "description": "again"},
        expected=incorrect("code: reason code CUS already exists"),
    ),
    case(
        "create-unknown-field",
        "post",
        REASONS,
        body={"code": "NEW", "description": "x", "colour": "red"},
        expected=incorrect("colour: unknown field"),
    ),
    case("change-malformed-json", "patch", REASON, raw='{"active": fals', expected=MALFORMED),
    case(
        "change-array-body",
        "patch",
        REASON,
        body=[{"active": False}],
        expected=incorrect("body: Invalid data. Expected a dictionary, but got list."),
    ),
    case(
        "change-code",
        "patch",
        REASON,
        body={"code": "OTHER"},
        expected=incorrect("code: cannot be changed; create a new reason instead"),
    ),
    case(
        "change-active-null",
        "patch",
        REASON,
        body={"active": None},
        expected=incorrect("active: This field may not be null."),
    ),
    case(
        "change-nul-description",
        "patch",
        REASON,
        body={"description": "\x00"},
        expected=incorrect("description: Null characters are not allowed."),
    ),
]

SETTINGS = "/api/v2/settings"

SETTINGS_CASES = [
    case("malformed-json", "patch", SETTINGS, raw='{"traysRequired": }', expected=MALFORMED),
    case(
        "text-plain",
        "patch",
        SETTINGS,
        raw="traysRequired=true",
        content_type="text/plain",
        status=415,
        expected=NOT_JSON,
    ),
    case(
        "array-body",
        "patch",
        SETTINGS,
        body=[{"traysRequired": False}],
        expected=incorrect("body: Invalid data. Expected a dictionary, but got list."),
    ),
    case("null-body", "patch", SETTINGS, raw="null", expected=incorrect("body: No data provided")),
    case(
        "heartbeat-as-word",
        "patch",
        SETTINGS,
        body={"trackerHeartbeatSeconds": "soon"},
        expected=incorrect("trackerHeartbeatSeconds: A valid integer is required."),
    ),
    case(
        "heartbeat-as-object",
        "patch",
        SETTINGS,
        body={"trackerHeartbeatSeconds": {"seconds": 60}},
        expected=incorrect("trackerHeartbeatSeconds: A valid integer is required."),
    ),
    case(
        "heartbeat-null",
        "patch",
        SETTINGS,
        body={"trackerHeartbeatSeconds": None},
        expected=incorrect("trackerHeartbeatSeconds: This field may not be null."),
    ),
    case(
        "heartbeat-too-small",
        "patch",
        SETTINGS,
        body={"trackerHeartbeatSeconds": 4},
        expected=incorrect(
            "trackerHeartbeatSeconds: Ensure this value is greater than or equal to 5."
        ),
    ),
    case(
        "heartbeat-huge",
        "patch",
        SETTINGS,
        body={"trackerHeartbeatSeconds": 10**30},
        expected=incorrect(
            "trackerHeartbeatSeconds: Ensure this value is less than or equal to 3600."
        ),
    ),
    case(
        "heartbeat-infinite",
        "patch",
        SETTINGS,
        raw='{"trackerHeartbeatSeconds": 1e400}',
        expected=incorrect("trackerHeartbeatSeconds: A valid integer is required."),
    ),
    case(
        "flag-as-string",
        "patch",
        SETTINGS,
        body={"traysRequired": "false"},
        expected=incorrect("traysRequired: Must be a valid boolean."),
    ),
    case(
        "flag-as-number",
        "patch",
        SETTINGS,
        body={"allowHoldOrders": 0},
        expected=incorrect("allowHoldOrders: Must be a valid boolean."),
    ),
    case(
        "flag-null",
        "patch",
        SETTINGS,
        body={"jobTrackerModuleInstalled": None},
        expected=incorrect("jobTrackerModuleInstalled: This field may not be null."),
    ),
    case(
        "unknown-paper-size",
        "patch",
        SETTINGS,
        body={"ticketPaperSize": "legal"},
        expected=incorrect('ticketPaperSize: "legal" is not a valid choice.'),
    ),
    case(
        "nul-in-choice",
        "patch",
        SETTINGS,
        body={"ticketPaperSize": "a4\x00"},
        expected=incorrect('ticketPaperSize: "a4\x00" is not a valid choice.'),
    ),
    case(
        "lone-surrogate-in-choice",
        "patch",
        SETTINGS,
        raw='{"ticketPaperSize": "\\udfff"}',
        expected=incorrect('ticketPaperSize: "\\udfff" is not a valid choice.'),
    ),
    case(
        "unknown-setting",
        "patch",
        SETTINGS,
        body={"enterReasonCode": False},
        expected=incorrect("enterReasonCode: unknown field"),
    ),
    case(
        "one-bad-value-refuses-all",
        "patch",
        SETTINGS,
        body={"traysRequired": False, "trackerHeartbeatSeconds": 0},
        expected=incorrect(
            "trackerHeartbeatSeconds: Ensure this value is greater than or equal to 5."
        ),
    ),
]

BODY_CASES = CREATE_CASES + CANCEL_CASES + REASON_CASES + SETTINGS_CASES
BODY_CASE_ARGS = ("method", "path", "body", "raw", "content_type", "status", "expected")


@pytest.mark.parametrize(BODY_CASE_ARGS, BODY_CASES)
def test_bad_input_is_refused_with_the_envelope_and_changes_nothing(
    supervisor_api, lab, method, path, body, raw, content_type, status, expected
):
    response = refused(
        supervisor_api, method, path, status=status, body=body, raw=raw, content_type=content_type
    )

    assert response == expected


def test_the_bad_input_cases_cover_every_method_of_the_orders_and_config_endpoints():
    covered = {(p.values[0], p.values[1].split("?")[0]) for p in BODY_CASES}
    assert {
        ("post", ORDERS),
        ("delete", CANCEL),
        ("get", REASONS),
        ("post", REASONS),
        ("patch", REASON),
        ("patch", SETTINGS),
    } <= covered
