"""The OpenAPI schema documents the item-cancel endpoint with its real shapes."""

from drf_spectacular.generators import SchemaGenerator

import pytest


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_endpoint_is_documented_with_its_envelope(schema):
    operation = schema["paths"]["/api/orderCancel"]["put"]

    assert operation["operationId"] == "order_cancel_items"
    assert [(p["name"], p["in"], p["required"]) for p in operation["parameters"]] == [
        ("orderId", "query", True)
    ]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ItemCancelRequest"
    }
    answer = {"$ref": "#/components/schemas/ItemCancelAnswer"}
    for status in ("200", "400", "401", "403", "404", "500"):
        assert operation["responses"][status]["content"]["application/json"]["schema"] == answer
    assert {"recipeid": [], "partnerBillingKey": []} in operation["security"]
    assert set(schema["paths"]["/api/orderCancel"]) == {"put"}


def test_the_envelope_and_the_partner_credentials_are_described(schema):
    components = schema["components"]
    answer = components["schemas"]["ItemCancelAnswer"]
    assert set(answer["properties"]) == {"HadError", "Errors", "Success", "ErrorReferenceCode"}
    assert set(answer["required"]) == {"HadError", "Errors", "Success"}
    error = components["schemas"]["ItemCancelError"]
    assert set(error["properties"]) == {
        "PropertyName",
        "AttemptedValue",
        "ErrorMessage",
        "CustomState",
    }
    ids = components["schemas"]["ItemCancelRequest"]["properties"]["Ids"]
    assert (ids["type"], ids["items"]["type"], ids["maxItems"]) == ("array", "integer", 1000)
    schemes = components["securitySchemes"]
    assert schemes["recipeid"] == {
        "type": "apiKey",
        "in": "query",
        "name": "recipeid",
        "description": "The API partner's public recipe id (parameter name in any case).",
    }
    assert schemes["partnerBillingKey"]["in"] == "query"
