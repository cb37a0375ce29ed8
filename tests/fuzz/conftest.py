"""A real labsite for black-box tests: gunicorn serving a database of its own, seeded
(``tests.served``), and a superuser's API key."""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.served import manage, serve, served_database

# Creates the user the black-box tests act as: a superuser (every right), with an API key.
# Printed last, on a line of its own, so the fixture can read it back.
# Also prints, as JSON, identifiers of records the demo data holds, for tests that must reach
# past "not found".
MAKE_KEY = """
import json
from django.contrib.auth.models import User
from accounts.models import ApiKey
from orders.models import Addon, Customer, DeleteReason, Order, OrderItemEndpoint
from printing.models import Printer
from orders.models import Station
from webhooks.models import Subscription
user = User.objects.create_superuser("fuzz", "fuzz@example.invalid", None)
_, raw_key = ApiKey.issue(user=user, name="black-box tests")
endpoint = OrderItemEndpoint.objects.select_related("item__order").order_by("id").first()
records = {
    "order_number": str(Order.objects.order_by("number").values_list("number", flat=True)[0]),
    "order_id": str(endpoint.item.order.public_id),
    "item_id": str(endpoint.item_id),
    "endpoint_name": endpoint.name,
    "delete_reason": DeleteReason.objects.order_by("code").values_list("code", flat=True)[0],
    "customer": Customer.objects.order_by("number").values_list("number", flat=True)[0],
    "addon": Addon.objects.order_by("code").values_list("code", flat=True)[0],
    "station": Station.objects.order_by("code").values_list("code", flat=True)[0],
    "printer": Printer.objects.order_by("name").values_list("name", flat=True)[0],
    "webhook": str(Subscription.objects.create(url="https://hooks.example.com/fuzz").pk),
}
print("RECORDS", json.dumps(records))
print("KEY", raw_key)
"""


@dataclass
class ServedLabsite:
    base_url: str
    api_key: str
    log_path: Path
    records: dict[str, str]  # identifiers of seeded records (see MAKE_KEY)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def served_labsite():
    """gunicorn on a seeded throwaway database; yields its URL and a superuser's API key."""
    with served_database() as env:
        lines = manage(env, "shell", "-c", MAKE_KEY).splitlines()
        api_key = next(line.split(" ", 1)[1] for line in lines if line.startswith("KEY "))
        records = json.loads(
            next(line.split(" ", 1)[1] for line in lines if line.startswith("RECORDS "))
        )
        with serve(env, workers=2) as server:
            yield ServedLabsite(
                base_url=server.base_url,
                api_key=api_key,
                log_path=server.log_path,
                records=records,
            )
