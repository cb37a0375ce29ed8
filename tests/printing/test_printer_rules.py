"""A printer's rules live on the model (printing.models.Printer, printing.spool): the admin's
forms and the Lab API v2 refuse the same printers, in the same words.

Each rule is one row below, tried on both faces: the admin's add (or change) form refuses it
under the model field, the API refuses it under the wire name, with the same message.
"""

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError

import pytest

from printing import drivers
from printing.models import Printer

pytestmark = pytest.mark.django_db

ADD = "/admin/printing/printer/add/"
PRINTERS = "/api/v2/printers"
WIRE_NAMES = {"cups_queue": "cupsQueue"}  # the others are named alike
PATTERN = "This value does not match the required pattern."
OUTSIDE = "must lie inside the spool root {root} (PRINT_SPOOL_ROOT)"

# A printer both faces take: a spool folder inside the spool root.
VALID = {
    "name": "Desk",
    "driver": "spool",
    "folder": "tickets",
    "cups_queue": "",
    "host": "",
    "port": 9100,
    "enabled": True,
}


@dataclass(frozen=True)
class Rule:
    id: str
    values: dict  # changed from VALID (or from the printer, when changing one)
    field: str  # the model field refused
    message: str  # ``{root}`` stands for the spool root
    # Prepares the lab: gets the spool root and the test's own temporary folder.
    setup: Callable[[Path, Path], None] | None = None


def a_printer_named_front(root: Path, tmp_path: Path) -> None:
    Printer.objects.create(name="Front", driver="spool", folder=str(root))


def a_link_out_of_the_root(root: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (root / "out").symlink_to(tmp_path / "elsewhere")


NEW_PRINTER_RULES = [
    Rule("name-pattern", {"name": "a/b"}, "name", PATTERN),
    Rule("name-starts-with-a-dot", {"name": ".Desk"}, "name", PATTERN),
    Rule(
        "name-taken",
        {"name": "Front"},
        "name",
        "printer Front already exists",
        setup=a_printer_named_front,
    ),
    Rule(
        "cups-queue-pattern",
        {"driver": "cups", "cups_queue": "office laser"},
        "cups_queue",
        PATTERN,
    ),
    Rule("spool-needs-a-folder", {"folder": ""}, "folder", "required for the spool driver"),
    Rule("cups-needs-a-queue", {"driver": "cups"}, "cups_queue", "required for the cups driver"),
    Rule("socket-needs-a-host", {"driver": "socket"}, "host", "required for the socket driver"),
    Rule(
        "socket-port-0",
        {"driver": "socket", "host": "10.0.0.7", "port": 0},
        "port",
        "Ensure this value is greater than or equal to 1.",
    ),
    Rule(
        "socket-port-65536",
        {"driver": "socket", "host": "10.0.0.7", "port": 65536},
        "port",
        "Ensure this value is less than or equal to 65535.",
    ),
    Rule("folder-outside-the-root", {"folder": "/etc/labsite"}, "folder", OUTSIDE),
    Rule("folder-up-and-out", {"folder": "../elsewhere"}, "folder", OUTSIDE),
    Rule("folder-up-and-out-later", {"folder": "tickets/../../x"}, "folder", OUTSIDE),
    Rule(
        "folder-through-a-link",
        {"folder": "out/tickets"},
        "folder",
        OUTSIDE,
        a_link_out_of_the_root,
    ),
]


def admin_form(printer: dict) -> dict:
    form = {name: str(value) for name, value in printer.items() if name != "enabled"}
    return form | ({"enabled": "on"} if printer["enabled"] else {})


def wire(printer: dict) -> dict:
    return {WIRE_NAMES.get(name, name): value for name, value in printer.items()}


def v2_refusal(field: str, message: str) -> dict:
    return {
        "error": "Incorrect arguments provided",
        "details": [f"{WIRE_NAMES.get(field, field)}: {message}"],
    }


@pytest.mark.parametrize("rule", NEW_PRINTER_RULES, ids=lambda rule: rule.id)
def test_a_new_printer_is_refused_alike_by_the_admin_and_the_api(
    admin_forms, supervisor_api, spool_root, tmp_path, rule
):
    if rule.setup:
        rule.setup(spool_root, tmp_path)
    before = set(Printer.objects.values_list("name", flat=True))
    printer = VALID | rule.values
    message = rule.message.format(root=spool_root)

    assert admin_forms.refusals(ADD, admin_form(printer)) == {rule.field: [message]}
    assert supervisor_api.post(PRINTERS, wire(printer), status=400) == v2_refusal(
        rule.field, message
    )
    assert set(Printer.objects.values_list("name", flat=True)) == before


CHANGE_RULES = [
    Rule("rename-to-a-taken-name", {"name": "Front"}, "name", "printer Front already exists"),
    Rule(
        "to-socket-without-a-host", {"driver": "socket"}, "host", "required for the socket driver"
    ),
    Rule(
        "to-cups-without-a-queue", {"driver": "cups"}, "cups_queue", "required for the cups driver"
    ),
    Rule("clear-the-folder", {"folder": ""}, "folder", "required for the spool driver"),
    Rule("folder-out-of-the-root", {"folder": "/srv/elsewhere"}, "folder", OUTSIDE),
]


@pytest.mark.parametrize("rule", CHANGE_RULES, ids=lambda rule: rule.id)
def test_a_change_is_refused_alike_by_the_admin_and_the_api(
    admin_forms, supervisor_api, spool_root, tmp_path, rule
):
    a_printer_named_front(spool_root, tmp_path)
    desk = Printer.objects.create(name="Desk", driver="spool", folder="tickets")
    message = rule.message.format(root=spool_root)

    change = f"/admin/printing/printer/{desk.pk}/change/"
    assert admin_forms.refusals(change, admin_form(VALID | rule.values)) == {rule.field: [message]}
    assert supervisor_api.patch(f"{PRINTERS}/Desk", wire(rule.values), status=400) == v2_refusal(
        rule.field, message
    )
    desk.refresh_from_db()
    assert (desk.name, desk.driver, desk.folder) == ("Desk", "spool", "tickets")


@pytest.mark.parametrize(
    "folder",
    [
        pytest.param("tickets", id="relative"),
        pytest.param("a/../tickets", id="up-and-back-in"),
        pytest.param("{root}", id="the-root-itself"),
        pytest.param("{root}/desk", id="absolute-inside"),
        pytest.param("in/tickets", id="through-a-link-inside"),
    ],
)
def test_folders_under_the_spool_root_are_taken_alike(
    admin_forms, supervisor_api, spool_root, folder
):
    (spool_root / "tickets").mkdir()
    (spool_root / "in").symlink_to(spool_root / "tickets")
    folder = folder.format(root=spool_root)

    admin_forms.saves(ADD, admin_form(VALID | {"name": "By admin", "folder": folder}))
    supervisor_api.post(PRINTERS, wire(VALID | {"name": "By API", "folder": folder}), status=201)

    assert set(Printer.objects.values_list("folder", flat=True)) == {folder}


def test_the_spool_root_is_read_when_a_printer_is_checked(
    supervisor_api, monkeypatch, spool_root, tmp_path
):
    supervisor_api.post(PRINTERS, wire(VALID | {"folder": str(tmp_path / "b")}), status=400)

    monkeypatch.setenv("PRINT_SPOOL_ROOT", str(tmp_path))

    supervisor_api.post(PRINTERS, wire(VALID | {"folder": str(tmp_path / "b")}), status=201)


def test_the_default_spool_root_is_data_spool_in_the_project(monkeypatch, settings):
    monkeypatch.delenv("PRINT_SPOOL_ROOT", raising=False)
    root = (Path(settings.BASE_DIR) / "data" / "spool").resolve()

    Printer(name="Desk", folder=str(root / "tickets")).full_clean()
    Printer(name="Desk", folder="tickets").full_clean()
    with pytest.raises(ValidationError, match="must lie inside the spool root"):
        Printer(name="Desk", folder=str(root.parent)).full_clean()


def test_the_spool_driver_writes_a_relative_folder_inside_the_spool_root(spool_root):
    printer = Printer(name="Desk", driver="spool", folder="tickets")

    written = drivers.send(b"%PDF-1.4 test", printer, title="order-1-job-1")

    assert Path(written) == spool_root / "tickets" / "order-1-job-1.pdf"


# --- socket hosts: PRINT_SOCKET_HOSTS ---------------------------------------------------------

NOT_ALLOWED = "is not among the hosts socket printers may use (PRINT_SOCKET_HOSTS)"
SOCKET = VALID | {"driver": "socket", "folder": "", "port": 9100}


@pytest.mark.parametrize(
    "host",
    ["169.254.169.254", "127.0.0.1", "10.21.0.1", "db.internal", "printer.lab.evil"],
)
def test_a_socket_host_the_setting_does_not_allow_is_refused_alike(
    admin_forms, supervisor_api, monkeypatch, host
):
    monkeypatch.setenv("PRINT_SOCKET_HOSTS", "10.20.0.0/16, printer.lab")
    printer = SOCKET | {"host": host}

    assert admin_forms.refusals(ADD, admin_form(printer)) == {"host": [NOT_ALLOWED]}
    assert supervisor_api.post(PRINTERS, wire(printer), status=400) == v2_refusal(
        "host", NOT_ALLOWED
    )
    assert not Printer.objects.exists()


@pytest.mark.parametrize("host", ["10.20.3.4", "PRINTER.lab"])
def test_a_socket_host_the_setting_allows_is_taken_alike(
    admin_forms, supervisor_api, monkeypatch, host
):
    monkeypatch.setenv("PRINT_SOCKET_HOSTS", "10.20.0.0/16, printer.lab")

    admin_forms.saves(ADD, admin_form(SOCKET | {"name": "By admin", "host": host}))
    supervisor_api.post(PRINTERS, wire(SOCKET | {"name": "By API", "host": host}), status=201)

    assert set(Printer.objects.values_list("host", flat=True)) == {host}


def test_without_the_setting_any_socket_host_is_taken(supervisor_api, monkeypatch):
    monkeypatch.delenv("PRINT_SOCKET_HOSTS", raising=False)

    supervisor_api.post(PRINTERS, wire(SOCKET | {"host": "169.254.169.254"}), status=201)


def test_a_printer_saved_before_the_setting_narrowed_is_not_sent_to(monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        printer = Printer.objects.create(name="Old", driver="socket", host="127.0.0.1", port=port)
        monkeypatch.setenv("PRINT_SOCKET_HOSTS", "10.20.0.0/16")

        with pytest.raises(drivers.PrinterError) as refused:
            drivers.SocketDriver().send(b"%PDF-1.4", printer, title="ticket")

        assert str(refused.value) == (
            "Printer Old: its host is not among those PRINT_SOCKET_HOSTS allows"
        )
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing connected
