"""Reading a parameter that the contract accepts either in the query string or the JSON body."""

from rest_framework.exceptions import ValidationError
from rest_framework.fields import CharField


def query_or_body_param(request, name: str) -> str | None:
    """``name`` from the query string, else from a JSON object body; None when absent. A body
    that is not an object (``null`` included) is refused, even when the query string has
    ``name``."""
    body = request.data
    if hasattr(body, "dict"):  # a form body (QueryDict), where the view accepts forms
        body = body.dict()
    if not isinstance(body, dict):
        raise ValidationError({"body": ["must be a JSON object"]})
    if name in request.query_params:
        return _text(name, request.query_params[name])
    if not body:
        return None
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):  # a number is refused, not taken as its digits
        raise ValidationError({name: ["must be a string"]})
    return _text(name, value)


def _text(name: str, value: str) -> str:
    """``value`` checked like any string field of a body: no NUL or surrogate characters,
    which no stored value can contain (and PostgreSQL refuses to compare against)."""
    try:
        return CharField(allow_blank=True, trim_whitespace=False).run_validation(value)
    except ValidationError as exc:
        raise ValidationError({name: exc.detail}) from None
