"""GET/POST /api/v2/printers and GET/PATCH/DELETE /api/v2/printers/{name}: where tickets go."""

import pytest

from printing.models import Printer, PrintJob, PrintStatus, Workstation, WorkstationPort

pytestmark = pytest.mark.django_db

LIST = "/api/v2/printers"
INCORRECT = "Incorrect arguments provided"

# Measured: key lookup + key last-used write + 2 rights queries + count + page.
LIST_QUERY_CEILING = 6
# Measured: key lookup + key last-used write + 2 rights queries + printer.
DETAIL_QUERY_CEILING = 5


def url(name: str) -> str:
    return f"{LIST}/{name}"


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def payload(name: str, **values) -> dict:
    """The wire model of a spool printer with the defaults of a new one."""
    return {
        "name": name,
        "driver": "spool",
        "folder": f"/var/spool/labsite/{name}",
        "cupsQueue": None,
        "host": None,
        "port": 9100,
        "enabled": True,
    } | values


@pytest.fixture(autouse=True)
def spool_folders_anywhere(monkeypatch):
    """These tests are about the API's shapes, with spool folders such as ``/srv/tickets``: the
    spool root (``PRINT_SPOOL_ROOT``) is the file system's root here. Its rule is tested in
    test_printer_rules.py."""
    monkeypatch.setenv("PRINT_SPOOL_ROOT", "/")


@pytest.fixture
def make_printer(db):
    def make(name: str, **fields) -> Printer:
        fields.setdefault("driver", "spool")
        if fields["driver"] == "spool":
            fields.setdefault("folder", f"/var/spool/labsite/{name}")
        return Printer.objects.create(name=name, **fields)

    return make


def map_to_workstation_00(printer: Printer, *ports: int) -> None:
    WorkstationPort.objects.filter(workstation__code="00", number__in=ports).update(printer=printer)


def make_job(order, printer: Printer, status: str = PrintStatus.QUEUED) -> PrintJob:
    return PrintJob.objects.create(
        order=order,
        workstation=Workstation.objects.get(code="00"),
        port=1,
        printer=printer,
        status=status,
    )


# --- GET list -------------------------------------------------------------------------------------


def test_list_is_ordered_by_name_in_the_limit_offset_envelope(supervisor_api, make_printer):
    for name in ("Shop", "Back", "Front"):
        make_printer(name)

    body = supervisor_api.get(LIST, status=200, max_queries=LIST_QUERY_CEILING)

    assert body == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [payload("Back"), payload("Front"), payload("Shop")],
    }


def test_list_pages_with_limit_and_offset(supervisor_api, make_printer):
    for name in ("P1", "P2", "P3"):
        make_printer(name)

    body = supervisor_api.get(f"{LIST}?limit=1&offset=1", status=200)

    assert body == {
        "count": 3,
        "next": f"http://testserver{LIST}?limit=1&offset=2",
        "previous": f"http://testserver{LIST}?limit=1",
        "results": [payload("P2")],
    }


def test_empty_list(supervisor_api):
    body = supervisor_api.get(LIST, status=200)

    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_list_costs_the_same_queries_for_many_printers(supervisor_api, make_printer):
    for n in range(30):
        make_printer(f"P{n:02}")

    body = supervisor_api.get(LIST, status=200, max_queries=LIST_QUERY_CEILING)

    assert body["count"] == 30
    assert len(body["results"]) == 30


def test_bad_limit_is_incorrect_arguments(supervisor_api):
    body = supervisor_api.get(f"{LIST}?limit=abc", status=400)

    assert body == error(INCORRECT, "limit: must be a non-negative integer")


# --- POST: create ---------------------------------------------------------------------------------


def test_create_a_spool_printer(supervisor_api):
    body = supervisor_api.post(
        LIST, {"name": "Front desk", "driver": "spool", "folder": "/srv/tickets"}, status=201
    )

    assert body == payload("Front desk", folder="/srv/tickets")
    printer = Printer.objects.get(name="Front desk")
    assert (printer.driver, printer.folder, printer.port, printer.enabled) == (
        "spool",
        "/srv/tickets",
        9100,
        True,
    )


def test_create_a_cups_printer(supervisor_api):
    body = supervisor_api.post(
        LIST, {"name": "Office", "driver": "cups", "cupsQueue": "office_laser"}, status=201
    )

    assert body == payload("Office", driver="cups", folder=None, cupsQueue="office_laser")


def test_create_a_socket_printer(supervisor_api):
    body = supervisor_api.post(
        LIST,
        {"name": "Zebra", "driver": "socket", "host": "10.0.0.7", "port": 9101, "enabled": False},
        status=201,
    )

    assert body == payload(
        "Zebra", driver="socket", folder=None, host="10.0.0.7", port=9101, enabled=False
    )
    assert supervisor_api.get(url("Zebra"), status=200) == body


@pytest.mark.parametrize(
    ("driver", "setting"),
    [("spool", "folder"), ("cups", "cupsQueue"), ("socket", "host")],
)
def test_each_driver_requires_its_setting(supervisor_api, driver, setting):
    body = supervisor_api.post(LIST, {"name": "P", "driver": driver}, status=400)

    assert body == error(INCORRECT, f"{setting}: required for the {driver} driver")
    assert not Printer.objects.exists()


@pytest.mark.parametrize(
    ("driver", "setting"),
    [("spool", "folder"), ("cups", "cupsQueue"), ("socket", "host")],
)
@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_setting_counts_as_missing(supervisor_api, driver, setting, empty):
    body = supervisor_api.post(LIST, {"name": "P", "driver": driver, setting: empty}, status=400)

    assert body == error(INCORRECT, f"{setting}: required for the {driver} driver")


def test_another_drivers_setting_does_not_count(supervisor_api):
    body = supervisor_api.post(
        LIST, {"name": "P", "driver": "socket", "folder": "/srv/tickets"}, status=400
    )

    assert body == error(INCORRECT, "host: required for the socket driver")


def test_duplicate_name_is_refused(supervisor_api, make_printer):
    make_printer("Front")

    body = supervisor_api.post(
        LIST, {"name": "Front", "driver": "spool", "folder": "/x"}, status=400
    )

    assert body == error(INCORRECT, "name: printer Front already exists")
    assert Printer.objects.count() == 1


def test_unknown_driver_is_refused(supervisor_api):
    body = supervisor_api.post(LIST, {"name": "P", "driver": "laser", "folder": "/x"}, status=400)

    assert body == error(INCORRECT, 'driver: "laser" is not a valid choice.')


@pytest.mark.parametrize(
    ("port", "message"),
    [
        pytest.param(0, "Ensure this value is greater than or equal to 1.", id="zero"),
        pytest.param(65536, "Ensure this value is less than or equal to 65535.", id="65536"),
        pytest.param("9100", "A valid integer is required.", id="text"),
        pytest.param(True, "A valid integer is required.", id="boolean"),
    ],
)
def test_port_out_of_range_or_not_an_integer_is_refused(supervisor_api, port, message):
    body = supervisor_api.post(
        LIST, {"name": "P", "driver": "socket", "host": "h", "port": port}, status=400
    )

    assert body == error(INCORRECT, f"port: {message}")
    assert not Printer.objects.exists()


def test_unknown_field_is_refused(supervisor_api):
    body = supervisor_api.post(
        LIST, {"name": "P", "driver": "spool", "folder": "/x", "colour": "red"}, status=400
    )

    assert body == error(INCORRECT, "colour: unknown field")
    assert not Printer.objects.exists()


def test_name_and_driver_are_required(supervisor_api):
    body = supervisor_api.post(LIST, {}, status=400)

    assert body == error(
        INCORRECT, "name: This field is required.", "driver: This field is required."
    )


PATTERN = "name: This value does not match the required pattern."


@pytest.mark.parametrize(
    ("name", "details"),
    [
        pytest.param("", ["name: This field may not be blank."], id="empty"),
        pytest.param("a/b", [PATTERN], id="slash"),
        pytest.param("tab\there", [PATTERN], id="tab"),
        pytest.param(
            "x" * 51,
            ["name: Ensure this field has no more than 50 characters.", PATTERN],
            id="long",
        ),
    ],
)
def test_a_name_that_cannot_be_part_of_a_url_is_refused(supervisor_api, name, details):
    body = supervisor_api.post(LIST, {"name": name, "driver": "spool", "folder": "/x"}, status=400)

    assert body == error(INCORRECT, *details)
    assert not Printer.objects.exists()


def test_enabled_must_be_a_json_boolean(supervisor_api):
    body = supervisor_api.post(
        LIST, {"name": "P", "driver": "spool", "folder": "/x", "enabled": "yes"}, status=400
    )

    assert body == error(INCORRECT, "enabled: Must be a valid boolean.")


# --- GET one --------------------------------------------------------------------------------------


def test_get_answers_the_exact_payload(supervisor_api, make_printer):
    make_printer("Office", driver="cups", cups_queue="office_laser", enabled=False)

    body = supervisor_api.get(url("Office"), status=200, max_queries=DETAIL_QUERY_CEILING)

    assert body == {
        "name": "Office",
        "driver": "cups",
        "folder": None,
        "cupsQueue": "office_laser",
        "host": None,
        "port": 9100,
        "enabled": False,
    }
    assert list(body) == ["name", "driver", "folder", "cupsQueue", "host", "port", "enabled"]


def test_get_by_a_name_with_a_space(supervisor_api, make_printer):
    make_printer("Front desk")

    body = supervisor_api.get(url("Front%20desk"), status=200)

    assert body == payload("Front desk")


def test_names_are_case_sensitive(supervisor_api, make_printer):
    make_printer("Front")

    body = supervisor_api.get(url("front"), status=404)

    assert body == error("No record found", "Provided: front")


def test_unknown_printer_is_404(supervisor_api):
    body = supervisor_api.get(url("Nope"), status=404)

    assert body == error("No record found", "Provided: Nope")


# --- PATCH ----------------------------------------------------------------------------------------


def test_rename(supervisor_api, make_printer):
    printer = make_printer("Front")
    map_to_workstation_00(printer, 1)

    body = supervisor_api.patch(url("Front"), {"name": "Front desk"}, status=200)

    assert body == payload("Front desk", folder="/var/spool/labsite/Front")
    assert supervisor_api.get(url("Front"), status=404) == error(
        "No record found", "Provided: Front"
    )
    assert supervisor_api.get(url("Front%20desk"), status=200) == body
    ports = supervisor_api.get("/api/v2/workstations/00", status=200)["lptPorts"]
    assert ports["LPT1"] == "Front desk"  # the mapping follows the printer


def test_rename_to_its_own_name_is_allowed(supervisor_api, make_printer):
    make_printer("Front")

    body = supervisor_api.patch(url("Front"), {"name": "Front", "enabled": False}, status=200)

    assert body == payload("Front", enabled=False)


def test_rename_to_another_printers_name_is_refused(supervisor_api, make_printer):
    make_printer("Front")
    make_printer("Back")

    body = supervisor_api.patch(url("Front"), {"name": "Back"}, status=400)

    assert body == error(INCORRECT, "name: printer Back already exists")
    assert Printer.objects.filter(name="Front").exists()


def test_change_driver_with_its_setting(supervisor_api, make_printer):
    make_printer("Front")

    body = supervisor_api.patch(
        url("Front"), {"driver": "socket", "host": "10.0.0.9", "port": 9101}, status=200
    )

    # The spool folder is kept, so switching back needs nothing new.
    assert body == payload("Front", driver="socket", host="10.0.0.9", port=9101)
    printer = Printer.objects.get(name="Front")
    assert (printer.driver, printer.host, printer.port) == ("socket", "10.0.0.9", 9101)


def test_change_driver_to_cups(supervisor_api, make_printer):
    make_printer("Front")

    body = supervisor_api.patch(
        url("Front"), {"driver": "cups", "cupsQueue": "front_laser"}, status=200
    )

    assert body["driver"] == "cups"
    assert body["cupsQueue"] == "front_laser"


@pytest.mark.parametrize(
    ("driver", "setting"),
    [("cups", "cupsQueue"), ("socket", "host")],
)
def test_change_driver_without_its_setting_is_refused(
    supervisor_api, make_printer, driver, setting
):
    make_printer("Front")

    body = supervisor_api.patch(url("Front"), {"driver": driver}, status=400)

    assert body == error(INCORRECT, f"{setting}: required for the {driver} driver")
    assert Printer.objects.get(name="Front").driver == "spool"


def test_clearing_the_setting_the_driver_needs_is_refused(supervisor_api, make_printer):
    make_printer("Front")

    body = supervisor_api.patch(url("Front"), {"folder": None}, status=400)

    assert body == error(INCORRECT, "folder: required for the spool driver")
    assert Printer.objects.get(name="Front").folder == "/var/spool/labsite/Front"


def test_patch_changes_only_the_given_fields(supervisor_api, make_printer):
    make_printer("Zebra", driver="socket", host="10.0.0.7", port=9101)

    body = supervisor_api.patch(url("Zebra"), {"enabled": False}, status=200)

    assert body == payload(
        "Zebra", driver="socket", folder=None, host="10.0.0.7", port=9101, enabled=False
    )


def test_patch_refuses_unknown_fields(supervisor_api, make_printer):
    make_printer("Front")

    body = supervisor_api.patch(url("Front"), {"colour": "red", "enabled": False}, status=400)

    assert body == error(INCORRECT, "colour: unknown field")
    assert Printer.objects.get(name="Front").enabled is True


def test_patch_unknown_printer_is_404(supervisor_api):
    body = supervisor_api.patch(url("Nope"), {"enabled": False}, status=404)

    assert body == error("No record found", "Provided: Nope")


# --- DELETE ---------------------------------------------------------------------------------------


def test_delete_answers_204_and_its_lpt_ports_become_empty(supervisor_api, make_printer):
    printer = make_printer("Front")
    keep = make_printer("Back")
    map_to_workstation_00(printer, 1, 5)
    map_to_workstation_00(keep, 2)

    assert supervisor_api.delete(url("Front"), status=204) is None

    assert not Printer.objects.filter(name="Front").exists()
    ports = supervisor_api.get("/api/v2/workstations/00", status=200)["lptPorts"]
    assert ports == {f"LPT{n}": ("Back" if n == 2 else None) for n in range(1, 10)}
    assert WorkstationPort.objects.filter(workstation__code="00").count() == 9


def test_a_printer_with_print_jobs_is_in_use(supervisor_api, make_printer, make_order):
    printer = make_printer("Front")
    map_to_workstation_00(printer, 1)
    make_job(make_order(), printer, PrintStatus.DONE)
    make_job(make_order(), printer, PrintStatus.QUEUED)

    body = supervisor_api.delete(url("Front"), status=400)

    assert body == error("Printer in use", "Printer Front has 2 print job(s); disable it instead")
    assert Printer.objects.filter(name="Front").exists()
    assert WorkstationPort.objects.get(workstation__code="00", number=1).printer == printer


def test_a_job_queued_while_the_printer_is_deleted_keeps_it(
    supervisor_api, make_printer, make_order, monkeypatch
):
    printer = make_printer("Front")
    delete = Printer.delete

    def queued_meanwhile(self, *args, **kwargs):
        make_job(make_order(), self, PrintStatus.QUEUED)  # between the check and the delete
        return delete(self, *args, **kwargs)

    monkeypatch.setattr(Printer, "delete", queued_meanwhile)

    body = supervisor_api.delete(url("Front"), status=400)

    assert body == error("Printer in use", "Printer Front has 1 print job(s); disable it instead")
    assert Printer.objects.filter(pk=printer.pk).exists()


def test_a_printer_in_use_can_be_disabled_instead(supervisor_api, make_printer, make_order):
    printer = make_printer("Front")
    make_job(make_order(), printer, PrintStatus.DONE)

    body = supervisor_api.patch(url("Front"), {"enabled": False}, status=200)

    assert body["enabled"] is False


def test_delete_unknown_printer_is_404(supervisor_api):
    body = supervisor_api.delete(url("Nope"), status=404)

    assert body == error("No record found", "Provided: Nope")


# --- rights ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "right"),
    [
        pytest.param("get", LIST, None, "printing.view_printer", id="list"),
        pytest.param(
            "post",
            LIST,
            {"name": "P", "driver": "spool", "folder": "/x"},
            "printing.add_printer",
            id="create",
        ),
        pytest.param("get", url("Front"), None, "printing.view_printer", id="get"),
        pytest.param(
            "patch", url("Front"), {"enabled": False}, "printing.change_printer", id="patch"
        ),
        pytest.param("delete", url("Front"), None, "printing.delete_printer", id="delete"),
    ],
)
def test_lab_clients_may_not_configure_printers(
    client_api, make_printer, method, path, body, right
):
    make_printer("Front")

    answer = client_api.call(method, path, body, status=403)

    assert answer == error("Permission denied", f"Requires: {right}")
    assert list(Printer.objects.values_list("name", "enabled")) == [("Front", True)]


def test_no_rights_at_all_is_403(no_rights_api):
    body = no_rights_api.get(LIST, status=403)

    assert body == error("Permission denied", "Requires: printing.view_printer")


def test_the_view_right_alone_allows_reading_only(api_for, make_user, make_printer):
    api = api_for(make_user(rights=("printing.view_printer",)))
    make_printer("Front")

    assert api.get(url("Front"), status=200) == payload("Front")
    assert api.patch(url("Front"), {"enabled": False}, status=403) == error(
        "Permission denied", "Requires: printing.change_printer"
    )


def test_without_a_key_is_401(anonymous_api):
    body = anonymous_api.get(LIST, status=401)

    assert body == error("Authentication required")


@pytest.mark.parametrize("name", [".", "..", "-dash", "_x"])
def test_printer_names_must_start_with_a_letter_or_digit(supervisor_api, tmp_path, name):
    body = supervisor_api.post(
        "/api/v2/printers",
        {"name": name, "driver": "spool", "folder": str(tmp_path)},
        status=400,
    )

    assert body["error"] == "Incorrect arguments provided"
    assert body["details"][0].startswith("name: ")
    assert not Printer.objects.filter(name=name).exists()
