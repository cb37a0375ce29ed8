"""GET/PUT/PATCH /api/v2/workstations/{code}: a workstation's LPT1..LPT9 -> printer map.

Workstation 00 (the one print_ticket uses) is created by a migration with nine empty ports.
"""

import pytest

from printing.models import Printer, Workstation, WorkstationPort

pytestmark = pytest.mark.django_db

INCORRECT = "Incorrect arguments provided"
PORTS = [f"LPT{n}" for n in range(1, 10)]

# Measured: key lookup + key last-used write + 2 rights queries + workstation + ports + printers.
GET_QUERY_CEILING = 7
# Measured: the same 4 + printer names + savepoint, the named printers locked, get_or_create,
# existing ports, one bulk update, release + the payload's 3. Constant however many ports change.
PUT_QUERY_CEILING = 13


def url(code: str) -> str:
    return f"/api/v2/workstations/{code}"


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def lpt_ports(**mapped: str | None) -> dict:
    """The full LPT1..LPT9 map, empty except for the ports given (``LPT3="Front"``)."""
    return {port: mapped.get(port) for port in PORTS}


def stored_map(code: str = "00") -> dict:
    """What the database holds, port number -> printer name, for the ports that have a row."""
    return {
        port.number: port.printer.name if port.printer else None
        for port in WorkstationPort.objects.filter(workstation__code=code).select_related("printer")
    }


@pytest.fixture
def printers(db):
    return {
        name: Printer.objects.create(name=name, driver="spool", folder=f"/srv/{name}")
        for name in ("Front", "Back", "Shop")
    }


def map_ports(code: str = "00", **mapped: Printer | None) -> None:
    for port, printer in mapped.items():
        WorkstationPort.objects.filter(workstation__code=code, number=int(port[3:])).update(
            printer=printer
        )


# --- GET ------------------------------------------------------------------------------------------


def test_workstation_00_comes_with_nine_empty_ports(supervisor_api):
    body = supervisor_api.get(url("00"), status=200, max_queries=GET_QUERY_CEILING)

    assert body == {"code": "00", "description": "API printing", "lptPorts": lpt_ports()}
    assert list(body) == ["code", "description", "lptPorts"]
    assert list(body["lptPorts"]) == PORTS


def test_get_shows_the_printer_names_on_their_ports(supervisor_api, printers):
    map_ports(LPT1=printers["Front"], LPT9=printers["Back"])

    body = supervisor_api.get(url("00"), status=200, max_queries=GET_QUERY_CEILING)

    assert body["lptPorts"] == lpt_ports(LPT1="Front", LPT9="Back")


def test_get_unknown_workstation_is_404(supervisor_api):
    body = supervisor_api.get(url("99"), status=404)

    assert body == error("No record found", "Provided: 99")


@pytest.mark.parametrize("code", ["0", "000", "ab"])
def test_get_a_code_that_is_not_two_digits_is_404(supervisor_api, code):
    body = supervisor_api.get(url(code), status=404)

    assert body == error("No record found", f"Provided: {code}")


# --- PUT: replace the whole map -------------------------------------------------------------------


def test_put_replaces_the_whole_map(supervisor_api, printers):
    map_ports(LPT1=printers["Shop"], LPT5=printers["Shop"])

    body = supervisor_api.put(
        url("00"), {"lptPorts": {"LPT1": "Front", "LPT3": "Back"}}, status=200
    )

    assert body == {
        "code": "00",
        "description": "API printing",
        "lptPorts": lpt_ports(LPT1="Front", LPT3="Back"),
    }
    assert stored_map() == {n: {1: "Front", 3: "Back"}.get(n) for n in range(1, 10)}
    assert supervisor_api.get(url("00"), status=200) == body


def test_put_costs_the_same_queries_for_one_port_as_for_nine(supervisor_api, printers):
    supervisor_api.put(
        url("00"), {"lptPorts": {"LPT1": "Front"}}, status=200, max_queries=PUT_QUERY_CEILING
    )
    one_port = supervisor_api.last_queries

    supervisor_api.put(
        url("00"),
        {"lptPorts": {port: "Back" for port in PORTS}},
        status=200,
        max_queries=PUT_QUERY_CEILING,
    )

    assert supervisor_api.last_queries <= one_port


def test_put_with_nulls_empties_those_ports(supervisor_api, printers):
    map_ports(LPT2=printers["Front"])

    body = supervisor_api.put(url("00"), {"lptPorts": {"LPT2": None}}, status=200)

    assert body["lptPorts"] == lpt_ports()


def test_put_may_map_one_printer_to_several_ports(supervisor_api, printers):
    body = supervisor_api.put(
        url("00"), {"lptPorts": {port: "Front" for port in PORTS}}, status=200
    )

    assert body["lptPorts"] == {port: "Front" for port in PORTS}


def test_put_sets_the_description(supervisor_api):
    body = supervisor_api.put(url("00"), {"description": "Front office"}, status=200)

    assert body["description"] == "Front office"
    assert Workstation.objects.get(code="00").description == "Front office"


def test_put_to_a_new_two_digit_code_creates_it(supervisor_api, printers):
    body = supervisor_api.put(
        url("07"), {"description": "Shipping", "lptPorts": {"LPT2": "Shop"}}, status=200
    )

    assert body == {"code": "07", "description": "Shipping", "lptPorts": lpt_ports(LPT2="Shop")}
    assert stored_map("07") == {n: ("Shop" if n == 2 else None) for n in range(1, 10)}
    assert supervisor_api.get(url("07"), status=200) == body
    assert stored_map("00") == {n: None for n in range(1, 10)}  # 00 untouched


def test_patch_to_a_new_two_digit_code_creates_it(supervisor_api, printers):
    body = supervisor_api.patch(url("12"), {"lptPorts": {"LPT4": "Back"}}, status=200)

    assert body == {"code": "12", "description": None, "lptPorts": lpt_ports(LPT4="Back")}


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("code", ["7", "007", "ab", "0a"])
def test_a_code_that_is_not_two_digits_is_404_and_creates_nothing(supervisor_api, method, code):
    body = supervisor_api.call(method, url(code), {"description": "x"}, status=404)

    assert body == error("No record found", f"Provided: {code}")
    assert list(Workstation.objects.values_list("code", flat=True)) == ["00"]


# --- PATCH: change only the given ports -----------------------------------------------------------


def test_patch_changes_only_the_given_ports(supervisor_api, printers):
    map_ports(LPT1=printers["Front"], LPT2=printers["Back"], LPT3=printers["Shop"])

    body = supervisor_api.patch(
        url("00"), {"lptPorts": {"LPT2": "Shop", "LPT3": None, "LPT8": "Front"}}, status=200
    )

    assert body["lptPorts"] == lpt_ports(LPT1="Front", LPT2="Shop", LPT8="Front")
    mapped = {1: "Front", 2: "Shop", 8: "Front"}
    assert stored_map() == {n: mapped.get(n) for n in range(1, 10)}


def test_patch_of_the_description_leaves_the_ports_alone(supervisor_api, printers):
    map_ports(LPT1=printers["Front"])

    body = supervisor_api.patch(url("00"), {"description": "Front office"}, status=200)

    assert body == {
        "code": "00",
        "description": "Front office",
        "lptPorts": lpt_ports(LPT1="Front"),
    }


def test_patch_null_description_clears_it(supervisor_api):
    body = supervisor_api.patch(url("00"), {"description": None}, status=200)

    assert body["description"] is None
    assert Workstation.objects.get(code="00").description == ""


def test_a_new_mapping_is_what_print_ticket_uses(supervisor_api, printers, make_order):
    supervisor_api.patch(url("00"), {"lptPorts": {"LPT6": "Back"}}, status=200)
    order = make_order()

    supervisor_api.post(f"/api/v2/orders/{order.number}/print_ticket?lptPort=6", status=201)

    assert printers["Back"].jobs.get().port == 6


# --- refusals change nothing ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_mapping_to_an_unknown_printer_is_refused_and_nothing_changes(
    supervisor_api, printers, method
):
    map_ports(LPT1=printers["Front"])
    before = supervisor_api.get(url("00"), status=200)

    body = supervisor_api.call(
        method,
        url("00"),
        {"description": "changed", "lptPorts": {"LPT2": "Back", "LPT3": "Nope", "LPT4": "Gone"}},
        status=400,
    )

    assert body == error(INCORRECT, "lptPorts: no printer named Gone, Nope")
    assert supervisor_api.get(url("00"), status=200) == before


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("port", ["LPT10", "COM1", "LPT0", "lpt1", "1"])
def test_an_unknown_port_key_is_refused_and_nothing_changes(supervisor_api, printers, method, port):
    map_ports(LPT1=printers["Front"])
    before = supervisor_api.get(url("00"), status=200)

    body = supervisor_api.call(
        method, url("00"), {"lptPorts": {"LPT2": "Back", port: "Shop"}}, status=400
    )

    assert body == error(INCORRECT, f"lptPorts: unknown port(s) {port}; use LPT1..LPT9")
    assert supervisor_api.get(url("00"), status=200) == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_printer_deleted_while_the_map_is_saved_is_refused_and_nothing_changes(
    supervisor_api, printers, method, monkeypatch
):
    # Another request deletes "Back" after this one found it and before it saves the map.
    from printing.api import WorkstationSerializer

    validate = WorkstationSerializer.validate_lptPorts

    def validate_then_lose_back(serializer, value):
        mapped = validate(serializer, value)
        Printer.objects.filter(name="Back").delete()
        return mapped

    monkeypatch.setattr(WorkstationSerializer, "validate_lptPorts", validate_then_lose_back)
    map_ports(LPT1=printers["Front"])
    before = supervisor_api.get(url("00"), status=200)

    body = supervisor_api.call(
        method,
        url("00"),
        {"description": "changed", "lptPorts": {"LPT1": "Shop", "LPT2": "Back"}},
        status=400,
    )

    assert body == error(INCORRECT, "lptPorts: no printer named Back")
    assert supervisor_api.get(url("00"), status=200) == before


def test_a_refused_put_to_a_new_code_creates_nothing(supervisor_api):
    body = supervisor_api.put(url("07"), {"lptPorts": {"LPT1": "Nope"}}, status=400)

    assert body == error(INCORRECT, "lptPorts: no printer named Nope")
    assert not Workstation.objects.filter(code="07").exists()
    assert supervisor_api.get(url("07"), status=404) == error("No record found", "Provided: 07")


def test_unknown_field_is_refused(supervisor_api):
    body = supervisor_api.patch(url("00"), {"code": "01", "description": "x"}, status=400)

    assert body == error(INCORRECT, "code: unknown field")
    assert Workstation.objects.get(code="00").description == "API printing"


def test_lpt_ports_must_be_an_object(supervisor_api):
    body = supervisor_api.put(url("00"), {"lptPorts": ["LPT1"]}, status=400)

    assert body == error(INCORRECT, 'lptPorts: Expected a dictionary of items but got type "list".')


# --- rights ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "body", "right"),
    [
        pytest.param("get", None, "printing.view_workstation", id="get"),
        pytest.param("put", {"lptPorts": {}}, "printing.change_workstation", id="put"),
        pytest.param("patch", {"description": "x"}, "printing.change_workstation", id="patch"),
    ],
)
def test_lab_clients_may_not_configure_workstations(client_api, method, body, right):
    answer = client_api.call(method, url("00"), body, status=403)

    assert answer == error("Permission denied", f"Requires: {right}")
    assert Workstation.objects.get(code="00").description == "API printing"


def test_the_view_right_alone_allows_reading_only(api_for, make_user):
    api = api_for(make_user(rights=("printing.view_workstation",)))

    assert api.get(url("00"), status=200)["code"] == "00"
    assert api.patch(url("00"), {"description": "x"}, status=403) == error(
        "Permission denied", "Requires: printing.change_workstation"
    )


def test_workstations_are_never_deleted_through_the_api(supervisor_api):
    body = supervisor_api.delete(url("00"), status=405)

    assert body == error("Method not allowed", "Provided: DELETE")
    assert Workstation.objects.filter(code="00").exists()


def test_without_a_key_is_401(anonymous_api):
    body = anonymous_api.get(url("00"), status=401)

    assert body == error("Authentication required")
