"""Input shapes of the Orders API. They check types and sizes; the services check the rules."""

from rest_framework import serializers

from labsite.api.strict import StrictCharField, StrictIntegerField, StrictSerializer
from orders.status import ProcessingStatus

MAX_IDS = 1000


class ProcessOrdersSerializer(StrictSerializer):
    """``ProcessOrdersContext``: the orders to release to their endpoints."""

    ids = serializers.ListField(
        child=StrictCharField(max_length=64), min_length=1, max_length=MAX_IDS
    )


class StatusSerializer(StrictSerializer):
    """``OrderStatusContext``: a processing status, and optionally the version it applies to."""

    status = serializers.ChoiceField(choices=ProcessingStatus.values)
    _v = StrictIntegerField(required=False, min_value=0, max_value=2**31 - 1)


class LoginSerializer(StrictSerializer):
    UserName = StrictCharField(max_length=150)
    Password = StrictCharField(max_length=4096, trim_whitespace=False)
    DeviceName = StrictCharField(max_length=100, required=False, allow_blank=True)


class RefreshSerializer(StrictSerializer):
    refreshToken = StrictCharField(max_length=200)
