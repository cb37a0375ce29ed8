"""Lab API v2 job tracking: stations, check-in (and the legacy /api/jt/checkin), complete."""

import re
from functools import partial

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.rights import Right
from orders.api.payloads import (
    ChoiceOrNullField,
    TextOrNullField,
    UtcMillisecondsField,
    order_identifier_fields,
)
from orders.api.v2.base import ORDER_ERROR_STATUS
from orders.flow import FlowStep
from orders.identifiers import ORDER_NUMBER_RE, order_by_number
from orders.models import STATION_CODE, Station
from toolkit.api.answers import AnswerSerializer
from toolkit.api.configuration import (
    ConfigurationDetailView,
    ConfigurationListView,
    ConfigurationSchema,
)
from toolkit.api.parsers import JSONParser
from toolkit.api.schema import (
    V2_INCORRECT_ARGUMENTS,
    path_parameter,
    text_parameter,
    v2_operation,
)
from toolkit.api.strict import StrictBooleanField, StrictCharField, StrictSerializer
from toolkit.api.v2_views import V2View
from toolkit.api.validated import ValidatedModelSerializer

from . import errors
from .services import (
    check_in,
    delete_station,
    find_operator,
    find_station,
    order_for_checkin,
    request_completion,
)

TRACKER_ERROR_STATUS = {
    **ORDER_ERROR_STATUS,
    errors.CheckinRefused: 400,
    errors.OperatorNotFound: 404,
    errors.CompletionRefused: 400,
    errors.CompletionOrderNotFound: 404,
    errors.JobTrackerNotRunning: 503,
    errors.StationInUse: 400,
    errors.StationNotFoundForConfig: 404,
}


class TrackerV2View(V2View):
    """A Lab API v2 view of job tracking: the orders' errors and the tracker's."""

    error_statuses = TRACKER_ERROR_STATUS


@extend_schema_serializer(component_name="Station")
class StationViewSerializer(serializers.Serializer):
    """A station."""

    code = serializers.CharField(help_text="Case-sensitive.")
    desc = serializers.CharField(source="description")
    customerDesc = TextOrNullField(source="customer_description")
    operator = serializers.BooleanField(
        source="is_operator", help_text="The station is an operator (see check-in)."
    )
    nonCancel = serializers.BooleanField(
        source="non_cancel", help_text="An order checked in here can no longer be cancelled."
    )
    requiresOperator = serializers.BooleanField(
        source="requires_operator", help_text="Check-in here needs an operator."
    )
    flowStep = ChoiceOrNullField(
        choices=FlowStep.choices, source="flow_step", help_text="The flow step it performs, if any."
    )


@extend_schema_serializer(component_name="StationInput")
class StationSerializer(ValidatedModelSerializer):
    """A station, as POST creates it and PATCH changes it; unknown keys are refused."""

    model = Station

    code = StrictCharField(max_length=10, validators=[STATION_CODE], trim_whitespace=False)
    desc = StrictCharField(max_length=100, source="description")
    customerDesc = StrictCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        allow_null=True,
        source="customer_description",
    )
    operator = StrictBooleanField(required=False, source="is_operator")
    nonCancel = StrictBooleanField(required=False, source="non_cancel")
    requiresOperator = StrictBooleanField(required=False, source="requires_operator")
    flowStep = serializers.ChoiceField(
        choices=FlowStep.choices, required=False, allow_null=True, source="flow_step"
    )


@extend_schema_serializer(component_name="StationChange")
class StationChangeSerializer(StationSerializer):
    """A station's changes, as PATCH takes them; unknown keys are refused. The code is
    read-only: the path names the station, and a different `code` is refused (the same one, as
    a fetched record carries it, is accepted)."""

    fixed_fields = ("code",)

    def validate_code(self, value):
        if value != self.instance.code:
            raise serializers.ValidationError("cannot be changed")
        return value


class CheckInSerializer(StrictSerializer):
    orderIdentifier = StrictCharField(max_length=100)
    operator = StrictCharField(max_length=10, required=False, allow_blank=True)


class V2CheckInSerializer(AnswerSerializer):
    # A check-in (``CheckIn``): its order's identifiers, then the station and when.

    code = serializers.CharField(source="station.code", help_text="The station's code.")
    customerDesc = TextOrNullField(source="station.customer_description")
    desc = serializers.CharField(source="station.description")
    statusDateTime = UtcMillisecondsField(
        source="at", help_text="When: ISO 8601 in UTC with milliseconds and `Z`."
    )

    def get_fields(self):
        return order_identifier_fields(at="order") | super().get_fields()


_SURROGATE = re.compile("[\ud800-\udfff]")


def _plain_text(value, field: serializers.CharField) -> str | None:
    """``value`` as ``field`` (a CharField that trims whitespace) takes it, or None where the
    field would refuse it, or turn something other than a string into text."""
    if type(value) is not str:
        return None
    text = value.strip()
    if (
        (not text and not field.allow_blank)
        or (field.max_length is not None and len(text) > field.max_length)
        or "\x00" in text
        or _SURROGATE.search(text)
    ):
        return None
    return text


def checkin_input(data) -> dict:
    """The check-in body as ``CheckInSerializer`` validates it.

    Every check-in sends one, so a plainly valid JSON body (the expected keys, strings the
    fields accept) is taken as the serializer would take it, without building one, which
    costs about as much as a statement. Anything else goes through the serializer, which
    answers with its own errors (tests/tracker/test_checkin_input.py holds the two equal).
    """
    fields = CheckInSerializer._declared_fields
    if type(data) is dict and "orderIdentifier" in data and data.keys() <= fields.keys():
        taken = {name: _plain_text(value, fields[name]) for name, value in data.items()}
        if None not in taken.values():
            return taken
    serializer = CheckInSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


TAG = "Lab API v2: job tracking"
operation = partial(v2_operation, tag=TAG)
STATION_CODE = "The station code (case-sensitive)."
STATIONS_SCHEMA = ConfigurationSchema(
    tag=TAG,
    noun="station",
    path_description=STATION_CODE,
    page_description="A page of stations, by code.",
    refused_new=f"{V2_INCORRECT_ARGUMENTS} Also when the code exists.",
    refused_change=f"{V2_INCORRECT_ARGUMENTS} Also when `code` differs from the path's.",
    delete_description="Only a station nothing was ever checked in at can be deleted.",
    delete_refused=(
        'The station has check-ins: `{"error": "Station in use", "details": '
        '["Station <code> is referenced by N check-in(s)"]}`.'
    ),
)


class Stations:
    """The stations orders are checked in at, by code."""

    model = Station
    lookup_field = "code"
    view_serializer = StationViewSerializer
    input_serializer = StationSerializer
    change_serializer = StationChangeSerializer
    not_found = errors.StationNotFoundForConfig
    error_statuses = TRACKER_ERROR_STATUS

    def destroy(self, station: Station) -> Response:
        delete_station(station=station)  # refused once anything was checked in there
        return Response(status=204)


@STATIONS_SCHEMA.list_view
class StationListView(Stations, ConfigurationListView):
    """The stations, and a new one."""


@STATIONS_SCHEMA.detail_view
class StationDetailView(Stations, ConfigurationDetailView):
    """A station's configuration, and the check-in at it (``POST``)."""

    other_rights = {"POST": Right.CHECK_IN}

    @operation(
        operation_id="v2_station_check_in",
        summary="Check an order in at this station",
        description="A valid order goes into process (state `P`).",
        parameters=[path_parameter("code", STATION_CODE)],
        request=CheckInSerializer,
        ok={201: OpenApiResponse(V2CheckInSerializer, description="Checked in.")},
        errors={
            400: (
                '`{"error": "Checkin not performed", "details": [<reason>]}` with the '
                "reason `Station not found`, `Order not found`, `Operator required`, "
                "the order's state (`Order marked for cancelation`, `Order already "
                "completed`, `Order on hold`, `Order unvalid`) or a flow message such as "
                f"`AR not needed`. {V2_INCORRECT_ARGUMENTS}"
            ),
            404: (
                'The operator is unknown: `{"error": "Checkin not performed", '
                '"details": ["Operator not found"]}`.'
            ),
        },
    )
    def post(self, request, code: str):
        """Check an order in at this station."""
        body = checkin_input(request.data)
        station = find_station("" if "\x00" in code else code)
        order = order_for_checkin(body["orderIdentifier"])
        operator_code = body.get("operator")
        operator = find_operator(operator_code) if operator_code else None
        result = check_in(
            order=order,
            station=station,
            operator=operator,
            actor=request.user,
            device=getattr(request.auth, "name", ""),
        )
        return Response(V2CheckInSerializer.represent(result.checkin), status=201)


class LegacyCheckInSerializer(StrictSerializer):
    # Generous bounds: an over-long value is answered in ``result`` like any unknown one.
    order = StrictCharField(max_length=200, required=False, allow_blank=True)
    station = StrictCharField(max_length=200, required=False, allow_blank=True)


class LegacyCheckInResultSerializer(serializers.Serializer):
    # The outcome of a legacy check-in: ``{"order", "station", "result"}``, what was sent and
    # what came of it.

    def get_fields(self):
        # Keys with a hyphen, which no attribute can be named.
        return {
            "input-job": serializers.CharField(source="order", help_text="The `order` sent."),
            "input-station": serializers.CharField(
                source="station", help_text="The `station` sent."
            ),
            "result": serializers.CharField(
                help_text=(
                    "`successful`, `order not found`, `invalid station`, or why the check-in was "
                    "refused (e.g. `Operator required`, `AR not needed`)."
                )
            ),
        }


LEGACY_PARAMETERS = [
    text_parameter(
        "order",
        "The order identifier (as in the Lab API v2); overrides the body's.",
        allow_empty=True,
        max_length=200,
    ),
    text_parameter(
        "station", "The station code; overrides the body's.", allow_empty=True, max_length=200
    ),
]


class LegacyCheckInView(TrackerV2View):
    """``POST /api/jt/checkin``: the old scanner interface; the outcome is in ``result``."""

    required_rights = {"POST": Right.CHECK_IN}
    # Old scanners post forms or bare query strings as often as JSON.
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    RESULTS = {
        errors.StationNotFound: "invalid station",
        errors.CheckinOrderNotFound: "order not found",
    }

    @operation(
        operation_id="jt_checkin",
        summary="Check an order in (legacy scanner interface)",
        description=(
            "`order` and `station` come in a JSON or form body, or in the query string. A "
            "refused check-in still answers 200: the outcome is in `result`."
        ),
        parameters=LEGACY_PARAMETERS,
        request=LegacyCheckInSerializer,
        ok={
            200: OpenApiResponse(
                LegacyCheckInResultSerializer,
                description="The outcome, in `result`, whether checked in or not.",
            )
        },
        errors={400: V2_INCORRECT_ARGUMENTS},
    )
    def post(self, request):
        body = request.data
        if hasattr(body, "dict"):  # a form's QueryDict
            body = body.dict()
        query = {
            k: request.query_params[k] for k in ("order", "station") if k in request.query_params
        }
        # The body and the query string are each checked as sent: a value the query overrides
        # is refused all the same when it is not one the schema allows.
        sent = {}
        for data in (body, query):
            serializer = LegacyCheckInSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            sent |= serializer.validated_data
        order_ref = sent.get("order", "")
        station_code = sent.get("station", "")
        try:
            station = find_station(station_code)
            order = order_for_checkin(order_ref)
            check_in(
                order=order,
                station=station,
                operator=None,
                actor=request.user,
                device=getattr(request.auth, "name", ""),
            )
            result = "successful"
        except errors.CheckinRefused as refusal:
            result = self.RESULTS.get(type(refusal), refusal.reason)
        outcome = {"order": order_ref, "station": station_code, "result": result}
        return Response(LegacyCheckInResultSerializer(outcome).data)


def completion_refusal(number: str, message: str) -> str:
    return (
        f'`{{"error": "Could not complete order", "details": ["Error Code: {number}", '
        f'"Error Message: {message}"]}}`'
    )


class V2CompletionAcceptedSerializer(AnswerSerializer):
    # An accepted completion: ``{"order", "message"}``.

    orderNumber = serializers.CharField(source="order.number")
    message = serializers.CharField(help_text="`Successful`.")


class CompleteOrderView(TrackerV2View):
    required_rights = {"POST": Right.COMPLETE_ORDER}

    @operation(
        operation_id="v2_order_complete",
        summary="Complete an order",
        description=(
            "Flags the order for completion; the Job Tracker completes it afterwards. Once 201 "
            "is sent the completion happens, even if the tracker restarts. Takes the order "
            "number only (not a tray or PO number). The checks run in the contract's order."
        ),
        parameters=[path_parameter("identifier", "The order number.")],
        request=None,
        ok={
            201: OpenApiResponse(
                V2CompletionAcceptedSerializer,
                description="Accepted: the Job Tracker will complete the order.",
            )
        },
        errors={
            400: (
                f"{completion_refusal('NN', '<text>')} with `02` `Order deleted`, `03` "
                "`Order unvalid`, `04` `Order already completed` (or pending "
                "completion), `05` `Order on hold`, `20` a flow message such as `Needs "
                "Backside Coat!` (setting `Jobtrack station verify`)."
            ),
            404: f"No such order: {completion_refusal('01', 'Order not found')}.",
            503: (
                "Our addition: no Job Tracker heartbeat within the configured window, "
                f"nothing queued: {completion_refusal('30', 'Job Tracker is not running')}."
            ),
        },
    )
    def post(self, request, identifier: str):
        # The vendor's complete takes the order number only.
        order = None
        if ORDER_NUMBER_RE.fullmatch(identifier):
            order = order_by_number(int(identifier))
        if order is None:
            raise errors.CompletionOrderNotFound
        request_completion(order=order, actor=request.user)
        accepted = {"order": order, "message": "Successful"}
        return Response(V2CompletionAcceptedSerializer.represent(accepted), status=201)
