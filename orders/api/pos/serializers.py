"""Input shapes of the Orders API. They check types and sizes; the services check the rules."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from orders.api.v2.serializers import OrderItemSerializer
from orders.status import ProcessingStatus
from toolkit.api.strict import StrictCharField, StrictIntegerField, StrictSerializer

from .rights import RIGHTS

MAX_IDS = 1000


@extend_schema_serializer(component_name="ProcessOrdersContext")
class ProcessOrdersSerializer(StrictSerializer):
    """``ProcessOrdersContext``: the orders to release to their endpoints."""

    ids = serializers.ListField(
        child=StrictCharField(max_length=64), min_length=1, max_length=MAX_IDS
    )


@extend_schema_serializer(component_name="OrderStatusContext")
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


# --- What the Orders API answers, for the OpenAPI schema (``orders_api_payloads`` builds it) ---


class EndpointStatusSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(
        choices=ProcessingStatus.values, help_text="Derived from the order's items there."
    )


class OrderSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Stable public id of the order.")
    number = serializers.IntegerField(help_text="Lab order number.")
    orderNumber = serializers.CharField(help_text="The lab order number, as text.")
    trayNumber = serializers.CharField(allow_null=True)
    poNumber = serializers.CharField(allow_null=True)
    ticketId = serializers.CharField(allow_null=True, help_text="Job ticket the order came from.")
    ticketName = serializers.CharField(
        allow_null=True, help_text="Name of the job ticket (customer job id / patient)."
    )
    deviceName = serializers.CharField(
        allow_null=True, help_text="Workstation or API client that created the order."
    )
    userUserName = serializers.CharField(allow_null=True, help_text="User who created the order.")
    status = serializers.ChoiceField(
        choices=ProcessingStatus.values, help_text="Derived from the items'."
    )
    isProcessed = serializers.BooleanField(help_text="Released to its endpoints.")
    isProcessable = serializers.BooleanField(
        help_text="Valid, not on hold, not cancelled, not completed, not yet processed."
    )
    createdAt = serializers.DateTimeField(
        help_text="When the order arrived: ISO 8601 in UTC with milliseconds and `Z`."
    )
    items = OrderItemSerializer(many=True)
    endpoints = EndpointStatusSerializer(many=True)
    _v = serializers.IntegerField(help_text="Version, bumped on every change.")


class QueryResultSerializer(serializers.Serializer):
    items = OrderSerializer(
        many=True, required=False, help_text="The page of orders; absent with `$count=true`."
    )
    count = serializers.IntegerField(help_text="Orders on this page.")
    totalCount = serializers.IntegerField(help_text="Matches before paging.")


class LoginUserSerializer(serializers.Serializer):
    userName = serializers.CharField()
    rights = serializers.ListField(child=serializers.ChoiceField(choices=list(RIGHTS)))


class IssuedLoginSerializer(serializers.Serializer):
    tokenId = serializers.CharField(help_text="Send as `Authorization: Bearer <tokenId>`.")
    refreshToken = serializers.CharField(help_text="Exchanges for a new pair once.")
    expiresAt = serializers.DateTimeField(help_text="When `tokenId` stops working.")
    user = LoginUserSerializer()
