"""Input shapes of the Orders API, and what it answers besides an order. The input shapes check
types and sizes; the services check the rules."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from orders.api.payloads import DerivedListField, OrderSerializer, UtcMillisecondsField
from orders.status import ProcessingStatus
from toolkit.api.answers import AnswerSerializer
from toolkit.api.strict import StrictCharField, StrictIntegerField, StrictSerializer

from .rights import RIGHTS, rights_of

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


# --- What the Orders API answers besides its order (``orders/api/payloads.py``) --------------


class QueryResultSerializer(AnswerSerializer):
    # ``{"items": [order row, ...], "count", "totalCount"}``; no ``items`` for a count only.

    items = OrderSerializer(
        many=True, required=False, help_text="The page of orders; absent with `$count=true`."
    )
    count = serializers.IntegerField(help_text="Orders on this page.")
    totalCount = serializers.IntegerField(help_text="Matches before paging.")


class LoginUserSerializer(serializers.Serializer):
    userName = serializers.CharField(source="get_username")
    rights = DerivedListField(rights_of, child=serializers.ChoiceField(choices=list(RIGHTS)))


class IssuedLoginSerializer(serializers.Serializer):
    # An ``accounts.login.IssuedLogin``.

    tokenId = serializers.CharField(
        source="token", help_text="Send as `Authorization: Bearer <tokenId>`."
    )
    refreshToken = serializers.CharField(
        source="refresh_token", help_text="Exchanges for a new pair once."
    )
    expiresAt = UtcMillisecondsField(source="expires_at", help_text="When `tokenId` stops working.")
    user = LoginUserSerializer(source="api_key.user")
