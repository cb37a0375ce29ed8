"""Real lab data to fill URL parameters with, and a client that calls one face as one user."""

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.test import Client

import pytest

from accounts.models import ApiKey, ApiPartner
from orders.models import Addon, DeleteReason, Order, OrderEvent, OrderItem, Product, Station
from printing.models import Printer, PrintJob, WorkstationPort
from tracker.models import CheckIn, CompletionRequest
from webhooks.models import Delivery, Subscription

from .endpoints import concrete_path

ENDPOINT_NAME = "surfacing"
WORKSTATION = "00"


@dataclass
class LabData:
    order: Order
    item_id: int
    reason: DeleteReason
    station_code: str
    printer: Printer
    webhook: Subscription
    addon_code: str = "AR-SEC"
    customer_number: str = "C-SEC"

    def value(self, route: str, name: str) -> str:
        """The real value for the URL parameter ``name`` of ``route``."""
        match name:
            case "identifier":
                return str(self.order.number)
            case "order_id":
                return str(self.order.public_id)
            case "item_id":
                return str(self.item_id)
            case "endpoint_name":
                return ENDPOINT_NAME
            case "name" if "/printers/" in route:
                return self.printer.name
            case "code" if "/delete_reasons/" in route:
                return self.reason.code
            case "code" if "/stations/" in route:
                return self.station_code
            case "code" if "/workstations/" in route:
                return WORKSTATION
            case "code" if "/addons/" in route:
                return self.addon_code
            case "number" if "/customers/" in route:
                return self.customer_number
            case "id" if "/webhooks/" in route:
                return str(self.webhook.pk)
        pytest.fail(f"{route}: no fixture value for <{name}>; add one to LabData.value")

    def path(self, route: str) -> str:
        path = concrete_path(route, self.value)
        if route == "api/orderCancel":
            path += "?" + urlencode({"orderId": self.order.number})
        return path

    def body(self, method: str, route: str) -> dict | None:
        """A plausible body: refusals must not depend on it, and past them any answer will do."""
        if method in ("GET", "HEAD", "OPTIONS"):
            return None
        if route == "api/orderCancel":
            return {"Ids": [self.item_id]}
        if route == "api/jt/checkin":
            return {"order": str(self.order.number), "station": self.station_code}
        if route.endswith("/status") and method == "POST":
            return {"status": "InProgress"}
        if route.endswith("/tray"):
            return {"trayNumber": "102"}
        if route.endswith("/pick"):
            return {"rtOPC": "X"}
        return {}


@pytest.fixture
def lab_data(make_order, make_reason, make_station) -> LabData:
    order = make_order(tray="101", po_number="PO-SEC-1", customer_number="C-SEC")
    Addon.objects.create(code="AR-SEC", description="AR for the security matrix", is_ar=True)
    Product.objects.create(code="P-SEC", kind="lens", description="A stock lens", price=1)
    printer = Printer.objects.create(name="Ticket printer")
    WorkstationPort.objects.filter(workstation__code=WORKSTATION, number=1).update(printer=printer)
    return LabData(
        order=order,
        item_id=order.items.order_by("id").values_list("id", flat=True).first(),
        reason=make_reason(),
        station_code=make_station("SURF").code,
        printer=printer,
        webhook=Subscription.objects.create(url="https://hooks.example.com/security"),
    )


def lab_snapshot() -> dict:
    """What a refused request must leave as it was."""
    return {
        "orders": list(Order.objects.order_by("pk").values()),
        "items": list(OrderItem.objects.order_by("pk").values_list("pk", "status")),
        "events": OrderEvent.objects.count(),
        "reasons": list(DeleteReason.objects.order_by("pk").values()),
        "stations": list(Station.objects.order_by("pk").values()),
        "printers": list(Printer.objects.order_by("pk").values()),
        "print jobs": PrintJob.objects.count(),
        "completions": CompletionRequest.objects.count(),
        "check-ins": CheckIn.objects.count(),
        "webhooks": list(Subscription.objects.order_by("pk").values()),
        "webhook deliveries": Delivery.objects.count(),
    }


class FaceClient:
    """Sends one request as one credential: an API key, partner parameters, or none."""

    def __init__(self, *, authorization: str | None = None, partner_query: dict | None = None):
        self.client = Client(raise_request_exception=False)
        self.headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
        self.partner_query = partner_query or {}

    def send(self, method: str, path: str, body=None):
        if self.partner_query:
            separator = "&" if "?" in path else "?"
            path = f"{path}{separator}{urlencode(self.partner_query)}"
        kwargs = dict(self.headers)
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method.lower())(path, **kwargs)


@pytest.fixture
def key_client(db):
    """``key_client(user)``: a FaceClient with a fresh API key of ``user``."""

    def make(user, *, scheme: str = "Bearer") -> FaceClient:
        _, raw_key = ApiKey.issue(user=user, name=f"security matrix: {user.username}")
        return FaceClient(authorization=f"{scheme} {raw_key}")

    return make


@pytest.fixture
def partner_client(db):
    """``partner_client(user)``: a FaceClient calling as an API partner acting as ``user``."""

    def make(user) -> FaceClient:
        partner, raw_key = ApiPartner.issue(name=f"Partner of {user.username}", user=user)
        return FaceClient(
            partner_query={"recipeid": partner.recipe_id, "partnerBillingKey": raw_key}
        )

    return make
