"""Demo data for a first look: reason codes, stations, a spool-folder printer on workstation
00's LPT1, orders in every state, a supervisor login and a client API key. Safe to run
again: nothing is created twice.

The demo credentials are kept in DATA_DIR/demo-login.json (git-ignored, development only) so
that every run prints the same working login.
"""

import json
import os
import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import ApiKey, hash_api_key
from orders.models import Addon, Customer, DeleteReason, Order, Product, Station
from orders.rx import RX_VALUES, Eye, EyeValues
from orders.services import NewItem, NewOrder, cancel_order, create_order, hold_order
from printing.models import Driver, Printer, WorkstationPort
from printing.spool import spool_root
from tracker.services import check_in, process_completions, request_completion

REASONS = [
    ("CUS", "Customer request"),
    ("DUP", "Duplicate order"),
    ("ERR", "Entry error"),
    ("RX", "Prescription changed"),
]

CUSTOMERS = [
    # number, name, ship-to address lines, postal code
    ("C1001", "Brightview Opticians", ["12 High Street", "Leeds"], "LS1 4AB"),
    ("C1002", "Clear Sight Eye Care", ["48 Market Square", "York"], "YO1 8RE"),
    ("C1003", "Harbour Vision Centre", ["3 Quay Road", "Whitby"], "YO21 1DH"),
]

STATIONS = [
    # code, description, customer description, flags
    ("SURF", "Surfacing", "In surfacing", {}),
    ("HC", "Hard coating", "Coating", {"flow_step": "hard_coat"}),
    ("AR", "AR coating", "Coating", {"flow_step": "ar_coat"}),
    ("TINT", "Tinting", "Tinting", {"flow_step": "tint"}),
    ("EDGE", "Edging", "Edging", {"non_cancel": True}),
    ("QA", "Final inspection", "Final inspection", {"flow_step": "final_qa", "non_cancel": True}),
    ("OP1", "Operator 1", "", {"is_operator": True}),
]

PRODUCTS = [
    # code, kind, description, price (the stock catalogue addStock orders from)
    ("4011-67-R", "lens", "Progressive 1.67, right", "38.00"),
    ("4011-67-L", "lens", "Progressive 1.67, left", "38.00"),
    ("0887654", "frame", "Aviator 3025 gold, 58-14", "92.50"),
    ("CLOTH", "other", "Microfibre cloth", None),
]

ADDONS = [
    # code, description, flags (each brings its flow step to the jobs that order it)
    ("AR-SUP", "Super AR coating", {"is_ar": True}),
    ("TINT-G", "Grey tint, 75 %", {"is_tint": True}),
    ("HC", "Hard coat", {"requires_harden": True}),
]

# What a lab's client systems send: the right eye, the left eye (``orders.rx.RX_VALUES``:
# sphere, cylinder, axis, add, prism, prism base, PD, near PD, seg height), and the lens.
# Realistic, not clinical, values.
PRESCRIPTIONS = {
    "myope": (
        ("-2.25", "-0.75", 90, None, None, "", "31.50", None, None),
        ("-2.00", "-0.50", 85, None, None, "", "32.00", None, None),
        ("SV-AS", "1.67"),
    ),
    "presbyope": (
        ("+1.25", "-0.50", 175, "+2.00", None, "", "31.00", "29.00", "18.00"),
        ("+1.50", None, None, "+2.00", "1.00", "OUT", "31.50", "29.50", "18.00"),
        ("PROG-HD", "1.60"),
    ),
    "plano": (
        ("0.00", None, None, None, None, "", "32.00", None, None),
        ("0.00", None, None, None, None, "", "32.00", None, None),
        ("SV", "CR39"),
    ),
}

DEMO_ORDERS = [
    # number, tray, PO, job type, prescription, addons, what to do with it after creation
    (20001, "101", "DEMO-VALID", "F", "presbyope", ["AR-SUP"], "valid"),
    (20002, "102", "DEMO-INPROC", "F", "myope", ["AR-SUP"], "in_process"),
    (20004, "104", "DEMO-HOLD", "U", "myope", [], "hold"),
    (20005, "105", "DEMO-DONE", "E", "plano", ["AR-SUP"], "completed"),
    (20006, "106", "DEMO-CANCEL", "A", None, ["TINT-G"], "cancelled"),
    # The same customer job id as DEMO-DONE: a duplicate, saved unvalid (Save Duplicate Orders).
    (20003, "", "DEMO-DONE", "F", "plano", [], "unvalid"),
]


def demo_eyes(prescription: str | None) -> dict[Eye, EyeValues]:
    if prescription is None:
        return {}
    right, left, (style, material) = PRESCRIPTIONS[prescription]
    eyes = {}
    for eye, values in ((Eye.RIGHT, right), (Eye.LEFT, left)):
        given = {
            name: (Decimal(value) if isinstance(value, str) and name != "prism_base" else value)
            for name, value in zip(RX_VALUES, values, strict=True)
            if value not in (None, "")
        }
        eyes[eye] = EyeValues(lens_style=style, lens_material=material, **given)
    return eyes


FLOOR_GROUP = "Floor staff"
FLOOR_RIGHTS = (
    "use_job_scan",
    "use_tray_assignment",
    "use_order_cancel",
    "use_pick_verification",
    "view_dynamic_display",
)


class Command(BaseCommand):
    help = "Create demo data and print the demo login and API key (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        credentials = self._load_credentials()
        supervisor = self._user("supervisor", "Supervisors", credentials, staff=True)
        client = self._user("rx-client", "Lab clients", credentials, staff=False)
        self._floor_group()
        self._user("floor", FLOOR_GROUP, credentials, staff=False)
        api_key = self._api_key(client, credentials)
        self._save_credentials(credentials)

        for code, kind, description, price in PRODUCTS:
            Product.objects.get_or_create(
                code=code,
                defaults={
                    "kind": kind,
                    "description": description,
                    "price": Decimal(price) if price else None,
                },
            )
        for code, description, flags in ADDONS:
            Addon.objects.get_or_create(code=code, defaults={"description": description, **flags})
        for code, description in REASONS:
            DeleteReason.objects.get_or_create(code=code, defaults={"description": description})
        for number, name, address, postal_code in CUSTOMERS:
            Customer.objects.get_or_create(
                number=number,
                defaults={
                    "name": name,
                    "ship_to_name": name,
                    "ship_to_address1": address[0],
                    "ship_to_address2": address[1],
                    "ship_to_postal_code": postal_code,
                },
            )
        for code, description, customer_description, flags in STATIONS:
            Station.objects.get_or_create(
                code=code,
                defaults={
                    "description": description,
                    "customer_description": customer_description,
                    **flags,
                },
            )
        # The spool root itself (data/spool/ by default): the one folder sure to be allowed.
        printer, _ = Printer.objects.get_or_create(
            name="Spool folder", defaults={"driver": Driver.SPOOL, "folder": str(spool_root())}
        )
        WorkstationPort.objects.filter(
            workstation__code="00", number=1, printer__isnull=True
        ).update(printer=printer)
        created = sum(self._order(supervisor, *spec) for spec in DEMO_ORDERS)

        self.stdout.write(f"Demo data ready ({created} new orders).")
        self.stdout.write(f"  Admin login : supervisor / {credentials['supervisor']}")
        self.stdout.write(f"  Floor login : floor / {credentials['floor']} (the pages at /ws/)")
        self.stdout.write(f"  API key     : {api_key} (user rx-client, group Lab clients)")
        self.stdout.write(f"  Tickets     : workstation 00 LPT1 prints PDFs to {printer.target}")

    # --- credentials ------------------------------------------------------------------------

    @property
    def _credentials_path(self):
        return settings.DATA_DIR / "demo-login.json"

    def _load_credentials(self) -> dict:
        try:
            return json.loads(self._credentials_path.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _save_credentials(self, credentials: dict) -> None:
        path = self._credentials_path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # also when the file already existed with looser rights
        with os.fdopen(fd, "w") as handle:
            json.dump(credentials, handle, indent=2)

    def _floor_group(self) -> None:
        """The floor's people: every page of /ws/ (its *Use* rights, granted by name)."""
        group, _ = Group.objects.get_or_create(name=FLOOR_GROUP)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="workstations", codename__in=FLOOR_RIGHTS
            )
        )

    def _user(self, username: str, group: str, credentials: dict, *, staff: bool) -> User:
        user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": staff})
        password = credentials.get(username)
        if not password or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save()
            credentials[username] = password
        user.groups.add(Group.objects.get(name=group))
        return user

    def _api_key(self, user: User, credentials: dict) -> str:
        raw_key = credentials.get("api_key")
        if raw_key and ApiKey.objects.usable().filter(key_hash=hash_api_key(raw_key)).exists():
            return raw_key
        _, raw_key = ApiKey.issue(user=user, name="demo client")
        credentials["api_key"] = raw_key
        return raw_key

    # --- orders -----------------------------------------------------------------------------

    def _order(
        self,
        actor: User,
        number: int,
        tray: str,
        po: str,
        job_type: str,
        prescription: str | None,
        addons: list[str],
        outcome: str,
    ) -> bool:
        if Order.objects.filter(number=number).exists():
            return False
        order = create_order(
            data=NewOrder(
                number=str(number),
                tray=tray,
                po_number=f"PO-{number}",
                customer_number="C1001",
                customer_job_id=po,
                patient="Demo Patient",
                job_type=job_type,
                requires={"requires_final_qa"},
                eyes=demo_eyes(prescription),
                lens_and_frame={
                    "frame_manufacturer": "RAY",
                    "frame_name": "Aviator 3025",
                    "frame_color": "Gold",
                    "frame_a": Decimal("58.00"),
                    "frame_b": Decimal("47.50"),
                    "frame_ed": Decimal("60.20"),
                    "frame_bridge": 14,
                    "frame_status_code": "S",
                }
                if job_type in ("F", "E")
                else {},
                addons=addons,
                items=[
                    NewItem(sku="LENS-R", name="Right lens", endpoints=["SURF", "AR"]),
                    NewItem(sku="LENS-L", name="Left lens", endpoints=["SURF"]),
                ],
            ),
            actor=actor,
            device="seed_demo",
        )
        if outcome == "hold":
            hold_order(order=order, actor=actor)
        elif outcome == "cancelled":
            cancel_order(order=order, actor=actor, reason_code=None)
        elif outcome in ("in_process", "completed"):
            stations = ["SURF"] if outcome == "in_process" else ["SURF", "AR", "QA"]
            for code in stations:
                check_in(
                    order=order,
                    station=Station.objects.get(code=code),
                    operator=None,
                    actor=actor,
                    device="seed_demo",
                )
            if outcome == "completed":
                # The tracker is not running yet while demo data loads: do its work for this
                # one order, through the same code.
                request_completion(order=order, actor=actor, require_tracker=False)
                process_completions(worker="seed_demo", order_ids=[order.pk])
        return True
