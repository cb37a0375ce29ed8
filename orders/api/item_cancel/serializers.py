"""The item-cancel request shape, for the OpenAPI schema (the view parses the body itself: see
``inputs.py``). Its answer, the ``HadError`` envelope, is ``toolkit.api.schema``'s."""

from rest_framework import serializers

from .inputs import MAX_IDS


class ItemCancelRequestSerializer(serializers.Serializer):
    Ids = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=MAX_IDS,
        help_text="Ids of the order's items to cancel (JSON integers; a repeated id counts once).",
    )
