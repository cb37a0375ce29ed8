"""Rights: each API view names the Django permission each HTTP method needs."""

from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission


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
        if right is not None and not request.user.has_perm(right):
            raise MissingRight(right)
        return True
