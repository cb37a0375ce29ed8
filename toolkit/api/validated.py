"""Input serializers that check a record with its model's own rules.

The rules of configuration input live on the models (DESIGN.md, decision 10): field validators
and ``Model.clean()``. The admin's ModelForms run them through ``full_clean()``; so does
``ValidatedModelSerializer``, on an unsaved copy of the record carrying the new values, and it
answers each refusal under the field's wire name. The admin and the API thus refuse the same
input in the same words, and a rule is written once. (NetBox's ``ValidatedModelSerializer`` is
the model for this.)

The serializer's own fields still check what belongs to the wire: JSON types, lengths, unknown
keys (``StrictSerializer``). A wire field that carries a model field's validator (a code's
pattern, say) names the model's validator object, so that its words and the pattern in the
OpenAPI schema are the model's: DRF checks ``validators=[...]`` before a field's length,
``CheckedCharField(rules=[...])`` after it.
"""

import copy
from typing import ClassVar

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as ModelValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.settings import api_settings

from toolkit.api.strict import StrictCharField, StrictSerializer


class ValidatedModelSerializer(StrictSerializer):
    """Checks input with ``model.full_clean()`` and saves it as a ``model`` record.

    Each wire field fills the model field its ``source`` names (DRF's own ``source``; a wire
    field named like its model field needs none). A JSON ``null`` given for a text field the
    model keeps as ``""`` (``blank``, not ``null``) is stored as ``""``: null clears it.
    ``validated_data`` is keyed by model field, ready for the model.
    """

    model: ClassVar[type[models.Model]]

    def validate(self, attrs):
        attrs = {name: self._stored(name, value) for name, value in attrs.items()}
        candidate = self._candidate(attrs)
        try:
            candidate.full_clean()
        except ModelValidationError as refusal:
            raise serializers.ValidationError(self._wire_errors(refusal)) from None
        return attrs

    def create(self, validated_data):
        record = self.model(**validated_data)
        record.save()
        return record

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        return instance

    def _candidate(self, attrs: dict) -> models.Model:
        """The record as it would be saved: a copy, so a refused change leaves the instance the
        caller holds as it was."""
        candidate = copy.copy(self.instance) if self.instance is not None else self.model()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        return candidate

    def _stored(self, name: str, value):
        if value is None:
            field = self.model._meta.get_field(name)
            if field.empty_strings_allowed and not field.null:
                return ""
        return value

    def _wire_errors(self, refusal: ModelValidationError) -> dict[str, list[str]]:
        wire_names = {field.source: wire for wire, field in self.fields.items()}
        wire_names[NON_FIELD_ERRORS] = api_settings.NON_FIELD_ERRORS_KEY
        return {
            wire_names.get(name, name): messages for name, messages in refusal.message_dict.items()
        }


class CheckedCharField(StrictCharField):
    """Text checked by its own bounds first, then by ``rules`` (a model's validators), in the
    order DRF's RegexField checks its pattern: a value too long hears of both, the length first.

    The text is checked as sent, untrimmed, so that what the rules' pattern (stated in the
    OpenAPI schema) refuses, such as a leading space, the field refuses too."""

    def __init__(self, *, rules=(), **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators.extend(rules)
