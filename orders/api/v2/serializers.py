"""Input shapes of the v2 face. They check types and sizes; the services check the rules."""

from django.core.validators import RegexValidator
from rest_framework import serializers

from labsite.api.strict import StrictBooleanField, StrictIntegerField, StrictSerializer
from orders.flow import FLOW_STEPS
from orders.models import DeleteReason, LabSettings
from orders.services import NewItem, NewOrder
from orders.status import JobType, PaperSize


class ItemInputSerializer(StrictSerializer):
    sku = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    quantity = StrictIntegerField(min_value=1, max_value=9999, required=False, default=1)
    endpoints = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=20, required=False, default=list
    )


class OrderCreateSerializer(StrictSerializer):
    orderNumber = serializers.CharField(required=False, max_length=20)
    trayNumber = serializers.CharField(required=False, allow_blank=True, max_length=20)
    poNumber = serializers.CharField(required=False, allow_blank=True, max_length=100)
    customerNumber = serializers.CharField(required=False, allow_blank=True, max_length=20)
    customerJobId = serializers.CharField(required=False, allow_blank=True, max_length=40)
    patient = serializers.CharField(required=False, allow_blank=True, max_length=100)
    jobType = serializers.ChoiceField(choices=JobType.choices, required=False)
    calculationDesc = serializers.CharField(required=False, allow_blank=True, max_length=100)
    dateOrdered = serializers.DateField(required=False, allow_null=True)
    dateWanted = serializers.DateField(required=False, allow_null=True)
    ticketId = serializers.CharField(required=False, allow_blank=True, max_length=40)
    ticketName = serializers.CharField(required=False, allow_blank=True, max_length=100)
    items = ItemInputSerializer(many=True, required=False, max_length=200)

    def get_fields(self):
        fields = super().get_fields()
        for spec in FLOW_STEPS:
            fields[spec.wire_name] = StrictBooleanField(required=False)
        return fields

    def to_new_order(self) -> NewOrder:
        data = self.validated_data
        return NewOrder(
            number=data.get("orderNumber"),
            tray=data.get("trayNumber", ""),
            po_number=data.get("poNumber", ""),
            customer_number=data.get("customerNumber", ""),
            customer_job_id=data.get("customerJobId", ""),
            patient=data.get("patient", ""),
            job_type=data.get("jobType", JobType.UNCUT),
            calculation_desc=data.get("calculationDesc", ""),
            date_ordered=data.get("dateOrdered"),
            date_wanted=data.get("dateWanted"),
            ticket_id=data.get("ticketId", ""),
            ticket_name=data.get("ticketName", ""),
            requires={spec.order_field for spec in FLOW_STEPS if data.get(spec.wire_name)},
            items=[NewItem(**item) for item in data.get("items", [])],
        )


REASON_CODE = RegexValidator(r"^[A-Za-z0-9_-]{1,10}$", "use 1 to 10 letters, digits, '-' or '_'")


class DeleteReasonSerializer(StrictSerializer, serializers.ModelSerializer):
    code = serializers.CharField(max_length=10, validators=[REASON_CODE])

    class Meta:
        model = DeleteReason
        fields = ["code", "description", "active"]

    def validate_code(self, value):
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError("cannot be changed; create a new reason instead")
        if self.instance is None and DeleteReason.objects.filter(code=value).exists():
            raise serializers.ValidationError(f"reason code {value} already exists")
        return value


# Wire name -> LabSettings field. The one place the settings' camelCase names are declared.
SETTINGS_WIRE_NAMES = {
    "enterReasonCodeWhenDeletingOrder": "enter_reason_code_when_deleting_order",
    "jobTrackerModuleInstalled": "job_tracker_module_installed",
    "jobtrackStationVerify": "jobtrack_station_verify",
    "traysRequired": "trays_required",
    "allowHoldOrders": "allow_hold_orders",
    "trackerHeartbeatSeconds": "tracker_heartbeat_seconds",
    "ticketPaperSize": "ticket_paper_size",
}


class LabSettingsSerializer(StrictSerializer):
    enterReasonCodeWhenDeletingOrder = StrictBooleanField(required=False)
    jobTrackerModuleInstalled = StrictBooleanField(required=False)
    jobtrackStationVerify = StrictBooleanField(required=False)
    traysRequired = StrictBooleanField(required=False)
    allowHoldOrders = StrictBooleanField(required=False)
    trackerHeartbeatSeconds = StrictIntegerField(required=False, min_value=5, max_value=3600)
    ticketPaperSize = serializers.ChoiceField(choices=PaperSize.choices, required=False)

    @staticmethod
    def represent(lab: LabSettings) -> dict:
        return {wire: getattr(lab, name) for wire, name in SETTINGS_WIRE_NAMES.items()}

    def changes(self) -> dict:
        return {SETTINGS_WIRE_NAMES[wire]: value for wire, value in self.validated_data.items()}
