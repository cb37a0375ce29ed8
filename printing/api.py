"""Lab API v2 printing: print_ticket, and printer / workstation configuration."""

from functools import partial

from django.core.validators import RegexValidator
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.rights import Right
from orders.api.payloads import TextOrNullField, order_identifier_fields
from orders.api.v2.base import AMBIGUOUS, NO_RECORD, ORDER_ERROR_STATUS, ORDER_IDENTIFIER
from orders.api.v2.params import query_or_body_param
from orders.api.v2.views import MARKED_FOR_CANCELATION
from orders.identifiers import resolve_order_identifier
from toolkit.api.answers import AnswerSerializer
from toolkit.api.configuration import (
    ConfigurationDetailView,
    ConfigurationListView,
    ConfigurationSchema,
)
from toolkit.api.parsers import JSONParser
from toolkit.api.schema import (
    V2_INCORRECT_ARGUMENTS,
    V2ErrorSerializer,
    path_parameter,
    text_parameter,
    v2_operation,
)
from toolkit.api.strict import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictSerializer,
)
from toolkit.api.v2_views import V2View
from toolkit.api.validated import CheckedCharField, ValidatedModelSerializer

from . import errors
from .models import CUPS_QUEUE, PRINTER_NAME, Driver, Printer, Workstation
from .services import delete_printer, map_ports, queue_ticket

PRINTING_ERROR_STATUS = {
    **ORDER_ERROR_STATUS,
    errors.CancelledBeforePrinting: 200,  # documented: 200 with an error body
    errors.PrintingRejected: 400,
    errors.NoPrinterDefined: 500,  # documented: the lab's configuration is incomplete
    errors.PrinterNotFound: 404,
    errors.PrinterInUse: 400,
}


class PrintingV2View(V2View):
    """A Lab API v2 view of printing: the orders' errors and the printer's."""

    error_statuses = PRINTING_ERROR_STATUS


PORT_NAMES = [f"LPT{n}" for n in range(1, 10)]

TAG = "Lab API v2: printing"
operation = partial(v2_operation, tag=TAG)
LPT_PORT_DOC = "`LPT1`..`LPT9` or `1`..`9` (any case, spaces around ignored); default `LPT1`."
# What ``services.parse_lpt_port`` takes, as a JSON Schema pattern.
LPT_PORT_PATTERN = r"^\s*(?:[Ll][Pp][Tt])?[1-9]\s*$"


def rejected(reason: str) -> str:
    return f'`{{"error": "Printing request rejected", "details": ["{reason}"]}}`'


class V2PrintAcceptedSerializer(AnswerSerializer):
    # A ticket queued: ``{"order", "message"}``, the order's identifiers, then ``message``.

    message = serializers.CharField(help_text="`Printing in process`.")

    def get_fields(self):
        return order_identifier_fields(at="order") | super().get_fields()


class PrintTicketView(PrintingV2View):
    required_rights = {"POST": Right.PRINT_TICKET}
    # Print stations often post a bare form; lptPort may come in either, or the query string.
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @operation(
        operation_id="v2_order_print_ticket",
        summary="Print an order's work ticket",
        description=(
            "Queues the order's work ticket for the printer on workstation `00`'s LPT port; "
            "the print spooler renders and sends it. `lptPort` may come in the query string or "
            "the body (JSON or form); the query string wins."
        ),
        parameters=[
            ORDER_IDENTIFIER,
            text_parameter("lptPort", LPT_PORT_DOC, pattern=LPT_PORT_PATTERN),
        ],
        request=inline_serializer(
            "PrintTicketRequest",
            {
                "lptPort": StrictCharField(
                    required=False,
                    help_text=LPT_PORT_DOC,
                    validators=[RegexValidator(LPT_PORT_PATTERN)],
                )
            },
        ),
        ok={
            200: OpenApiResponse(
                V2ErrorSerializer,
                description=(
                    'The order is marked for cancelation: `{"error": "Order marked for '
                    'cancelation", "details": []}` (the vendor\'s documented behaviour); '
                    "nothing is printed."
                ),
            ),
            201: OpenApiResponse(
                V2PrintAcceptedSerializer, description="Queued for the print spooler."
            ),
        },
        errors={
            400: (
                f"{rejected('<reason>')} with the reason `Order is a stock order and "
                "there is no work ticket`, `Order waiting for tray` (setting `Trays "
                "required`) or `Provided: <lptPort>` (a bad port); or an ambiguous "
                f"identifier ({AMBIGUOUS}) or a body that is not an object."
            ),
            404: NO_RECORD,
            500: (
                "The lab's configuration is incomplete: "
                f"{rejected('No printer defined for workstation 00')}."
            ),
        },
    )
    def post(self, request, identifier: str):
        try:
            lpt_port = query_or_body_param(request, "lptPort")
        except APIException:
            resolve_order_identifier(identifier)  # "no such order" answers first
            raise
        # A body that is no object, or an lptPort that is no string, is refused before the
        # contract's table; a bad port's value is its fifth row, after the order's state.
        order = resolve_order_identifier(identifier)
        if order.is_cancelled:
            return Response(MARKED_FOR_CANCELATION)  # documented: 200 with an error body
        queue_ticket(order=order, lpt_port=lpt_port, actor=request.user)
        accepted = {"order": order, "message": "Printing in process"}
        return Response(V2PrintAcceptedSerializer.represent(accepted), status=201)


@extend_schema_serializer(component_name="Printer")
class PrinterViewSerializer(serializers.Serializer):
    """A printer."""

    name = serializers.CharField()
    driver = serializers.ChoiceField(choices=Driver.choices)
    folder = TextOrNullField(help_text="spool: the folder PDFs go to.")
    cupsQueue = TextOrNullField(source="cups_queue", help_text="cups: the destination name.")
    host = TextOrNullField(help_text="socket: the printer's host.")
    port = serializers.IntegerField(help_text="socket: the TCP port (9100 by default).")
    enabled = serializers.BooleanField()


@extend_schema_serializer(component_name="PrinterInput")
class PrinterSerializer(ValidatedModelSerializer):
    """A printer, as POST creates it and PATCH changes it; unknown keys are refused."""

    model = Printer

    name = CheckedCharField(max_length=50, rules=[PRINTER_NAME])
    driver = serializers.ChoiceField(choices=Driver.choices)
    folder = StrictCharField(max_length=500, required=False, allow_blank=True, allow_null=True)
    cupsQueue = CheckedCharField(
        rules=[CUPS_QUEUE],
        required=False,
        allow_blank=True,
        allow_null=True,
        source="cups_queue",
    )
    host = StrictCharField(max_length=255, required=False, allow_blank=True, allow_null=True)
    port = StrictIntegerField(min_value=1, max_value=65535, required=False)
    enabled = StrictBooleanField(required=False)


PRINTER_INVALID = (
    f"{V2_INCORRECT_ARGUMENTS} Also when the name is taken, when the driver's target "
    "(`folder`, `cupsQueue` or `host`) is missing, or when `folder` does not lie inside the "
    "server's spool root."
)
PRINTERS_SCHEMA = ConfigurationSchema(
    tag=TAG,
    noun="printer",
    path_description="The printer's name (case-sensitive).",
    page_description="A page of printers, by name.",
    refused_new=PRINTER_INVALID,
    refused_change=PRINTER_INVALID,
    delete_description=(
        "Only a printer that never had a print job can be deleted (disable it instead); "
        "the LPT ports it was on fall back to no printer."
    ),
    delete_refused=(
        'The printer has print jobs: `{"error": "Printer in use", "details": '
        '["Printer <name> has N print job(s); disable it instead"]}`.'
    ),
)


class Printers:
    """The printers tickets are sent to, by name."""

    model = Printer
    lookup_field = "name"
    view_serializer = PrinterViewSerializer
    input_serializer = PrinterSerializer
    not_found = errors.PrinterNotFound
    error_statuses = PRINTING_ERROR_STATUS

    def destroy(self, printer: Printer) -> Response:
        delete_printer(printer=printer)  # refused once it has print jobs
        return Response(status=204)


@PRINTERS_SCHEMA.list_view
class PrinterListView(Printers, ConfigurationListView):
    """The printers, and a new one."""


@PRINTERS_SCHEMA.detail_view
class PrinterDetailView(Printers, ConfigurationDetailView):
    """One printer: read, changed or deleted."""


def lpt_port_fields(*, required: bool) -> dict[str, serializers.Field]:
    """The ``lptPorts`` map: ``LPT1``..``LPT9`` -> a printer name or null."""
    return {
        port: serializers.CharField(
            allow_null=True, required=required, help_text="A printer's name, or null."
        )
        for port in PORT_NAMES
    }


class LptPortsInputSerializer(StrictSerializer):
    # The schema's view of the ``lptPorts`` a workstation's PUT and PATCH take: only the nine
    # ports, each with a printer's name (names keep to their pattern) or null.

    def get_fields(self):
        return {
            port: CheckedCharField(
                max_length=50,
                rules=[PRINTER_NAME],
                allow_null=True,
                required=False,
                help_text="A printer's name, or null.",
            )
            for port in PORT_NAMES
        }


class LptPortsSerializer(serializers.Serializer):
    # A workstation's ports, each with the name of its printer, or null.

    def get_fields(self):
        return lpt_port_fields(required=True)

    def to_representation(self, instance: Workstation):
        # A port without a printer has no key here, and its field writes null (``allow_null``).
        printers = {f"LPT{p.number}": p.printer.name for p in instance.ports.all() if p.printer_id}
        return super().to_representation(printers)


@extend_schema_serializer(component_name="Workstation")
class WorkstationViewSerializer(serializers.Serializer):
    """A workstation (`00` is the one the API prints with) and its LPT ports."""

    code = serializers.CharField(help_text="Two digits, e.g. `00`.")
    description = TextOrNullField()
    lptPorts = LptPortsSerializer(source="*")


@extend_schema_serializer(component_name="WorkstationInput")
class WorkstationChangeSerializer(StrictSerializer):
    """A workstation's description and LPT ports, as PUT and PATCH take them."""

    # The schema's view of ``WorkstationSerializer``, with the ports spelt out.

    description = StrictCharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    lptPorts = LptPortsInputSerializer(required=False)


class WorkstationSerializer(StrictSerializer):
    description = StrictCharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    lptPorts = serializers.DictField(
        child=StrictCharField(max_length=50, allow_null=True), required=False
    )

    def validate_lptPorts(self, value):
        unknown = sorted(set(value) - set(PORT_NAMES))
        if unknown:
            raise serializers.ValidationError(
                f"unknown port(s) {', '.join(unknown)}; use LPT1..LPT9"
            )
        names = {name for name in value.values() if name is not None}
        printers = {p.name: p for p in Printer.objects.filter(name__in=names)}
        missing = sorted(names - set(printers))
        if missing:
            raise serializers.ValidationError(f"no printer named {', '.join(missing)}")
        return {int(port[3:]): printers.get(name) for port, name in value.items()}


WORKSTATION_CODE = path_parameter(
    "code", "Two digits: `00` is the API's workstation.", pattern=r"^[0-9]{2}$"
)
NO_SUCH_WORKSTATION = (
    'No such workstation: `{"error": "No record found", "details": ["Provided: <code>"]}`.'
)


def workstation_change(operation_id: str, summary: str, description: str):
    """The schema of a change to a workstation's port map (``PUT`` or ``PATCH``)."""
    return operation(
        operation_id=operation_id,
        summary=summary,
        description=f"{description} The workstation is created when it does not exist yet.",
        parameters=[WORKSTATION_CODE],
        request=WorkstationChangeSerializer,
        ok={
            200: OpenApiResponse(WorkstationViewSerializer, description="The workstation, changed.")
        },
        errors={
            400: (
                f"{V2_INCORRECT_ARGUMENTS} Also for a port other than `LPT1`..`LPT9` or an "
                "unknown printer name."
            ),
            404: f"The code is not two digits. {NO_SUCH_WORKSTATION}",
        },
    )


@extend_schema_view(
    put=workstation_change(
        "v2_workstation_replace",
        "Set a workstation's LPT ports",
        "Replaces the whole port map: a port left out has no printer afterwards.",
    ),
    patch=workstation_change(
        "v2_workstation_update",
        "Change some of a workstation's LPT ports",
        "Changes the ports given (null: no printer) and leaves the others.",
    ),
)
class WorkstationView(PrintingV2View):
    required_rights = {
        "GET": Right.VIEW_WORKSTATION,
        "PUT": Right.CHANGE_WORKSTATION,
        "PATCH": Right.CHANGE_WORKSTATION,
    }

    @staticmethod
    def _workstation(code: str) -> Workstation:
        found = None
        if "\x00" not in code:  # no code holds one, and PostgreSQL refuses to compare it
            found = Workstation.objects.prefetch_related("ports__printer").filter(code=code).first()
        if found is None:
            raise errors.WorkstationNotFound(code)
        return found

    @operation(
        operation_id="v2_workstation_get",
        summary="Fetch a workstation and its LPT ports",
        parameters=[WORKSTATION_CODE],
        ok={200: OpenApiResponse(WorkstationViewSerializer, description="The workstation.")},
        errors={404: NO_SUCH_WORKSTATION},
    )
    def get(self, request, code: str):
        return Response(WorkstationViewSerializer(self._workstation(code)).data)

    def put(self, request, code: str):
        return self._save(request, code, replace=True)

    def patch(self, request, code: str):
        return self._save(request, code, replace=False)

    def _save(self, request, code: str, *, replace: bool):
        if not (len(code) == 2 and code.isascii() and code.isdigit()):
            raise errors.WorkstationNotFound(code)
        serializer = WorkstationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ports = data.get("lptPorts", {})
        if replace:
            ports = {n: ports.get(n) for n in range(1, 10)}
        description = (data["description"] or "") if "description" in data else None
        map_ports(code, ports, description=description)
        return Response(WorkstationViewSerializer(self._workstation(code)).data)
