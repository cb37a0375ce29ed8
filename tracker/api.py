"""Lab API v2 job tracking: stations, check-in (and the legacy /api/jt/checkin), complete."""

from django.core.validators import RegexValidator
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from labsite.api.pagination import BoundedLimitOffsetPagination
from labsite.api.strict import StrictBooleanField, StrictSerializer
from orders.api.payloads import identifiers, iso_utc_ms
from orders.api.v2.base import V2View
from orders.errors import AmbiguousOrderIdentifier, OrderNotFound
from orders.flow import FlowStep
from orders.identifiers import ORDER_NUMBER_RE, resolve_order_identifier
from orders.models import Order

from . import errors
from .models import Station
from .services import check_in, delete_station, find_operator, find_station, request_completion


def station_payload(station: Station) -> dict:
    return {
        "code": station.code,
        "desc": station.description,
        "customerDesc": station.customer_description or None,
        "operator": station.is_operator,
        "nonCancel": station.non_cancel,
        "requiresOperator": station.requires_operator,
        "flowStep": station.flow_step or None,
    }


class StationSerializer(StrictSerializer):
    # Wire name -> Station field.
    FIELDS = {
        "code": "code",
        "desc": "description",
        "customerDesc": "customer_description",
        "operator": "is_operator",
        "nonCancel": "non_cancel",
        "requiresOperator": "requires_operator",
        "flowStep": "flow_step",
    }

    code = serializers.CharField(
        max_length=10,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", "use letters, digits, '-' or '_'")],
    )
    desc = serializers.CharField(max_length=100)
    customerDesc = serializers.CharField(
        max_length=100, required=False, allow_blank=True, allow_null=True
    )
    operator = StrictBooleanField(required=False)
    nonCancel = StrictBooleanField(required=False)
    requiresOperator = StrictBooleanField(required=False)
    flowStep = serializers.ChoiceField(choices=FlowStep.choices, required=False, allow_null=True)

    def __init__(self, *args, station: Station | None = None, **kwargs):
        self.station = station
        super().__init__(*args, **kwargs)

    def validate_code(self, value):
        if self.station is not None and value != self.station.code:
            raise serializers.ValidationError("cannot be changed")
        if self.station is None and Station.objects.filter(code=value).exists():
            raise serializers.ValidationError(f"station {value} already exists")
        return value

    def save(self) -> Station:
        values = {
            self.FIELDS[wire]: ("" if value is None else value)
            for wire, value in self.validated_data.items()
        }
        station = self.station or Station()
        for name, value in values.items():
            setattr(station, name, value)
        station.save()
        return station


class CheckInSerializer(StrictSerializer):
    orderIdentifier = serializers.CharField(max_length=100)
    operator = serializers.CharField(max_length=10, required=False, allow_blank=True)


def order_for_checkin(identifier: str) -> Order:
    try:
        return resolve_order_identifier(identifier)
    except (OrderNotFound, AmbiguousOrderIdentifier):
        raise errors.CheckinOrderNotFound from None


class StationListView(V2View):
    required_rights = {"GET": "tracker.view_station", "POST": "tracker.add_station"}

    def get(self, request):
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(Station.objects.order_by("code"), request, self)
        return paginator.get_paginated_response([station_payload(s) for s in page])

    def post(self, request):
        serializer = StationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(station_payload(serializer.save()), status=201)


class StationDetailView(V2View):
    required_rights = {
        "GET": "tracker.view_station",
        "POST": "tracker.check_in",
        "PATCH": "tracker.change_station",
        "DELETE": "tracker.delete_station",
    }

    @staticmethod
    def _station(code: str) -> Station:
        station = None if "\x00" in code else Station.objects.filter(code=code).first()
        if station is None:
            raise errors.StationNotFoundForConfig(code)
        return station

    def get(self, request, code: str):
        return Response(station_payload(self._station(code)))

    def patch(self, request, code: str):
        station = self._station(code)
        serializer = StationSerializer(data=request.data, station=station, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(station_payload(serializer.save()))

    def delete(self, request, code: str):
        delete_station(station=self._station(code))
        return Response(status=204)

    def post(self, request, code: str):
        """Check an order in at this station."""
        serializer = CheckInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        station = find_station("" if "\x00" in code else code)
        order = order_for_checkin(serializer.validated_data["orderIdentifier"])
        operator_code = serializer.validated_data.get("operator")
        operator = find_operator(operator_code) if operator_code else None
        result = check_in(
            order=order,
            station=station,
            operator=operator,
            actor=request.user,
            device=getattr(request.auth, "name", ""),
        )
        return Response(
            identifiers(result.order)
            | {
                "code": station.code,
                "customerDesc": station.customer_description or None,
                "desc": station.description,
                "statusDateTime": iso_utc_ms(result.checkin.at),
            },
            status=201,
        )


class LegacyCheckInSerializer(StrictSerializer):
    # Generous bounds: an over-long value is answered in ``result`` like any unknown one.
    order = serializers.CharField(max_length=200, required=False, allow_blank=True)
    station = serializers.CharField(max_length=200, required=False, allow_blank=True)


class LegacyCheckInView(V2View):
    """``POST /api/jt/checkin``: the old scanner interface; the outcome is in ``result``."""

    required_rights = {"POST": "tracker.check_in"}
    # Old scanners post forms or bare query strings as often as JSON.
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    RESULTS = {
        errors.StationNotFound: "invalid station",
        errors.CheckinOrderNotFound: "order not found",
    }

    def post(self, request):
        body = request.data if request.data not in (None, "") else {}
        if hasattr(body, "dict"):  # a form's QueryDict
            body = body.dict()
        query = {
            k: request.query_params[k] for k in ("order", "station") if k in request.query_params
        }
        serializer = LegacyCheckInSerializer(
            data={**body, **query} if isinstance(body, dict) else body
        )
        serializer.is_valid(raise_exception=True)
        order_ref = serializer.validated_data.get("order", "")
        station_code = serializer.validated_data.get("station", "")
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
        return Response({"input-job": order_ref, "input-station": station_code, "result": result})


class CompleteOrderView(V2View):
    required_rights = {"POST": "tracker.complete_order"}

    def post(self, request, identifier: str):
        # The vendor's complete takes the order number only.
        order = None
        if ORDER_NUMBER_RE.fullmatch(identifier):
            order = Order.objects.filter(number=int(identifier)).first()
        if order is None:
            raise errors.CompletionOrderNotFound
        request_completion(order=order, actor=request.user)
        return Response({"orderNumber": str(order.number), "message": "Successful"}, status=201)
