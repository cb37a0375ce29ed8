"""Bounded limit/offset pagination for list endpoints; malformed values are refused."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = 1000
    max_limit = 1000

    def _non_negative(self, request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
            raise ValidationError({name: ["must be a non-negative integer"]})
        return int(raw)

    def get_limit(self, request) -> int:
        return min(
            self._non_negative(request, self.limit_query_param, self.default_limit), self.max_limit
        )

    def get_offset(self, request) -> int:
        return self._non_negative(request, self.offset_query_param, 0)
