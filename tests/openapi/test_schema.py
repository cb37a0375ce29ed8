"""The OpenAPI schema is a contract (DESIGN.md, decision 8): it generates without a warning or
an error, the committed ``openapi.yaml`` is exactly what the code generates, every endpoint of
the three faces is in it with its errors in its face's shape, and it is served, with Swagger UI,
without anything fetched from elsewhere."""

import difflib
import json
import re
from pathlib import Path

from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator

import pytest
import yaml

from orders.api.pos.rights import WIRE_NAME
from toolkit.api.faces import face_for_path
from toolkit.api.schema import SERVER_LIMIT_RESPONSES

REGENERATE = (
    "DEBUG=1 .venv/bin/python manage.py spectacular --validate --fail-on-warn --file openapi.yaml"
)
COMMITTED = Path(settings.BASE_DIR) / "openapi.yaml"

# Each face's error body: its media type and component.
V2_ERROR = ("application/json", "#/components/schemas/V2Error")
PROBLEM = ("application/problem+json", "#/components/schemas/Problem")
ITEM_CANCEL = ("application/json", "#/components/schemas/ItemCancelAnswer")
LEGACY_STOCK = ("application/json", "#/components/schemas/LegacyError")


def face_error_shape(path: str) -> tuple[str, str]:
    if path.startswith(("/api/v2/", "/api/jt/")):
        return V2_ERROR
    if path.startswith("/api/orders/"):
        return LEGACY_STOCK
    if path.startswith(("/orders", "/api/auth")):
        return PROBLEM
    assert path == "/api/orderCancel", f"{path} belongs to no API face"
    return ITEM_CANCEL


def generate(tmp_path: Path, **options) -> str:
    target = tmp_path / "openapi.yaml"
    call_command("spectacular", file=str(target), **options)
    return target.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def api_endpoints():
    """Every (path, method, view) the URLconf routes under an API face."""
    for path, _regex, method, view in EndpointEnumerator().get_api_endpoints():
        if face_for_path(path) is not None:
            yield path, method, view


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_schema_generates_without_warnings_or_errors(tmp_path, capsys):
    try:
        generate(tmp_path, validate=True, fail_on_warn=True)
    except CommandError as exc:
        pytest.fail(f"{exc}:\n{capsys.readouterr().err}", pytrace=False)


def test_the_committed_schema_is_the_generated_one(tmp_path):
    assert COMMITTED.exists(), f"openapi.yaml is missing: generate it with\n  {REGENERATE}"
    generated = generate(tmp_path)
    committed = COMMITTED.read_text(encoding="utf-8")
    if generated != committed:
        diff = difflib.unified_diff(
            committed.splitlines(),
            generated.splitlines(),
            "openapi.yaml (committed)",
            "openapi.yaml (generated)",
            lineterm="",
        )
        shown = "\n".join(list(diff)[:60])
        pytest.fail(
            "openapi.yaml differs from the schema the code generates. After an API change, "
            f"regenerate it with\n  {REGENERATE}\nand commit it.\n\n{shown}",
            pytrace=False,
        )


def test_every_routed_endpoint_and_method_is_in_the_schema(schema):
    routed = {(path, method.lower()) for path, method, _view in api_endpoints()}
    documented = {(path, method) for path, method, _ in operations(schema)}

    assert documented == routed
    prefixes = {face_error_shape(path) for path, _ in documented}
    assert prefixes == {V2_ERROR, PROBLEM, ITEM_CANCEL, LEGACY_STOCK}


def test_each_operation_has_a_named_id_typed_path_parameters_and_described_answers(schema):
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        assert not re.search(r"_\d+$", operation["operationId"]), where  # a collision suffix
        assert operation.get("tags"), where
        in_path = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert in_path == set(re.findall(r"{(\w+)}", path)), where
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), f"{where}: {parameter['name']}"
        for status, response in operation["responses"].items():
            assert response["description"], f"{where} {status}"


def test_every_error_answer_has_its_faces_body(schema):
    for path, method, operation in operations(schema):
        media_type, component = face_error_shape(path)
        for status, response in operation["responses"].items():
            if int(status) < 400 or status in SERVER_LIMIT_RESPONSES:
                continue
            where = f"{method.upper()} {path} {status}"
            assert list(response.get("content", {})) == [media_type], where
            assert response["content"][media_type]["schema"] == {"$ref": component}, where


def test_every_operation_documents_the_servers_own_refusals(schema):
    for path, method, operation in operations(schema):
        for status, response in SERVER_LIMIT_RESPONSES.items():
            assert operation["responses"][status] == response, f"{method.upper()} {path}"


def test_documented_200s_with_an_error_body_are_the_contracts(schema):
    """The vendor answers 200 with an error body for an order marked for cancelation."""
    paths = schema["paths"]
    for path in ("/api/v2/orders/{identifier}", "/api/v2/orders/{identifier}/status"):
        answer = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        component = schema["components"]["schemas"][answer["$ref"].rsplit("/", 1)[1]]
        assert {"$ref": "#/components/schemas/V2Error"} in component["oneOf"]
    print_ticket = paths["/api/v2/orders/{identifier}/print_ticket"]["post"]["responses"]
    assert print_ticket["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/V2Error"
    }
    assert set(print_ticket) - set(SERVER_LIMIT_RESPONSES) == {
        "200",
        "201",
        "400",
        "401",
        "403",
        "404",
        "500",
    }


def test_401_and_403_follow_authentication_and_the_rights_each_method_needs(schema):
    for path, method, view in api_endpoints():
        operation = schema["paths"][path][method.lower()]
        responses = operation["responses"]
        where = f"{method} {path}"
        if operation.get("security") in ([], [{}], None):  # login and refresh: no key
            assert "403" not in responses, where
            continue
        assert "401" in responses, where
        right = view.cls.required_rights.get(method)
        if right is None:
            assert "403" not in responses, where
            continue
        assert "403" in responses, where
        named = WIRE_NAME.get(right, right) if face_error_shape(path) == PROBLEM else right
        assert named in responses["403"]["description"], where


def test_the_contracts_statuses_are_documented(schema):
    def statuses(path, method):
        return set(schema["paths"][path][method]["responses"]) - set(SERVER_LIMIT_RESPONSES)

    assert statuses("/api/v2/orders/{identifier}/complete", "post") == {
        "201", "400", "401", "403", "404", "503"
    }  # fmt: skip
    assert statuses("/api/v2/orders/{identifier}", "delete") == {
        "200", "400", "401", "403", "404"
    }  # fmt: skip
    assert statuses("/api/v2/job_track/stations/{code}", "post") == {
        "201", "400", "401", "403", "404"
    }  # fmt: skip
    assert statuses("/orders/{order_id}/status", "post") == {
        "200", "400", "401", "403", "404", "409"
    }  # fmt: skip
    assert statuses("/api/auth", "post") == {"200", "400", "401", "429"}
    assert statuses("/orders", "get") == {"200", "400", "401", "403"}


def test_request_bodies_and_answers_are_real_shapes(schema):
    components = schema["components"]["schemas"]
    create = schema["paths"]["/api/v2/orders"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    order_create = components[body.rsplit("/", 1)[1]]
    assert order_create["additionalProperties"] is False  # unknown keys are refused
    assert {"items", "trayNumber", "requiresArCoat"} <= set(order_create["properties"])
    order = components["V2Order"]
    assert list(order["properties"])[:3] == ["orderNumber", "trayNumber", "poNumber"]
    assert components["LabOrderStatusEnum"]["enum"] == ["U", "V", "P", "C", "W"]
    assert set(components["Order"]["properties"]) >= {"id", "number", "_v", "items", "endpoints"}
    assert components["ProcessingStatusEnum"]["enum"] == ["New", "InProgress", "Done", "Cancelled"]
    assert set(components["Problem"]["required"]) == {
        "type", "title", "status", "detail", "instance", "traceId"
    }  # fmt: skip
    assert components["V2Error"]["required"] == ["details", "error"]


def test_the_schema_is_served_to_anyone():
    client = Client()
    expected = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))

    as_json = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    as_yaml = client.get("/api/schema/", HTTP_AUTHORIZATION="Token not-a-key")

    assert as_json.status_code == 200
    assert as_json.json() == expected
    assert as_yaml.status_code == 200  # a stray key is not checked here
    assert yaml.safe_load(as_yaml.content) == expected


def test_swagger_ui_renders_with_its_own_assets_only():
    client = Client()
    page = client.get("/api/docs/")

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert 'url: "/api/schema/"' in html
    assets = re.findall(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)""", html)
    assert assets, "no script or stylesheet found"
    external = [url for url in assets if re.match(r"(https?:)?//", url)]
    assert external == [], f"Swagger UI must not load anything from elsewhere: {external}"
    assert not re.search(r"https?://", html), "the page names an outside address"
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.getvalue() if not response.streaming else b"".join(response), url
