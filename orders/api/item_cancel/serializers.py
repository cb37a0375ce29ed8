"""The item-cancel contract's shapes, for the OpenAPI schema (the view parses and renders them
itself: see ``inputs.py`` and ``labsite/api/item_cancel.py``)."""

from rest_framework import serializers

from .inputs import MAX_IDS


class ItemCancelRequestSerializer(serializers.Serializer):
    Ids = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=MAX_IDS,
        help_text="Ids of the order's items to cancel (JSON integers; a repeated id counts once).",
    )


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
    HadError = serializers.BooleanField()
    Errors = ItemCancelErrorSerializer(many=True)
    Success = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the items this request cancelled."
    )
    ErrorReferenceCode = serializers.UUIDField(
        required=False, help_text="Only when HadError: quote it to the lab; it is in its log."
    )
