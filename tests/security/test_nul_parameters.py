"""NUL in a path or query parameter is a 4xx in the face's own shape, never a 500.

No stored value holds NUL, and PostgreSQL refuses to compare text containing one, so every
parameter that reaches a lookup must be refused (or found to name nothing) before it does. The
parameters come from the OpenAPI schema itself, so a new one is covered as soon as it is
documented; the item cancel face's partner parameters (its credentials, not in the schema) are
added by hand. Each is sent by an anonymous client and by a supervisor's key.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlencode

from django.test import Client

import pytest
import yaml

from accounts.models import ApiKey, ApiPartner
from printing.models import Printer

from .endpoints import ITEM_CANCEL, ORDERS_API, V2
from .shapes import ENVELOPE_ERROR_KEYS, ENVELOPE_KEYS, PROBLEM_JSON, PROBLEM_KEYS

pytestmark = pytest.mark.django_db

SCHEMA = Path(__file__).resolve().parents[2] / "openapi.yaml"
NUL = "\x00"


@dataclass(frozen=True)
class Probe:
    method: str
    template: str  # the schema's path, e.g. /api/v2/orders/{identifier}
    name: str  # the parameter carrying NUL
    location: str  # "path" or "query"

    def __str__(self) -> str:
        return f"{self.method} {self.template} {self.location}:{self.name}"


def face_of(path: str) -> str:
    if path.startswith(("/api/v2", "/api/jt")):
        return V2
    if path.startswith("/api/orderCancel"):
        return ITEM_CANCEL
    assert path.startswith(("/orders", "/api/auth")), path
    return ORDERS_API


@cache
def probes() -> list[Probe]:
    schema = yaml.safe_load(SCHEMA.read_text())
    found = []
    for template, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("path", "query"):
                    found.append(
                        Probe(method.upper(), template, parameter["name"], parameter["in"])
                    )
    # The partner pair authenticates item cancel: the schema has it as security schemes (API
    # keys in the query string), not as parameters.
    found += [
        Probe("PUT", "/api/orderCancel", "recipeid", "query"),
        Probe("PUT", "/api/orderCancel", "partnerBillingKey", "query"),
    ]
    return found


def real_values(order, item_id: int) -> dict[str, str]:
    """A value for every parameter that names a record: past "not found", to the lookups."""
    return {
        "identifier": str(order.number),
        "order_id": str(order.public_id),
        "item_id": str(item_id),
        "endpoint_name": "surfacing",
        "code": "CUS",  # a reason code and a station code; a workstation's is 00 (below)
        "name": "Ticket printer",
        "orderId": str(order.number),
        "lptPort": "LPT1",
        "deleteReason": "CUS",
    }


def request_path(probe: Probe, values: dict[str, str], partner: dict[str, str]) -> str:
    path = probe.template
    for name, value in values.items():
        text = value + NUL if (probe.location, probe.name) == ("path", name) else value
        if name == "code" and "/workstations/" in probe.template:
            text = "00" + (NUL if probe.location == "path" else "")
        path = path.replace("{" + name + "}", quote(text, safe=""))
    query = {}
    if probe.template == "/api/orderCancel":
        query = {"orderId": values["orderId"], **partner}
    if probe.location == "query":
        query[probe.name] = values.get(probe.name, "a") + NUL
    return f"{path}?{urlencode(query)}" if query else path


def assert_refused_in_face_shape(face: str, response, probe: Probe) -> None:
    described = f"{probe}: {response.status_code} {response.content[:400]!r}"
    assert 400 <= response.status_code < 500, described
    media_type = response["Content-Type"].split(";")[0].strip()
    body = json.loads(response.content)
    if face == V2:
        assert media_type == "application/json", described
        assert set(body) == {"error", "details"}, described
    elif face == ORDERS_API:
        assert media_type == PROBLEM_JSON, described
        # errorCode and errors only where the status has them (401, 403, 400, 409)
        assert PROBLEM_KEYS - {"errorCode"} <= set(body) <= PROBLEM_KEYS | {"errors"}, described
        assert body["status"] == response.status_code, described
    else:
        assert media_type == "application/json", described
        assert set(body) == ENVELOPE_KEYS, described
        assert body["HadError"] is True, described
        assert all(set(error) == ENVELOPE_ERROR_KEYS for error in body["Errors"]), described


@pytest.fixture
def lab(make_order, make_reason, make_station, make_user):
    order = make_order(tray="101", po_number="PO-NUL")
    make_reason(code="CUS")
    make_station("CUS")
    Printer.objects.create(name="Ticket printer")
    supervisor = make_user("Supervisors")
    _, key = ApiKey.issue(user=supervisor, name="nul parameters")
    partner, billing_key = ApiPartner.issue(name="NUL partner", user=supervisor)
    return {
        "values": real_values(order, order.items.values_list("id", flat=True).first()),
        "key": key,
        "partner": {"recipeid": partner.recipe_id, "partnerBillingKey": billing_key},
    }


def test_the_schema_documents_parameters_of_every_face():
    faces = {face_of(probe.template) for probe in probes()}
    assert faces == {V2, ORDERS_API, ITEM_CANCEL}
    assert len(probes()) >= 40


@pytest.mark.parametrize("probe", probes(), ids=str)
@pytest.mark.parametrize("as_user", [False, True], ids=["anonymous", "with-key"])
def test_a_nul_in_a_parameter_is_refused_in_the_faces_shape(lab, probe, as_user):
    client = Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {lab['key']}"} if as_user else {}
    partner = lab["partner"] if as_user else {}
    if probe.name in partner:  # the pair itself carries the NUL
        partner = {**partner, probe.name: partner[probe.name] + NUL}
        values = lab["values"]
        path = request_path(Probe(probe.method, probe.template, "-", "-"), values, partner)
    else:
        path = request_path(probe, lab["values"], partner)
    body = {"Ids": [1]} if probe.template == "/api/orderCancel" else {}

    response = client.generic(
        probe.method, path, json.dumps(body), content_type="application/json", **headers
    )

    assert_refused_in_face_shape(face_of(probe.template), response, probe)
