"""Site-wide views: the front door, and error pages that respect each API face's shape."""

from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views import defaults

from toolkit.api.faces import face_for_path


def home(request):
    return HttpResponseRedirect(reverse("admin:index"))


def page_not_found(request, exception):
    face = face_for_path(request.path)
    if face is not None:
        return face.not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    face = face_for_path(request.path)
    if face is not None:
        return face.server_error(request)
    return defaults.server_error(request)
