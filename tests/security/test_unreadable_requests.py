"""Requests nothing could read are a 4xx in the face's own shape, before authentication too:
JSON nested deeper than Python's decoder recurses, a body charset that is no text encoding, a
NUL character where a lookup would pass it to PostgreSQL. Each of these answered 500 once,
anonymous requests included."""

import io
import json
import sys

from django.test import Client

import pytest

from labsite.wsgi import application
from toolkit.wsgi import timing_out_stalled_clients

from .endpoints import ITEM_CANCEL, ORDERS_API, V2
from .shapes import ENVELOPE_KEYS, PROBLEM_JSON, PROBLEM_KEYS

pytestmark = pytest.mark.django_db

DEEP_JSON = "[" * 100_000 + "]" * 100_000


def assert_bad_request(face: str, status: int, content_type: str, body: bytes, detail: str):
    """A 400 of ``face`` whose message contains ``detail``."""
    assert status == 400, body[:300]
    answer = json.loads(body)
    if face == V2:
        assert content_type == "application/json"
        assert answer["error"] == "Incorrect arguments provided"
        assert any(detail in line for line in answer["details"]), answer
    elif face == ORDERS_API:
        assert content_type == PROBLEM_JSON
        assert set(answer) == PROBLEM_KEYS
        assert answer["status"] == 400
        assert answer["errorCode"] == 3
        assert detail in answer["detail"], answer
    else:
        assert face == ITEM_CANCEL
        assert set(answer) == ENVELOPE_KEYS
        assert answer["HadError"] is True
        assert detail in answer["Errors"][0]["ErrorMessage"], answer


def media_type(response) -> str:
    return media_type_of(response)


def media_type_of(headers) -> str:
    return headers["Content-Type"].split(";")[0].strip()


# --- nested JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("face", "method", "path", "as_user"),
    [
        (ORDERS_API, "post", "/api/auth", False),  # anonymous
        (ORDERS_API, "post", "/api/auth/refresh", False),  # anonymous
        (V2, "post", "/api/v2/orders", True),
        (V2, "post", "/api/jt/checkin", True),  # also takes forms: its own parser list
        (V2, "post", "/api/v2/orders/10001/print_ticket", True),  # likewise
        (ITEM_CANCEL, "put", "/api/orderCancel?orderId=10001", True),
    ],
)
def test_json_nested_too_deeply_is_answered_as_any_unreadable_body(
    supervisor_api, make_order, face, method, path, as_user
):
    make_order(number=10001)
    client = Client(raise_request_exception=False)
    headers = supervisor_api.headers if as_user else {}

    def send(body: str):
        call = getattr(client, method)
        return call(path, body, content_type="application/json", **headers)

    nested, malformed = send(DEEP_JSON), send("{")

    assert nested.status_code == malformed.status_code == 400, nested.content[:300]
    assert nested["Content-Type"] == malformed["Content-Type"]
    assert shape(nested.json()) == shape(malformed.json())
    assert "nested too deeply" in nested.content.decode()


def shape(answer: dict) -> dict:
    """The answer without what names this request or its input."""
    kept = {key: value for key, value in answer.items() if key not in ("traceId", "instance")}
    for key in ("detail", "details", "errors", "Errors", "ErrorReferenceCode"):
        kept.pop(key, None)
    return kept


# --- NUL characters -----------------------------------------------------------------------------
# PostgreSQL text cannot hold one: a lookup with it fails in the database unless refused first.


def test_a_workstation_code_with_a_nul_is_not_found(supervisor_api):
    answer = supervisor_api.call("get", "/api/v2/workstations/0%00", status=404)

    assert answer == {"error": "No record found", "details": ["Provided: 0\x00"]}


def test_a_recipe_id_with_a_nul_is_a_wrong_pair_anonymously():
    response = Client(raise_request_exception=False).put(
        "/api/orderCancel?orderId=1&recipeid=a%00&partnerBillingKey=k"
    )

    assert response.status_code == 401
    body = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["Errors"][0]["ErrorMessage"].startswith("Unknown or inactive partner")


# --- charsets -----------------------------------------------------------------------------------


def call_wsgi(method: str, path: str, query: str, content_type: str, sent: bytes, body=None):
    """One request through labsite's WSGI application, as a server passes it, with ``sent`` as
    its body; or, when ``body`` is given, a request announcing 1000 bytes whose body stream is
    ``body``."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(sent) if body is None else 1000),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(sent) if body is None else io.BufferedReader(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
    }
    started = []
    chunks = application(environ, lambda status, headers: started.append((status, headers)))
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    status, headers = started[0]
    return int(status.split()[0]), dict(headers), content


@pytest.mark.parametrize(
    ("face", "method", "path", "query"),
    [
        (ORDERS_API, "POST", "/api/auth", "x=1"),
        (V2, "POST", "/api/v2/orders", "x=1"),
        (ITEM_CANCEL, "PUT", "/api/orderCancel", "orderId=1&recipeid=r&partnerBillingKey=k"),
    ],
)
def test_a_charset_that_is_no_text_encoding_is_a_400_from_the_wsgi_application(
    face, method, path, query
):
    # Django accepts any codec as a charset, and building the request then fails on decoding
    # the query string with it, before any middleware runs.
    status, headers, content = call_wsgi(
        method, path, query, "application/json; charset=bz2_codec", b"{}"
    )

    content_type = headers["Content-Type"].split(";")[0].strip()
    assert_bad_request(face, status, content_type, content, "'bz2_codec' is not a known text")


def test_an_unknown_charset_is_a_400():
    # generic(): the test client's post() would encode the body with the charset itself.
    response = Client(raise_request_exception=False).generic(
        "POST", "/api/auth", b"{}", content_type="application/json; charset=no-such-charset"
    )

    assert_bad_request(
        ORDERS_API,
        response.status_code,
        media_type(response),
        response.content,
        "'no-such-charset' is not a known text encoding",
    )


def test_a_text_charset_is_read_as_before():
    response = Client().generic(
        "POST",
        "/api/auth",
        '{"UserName": "nobody", "Password": "wrong"}'.encode("utf-16"),
        content_type="application/json; charset=utf-16",
    )

    assert response.status_code == 401  # read, and refused for what it says


# --- bodies that do not arrive in full ----------------------------------------------------------
# Under gunicorn a stalled client's socket read times out (toolkit.wsgi); Django reports any
# failed read of the body as UnreadablePostError, which is what these requests cause.


class StalledBody(io.RawIOBase):
    """A body whose client sends ``sent`` and then nothing: the read times out."""

    def __init__(self, sent: bytes):
        self.sent = sent

    def readable(self):
        return True

    def readinto(self, buffer):
        if not self.sent:
            raise TimeoutError("timed out")
        size = min(len(buffer), len(self.sent))
        buffer[:size], self.sent = self.sent[:size], self.sent[size:]
        return size


@pytest.mark.parametrize(
    ("face", "method", "path", "query"),
    [
        (ORDERS_API, "POST", "/api/auth", ""),  # anonymous
        (V2, "POST", "/api/v2/orders", ""),
        (ITEM_CANCEL, "PUT", "/api/orderCancel", "orderId=1&recipeid=r&partnerBillingKey=k"),
    ],
)
def test_a_body_that_stops_short_of_its_length_is_a_400(face, method, path, query):
    status, headers, content = call_wsgi(
        method, path, query, "application/json", b"{}", body=StalledBody(b'{"User')
    )

    assert_bad_request(
        face, status, media_type_of(headers), content, "The request body did not arrive in full"
    )


def test_a_body_that_stops_short_is_a_plain_400_outside_the_apis():
    status, headers, content = call_wsgi(
        "POST",
        "/admin/login/",
        "",
        "application/x-www-form-urlencoded",
        b"",
        body=StalledBody(b"u"),
    )

    assert (status, media_type_of(headers)) == (400, "text/plain")
    assert content == b"The request body did not arrive in full."


class RecordingSocket:
    def __init__(self):
        self.timeouts = []

    def settimeout(self, seconds):
        self.timeouts.append(seconds)


def test_under_gunicorn_the_client_socket_times_out_while_the_application_runs():
    client = RecordingSocket()
    seen = []

    def application(environ, start_response):
        seen.append(list(client.timeouts))
        return [b"answer"]

    wrapped = timing_out_stalled_clients(application, 7)

    assert wrapped({"gunicorn.socket": client}, None) == [b"answer"]
    assert seen == [[7]]  # set before the application read anything
    assert client.timeouts == [7, None]  # and taken off after it: keep-alive governs then
