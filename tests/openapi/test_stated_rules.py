"""The schema states the rules the server enforces, and the server enforces the rules the schema
states: a request built from the schema's own bounds is accepted at the edge and refused just
past it, in the face's own error shape; blank text is refused where the schema says it must not
be blank; a number (or boolean) where the schema says text is refused with a 400, not turned
into text; NUL is refused wherever the schema's patterns refuse it; the field a configuration
record is named by is read-only when it is changed.

The schema read is the committed ``openapi.yaml`` (``test_schema.py`` holds it equal to what
the code generates).
"""

import re
from pathlib import Path

from django.conf import settings

import pytest
import yaml

from orders.models import Addon, Customer
from printing.models import Printer, WorkstationPort
from tests.jobs import job_json
from webhooks.models import Subscription

pytestmark = pytest.mark.django_db

SCHEMA = yaml.safe_load((Path(settings.BASE_DIR) / "openapi.yaml").read_text())
PROBLEM_JSON = "application/problem+json"
INCORRECT = "Incorrect arguments provided"


def operation(method: str, path: str) -> dict:
    return SCHEMA["paths"][path][method.lower()]


def parameter(method: str, path: str, name: str) -> dict:
    found = [p for p in operation(method, path)["parameters"] if p["name"] == name]
    assert len(found) == 1, f"{method} {path}: no parameter {name}"
    return found[0]["schema"]


def component(reference: str) -> dict:
    return SCHEMA["components"]["schemas"][reference.rsplit("/", 1)[-1]]


def request_schema(method: str, path: str) -> dict:
    content = operation(method, path)["requestBody"]["content"]["application/json"]["schema"]
    return component(content["$ref"]) if "$ref" in content else content


def text_alternative(schema: dict) -> dict:
    """The non-empty alternative of a text property (drf-spectacular states "or empty" as a
    ``oneOf`` with ``maxLength: 0``)."""
    if "oneOf" in schema:
        texts = [s for s in schema["oneOf"] if s.get("maxLength") != 0]
        return texts[0] if len(texts) == 1 else {}
    return schema


def matches(schema: dict, text: str) -> bool:
    """Whether ``text`` meets a string schema's length, pattern and (date) format, read as a
    JSON Schema validator in Python (schemathesis among them) reads them."""
    alternatives = schema.get("oneOf", [schema])
    return any(
        len(text) >= s.get("minLength", 0)
        and len(text) <= s.get("maxLength", len(text))
        and (("pattern" not in s) or re.search(s["pattern"], text) is not None)
        and (s.get("format") != "date" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None)
        for s in alternatives
    )


def v2_error(*details: str) -> dict:
    return {"error": INCORRECT, "details": list(details)}


def problem_without_trace(response) -> dict:
    assert response["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert body.pop("traceId")
    return body


@pytest.fixture
def lab(make_order, make_reason, make_station, job_customer):
    order = make_order(number=10001, tray="42")
    make_reason(code="CUS", description="Customer request")
    # Records that the other paths' names ({code}, {number}) name as well.
    Addon.objects.create(code="CUS", description="Custom tint")
    Customer.objects.create(number="CUS", name="A customer")
    make_station("SURF")
    Printer.objects.create(name="Front", driver="spool", folder="front")
    Subscription.objects.create(url="https://hooks.example.com/lab")
    return order


# --- paging: the stated bounds, at the edge and past it ----------------------------------------

V2_LISTS = [
    "/api/v2/addons",
    "/api/v2/customers",
    "/api/v2/delete_reasons",
    "/api/v2/job_track/stations",
    "/api/v2/printers",
    "/api/v2/webhooks",
]


def test_every_v2_list_states_its_paging_bounds():
    lists = [
        path
        for path, operations in SCHEMA["paths"].items()
        if any(p["name"] == "limit" for p in operations.get("get", {}).get("parameters", []))
    ]
    assert sorted(lists) == sorted(V2_LISTS)
    for path in lists:
        assert parameter("GET", path, "limit") == {"type": "integer", "minimum": 0, "maximum": 1000}
        assert parameter("GET", path, "offset") == {
            "type": "integer",
            "minimum": 0,
            "maximum": 999_999_999,
        }


@pytest.mark.parametrize("path", V2_LISTS)
@pytest.mark.parametrize("name", ["limit", "offset"])
def test_a_v2_paging_parameter_is_accepted_at_its_bounds_and_refused_past_them(
    supervisor_api, lab, path, name
):
    bounds = parameter("GET", path, name)

    supervisor_api.get(f"{path}?{name}={bounds['minimum']}", status=200)
    supervisor_api.get(f"{path}?{name}={bounds['maximum']}", status=200)
    past_maximum = supervisor_api.get(f"{path}?{name}={bounds['maximum'] + 1}", status=400)
    below_minimum = supervisor_api.get(f"{path}?{name}={bounds['minimum'] - 1}", status=400)
    empty = supervisor_api.get(f"{path}?{name}=", status=400)

    assert past_maximum == v2_error(f"{name}: must be at most {bounds['maximum']}")
    assert below_minimum == empty == v2_error(f"{name}: must be a non-negative integer")


def test_the_limit_at_its_maximum_pages_as_stated(supervisor_api, lab):
    body = supervisor_api.get("/api/v2/delete_reasons?limit=1000&offset=999999999", status=200)

    assert body == {
        "count": 1,
        "next": None,
        "previous": "http://testserver/api/v2/delete_reasons?limit=1000&offset=999998999",
        "results": [],
    }


@pytest.mark.parametrize(
    ("name", "past", "message"),
    [
        ("$take", "1001", "must be at most 1000"),
        ("$skip", "1000000000000000000", "is too large"),
    ],
)
def test_orders_api_paging_is_accepted_at_its_bounds_and_refused_past_them(
    supervisor_api, lab, name, past, message
):
    bounds = parameter("GET", "/orders", name)
    assert str(bounds["maximum"] + 1) == past
    query = name.replace("$", "%24")

    supervisor_api.get(f"/orders?{query}={bounds['maximum']}", status=200)
    supervisor_api.get(f"/orders?{query}={bounds['minimum']}", status=200)
    supervisor_api.get(f"/orders?{query}={past}", status=400)

    assert problem_without_trace(supervisor_api.last_response) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": f"{name}: {message}",
        "instance": "/orders",
        "errorCode": 3,
        "errors": [{"memberName": name, "message": message, "code": "invalid"}],
    }


# --- blank text ----------------------------------------------------------------------------------

# (method, path, property, a body that is valid but for the blank property)
BLANK_CASES = [
    ("POST", "/api/v2/delete_reasons", "description", {"code": "NEW"}),
    ("PATCH", "/api/v2/delete_reasons/{code}", "description", {}),
    ("POST", "/api/v2/job_track/stations", "desc", {"code": "NEW"}),
    ("POST", "/api/v2/job_track/stations/{code}", "orderIdentifier", {}),
    ("PATCH", "/api/v2/job_track/stations/{code}", "desc", {}),
]
PATH_VALUES = {"{code}": "CUS", "{identifier}": "10001", "{name}": "Front", "{number}": "CUS"}


def concrete(path: str) -> str:
    """``path`` naming records of the ``lab`` fixture."""
    if "/job_track/stations/" in path:
        return path.replace("{code}", "SURF")
    if "/workstations/" in path:
        return path.replace("{code}", "00")
    if "{id}" in path:  # a webhook subscription's id: the database's to give
        path = path.replace("{id}", str(Subscription.objects.values_list("pk", flat=True).get()))
    for template, value in PATH_VALUES.items():
        path = path.replace(template, value)
    return path


@pytest.mark.parametrize(("method", "path", "name", "rest"), BLANK_CASES)
def test_blank_text_is_refused_where_the_schema_says_so(
    supervisor_api, lab, method, path, name, rest
):
    stated = request_schema(method, path)["properties"][name]
    assert stated["minLength"] == 1
    assert not matches(stated, "")
    assert not matches(stated, " \t ")
    assert matches(stated, " x ")

    body = supervisor_api.call(method.lower(), concrete(path), {**rest, name: " \t "}, status=400)

    assert body == v2_error(f"{name}: This field may not be blank.")


def test_blank_ids_of_the_orders_api_are_refused_as_stated(supervisor_api, lab):
    stated = request_schema("POST", "/orders")["properties"]["ids"]["items"]
    assert not matches(stated, " ")

    supervisor_api.post("/orders", {"ids": [" "]}, status=400)

    assert problem_without_trace(supervisor_api.last_response)["errors"] == [
        {"memberName": "ids[0]", "message": "This field may not be blank.", "code": "invalid"}
    ]


DATE_REFUSED = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."

# --- a number where text is required -------------------------------------------------------------


def json_text_properties() -> list[tuple[str, str, str]]:
    """Every text property of every JSON request body: (method, path, property)."""
    found = []
    for path, operations in SCHEMA["paths"].items():
        for method, described in operations.items():
            content = described.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            schema = content["application/json"]["schema"]
            schema = component(schema["$ref"]) if "$ref" in schema else schema
            for name, stated in schema.get("properties", {}).items():
                if text_alternative(stated).get("type") == "string" and not stated.get("readOnly"):
                    found.append((method.upper(), path, name))
    return found


def test_text_properties_of_both_faces_that_take_text_in_a_body_are_walked():
    # The Orders API takes text in a body only at login; item cancel takes integers only.
    prefixes = {"/".join(path.split("/")[:3]) for _, path, _ in json_text_properties()}
    assert prefixes == {"/api/v2", "/api/jt", "/api/auth", "/api/orders"}
    assert len(json_text_properties()) >= 30


@pytest.mark.parametrize(("method", "path", "name"), json_text_properties(), ids=str)
@pytest.mark.parametrize("value", [12, True], ids=["number", "boolean"])
def test_a_number_or_boolean_for_text_is_a_400_in_the_faces_shape(
    supervisor_api, lab, method, path, name, value
):
    response_body = supervisor_api.call(method.lower(), concrete(path), {name: value}, status=400)

    if path.startswith("/api/orders/"):  # the legacy stock orders: {"error": "<text>"}
        assert response_body == {"error": f"{name} must be text"}
    elif path.startswith(("/orders", "/api/auth")):
        problem = problem_without_trace(supervisor_api.last_response)
        assert problem["status"] == 400
        assert problem["errorCode"] == 3
        assert {"memberName": name, "message": "Not a valid string.", "code": "invalid"} in problem[
            "errors"
        ]
    else:
        assert response_body["error"] == INCORRECT
        expected = {
            "lptPort": "must be a string",  # read from the query string or the body
            "dateOrdered": DATE_REFUSED,
            "dateWanted": DATE_REFUSED,
        }.get(name, "Not a valid string.")
        assert f"{name}: {expected}" in response_body["details"]


# --- NUL -----------------------------------------------------------------------------------------


def string_parameters() -> list[tuple[str, str, str, dict]]:
    return [
        (method.upper(), path, p["name"], p["schema"])
        for path, operations in SCHEMA["paths"].items()
        for method, described in operations.items()
        for p in described.get("parameters", [])
        if p["schema"].get("type") == "string"
    ]


@pytest.mark.parametrize(
    ("method", "path", "name", "stated"), string_parameters(), ids=lambda v: str(v)[:40]
)
def test_every_text_parameter_states_that_it_takes_no_nul(method, path, name, stated):
    assert "pattern" in stated, f"{method} {path} {name}"
    assert re.search(stated["pattern"], "a\x00") is None
    assert re.search(stated["pattern"], "\x00") is None


@pytest.mark.parametrize(("method", "path", "name"), json_text_properties(), ids=str)
def test_every_text_property_states_that_it_takes_no_nul(method, path, name):
    stated = request_schema(method, path)["properties"][name]

    assert not matches(stated, "a\x00b"), f"{method} {path} {name}: {stated}"


def test_nul_in_text_is_refused_as_stated(supervisor_api, lab):
    body = supervisor_api.post(
        "/api/v2/delete_reasons", {"code": "NEW", "description": "a\x00b"}, status=400
    )

    assert body == v2_error("description: Null characters are not allowed.")


# --- other stated patterns -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("port", "status"), [("LPT9", 201), ("lpt1", 201), ("9", 201), ("LPT0", 400), ("LPT10", 400)]
)
def test_the_lpt_port_pattern_is_the_servers(supervisor_api, lab, port, status):
    stated = parameter("POST", "/api/v2/orders/{identifier}/print_ticket", "lptPort")
    WorkstationPort.objects.filter(workstation__code="00").update(printer=Printer.objects.get())

    body = supervisor_api.post(f"/api/v2/orders/10001/print_ticket?lptPort={port}", status=status)

    assert matches(stated, port) is (status == 201)
    if status == 400:
        assert body == {"error": "Printing request rejected", "details": [f"Provided: {port}"]}


@pytest.mark.parametrize(("code", "status"), [("00", 200), ("99", 200), ("0", 404), ("000", 404)])
def test_the_workstation_code_pattern_is_the_servers(supervisor_api, lab, code, status):
    stated = parameter("PUT", "/api/v2/workstations/{code}", "code")

    body = supervisor_api.put(f"/api/v2/workstations/{code}", {}, status=status)

    assert matches(stated, code) is (status == 200)
    if status == 404:
        assert body == {"error": "No record found", "details": [f"Provided: {code}"]}


@pytest.mark.parametrize(
    ("name", "value", "refusal"),
    [
        ("orderNumber", "99999999", None),
        ("orderNumber", "1", None),
        ("orderNumber", "100000000", "must have at most 8 digits"),
        ("orderNumber", "0123", "must not start with 0"),
        ("orderNumber", " 123", "must contain digits only"),
        ("trayNumber", "99999", None),
        ("trayNumber", "", None),
        ("trayNumber", "123456", "must have at most 5 digits"),
        ("trayNumber", "12 ", "must contain digits only"),
        ("poNumber", "P" * 20, None),
        ("poNumber", "P" * 21, "must have at most 20 characters"),
    ],
)
def test_the_identifier_formats_of_a_new_order_are_stated(
    supervisor_api, lab, name, value, refusal
):
    stated = request_schema("POST", "/api/v2/orders")["properties"][name]

    body = supervisor_api.post(
        "/api/v2/orders", job_json(**{name: value}), status=201 if refusal is None else 400
    )

    assert matches(stated, value) is (refusal is None)
    if refusal is not None:
        assert body == v2_error(f"{name}: {refusal}")


# --- the field a record is named by is read-only on PATCH ---------------------------------------

READ_ONLY_ON_PATCH = [
    (
        "/api/v2/delete_reasons",
        "/api/v2/delete_reasons/CUS",
        "CUS",
        "cannot be changed; create a new reason instead",
    ),
    ("/api/v2/job_track/stations", "/api/v2/job_track/stations/SURF", "SURF", "cannot be changed"),
]


@pytest.mark.parametrize(("collection", "record", "code", "refusal"), READ_ONLY_ON_PATCH)
def test_code_is_required_on_post_and_read_only_on_patch(
    supervisor_api, lab, collection, record, code, refusal
):
    template = record.rsplit("/", 1)[0] + "/{code}"
    posted = request_schema("POST", collection)
    patched = request_schema("PATCH", template)

    assert "code" in posted["required"]
    assert not posted["properties"]["code"].get("readOnly")
    assert patched["properties"]["code"]["readOnly"] is True
    assert "code" not in patched.get("required", [])
    assert patched["additionalProperties"] is False
    # As stated: a different code is refused, the record's own (as GET shows it) accepted.
    assert supervisor_api.patch(record, {"code": "OTHER"}, status=400) == v2_error(
        f"code: {refusal}"
    )
    assert supervisor_api.patch(record, {"code": code}, status=200)["code"] == code
