"""Which API face a path belongs to, so errors raised outside a face's views keep its shape."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from toolkit.api import item_cancel, legacy, problems, v2


@dataclass(frozen=True)
class Face:
    name: str
    # A path belongs to the face when it is one of these roots or lies below one.
    roots: tuple[str, ...]
    not_found: Callable[[HttpRequest], HttpResponse]
    bad_request: Callable[[HttpRequest, str], HttpResponse]
    server_error: Callable[[HttpRequest], HttpResponse]

    def owns(self, path: str) -> bool:
        return any(path == root or path.startswith(root + "/") for root in self.roots)


FACES = (
    Face("Lab API v2", ("/api/v2", "/api/jt"), v2.not_found, v2.bad_request, v2.server_error),
    Face(
        "Orders API",
        ("/orders", "/api/auth"),
        problems.not_found,
        problems.bad_request,
        problems.server_error,
    ),
    Face(
        "Stock orders (legacy)",
        ("/api/orders",),
        legacy.not_found,
        legacy.bad_request,
        legacy.server_error,
    ),
    Face(
        "Item cancel",
        ("/api/orderCancel",),
        item_cancel.not_found,
        item_cancel.bad_request,
        item_cancel.server_error,
    ),
)


def face_for_path(path: str) -> Face | None:
    return next((face for face in FACES if face.owns(path)), None)
