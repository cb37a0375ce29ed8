"""Lab API v2 configuration for supervisors: delete reason codes (a configuration resource,
``toolkit.api.configuration``) and lab settings."""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.response import Response

from orders.errors import DeleteReasonNotFound
from orders.models import DeleteReason, LabSettings
from orders.services import update_lab_settings
from toolkit.api.configuration import ConfigurationDetailView, ConfigurationListView
from toolkit.api.schema import (
    PAGE_PARAMETERS,
    PAGE_PARAMETERS_INVALID,
    V2_INCORRECT_ARGUMENTS,
    paginated,
    v2_errors,
)

from .base import ORDER_ERROR_STATUS, OrdersV2View
from .serializers import (
    DeleteReasonSerializer,
    DeleteReasonViewSerializer,
    LabSettingsSerializer,
    LabSettingsViewSerializer,
)

TAG = "Lab API v2: configuration"
REASON_CODE = OpenApiParameter(
    "code", str, OpenApiParameter.PATH, description="The reason code (case-sensitive)."
)
NO_SUCH_REASON = (
    'No such reason code: `{"error": "No record found", "details": ["Provided: <code>"]}`.'
)


class DeleteReasons:
    """The reason codes clients give when cancelling an order, by code."""

    model = DeleteReason
    lookup_field = "code"
    input_serializer = DeleteReasonSerializer
    not_found = DeleteReasonNotFound
    error_statuses = ORDER_ERROR_STATUS

    def represent(self, reason: DeleteReason) -> dict:
        return DeleteReasonSerializer(reason).data

    def destroy(self, reason: DeleteReason) -> Response:
        # Deactivated, never deleted: cancelled orders keep pointing at their reason.
        if reason.active:
            reason.active = False
            reason.save(update_fields=["active"])
        return Response(self.represent(reason))


@extend_schema_view(
    get=extend_schema(
        operation_id="v2_delete_reasons_list",
        tags=[TAG],
        summary="List reason codes",
        parameters=PAGE_PARAMETERS,
        responses={
            200: OpenApiResponse(
                paginated("PaginatedDeleteReasonList", DeleteReasonViewSerializer()),
                description="A page of reason codes (active or not), by code.",
            ),
            **v2_errors({400: PAGE_PARAMETERS_INVALID}),
        },
    ),
    post=extend_schema(
        operation_id="v2_delete_reasons_create",
        tags=[TAG],
        summary="Add a reason code",
        request=DeleteReasonSerializer,
        responses={
            201: OpenApiResponse(DeleteReasonViewSerializer, description="The new reason code."),
            **v2_errors({400: f"{V2_INCORRECT_ARGUMENTS} Also when the code exists."}),
        },
    ),
)
class DeleteReasonListView(DeleteReasons, ConfigurationListView):
    required_rights = {"GET": "orders.view_deletereason", "POST": "orders.add_deletereason"}


@extend_schema_view(
    get=extend_schema(
        operation_id="v2_delete_reason_get",
        tags=[TAG],
        summary="Fetch a reason code",
        parameters=[REASON_CODE],
        responses={
            200: OpenApiResponse(DeleteReasonViewSerializer, description="The reason code."),
            **v2_errors({404: NO_SUCH_REASON}),
        },
    ),
    patch=extend_schema(
        operation_id="v2_delete_reason_update",
        tags=[TAG],
        summary="Change a reason code's description or activity",
        parameters=[REASON_CODE],
        request=DeleteReasonSerializer,
        responses={
            200: OpenApiResponse(
                DeleteReasonViewSerializer, description="The reason code, changed."
            ),
            **v2_errors(
                {
                    400: f"{V2_INCORRECT_ARGUMENTS} Also when `code` differs from the path's.",
                    404: NO_SUCH_REASON,
                }
            ),
        },
    ),
    delete=extend_schema(
        operation_id="v2_delete_reason_deactivate",
        tags=[TAG],
        summary="Deactivate a reason code",
        description=(
            "Deactivates the reason code (`active: false`); it is never deleted, since "
            "cancelled orders keep pointing at it."
        ),
        parameters=[REASON_CODE],
        responses={
            200: OpenApiResponse(DeleteReasonViewSerializer, description="The deactivated reason."),
            **v2_errors({404: NO_SUCH_REASON}),
        },
    ),
)
class DeleteReasonDetailView(DeleteReasons, ConfigurationDetailView):
    required_rights = {
        "GET": "orders.view_deletereason",
        "PATCH": "orders.change_deletereason",
        "DELETE": "orders.delete_deletereason",
    }


class LabSettingsView(OrdersV2View):
    required_rights = {"GET": "orders.view_labsettings", "PATCH": "orders.change_labsettings"}

    @extend_schema(
        operation_id="v2_settings_get",
        tags=[TAG],
        summary="Read the lab settings",
        responses={200: OpenApiResponse(LabSettingsViewSerializer, description="All settings.")},
    )
    def get(self, request):
        return Response(LabSettingsSerializer.represent(LabSettings.load()))

    @extend_schema(
        operation_id="v2_settings_update",
        tags=[TAG],
        summary="Change lab settings",
        description="Changes the settings given; each change is recorded in the settings history.",
        request=LabSettingsSerializer,
        responses={
            200: OpenApiResponse(LabSettingsViewSerializer, description="All settings, changed."),
            **v2_errors({400: V2_INCORRECT_ARGUMENTS}),
        },
    )
    def patch(self, request):
        serializer = LabSettingsSerializer(LabSettings.load(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        lab = update_lab_settings(actor=request.user, changes=serializer.validated_data)
        return Response(LabSettingsSerializer.represent(lab))
