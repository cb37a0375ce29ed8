"""Request ids for log correlation, and the last line of defence for API error shapes."""

import logging
import re
import uuid

from toolkit import request_id as request_ids
from toolkit.api import faces

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
