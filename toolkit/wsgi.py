"""What labsite's WSGI application does before Django sees a request.

Django builds its request from the WSGI environ before any middleware runs, and a body charset
that names a codec which is not for text (``Content-Type: application/json;
charset=bz2_codec``) makes that construction fail whenever the URL has a query string: the
server answered its own HTML 500. Such a charset is taken out of the content type here, and
named under ``UNUSABLE_CHARSET`` in the environ, so that the request reaches
``toolkit.middleware.UnreadableRequestMiddleware``, which refuses it in its face's shape.
"""

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
