"""Lab API v2 configuration for supervisors: delete reason codes and lab settings."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from orders.errors import DeleteReasonNotFound
from orders.models import DeleteReason, LabSettings
from orders.services import update_lab_settings
from toolkit.api.pagination import BoundedLimitOffsetPagination
from toolkit.api.schema import (
    PAGE_PARAMETERS,
    PAGE_PARAMETERS_INVALID,
    V2_INCORRECT_ARGUMENTS,
    paginated,
    v2_errors,
)

from .base import OrdersV2View
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


class DeleteReasonListView(OrdersV2View):
    required_rights = {"GET": "orders.view_deletereason", "POST": "orders.add_deletereason"}

    @extend_schema(
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
    )
    def get(self, request):
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(DeleteReason.objects.order_by("code"), request, self)
        return paginator.get_paginated_response(DeleteReasonSerializer(page, many=True).data)

    @extend_schema(
        operation_id="v2_delete_reasons_create",
        tags=[TAG],
        summary="Add a reason code",
        request=DeleteReasonSerializer,
        responses={
            201: OpenApiResponse(DeleteReasonViewSerializer, description="The new reason code."),
            **v2_errors({400: f"{V2_INCORRECT_ARGUMENTS} Also when the code exists."}),
        },
    )
    def post(self, request):
        serializer = DeleteReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=201)


class DeleteReasonDetailView(OrdersV2View):
    required_rights = {
        "GET": "orders.view_deletereason",
        "PATCH": "orders.change_deletereason",
        "DELETE": "orders.delete_deletereason",
    }

    @staticmethod
    def _reason(code: str) -> DeleteReason:
        # No stored code contains NUL, and PostgreSQL refuses to compare text containing one.
        reason = None if "\x00" in code else DeleteReason.objects.filter(code=code).first()
        if reason is None:
            raise DeleteReasonNotFound(code)
        return reason

    @extend_schema(
        operation_id="v2_delete_reason_get",
        tags=[TAG],
        summary="Fetch a reason code",
        parameters=[REASON_CODE],
        responses={
            200: OpenApiResponse(DeleteReasonViewSerializer, description="The reason code."),
            **v2_errors({404: NO_SUCH_REASON}),
        },
    )
    def get(self, request, code: str):
        return Response(DeleteReasonSerializer(self._reason(code)).data)

    @extend_schema(
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
    )
    def patch(self, request, code: str):
        serializer = DeleteReasonSerializer(self._reason(code), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)

    @extend_schema(
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
    )
    def delete(self, request, code: str):
        """Deactivates the reason: cancelled orders keep pointing at it."""
        reason = self._reason(code)
        if reason.active:
            reason.active = False
            reason.save(update_fields=["active"])
        return Response(DeleteReasonSerializer(reason).data)


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
