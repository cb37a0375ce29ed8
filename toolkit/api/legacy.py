"""The legacy stock-order envelope (``POST /api/orders/addStock``): ``{"error": "<text>"}``.

Every error under /api/orders/ leaves in this shape, whether raised by the view, by DRF, by
Django's URL resolver or by a bug. The view checks keys and rights as the Lab API v2 does;
its errors are the v2 envelope's, said in one line.
"""

from django.http import JsonResponse

from toolkit.api.text import encodable

SERVER_ERROR = "Internal server error"
NOT_FOUND = "Not found"


def error_body(text: str) -> dict:
    return {"error": encodable(str(text))}


def from_v2(body: dict) -> dict:
    """A v2 envelope (``{"error", "details"}``) as one line: the summary, then the details."""
    details = "; ".join(body.get("details") or [])
    return error_body(f"{body['error']}: {details}" if details else body["error"])


def not_found(request) -> JsonResponse:
    return JsonResponse(error_body(NOT_FOUND), status=404)


def bad_request(request, why: str) -> JsonResponse:
    return JsonResponse(error_body(why), status=400)


def server_error(request) -> JsonResponse:
    return JsonResponse(error_body(SERVER_ERROR), status=500)
