"""Lab API v2 printing: print_ticket, and printer / workstation configuration."""

from django.db import transaction
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from labsite.api.pagination import BoundedLimitOffsetPagination
from labsite.api.strict import StrictBooleanField, StrictIntegerField, StrictSerializer
from orders.api.payloads import identifiers
from orders.api.v2.base import V2View
from orders.api.v2.params import query_or_body_param
from orders.api.v2.views import MARKED_FOR_CANCELATION
from orders.identifiers import resolve_order_identifier

from . import errors
from .models import Driver, Printer, Workstation, WorkstationPort
from .services import queue_ticket

PORT_NAMES = [f"LPT{n}" for n in range(1, 10)]


class PrintTicketView(V2View):
    required_rights = {"POST": "printing.print_ticket"}
    # Print stations often post a bare form; lptPort may come in either, or the query string.
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def post(self, request, identifier: str):
        order = resolve_order_identifier(identifier)
        if order.is_cancelled:
            return Response(MARKED_FOR_CANCELATION)  # documented: 200 with an error body
        queue_ticket(
            order=order,
            lpt_port=query_or_body_param(request, "lptPort"),
            actor=request.user,
        )
        return Response(identifiers(order) | {"message": "Printing in process"}, status=201)


def printer_payload(printer: Printer) -> dict:
    return {
        "name": printer.name,
        "driver": printer.driver,
        "folder": printer.folder or None,
        "cupsQueue": printer.cups_queue or None,
        "host": printer.host or None,
        "port": printer.port,
        "enabled": printer.enabled,
    }


class PrinterSerializer(StrictSerializer):
    FIELDS = {
        "name": "name",
        "driver": "driver",
        "folder": "folder",
        "cupsQueue": "cups_queue",
        "host": "host",
        "port": "port",
        "enabled": "enabled",
    }
    name = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,49}$", max_length=50)
    driver = serializers.ChoiceField(choices=Driver.choices)
    folder = serializers.CharField(
        max_length=500, required=False, allow_blank=True, allow_null=True
    )
    cupsQueue = serializers.RegexField(
        r"^[A-Za-z0-9_.-]{1,100}$", required=False, allow_blank=True, allow_null=True
    )
    host = serializers.CharField(max_length=255, required=False, allow_blank=True, allow_null=True)
    port = StrictIntegerField(min_value=1, max_value=65535, required=False)
    enabled = StrictBooleanField(required=False)

    def __init__(self, *args, printer: Printer | None = None, **kwargs):
        self.printer = printer
        super().__init__(*args, **kwargs)

    def validate_name(self, value):
        taken = Printer.objects.filter(name=value)
        if self.printer is not None:
            taken = taken.exclude(pk=self.printer.pk)
        if taken.exists():
            raise serializers.ValidationError(f"printer {value} already exists")
        return value

    def validate(self, attrs):
        current = printer_payload(self.printer) if self.printer else {}
        merged = {**current, **attrs}
        needs = {Driver.SPOOL: "folder", Driver.CUPS: "cupsQueue", Driver.SOCKET: "host"}
        required = needs[merged["driver"]]
        if not merged.get(required):
            raise serializers.ValidationError(
                {required: [f"required for the {merged['driver']} driver"]}
            )
        return attrs

    def save(self) -> Printer:
        printer = self.printer or Printer()
        for wire, value in self.validated_data.items():
            setattr(printer, self.FIELDS[wire], "" if value is None else value)
        printer.save()
        return printer


def find_printer(name: str) -> Printer:
    printer = None if "\x00" in name else Printer.objects.filter(name=name).first()
    if printer is None:
        raise errors.PrinterNotFound(name)
    return printer


class PrinterListView(V2View):
    required_rights = {"GET": "printing.view_printer", "POST": "printing.add_printer"}

    def get(self, request):
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(Printer.objects.order_by("name"), request, self)
        return paginator.get_paginated_response([printer_payload(p) for p in page])

    def post(self, request):
        serializer = PrinterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(printer_payload(serializer.save()), status=201)


class PrinterDetailView(V2View):
    required_rights = {
        "GET": "printing.view_printer",
        "PATCH": "printing.change_printer",
        "DELETE": "printing.delete_printer",
    }

    def get(self, request, name: str):
        return Response(printer_payload(find_printer(name)))

    def patch(self, request, name: str):
        printer = find_printer(name)
        serializer = PrinterSerializer(data=request.data, printer=printer, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(printer_payload(serializer.save()))

    def delete(self, request, name: str):
        printer = find_printer(name)
        jobs = printer.jobs.count()
        if jobs:
            raise errors.PrinterInUse(printer.name, jobs)
        printer.delete()  # its LPT ports fall back to "no printer"
        return Response(status=204)


def workstation_payload(workstation: Workstation) -> dict:
    mapped = {p.number: p.printer.name for p in workstation.ports.all() if p.printer_id}
    return {
        "code": workstation.code,
        "description": workstation.description or None,
        "lptPorts": {f"LPT{n}": mapped.get(n) for n in range(1, 10)},
    }


class WorkstationSerializer(StrictSerializer):
    description = serializers.CharField(
        max_length=100, required=False, allow_blank=True, allow_null=True
    )
    lptPorts = serializers.DictField(
        child=serializers.CharField(max_length=50, allow_null=True), required=False
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


class WorkstationView(V2View):
    required_rights = {
        "GET": "printing.view_workstation",
        "PUT": "printing.change_workstation",
        "PATCH": "printing.change_workstation",
    }

    @staticmethod
    def _workstation(code: str) -> Workstation:
        found = Workstation.objects.prefetch_related("ports__printer").filter(code=code).first()
        if found is None:
            raise errors.WorkstationNotFound(code)
        return found

    def get(self, request, code: str):
        return Response(workstation_payload(self._workstation(code)))

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
        with transaction.atomic():
            workstation, _ = Workstation.objects.get_or_create(code=code)
            if "description" in data:
                workstation.description = data["description"] or ""
                workstation.save(update_fields=["description"])
            existing = {port.number: port for port in workstation.ports.all()}
            new, changed = [], []
            for number, printer in ports.items():
                port = existing.get(number)
                if port is None:
                    new.append(
                        WorkstationPort(workstation=workstation, number=number, printer=printer)
                    )
                elif port.printer_id != (printer.pk if printer else None):
                    port.printer = printer
                    changed.append(port)
            WorkstationPort.objects.bulk_create(new)
            WorkstationPort.objects.bulk_update(changed, ["printer"])
        return Response(workstation_payload(self._workstation(code)))
