"""Rights: each API view names the Django permission each HTTP method needs."""

from django.conf import settings
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission

from accounts import credentials

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class MissingRight(PermissionDenied):
    def __init__(self, right: str):
        self.right = right
        super().__init__(f"Requires: {right}")


class HasRequiredRights(BasePermission):
    """Allows an authenticated user holding the right named in ``view.required_rights``.

    ``required_rights`` maps an HTTP method to a permission (``"orders.cancel_order"``), or to
    ``None`` for "any authenticated user". A method missing from the map needs no right here;
    the view answers it with 405.
    """

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise NotAuthenticated
        right = getattr(view, "required_rights", {}).get(request.method)
        if right is not None and not holds_right(request.user, right):
            raise MissingRight(right)
        return True


def holds_right(user, right: str) -> bool:
    """``user.has_perm(right)``, from the rights this process keeps for a few seconds
    (``accounts.credentials``) where Django's ModelBackend is the only authentication
    backend (as it is here).

    ``has_perm`` loads every permission of the user and, separately, of their groups to answer
    one question: two queries on every API request, a fifth of a simple read's time.
    """
    if list(settings.AUTHENTICATION_BACKENDS) != [MODEL_BACKEND]:
        return user.has_perm(right)
    rights = credentials.rights_of(user)
    return rights is credentials.ALL_RIGHTS or right in rights
