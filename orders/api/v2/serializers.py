"""Input shapes of the v2 face. They check types and sizes; the rules are the services' (for
orders) and the models' (for configuration, through ``ValidatedModelSerializer``)."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from orders.flow import FLOW_STEPS
from orders.models import REASON_CODE, DeleteReason, LabSettings
from orders.services import NewItem, NewOrder
from orders.status import ON_HOLD_STATUS, JobType, OrderState, PaperSize, ProcessingStatus
from toolkit.api.strict import StrictBooleanField, StrictIntegerField, StrictSerializer
from toolkit.api.validated import ValidatedModelSerializer


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


@extend_schema_serializer(component_name="DeleteReasonInput")
class DeleteReasonSerializer(ValidatedModelSerializer):
    """A reason code, as POST creates it and PATCH changes it; unknown keys are refused."""

    model = DeleteReason

    code = serializers.CharField(max_length=10, validators=[REASON_CODE])
    description = serializers.CharField(max_length=200)
    active = serializers.BooleanField(required=False)

    def validate_code(self, value):
        # The path names the reason: a PATCH cannot move it to another code.
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError("cannot be changed; create a new reason instead")
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


# --- What the v2 face answers, for the OpenAPI schema (``orders/api/payloads.py`` builds it) ---

# `status` of the v2 models: the order's state, or W while it is on hold (whatever the state).
V2_STATUS_CHOICES = [*OrderState.choices, ON_HOLD_STATUS]


class OrderItemEndpointSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The endpoint (department) the item is processed at.")
    status = serializers.ChoiceField(choices=ProcessingStatus.values)


class OrderItemSerializer(serializers.Serializer):
    """An order item, as both the Lab API v2 and the Orders API show it."""

    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=ProcessingStatus.values, help_text="Derived from its endpoints'."
    )
    endpoints = OrderItemEndpointSerializer(many=True)


def _identifier_fields() -> dict:
    return {
        "orderNumber": serializers.CharField(help_text="Digits, at most 8, not starting with 0."),
        "trayNumber": serializers.CharField(allow_null=True),
        "poNumber": serializers.CharField(allow_null=True),
    }


def _station_fields() -> dict:
    return {
        "currentStation": serializers.CharField(
            allow_null=True, help_text="Code of the last station the order was checked in at."
        ),
        "currentStationCustomerDesc": serializers.CharField(allow_null=True),
        "currentStationDateTime": serializers.DateTimeField(
            allow_null=True, help_text="ISO 8601 in UTC with milliseconds and `Z`."
        ),
        "currentStationDesc": serializers.CharField(allow_null=True),
    }


def _status_fields() -> dict:
    return {
        "onHold": serializers.BooleanField(),
        "status": serializers.ChoiceField(
            choices=V2_STATUS_CHOICES, help_text="The state, or `W` while on hold."
        ),
        "statusDesc": serializers.CharField(
            help_text="`Unvalid`, `Valid`, `Process`, `Completed` or `On Hold`."
        ),
        "unvalidMessage": serializers.CharField(
            allow_null=True, help_text="Why the order is unvalid (state U)."
        ),
    }


class V2OrderSerializer(serializers.Serializer):
    """An order (the fetch model): `orderNumber`, `trayNumber`, `poNumber`, then the rest
    alphabetically."""

    def get_fields(self):
        date = {"allow_null": True, "help_text": "`yyyy-mm-dd`."}
        rest = {
            "calculationDesc": serializers.CharField(allow_null=True),
            "createdDevice": serializers.CharField(
                allow_null=True, help_text="Name of the API key or device that created it."
            ),
            "createdUser": serializers.CharField(allow_null=True),
            **_station_fields(),
            "customerJobId": serializers.CharField(allow_null=True),
            "customerNumber": serializers.CharField(allow_null=True),
            "dateCompleted": serializers.DateField(**date),
            "dateOrdered": serializers.DateField(**date),
            "dateReceived": serializers.DateField(**date),
            "dateTimeValid": serializers.DateField(
                allow_null=True, help_text="`yyyy-mm-dd`: the day the order became valid."
            ),
            "dateWanted": serializers.DateField(**date),
            "items": OrderItemSerializer(many=True),
            "jobType": serializers.ChoiceField(choices=JobType.choices),
            "patient": serializers.CharField(allow_null=True),
            "pendingCompletion": serializers.BooleanField(
                help_text="A completion was accepted; the Job Tracker has not processed it yet."
            ),
            **_status_fields(),
            **{
                spec.wire_name: serializers.BooleanField(
                    help_text=f"The order requires the {spec.step.label} flow step."
                )
                for spec in FLOW_STEPS
            },
        }
        return _identifier_fields() | dict(sorted(rest.items()))


class V2CancelledOrderSerializer(V2OrderSerializer):
    """The cancelled order's last known state, with a `message`."""

    def get_fields(self):
        return super().get_fields() | {
            "message": serializers.CharField(
                allow_blank=True,
                help_text=(
                    'Normally `""`; a warning when a `deleteReason` was sent while the setting '
                    "`Enter reason code when deleting order` is off (it was ignored)."
                ),
            )
        }


class V2OrderStatusSerializer(serializers.Serializer):
    """An order's status."""

    def get_fields(self):
        status = _status_fields()
        return (
            _identifier_fields()
            | {"calculationDesc": serializers.CharField(allow_null=True)}
            | _station_fields()
            | {name: status[name] for name in ("status", "statusDesc", "onHold", "unvalidMessage")}
        )


class V2OrderIdentifiersSerializer(serializers.Serializer):
    def get_fields(self):
        return _identifier_fields()


@extend_schema_serializer(component_name="LabSettings")
class LabSettingsViewSerializer(serializers.Serializer):
    """The lab settings, every one."""

    enterReasonCodeWhenDeletingOrder = serializers.BooleanField()
    jobTrackerModuleInstalled = serializers.BooleanField()
    jobtrackStationVerify = serializers.BooleanField()
    traysRequired = serializers.BooleanField()
    allowHoldOrders = serializers.BooleanField()
    trackerHeartbeatSeconds = serializers.IntegerField(
        help_text="How fresh the Job Tracker's heartbeat must be, in seconds."
    )
    ticketPaperSize = serializers.ChoiceField(choices=PaperSize.choices)


@extend_schema_serializer(component_name="DeleteReason")
class DeleteReasonViewSerializer(serializers.Serializer):
    """A reason code a client gives when cancelling an order."""

    code = serializers.CharField()
    description = serializers.CharField()
    active = serializers.BooleanField(help_text="Only active codes are accepted by cancel.")
