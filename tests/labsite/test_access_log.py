"""The access log's redaction of credentials (toolkit.access_log), value by value; runlab's
end-to-end test checks a real gunicorn's log."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from toolkit.access_log import RedactingLogger, redacted_query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("orderId=1&partnerBillingKey=s3cret", "orderId=1&partnerBillingKey=[redacted]"),
        ("PARTNERBILLINGKEY=s3cret&recipeid=r", "PARTNERBILLINGKEY=[redacted]&recipeid=r"),
        ("partner%42illingKey=s3cret", "partner%42illingKey=[redacted]"),  # an encoded name
        (
            "token=a&refreshToken=b&password=c",
            "token=[redacted]&refreshToken=[redacted]&password=[redacted]",
        ),
        ("partnerBillingKey", "partnerBillingKey"),  # no value to hide
        ("number=eq:5&$take=10", "number=eq:5&$take=10"),
        ("", ""),
    ],
)
def test_secret_query_values_are_redacted(query, expected):
    assert redacted_query(query) == expected


def test_the_request_line_and_credential_headers_are_redacted():
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "PUT",
        "RAW_URI": "/api/orderCancel?orderId=1&partnerBillingKey=s3cret",
        "PATH_INFO": "/api/orderCancel",
        "QUERY_STRING": "orderId=1&partnerBillingKey=s3cret",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": "Token lab_s3cret",
    }
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Token lab_s3cret"), ("HOST", "lab")])
    response = SimpleNamespace(status="200 OK", sent=2, headers=[])

    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))

    assert atoms["r"] == "PUT /api/orderCancel?orderId=1&partnerBillingKey=[redacted] HTTP/1.1"
    assert atoms["q"] == "orderId=1&partnerBillingKey=[redacted]"
    assert atoms["{authorization}i"] == "[redacted]"
    assert atoms["{host}i"] == "lab"
    assert "s3cret" not in repr(atoms)
