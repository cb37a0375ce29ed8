"""Input fields that refuse what they do not expect instead of coercing or dropping it."""

from decimal import Decimal

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a misspelt field is an error, not silently dropped."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, dict):
            unknown = {key: ["unknown field"] for key in sorted(set(data) - set(self.fields))}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class StrictBooleanField(serializers.BooleanField):
    """JSON booleans only: ``"yes"`` or ``1`` for a flag is more likely a mistake than intent."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class StrictIntegerField(serializers.IntegerField):
    """JSON integers only: ``"10"`` or ``true`` for a number is refused, not coerced.
    ``stated`` adds JSON Schema keywords (``minimum``, ``maximum``) for a rule checked further
    in, in its own words (``toolkit.api.schema.StatedNumberScheme``)."""

    def __init__(self, *, stated: dict | None = None, **kwargs):
        self.stated = stated or {}
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """JSON strings only: a number where text is expected is refused, not turned into text.

    Like every DRF ``CharField`` it refuses NUL (which no stored text can hold) and, unless
    ``allow_blank``, text that is empty once trimmed; the OpenAPI schema states both
    (``toolkit.api.schema.StrictCharFieldScheme``). ``stated`` adds JSON Schema keywords
    (``pattern``, ``maxLength``) for a rule checked further in, in its own words, such as a
    service's format of an identifier: the schema then states it too.
    """

    def __init__(self, *, stated: dict | None = None, **kwargs):
        self.stated = stated or {}
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """JSON numbers only: ``"1.25"`` or ``true`` for a number is refused, not coerced. The
    number is kept as written (``50`` stays 50, ``20.5`` stays 20.5, so an error can echo what
    was sent); more decimal places or digits than allowed are refused, not rounded. A number on
    the wire, and in the schema; ``stated`` as for ``StrictIntegerField``."""

    def __init__(self, *, stated: dict | None = None, **kwargs):
        self.stated = stated or {}
        kwargs.setdefault("coerce_to_string", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        value = Decimal(str(data))
        if not value.is_finite():
            self.fail("invalid")
        return self.validate_precision(value)
