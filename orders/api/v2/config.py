"""Lab API v2 configuration for supervisors: delete reason codes and lab settings."""

from rest_framework.response import Response

from labsite.api.pagination import BoundedLimitOffsetPagination
from orders.errors import DeleteReasonNotFound
from orders.models import DeleteReason, LabSettings
from orders.services import update_lab_settings

from .base import V2View
from .serializers import DeleteReasonSerializer, LabSettingsSerializer


class DeleteReasonListView(V2View):
    required_rights = {"GET": "orders.view_deletereason", "POST": "orders.add_deletereason"}

    def get(self, request):
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(DeleteReason.objects.order_by("code"), request, self)
        return paginator.get_paginated_response(DeleteReasonSerializer(page, many=True).data)

    def post(self, request):
        serializer = DeleteReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=201)


class DeleteReasonDetailView(V2View):
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

    def get(self, request, code: str):
        return Response(DeleteReasonSerializer(self._reason(code)).data)

    def patch(self, request, code: str):
        serializer = DeleteReasonSerializer(self._reason(code), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)

    def delete(self, request, code: str):
        """Deactivates the reason: cancelled orders keep pointing at it."""
        reason = self._reason(code)
        if reason.active:
            reason.active = False
            reason.save(update_fields=["active"])
        return Response(DeleteReasonSerializer(reason).data)


class LabSettingsView(V2View):
    required_rights = {"GET": "orders.view_labsettings", "PATCH": "orders.change_labsettings"}

    def get(self, request):
        return Response(LabSettingsSerializer.represent(LabSettings.load()))

    def patch(self, request):
        serializer = LabSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lab = update_lab_settings(actor=request.user, changes=serializer.changes())
        return Response(LabSettingsSerializer.represent(lab))
