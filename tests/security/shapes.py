"""What a refusal looks like in each API face: 401 without a usable key, 403 without the right.

Each face answers in its own error shape (DESIGN.md, decision 2); a refusal in another face's
shape, or in Django's HTML, is a bug a client would trip over.
"""

import uuid

from orders.api.pos.rights import WIRE_NAME

from .endpoints import ITEM_CANCEL, LEGACY_STOCK, ORDERS_API, V2

PROBLEM_JSON = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "traceId", "errorCode"}
ENVELOPE_KEYS = {"HadError", "Errors", "Success", "ErrorReferenceCode"}
ENVELOPE_ERROR_KEYS = {"PropertyName", "AttemptedValue", "ErrorMessage", "CustomState"}


def _describe(response) -> str:
    return f"{response.status_code} {response.get('Content-Type')}: {response.content[:500]!r}"


def _json(response, content_type: str = "application/json") -> dict:
    assert response["Content-Type"].split(";")[0].strip() == content_type, _describe(response)
    return response.json()


def _item_cancel_error(response, status: int) -> str:
    assert response.status_code == status, _describe(response)
    body = _json(response)
    assert set(body) == ENVELOPE_KEYS, _describe(response)
    assert body["HadError"] is True
    assert body["Success"] == []
    assert len(body["Errors"]) == 1
    assert set(body["Errors"][0]) == ENVELOPE_ERROR_KEYS
    uuid.UUID(body["ErrorReferenceCode"])
    return body["Errors"][0]["ErrorMessage"]


def assert_unauthenticated(face: str, response, *, head: bool = False) -> None:
    """A 401 in ``face``'s shape, naming a scheme in WWW-Authenticate."""
    assert response.status_code == 401, _describe(response)
    assert response.has_header("WWW-Authenticate"), _describe(response)
    if head:  # no body to read
        return
    if face == V2:
        assert _json(response) == {"error": "Authentication required", "details": []}
    elif face == ORDERS_API:
        body = _json(response, PROBLEM_JSON)
        assert set(body) == PROBLEM_KEYS, _describe(response)
        assert body["status"] == 401
        assert body["errorCode"] == 1
    elif face == ITEM_CANCEL:
        message = _item_cancel_error(response, 401)
        assert message, _describe(response)
    elif face == LEGACY_STOCK:
        assert _json(response) == {"error": "Authentication required"}
    else:  # pragma: no cover - a face this suite does not know
        raise AssertionError(f"unknown face {face!r}")


def assert_forbidden(face: str, response, right: str) -> None:
    """A 403 in ``face``'s shape that names the missing right."""
    assert response.status_code == 403, _describe(response)
    if face == V2:
        assert _json(response) == {"error": "Permission denied", "details": [f"Requires: {right}"]}
    elif face == ORDERS_API:
        body = _json(response, PROBLEM_JSON)
        assert set(body) == PROBLEM_KEYS, _describe(response)
        assert body["status"] == 403
        assert body["errorCode"] == 2
        assert body["detail"] == f"Requires right {WIRE_NAME.get(right, right)}"
    elif face == ITEM_CANCEL:
        message = _item_cancel_error(response, 403)
        assert message == f"Permission denied. Requires: {right}", message
    elif face == LEGACY_STOCK:
        assert _json(response) == {"error": f"Permission denied: Requires: {right}"}
    else:  # pragma: no cover
        raise AssertionError(f"unknown face {face!r}")


def assert_past_authorization(response, what: str) -> None:
    """The request got past authentication and rights: whatever the view answered, it was
    not a refusal (a 404/400/409 on the fixture data is fine)."""
    assert response.status_code not in (401, 403), f"{what}: {_describe(response)}"
    # A crash is no authorization answer either; 503 is documented (Job Tracker not running).
    assert response.status_code < 500 or response.status_code == 503, (
        f"{what}: {_describe(response)}"
    )
