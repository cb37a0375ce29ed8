"""Bounded limit/offset pagination for list endpoints; malformed values are refused.

``limit`` and ``offset`` are integers from 0 to their maximum (``max_limit``, ``max_offset``),
as the OpenAPI schema states (``toolkit.api.schema.PAGE_PARAMETERS``): a value that is not one
(a word, a sign, an empty value) or lies past its maximum is refused, never clamped, like the
Orders API's ``$take`` and ``$skip``. Without ``limit`` a page holds ``default_limit`` records.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = 1000
    max_limit = 1000
    max_offset = 999_999_999

    def _bounded(self, request, name: str, *, default: int, most: int) -> int:
        if name not in request.query_params:
            return default
        raw = request.query_params[name]
        if not (raw.isascii() and raw.isdigit()):
            raise ValidationError({name: ["must be a non-negative integer"]})
        digits = raw.lstrip("0") or "0"
        if len(digits) > len(str(most)) or int(digits) > most:
            raise ValidationError({name: [f"must be at most {most}"]})
        return int(digits)

    def get_limit(self, request) -> int:
        return self._bounded(
            request, self.limit_query_param, default=self.default_limit, most=self.max_limit
        )

    def get_offset(self, request) -> int:
        return self._bounded(request, self.offset_query_param, default=0, most=self.max_offset)
