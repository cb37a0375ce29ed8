"""What labsite's WSGI application does before Django sees a request.

Django builds its request from the WSGI environ before any middleware runs, and a body charset
that names a codec which is not for text (``Content-Type: application/json;
charset=bz2_codec``) makes that construction fail whenever the URL has a query string: the
server answered its own HTML 500. Such a charset is taken out of the content type here, and
named under ``UNUSABLE_CHARSET`` in the environ, so that the request reaches
``toolkit.middleware.UnreadableRequestMiddleware``, which refuses it in its face's shape.

A client that stops sending in the middle of its body must not hold the request forever:
under gunicorn, the client's socket reads and writes time out after ``client_timeout_seconds()``
while the application runs (``timing_out_stalled_clients``). The wait for a request's headers
is gunicorn's own keep-alive timeout, set to the same figure (``labsite.gunicorn_conf``).
"""

import os

from django.utils.http import parse_header_parameters

UNUSABLE_CHARSET = "labsite.unusable_charset"


def is_text_encoding(charset: str) -> bool:
    try:
        "".encode(charset)  # a LookupError for an unknown codec or one that is not for text
    except LookupError:
        return False
    return True


def setting_aside_unusable_charsets(application):
    """``application`` (WSGI), given requests whose unusable charset is set aside."""

    def wrapped(environ, start_response):
        content_type, params = parse_header_parameters(environ.get("CONTENT_TYPE", ""))
        charset = params.get("charset")
        if charset and not is_text_encoding(charset):
            environ = {**environ, "CONTENT_TYPE": content_type, UNUSABLE_CHARSET: charset}
        return application(environ, start_response)

    return wrapped


def client_timeout_seconds() -> int:
    """How long labsite waits for a client that has stopped sending (the environment variable
    ``CLIENT_TIMEOUT_SECONDS``, 10 by default): for the rest of a request's headers, for the
    rest of its body, and for the next request on a kept-alive connection."""
    return int(os.environ.get("CLIENT_TIMEOUT_SECONDS", "10"))


def timing_out_stalled_clients(application, seconds: float):
    """``application`` (WSGI), whose reads of a client's socket fail after ``seconds`` without
    data, so that a body shorter than its ``Content-Length`` ends in an error Django reports as
    an unreadable body (``toolkit.middleware.UnreadableRequestMiddleware``: a 400).

    Only under gunicorn, which hands the socket over as ``gunicorn.socket``. The timeout is
    taken off when the application returns: between requests, gunicorn's keep-alive timeout
    governs the connection."""

    def wrapped(environ, start_response):
        client = environ.get("gunicorn.socket")
        if client is None:
            return application(environ, start_response)
        client.settimeout(seconds)
        try:
            return application(environ, start_response)
        finally:
            client.settimeout(None)

    return wrapped
