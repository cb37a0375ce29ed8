"""Which API face a path belongs to, so errors raised outside a face's views keep its shape."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from labsite.api import v2


@dataclass(frozen=True)
class Face:
    name: str
    prefixes: tuple[str, ...]
    not_found: Callable[[HttpRequest], HttpResponse]
    server_error: Callable[[HttpRequest], HttpResponse]


FACES = (Face("Lab API v2", ("/api/v2/", "/api/jt/"), v2.not_found, v2.server_error),)


def face_for_path(path: str) -> Face | None:
    return next((f for f in FACES if path.startswith(f.prefixes)), None)
