"""Lab API v2 configuration for supervisors: delete reason codes (a configuration resource,
``toolkit.api.configuration``) and lab settings."""

from functools import partial

from drf_spectacular.utils import OpenApiResponse
from rest_framework.response import Response

from accounts.rights import Right
from orders.errors import DeleteReasonNotFound
from orders.models import DeleteReason, LabSettings
from orders.services import update_lab_settings
from toolkit.api.configuration import (
    ConfigurationDetailView,
    ConfigurationListView,
    ConfigurationSchema,
)
from toolkit.api.schema import V2_INCORRECT_ARGUMENTS, v2_operation

from .base import ORDER_ERROR_STATUS, OrdersV2View
from .serializers import (
    DeleteReasonChangeSerializer,
    DeleteReasonSerializer,
    DeleteReasonViewSerializer,
    LabSettingsSerializer,
    LabSettingsViewSerializer,
)

TAG = "Lab API v2: configuration"
operation = partial(v2_operation, tag=TAG)
DELETE_REASONS_SCHEMA = ConfigurationSchema(
    tag=TAG,
    noun="reason code",
    path_description="The reason code (case-sensitive).",
    page_description="A page of reason codes (active or not), by code.",
    refused_new=f"{V2_INCORRECT_ARGUMENTS} Also when the code exists.",
    refused_change=f"{V2_INCORRECT_ARGUMENTS} Also when `code` differs from the path's.",
    change_summary="Change a reason code's description or activity",
    delete_operation="deactivate",
    delete_summary="Deactivate a reason code",
    delete_description=(
        "Deactivates the reason code (`active: false`); it is never deleted, since "
        "cancelled orders keep pointing at it."
    ),
    deleted={
        200: OpenApiResponse(DeleteReasonViewSerializer, description="The deactivated reason.")
    },
)


class DeleteReasons:
    """The reason codes clients give when cancelling an order, by code."""

    model = DeleteReason
    lookup_field = "code"
    view_serializer = DeleteReasonViewSerializer
    input_serializer = DeleteReasonSerializer
    change_serializer = DeleteReasonChangeSerializer
    not_found = DeleteReasonNotFound
    error_statuses = ORDER_ERROR_STATUS

    def destroy(self, reason: DeleteReason) -> Response:
        # Deactivated, never deleted: cancelled orders keep pointing at their reason.
        if reason.active:
            reason.active = False
            reason.save(update_fields=["active"])
        return Response(self.represent(reason))


@DELETE_REASONS_SCHEMA.list_view
class DeleteReasonListView(DeleteReasons, ConfigurationListView):
    """The reason codes, and a new one."""


@DELETE_REASONS_SCHEMA.detail_view
class DeleteReasonDetailView(DeleteReasons, ConfigurationDetailView):
    """One reason code: read, changed or deactivated."""


class LabSettingsView(OrdersV2View):
    required_rights = {"GET": Right.VIEW_LAB_SETTINGS, "PATCH": Right.CHANGE_LAB_SETTINGS}

    @operation(
        operation_id="v2_settings_get",
        summary="Read the lab settings",
        ok={200: OpenApiResponse(LabSettingsViewSerializer, description="All settings.")},
    )
    def get(self, request):
        return Response(LabSettingsViewSerializer(LabSettings.load()).data)

    @operation(
        operation_id="v2_settings_update",
        summary="Change lab settings",
        description="Changes the settings given; each change is recorded in the settings history.",
        request=LabSettingsSerializer,
        ok={200: OpenApiResponse(LabSettingsViewSerializer, description="All settings, changed.")},
        errors={400: V2_INCORRECT_ARGUMENTS},
    )
    def patch(self, request):
        serializer = LabSettingsSerializer(LabSettings.load(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        lab = update_lab_settings(actor=request.user, changes=serializer.validated_data)
        return Response(LabSettingsViewSerializer(lab).data)
