"""Lab API v2 webhook subscriptions: ``/api/v2/webhooks`` and ``/api/v2/webhooks/{id}``, with
``rotate_secret``. A subscription's secret is in the answer of its create and of a rotation,
and nowhere else."""

from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from accounts.rights import Right
from orders.errors import RecordNotFound
from toolkit.api.configuration import (
    ConfigurationDetailView,
    ConfigurationListView,
    ConfigurationSchema,
)
from toolkit.api.schema import V2_INCORRECT_ARGUMENTS, path_parameter, v2_operation
from toolkit.api.strict import StrictBooleanField, StrictCharField
from toolkit.api.v2_views import V2View
from toolkit.api.validated import ValidatedModelSerializer

from .event_types import EventType
from .models import CUSTOMER_NUMBER_LENGTH, FAILING_AFTER, Subscription
from .services import rotate_secret

TAG = "Lab API v2: webhooks"


class WebhookNotFound(RecordNotFound):
    code = "webhook_not_found"


@extend_schema_serializer(component_name="Webhook")
class WebhookViewSerializer(serializers.Serializer):
    """A webhook subscription (its secret is never shown here)."""

    id = serializers.IntegerField()
    url = serializers.CharField()
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        help_text="Event types sent; empty: all.",
    )
    customerNumbers = serializers.ListField(
        child=serializers.CharField(),
        source="customer_numbers",
        help_text="Orders of these customers only; empty: every order.",
    )
    appendOrderId = serializers.BooleanField(source="append_order_id")
    active = serializers.BooleanField(help_text="Set false by the system after 410 Gone.")
    failing = serializers.BooleanField(
        help_text=(
            f"True after {FAILING_AFTER} failed deliveries in a row (a delivery fails after all "
            "its attempts); false again once a delivery succeeds."
        )
    )


@extend_schema_serializer(component_name="WebhookCreated")
class WebhookCreatedSerializer(WebhookViewSerializer):
    """A subscription with its secret: the answer of a create or a rotation, the one time the
    secret is shown."""

    secret = serializers.CharField(help_text="Signs the deliveries. Shown this once.")


@extend_schema_serializer(component_name="WebhookInput")
class WebhookSerializer(ValidatedModelSerializer):
    """A subscription as POST creates it and PATCH changes it; unknown keys are refused."""

    model = Subscription

    url = StrictCharField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), required=False
    )
    customerNumbers = serializers.ListField(
        child=StrictCharField(max_length=CUSTOMER_NUMBER_LENGTH),
        required=False,
        source="customer_numbers",
    )
    appendOrderId = StrictBooleanField(required=False, source="append_order_id")
    active = StrictBooleanField(required=False)


WEBHOOK_INVALID = (
    f"{V2_INCORRECT_ARGUMENTS} Also when the URL is not https:// (http:// only for a host "
    "listed in WEBHOOK_ALLOWED_HOSTS), or its host resolves to a loopback, private, "
    "link-local or metadata address and is not listed there."
)
WEBHOOKS_SCHEMA = ConfigurationSchema(
    tag=TAG,
    noun="webhook",
    operation_name="webhook",
    created_serializer=WebhookCreatedSerializer,
    path_description="The subscription's id.",
    page_description="A page of webhook subscriptions, by id.",
    refused_new=WEBHOOK_INVALID,
    refused_change=WEBHOOK_INVALID,
    delete_description="Deletes the subscription with its pending deliveries.",
)


class Webhooks:
    """The webhook subscriptions, by id; every method needs ``manage_webhooks``."""

    model = Subscription
    lookup_field = "id"
    view_serializer = WebhookViewSerializer
    input_serializer = WebhookSerializer
    not_found = WebhookNotFound
    error_statuses = {WebhookNotFound: 404}

    def find(self, name: str) -> Subscription:
        found = None
        if name.isascii() and name.isdigit() and len(name) <= 18:
            found = Subscription.objects.filter(pk=int(name)).first()
        if found is None:
            raise WebhookNotFound(name)
        return found


@WEBHOOKS_SCHEMA.list_view
class WebhookListView(Webhooks, ConfigurationListView):
    """The subscriptions, and a new one (answered with its secret, this once)."""

    model_actions = {}
    other_rights = {"GET": Right.MANAGE_WEBHOOKS, "POST": Right.MANAGE_WEBHOOKS}

    def post(self, request):
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = serializer.save(created_by=request.user)
        return Response(WebhookCreatedSerializer(subscription).data, status=201)


@WEBHOOKS_SCHEMA.detail_view
class WebhookDetailView(Webhooks, ConfigurationDetailView):
    """One subscription: read, changed or deleted."""

    model_actions = {}
    other_rights = {
        "GET": Right.MANAGE_WEBHOOKS,
        "PATCH": Right.MANAGE_WEBHOOKS,
        "DELETE": Right.MANAGE_WEBHOOKS,
    }

    def destroy(self, subscription: Subscription) -> Response:
        subscription.delete()
        return Response(status=204)


class RotateSecretView(Webhooks, V2View):
    required_rights = {"POST": Right.MANAGE_WEBHOOKS}

    @v2_operation(
        operation_id="v2_webhook_rotate_secret",
        tag=TAG,
        summary="Give a webhook a new secret",
        description="The old secret stops signing at once; the new one is in this answer only.",
        parameters=[path_parameter("id", "The subscription's id.")],
        request=None,
        ok={200: OpenApiResponse(WebhookCreatedSerializer, description="With the new secret.")},
        errors={
            404: 'No such webhook: `{"error": "No record found", "details": ["Provided: <id>"]}`.'
        },
    )
    def post(self, request, id):
        subscription = self.find(id)
        rotate_secret(subscription)
        return Response(WebhookCreatedSerializer(subscription).data)
