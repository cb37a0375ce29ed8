"""Reading a parameter that the contract accepts either in the query string or the JSON body."""

from rest_framework.exceptions import ValidationError


def query_or_body_param(request, name: str) -> str | None:
    """``name`` from the query string, else from a JSON object body; None when absent."""
    if name in request.query_params:
        return request.query_params[name]
    body = request.data
    if body in (None, "") or body == {}:
        return None
    if not isinstance(body, dict):
        raise ValidationError({"body": ["must be a JSON object"]})
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationError({name: ["must be a string"]})
    return str(value)
