"""Request ids for log correlation, requests nothing can read refused up front, and the last
line of defence for API error shapes."""

import logging
import re
import uuid

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest, UnreadablePostError

from toolkit import request_id as request_ids
from toolkit.api import faces
from toolkit.wsgi import UNUSABLE_CHARSET, is_text_encoding

_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

logger = logging.getLogger("labsite.request")


class RequestIdMiddleware:
    """Gives each request an id (a sane incoming X-Request-ID is kept) and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_ids.current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_ids.current.reset(token)
        response["X-Request-ID"] = request_id
        return response


INCOMPLETE_BODY = "The request body did not arrive in full."


def unreadable(request) -> str | None:
    """Why no part of labsite could read ``request``, or None: a body charset that is not a
    known text encoding (one Django could not take is set aside before it builds the request:
    ``toolkit.wsgi``), or a body the client stopped sending before its ``Content-Length``.

    The body is read here, before any database work: a stalled client then holds no database
    connection while labsite waits for it (``toolkit.wsgi.timing_out_stalled_clients``)."""
    charset = request.META.get(UNUSABLE_CHARSET) or request.content_params.get("charset")
    if charset and not is_text_encoding(charset):
        return f"The charset {charset!r} is not a known text encoding."
    try:
        request.body  # noqa: B018 - read now, kept by the request for the views
    except RequestDataTooBig:
        return None  # not read at all: each face refuses it in its own words
    except UnreadablePostError:
        return INCOMPLETE_BODY
    return None


NUL_IN_PAGE_REQUEST = "A NUL character is not allowed in a page's address, form or cookies."


def has_nul(request) -> bool:
    """Whether a NUL character is in the request's path, query, form or cookies (keys or
    values; a quoted cookie's octal escape ``\\000`` is one once parsed)."""
    try:
        form = request.POST
    except RequestDataTooBig:
        form = {}  # not read: Django refuses it on its own
    return (
        "\x00" in request.path
        or any(
            "\x00" in key or any("\x00" in value for value in values)
            for data in (request.GET, form)
            for key, values in data.lists()
        )
        or any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items())
    )


class UnreadableRequestMiddleware:
    """Answers a request that nothing could read (``unreadable``) with a 400 at once, before
    authentication: in its API face's shape, or as plain text elsewhere.

    A page (the admin, the floor's pages) also refuses a NUL character anywhere in its
    address, form or cookies (the session's key): no person or scanner types one, and
    PostgreSQL refuses it in a text value, so a lookup would fail with a 500. The API faces
    answer it in their own words, and read no cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        why = unreadable(request)
        face = faces.face_for_path(request.path)
        if why is None and face is None and has_nul(request):
            why = NUL_IN_PAGE_REQUEST
        if why is None:
            return self.get_response(request)
        if face is None:
            return HttpResponseBadRequest(why, content_type="text/plain; charset=utf-8")
        return face.bad_request(request, why)


class ApiErrorMiddleware:
    """An exception escaping a view under an API path is answered in that face's shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        face = faces.face_for_path(request.path)
        if face is None:
            return None
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return face.server_error(request)
