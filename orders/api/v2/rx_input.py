"""The Lab API v2 create's prescription, lens, frame and addon inputs (contracts/rx-orders.md),
named as the fetch model names them (``orders.api.payloads``).

These fields check types, sizes, decimals and the ranges of the order's own lens and frame
fields (the models' validators): check 1 of the contract. The prescription's ranges are not
theirs: those are the Rx check catalogue's (``orders.rx``), run by the create service after
the checks before it.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.api.payloads import EYE_PREFIXES, EYE_WIRE_NAMES, ORDER_RX_WIRE_NAMES
from orders.models import Order, OrderEye
from orders.rx import PRISM_BASE_WORDS, RANGES, Eye, EyeValues, prism_base_error
from orders.services.create_checks import MAX_ADDONS
from toolkit.api.strict import StrictCharField, StrictDecimalField, StrictIntegerField


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "enum": list(PRISM_BASE_WORDS)},
            {"type": "number", "minimum": 0, "maximum": 360},
        ]
    }
)
class PrismBaseField(serializers.Field):
    """A prism base: ``IN``, ``OUT``, ``UP`` or ``DOWN``, or a number of degrees from 0 to 360
    (a JSON number); kept as text."""

    default_error_messages = {"invalid": "use IN, OUT, UP, DOWN or a number from 0 to 360"}

    def to_internal_value(self, data):
        if isinstance(data, str) and data in PRISM_BASE_WORDS:
            return data
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        text = str(data)
        if prism_base_error(text):
            self.fail("invalid")
        return text

    def to_representation(self, value):
        return value


def _bounds(field: models.Field) -> dict[str, Decimal | int]:
    lows = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    return ({"min_value": max(lows)} if lows else {}) | ({"max_value": min(highs)} if highs else {})


def _input(field: models.Field) -> serializers.Field:
    """The wire field taking a model field's value, with its type, size, choices and bounds."""
    options = {"required": False}
    if isinstance(field, models.DecimalField):
        return StrictDecimalField(max_digits=None, decimal_places=2, **_bounds(field), **options)
    if isinstance(field, models.IntegerField):
        return StrictIntegerField(**_bounds(field), **options)
    if field.choices:
        return serializers.ChoiceField(choices=field.choices, allow_blank=field.blank, **options)
    return StrictCharField(max_length=field.max_length, allow_blank=field.blank, **options)


def _eye_input(name: str) -> serializers.Field:
    if name == "prism_base":
        return PrismBaseField(
            required=False,
            help_text=f"{', '.join(PRISM_BASE_WORDS)} or a number of degrees, 0 to 360.",
        )
    if name in RANGES:
        # The catalogue checks the range (check 7, in its words): the schema states it, the
        # field takes any number (with at most two decimals).
        low, high = RANGES[name]
        stated = {"minimum": low, "maximum": high}
        if name == "axis":
            return StrictIntegerField(required=False, stated=stated)
        return StrictDecimalField(max_digits=None, decimal_places=2, required=False, stated=stated)
    return _input(OrderEye._meta.get_field(name))


def rx_input_fields() -> dict[str, serializers.Field]:
    """Both eyes' fields, the order's lens and frame fields, and ``addons``."""
    fields = {
        prefix + wire: _eye_input(name)
        for prefix in EYE_PREFIXES.values()
        for wire, name in EYE_WIRE_NAMES.items()
    }
    fields |= {
        wire: _input(Order._meta.get_field(name)) for wire, name in ORDER_RX_WIRE_NAMES.items()
    }
    fields["addons"] = serializers.ListField(
        child=StrictCharField(max_length=10),
        max_length=MAX_ADDONS,
        required=False,
        help_text=f"Addon codes, at most {MAX_ADDONS}; each must name an active addon.",
    )
    return fields


def eyes_given(data: dict) -> dict[Eye, EyeValues]:
    """Each eye something was given for, with its values."""
    eyes = {}
    for eye, prefix in EYE_PREFIXES.items():
        values = {
            name: data[prefix + wire]
            for wire, name in EYE_WIRE_NAMES.items()
            if data.get(prefix + wire) not in (None, "")
        }
        if values:
            eyes[eye] = EyeValues(**values)
    return eyes


def lens_and_frame_given(data: dict) -> dict:
    """The order's lens and frame fields that were given (Order field names)."""
    return {name: data[wire] for wire, name in ORDER_RX_WIRE_NAMES.items() if wire in data}
