"""How the OpenAPI schema describes labsite's three API faces: authentication, and the error
body of each face (loaded by the app config; the API keys' scheme is ``accounts.schema``).

Each face answers errors in its own shape, and the schema says so with one component per
shape, defined here once:

- Lab API v2 (``/api/v2/``, ``/api/jt/``): ``V2Error``, ``{"error", "details"}``
  (``toolkit/api/v2.py``), as ``application/json``;
- Orders API (``/orders``, ``/api/auth``): ``Problem``, RFC 7807 problem details
  (``toolkit/api/problems.py``), as ``application/problem+json``;
- item cancel (``/api/orderCancel``): ``ItemCancelAnswer``, the ``HadError`` envelope
  (``toolkit/api/item_cancel.py``), for answers and errors alike.

Views list their own statuses (the contract's tables) with the helpers below; every Lab API v2
view also gets 401 and 403 from ``V2AutoSchema``, derived from its ``required_rights``.
"""

import inspect
from decimal import Decimal

from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

from toolkit.api import problems
from toolkit.api.pagination import BoundedLimitOffsetPagination


class StrictSerializerScheme(OpenApiSerializerExtension):
    """A ``StrictSerializer`` refuses keys it does not know: say so with
    ``additionalProperties: false``. The fields it names in ``fixed_fields`` (the field a
    record is named by, on a change) are stated ``readOnly``."""

    target_class = "toolkit.api.strict.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = False
        fixed = getattr(self.target, "fixed_fields", ())
        for name in fixed:
            schema["properties"][name]["readOnly"] = True
        if fixed and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in fixed]
            if not schema["required"]:
                del schema["required"]
        return schema


# Patterns of the text a ``StrictCharField`` takes: no NUL anywhere (DRF refuses it, and
# PostgreSQL cannot store it), and, unless blank is allowed, a character that is not whitespace
# (DRF trims the text before refusing it as blank). ``\s`` means in a JSON Schema validator
# written in Python what ``str.strip()`` strips. Where blank is allowed, drf-spectacular adds
# the empty string as an alternative (``oneOf``), so the pattern itself needs a character.
NO_NUL = r"^[^\u0000]+$"
NO_NUL_OR_EMPTY = r"^[^\u0000]*$"
NOT_BLANK = r"^[^\u0000]*[^\u0000\s][^\u0000]*$"


def text_pattern(*, allow_blank: bool, trimmed: bool = True) -> str:
    """The pattern of non-empty text without NUL; not blank either, unless ``allow_blank``."""
    return NO_NUL if allow_blank or not trimmed else NOT_BLANK


class StrictCharFieldScheme(OpenApiSerializerFieldExtension):
    """States what a ``StrictCharField`` refuses besides its length: blank text (``minLength``
    and a pattern that needs a character other than whitespace) and NUL. A field checked by a
    pattern of its own (a model's rule, which leaves NUL out) is described by that pattern."""

    target_class = "toolkit.api.strict.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if field.read_only:
            return schema
        if not field.allow_blank:
            schema["minLength"] = max(schema.get("minLength", 0), 1)
        if not any(isinstance(rule, RegexValidator) for rule in field.validators):
            schema["pattern"] = text_pattern(
                allow_blank=field.allow_blank, trimmed=field.trim_whitespace
            )
        if "maxLength" in field.stated:
            limit = field.stated["maxLength"]
            schema["maxLength"] = min(schema.get("maxLength", limit), limit)
        if "pattern" in field.stated:
            schema["pattern"] = field.stated["pattern"]
        return schema


def numbers_as_json_numbers(result, generator, request, public):
    """Postprocessing hook: bounds that came from a model's validators as ``Decimal`` (a frame
    size's 99.9, say) are written as JSON numbers, which is all a schema can hold."""

    def plain(node):
        if isinstance(node, dict):
            return {key: plain(value) for key, value in node.items()}
        if isinstance(node, list):
            return [plain(value) for value in node]
        if isinstance(node, Decimal):
            return int(node) if node == node.to_integral_value() else float(node)
        return node

    return plain(result)


class StatedNumberScheme(OpenApiSerializerFieldExtension):
    """A strict number field with the bounds its ``stated`` names (checked further in, in the
    words of the rule that checks them): the schema says them too."""

    target_class = "toolkit.api.strict.StrictDecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return schema | self.target.stated  # Decimals: numbers_as_json_numbers


class StatedIntegerScheme(StatedNumberScheme):
    target_class = "toolkit.api.strict.StrictIntegerField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return schema | {key: int(value) for key, value in self.target.stated.items()}


# --- Lab API v2: {"error", "details"} ---------------------------------------------------------


class V2ErrorSerializer(serializers.Serializer):
    """Every error of the Lab API v2, whatever its status."""

    error = serializers.CharField(
        help_text="What went wrong, in the contract's exact words (typos included)."
    )
    details = serializers.ListField(
        child=serializers.CharField(),
        help_text='Further lines, such as `"Provided: <value>"`; may be empty.',
    )


def v2_error(description: str) -> OpenApiResponse:
    return OpenApiResponse(V2ErrorSerializer, description=description)


def v2_errors(by_status: dict[int, str]) -> dict[int, OpenApiResponse]:
    """``{status: description}`` as responses carrying the v2 error body."""
    return {status: v2_error(description) for status, description in by_status.items()}


def path_parameter(name: str, description: str, *, pattern: str = NO_NUL) -> OpenApiParameter:
    """A part of the URL's path (a string) that names what the operation acts on: no value
    holds NUL (a path naming one answers 404), or ``pattern`` for a narrower rule."""
    schema = {"type": "string", "pattern": pattern}
    return OpenApiParameter(name, schema, OpenApiParameter.PATH, description=description)


def v2_operation(
    *,
    tag: str,
    operation_id: str,
    summary: str,
    ok: dict[int, OpenApiResponse] | None = None,
    errors: dict[int, str] | None = None,
    **more,
):
    """The schema of one Lab API v2 operation (``extend_schema``): its tag, id and summary,
    its answers (``ok``, status -> response) and its errors (``errors``, status -> description
    of the v2 error body); ``more`` is passed on (description, parameters, request)."""
    return extend_schema(
        operation_id=operation_id,
        tags=[tag],
        summary=summary,
        responses={**(ok or {}), **v2_errors(errors or {})},
        **more,
    )


V2_AUTHENTICATION_REQUIRED = (
    'Missing or invalid API key: `{"error": "Authentication required", "details": []}`.'
)


def v2_permission_denied(right: str) -> str:
    return (
        f'The key\'s user lacks the right: `{{"error": "Permission denied", '
        f'"details": ["Requires: {right}"]}}`.'
    )


V2_INCORRECT_ARGUMENTS = (
    'Invalid input: `{"error": "Incorrect arguments provided", '
    '"details": ["<field>: <message>", ...]}`.'
)


class V2AutoSchema(AutoSchema):
    """Adds what every Lab API v2 operation may answer before its view runs: 401 without a
    valid key, and 403 when the method needs a right (``required_rights``) the user lacks."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        added = {"401": V2_AUTHENTICATION_REQUIRED}
        right = getattr(self.view, "required_rights", {}).get(self.method)
        if right is not None:
            added["403"] = v2_permission_denied(right)
        error = {"schema": self.resolve_serializer(V2ErrorSerializer, "response").ref}
        responses = operation["responses"]
        for status, description in added.items():
            # What the view documents itself wins.
            responses.setdefault(
                status, {"content": {"application/json": error}, "description": description}
            )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def get_description(self):
        # The handler's own docstring only: the base views' docstrings describe plumbing.
        handler = getattr(self.view, self.method.lower(), None)
        return inspect.cleandoc(handler.__doc__) if handler and handler.__doc__ else ""


def paginated(name: str, item: serializers.Serializer) -> serializers.Serializer:
    """The ``{"count", "next", "previous", "results"}`` page of a v2 list of ``item``."""
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(help_text="Matches in all."),
            "next": serializers.URLField(allow_null=True, help_text="The next page, if any."),
            "previous": serializers.URLField(
                allow_null=True, help_text="The previous page, if any."
            ),
            "results": serializers.ListSerializer(child=item),
        },
    )


def integer_parameter(name: str, *, minimum: int, maximum: int, description: str):
    """A query parameter taking an integer from ``minimum`` to ``maximum``, both stated."""
    schema = {"type": "integer", "minimum": minimum, "maximum": maximum}
    return OpenApiParameter(name, schema, description=description)


def text_parameter(
    name: str,
    description: str,
    *,
    allow_empty: bool = False,
    pattern: str | None = None,
    max_length: int | None = None,
    required: bool = False,
) -> OpenApiParameter:
    """A query parameter taking text: by default any text without NUL (which no stored value
    holds), non-empty unless ``allow_empty``; ``pattern`` for a narrower rule."""
    schema = {"type": "string", "pattern": pattern or (NO_NUL_OR_EMPTY if allow_empty else NO_NUL)}
    if not allow_empty:
        schema["minLength"] = 1
    if max_length is not None:
        schema["maxLength"] = max_length
    return OpenApiParameter(name, schema, description=description, required=required)


PAGE_PARAMETERS = [
    integer_parameter(
        "limit",
        minimum=0,
        maximum=BoundedLimitOffsetPagination.max_limit,
        description=(
            f"Page size; by default {BoundedLimitOffsetPagination.default_limit}. A value that "
            "is not an integer (or is empty) or lies out of bounds is refused."
        ),
    ),
    integer_parameter(
        "offset",
        minimum=0,
        maximum=BoundedLimitOffsetPagination.max_offset,
        description="Matches to skip; by default 0. Refused like `limit`.",
    ),
]

PAGE_PARAMETERS_INVALID = (
    "`limit` or `offset` is not an integer within its bounds: "
    '`{"error": "Incorrect arguments provided", "details": ["limit: must be a non-negative '
    f'integer"]}}` (a word, a sign or an empty value) or `["limit: must be at most '
    f'{BoundedLimitOffsetPagination.max_limit}"]`.'
)


# --- Orders API: RFC 7807 problem details -------------------------------------------------------


class ProblemMemberSerializer(serializers.Serializer):
    memberName = serializers.CharField(
        allow_null=True, help_text="The parameter, body member or path part concerned."
    )
    message = serializers.CharField()
    code = serializers.CharField(help_text="A stable code for the kind of problem.")


class ProblemSerializer(serializers.Serializer):
    """Every error of the Orders API (`application/problem+json`)."""

    type = serializers.CharField(
        help_text="`about:blank`, or `urn:labsite:problem:<code>` for a refusal of the rules."
    )
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField(help_text="The HTTP status.")
    detail = serializers.CharField(help_text="What went wrong, for people.")
    instance = serializers.CharField(allow_null=True, help_text="The request's path.")
    traceId = serializers.CharField(
        allow_null=True,
        help_text="The request id, also in the `X-Request-ID` header and on the server's log line.",
    )
    errorCode = serializers.IntegerField(
        required=False,
        help_text=(
            f"`{problems.UNAUTHENTICATED}` unauthenticated (401), `{problems.UNAUTHORIZED}` "
            f"missing right (403), `{problems.VALIDATION_FAILED}` validation failed (400), "
            f"`{problems.VERSION_MISMATCH}` stale `_v` (409). Absent on other statuses."
        ),
    )
    errors = ProblemMemberSerializer(
        many=True, required=False, help_text="On a 400: one entry per refused member."
    )


def problem_responses(by_status: dict[int, str]) -> dict[tuple[int, str], OpenApiResponse]:
    """``{status: description}`` as responses carrying a problem, as
    ``application/problem+json``."""
    return {
        (status, problems.CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=text)
        for status, text in by_status.items()
    }


def problem_operation(
    *,
    tag: str,
    operation_id: str,
    ok: dict[int, OpenApiResponse],
    problems: dict[int, str],
    **more,
):
    """The schema of one Orders API operation (``extend_schema``): its tag and id, its answers
    (``ok``, status -> response) and its errors (``problems``, status -> description of the
    problem); ``more`` is passed on (description, parameters, request, auth)."""
    return extend_schema(
        operation_id=operation_id,
        tags=[tag],
        responses={**ok, **problem_responses(problems)},
        **more,
    )


PROBLEM_UNAUTHENTICATED = "Missing, invalid or expired token (errorCode 1)."


def problem_permission_denied(right: str) -> str:
    return f"The token's user lacks the right `{right}` (errorCode 2)."


# --- Item cancel: the HadError envelope --------------------------------------------------------


class ItemCancelErrorSerializer(serializers.Serializer):
    PropertyName = serializers.CharField(
        allow_null=True, help_text='"Ids" for a per-item failure; the input concerned otherwise.'
    )
    AttemptedValue = serializers.JSONField(
        allow_null=True, help_text="The value refused: for a per-item failure, the item id."
    )
    ErrorMessage = serializers.CharField()
    CustomState = serializers.JSONField(allow_null=True, help_text="Always null.")


class ItemCancelAnswerSerializer(serializers.Serializer):
    """Every answer of the item cancel face, success and error alike."""

    HadError = serializers.BooleanField()
    Errors = ItemCancelErrorSerializer(many=True)
    Success = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the items this request cancelled."
    )
    ErrorReferenceCode = serializers.UUIDField(
        required=False, help_text="Only when HadError: quote it to the lab; it is in its log."
    )


def item_cancel_responses(by_status: dict[int, str]) -> dict[int, OpenApiResponse]:
    return {
        status: OpenApiResponse(ItemCancelAnswerSerializer, description=text)
        for status, text in by_status.items()
    }


# What the HTTP server in front of Django answers before any face sees the request. gunicorn
# (labsite's server) refuses a request line over 4094 bytes with its own short HTML page.
SERVER_LIMIT_RESPONSES = {
    "414": {
        "description": (
            "The request line (method, path and query string) is longer than the HTTP server "
            "accepts (4094 bytes with labsite's gunicorn). Answered by the server, not by the "
            "API: a short HTML page, not the face's error body."
        ),
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
}


def document_server_limits(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation may meet the server's limits."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, response in SERVER_LIMIT_RESPONSES.items():
                responses.setdefault(status, response)
    return result
