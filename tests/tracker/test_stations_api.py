"""GET/POST/PATCH/DELETE /api/v2/job_track/stations: the stations an order is checked in at."""

import pytest

from orders.models import Station
from tracker.models import CheckIn

pytestmark = pytest.mark.django_db

LIST = "/api/v2/job_track/stations"

# Measured: key lookup + key last-used write + 2 rights queries + count + page.
LIST_QUERY_CEILING = 6


def url(code: str) -> str:
    return f"{LIST}/{code}"


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def payload(code: str, **values) -> dict:
    """The wire model of a station with the defaults of a new one."""
    return {
        "code": code,
        "desc": f"Station {code}",
        "customerDesc": None,
        "operator": False,
        "nonCancel": False,
        "requiresOperator": False,
        "flowStep": None,
    } | values


# --- GET list -------------------------------------------------------------------------------------


def test_list_is_ordered_by_code_in_the_limit_offset_envelope(supervisor_api, make_station):
    for code in ("QA", "AR", "SURF"):
        make_station(code)

    body = supervisor_api.get(LIST, status=200, max_queries=LIST_QUERY_CEILING)

    assert body == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [payload("AR"), payload("QA"), payload("SURF")],
    }


def test_list_pages_with_limit_and_offset(supervisor_api, make_station):
    for code in ("A1", "A2", "A3"):
        make_station(code)

    body = supervisor_api.get(f"{LIST}?limit=1&offset=1", status=200)

    assert body == {
        "count": 3,
        "next": f"http://testserver{LIST}?limit=1&offset=2",
        "previous": f"http://testserver{LIST}?limit=1",
        "results": [payload("A2")],
    }


def test_empty_list(supervisor_api):
    body = supervisor_api.get(LIST, status=200)

    assert body == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize(
    ("query", "details"),
    [
        pytest.param("limit=abc", ["limit: must be a non-negative integer"], id="limit-text"),
        pytest.param("limit=-1", ["limit: must be a non-negative integer"], id="limit-negative"),
        pytest.param("offset=x", ["offset: must be a non-negative integer"], id="offset-text"),
    ],
)
def test_bad_paging_is_400(supervisor_api, query, details):
    body = supervisor_api.get(f"{LIST}?{query}", status=400)

    assert body == error("Incorrect arguments provided", *details)


def test_list_cost_does_not_depend_on_the_number_of_stations(supervisor_api, make_station):
    make_station("A1")
    supervisor_api.get(LIST, status=200)  # warm-up: the key's last-used write
    supervisor_api.get(LIST, status=200)
    one = supervisor_api.last_queries
    for index in range(2, 30):
        make_station(f"A{index}")

    supervisor_api.get(LIST, status=200, max_queries=LIST_QUERY_CEILING)

    assert supervisor_api.last_queries == one


# --- GET one --------------------------------------------------------------------------------------


def test_get_station_answers_its_exact_payload(supervisor_api, make_station):
    make_station(
        "AR",
        description="AR coating",
        customer_description="Coating",
        non_cancel=True,
        requires_operator=True,
        flow_step="ar_coat",
    )

    body = supervisor_api.get(url("AR"), status=200)

    assert body == {
        "code": "AR",
        "desc": "AR coating",
        "customerDesc": "Coating",
        "operator": False,
        "nonCancel": True,
        "requiresOperator": True,
        "flowStep": "ar_coat",
    }
    assert list(body) == [
        "code",
        "desc",
        "customerDesc",
        "operator",
        "nonCancel",
        "requiresOperator",
        "flowStep",
    ]


def test_get_operator_station(supervisor_api, make_station):
    make_station("OP1", is_operator=True)

    body = supervisor_api.get(url("OP1"), status=200)

    assert body == payload("OP1", operator=True)


@pytest.mark.parametrize("code", ["NOPE", "ar"])
def test_unknown_station_is_404(supervisor_api, make_station, code):
    make_station("AR")

    body = supervisor_api.get(url(code), status=404)

    assert body == error("No record found", f"Provided: {code}")


# --- POST (create) --------------------------------------------------------------------------------


def test_create_station_answers_201_with_the_station(supervisor_api):
    body = supervisor_api.post(
        LIST,
        {
            "code": "AR",
            "desc": "AR coating",
            "customerDesc": "Coating",
            "nonCancel": True,
            "requiresOperator": True,
            "flowStep": "ar_coat",
        },
        status=201,
    )

    assert body == payload(
        "AR",
        desc="AR coating",
        customerDesc="Coating",
        nonCancel=True,
        requiresOperator=True,
        flowStep="ar_coat",
    )
    station = Station.objects.get(code="AR")
    assert (
        station.description,
        station.customer_description,
        station.is_operator,
        station.non_cancel,
        station.requires_operator,
        station.flow_step,
    ) == ("AR coating", "Coating", False, True, True, "ar_coat")
    assert supervisor_api.get(url("AR"), status=200) == body


def test_create_with_only_the_required_fields(supervisor_api):
    body = supervisor_api.post(LIST, {"code": "QA", "desc": "Station QA"}, status=201)

    assert body == payload("QA")


def test_create_operator_station(supervisor_api):
    body = supervisor_api.post(
        LIST, {"code": "OP1", "desc": "Station OP1", "operator": True}, status=201
    )

    assert body == payload("OP1", operator=True)


def test_codes_differing_only_in_case_are_distinct_stations(supervisor_api, make_station):
    make_station("AR")

    supervisor_api.post(LIST, {"code": "ar", "desc": "lower"}, status=201)

    assert sorted(Station.objects.values_list("code", flat=True)) == ["AR", "ar"]


@pytest.mark.parametrize(
    ("data", "details"),
    [
        pytest.param(
            {"code": "AR", "desc": "again"}, ["code: station AR already exists"], id="duplicate"
        ),
        pytest.param(
            {"code": "A R", "desc": "x"},
            ["code: use letters, digits, '-' or '_'"],
            id="bad-code",
        ),
        pytest.param(
            {"code": "ABCDEFGHIJK", "desc": "x"},
            ["code: Ensure this field has no more than 10 characters."],
            id="code-too-long",
        ),
        pytest.param(
            {"code": "XY", "desc": "x", "flowStep": "painting"},
            ['flowStep: "painting" is not a valid choice.'],
            id="bad-flow-step",
        ),
        pytest.param(
            {"code": "XY", "desc": "x", "nonCancel": "yes"},
            ["nonCancel: Must be a valid boolean."],
            id="non-boolean-flag",
        ),
        pytest.param(
            {"code": "XY", "desc": "x", "colour": "red"},
            ["colour: unknown field"],
            id="unknown-field",
        ),
        pytest.param({"code": "XY"}, ["desc: This field is required."], id="missing-desc"),
    ],
)
def test_create_with_bad_data_is_400(supervisor_api, make_station, data, details):
    make_station("AR")

    body = supervisor_api.post(LIST, data, status=400)

    assert body == error("Incorrect arguments provided", *details)
    assert list(Station.objects.values_list("code", flat=True)) == ["AR"]


# --- PATCH ----------------------------------------------------------------------------------------


def test_patch_changes_the_given_fields_only(supervisor_api, make_station):
    make_station("AR", description="AR coating", customer_description="Coating")

    body = supervisor_api.patch(
        url("AR"), {"desc": "Anti-reflective", "nonCancel": True, "flowStep": "ar_coat"}, status=200
    )

    assert body == payload(
        "AR", desc="Anti-reflective", customerDesc="Coating", nonCancel=True, flowStep="ar_coat"
    )
    station = Station.objects.get(code="AR")
    assert (station.description, station.customer_description, station.non_cancel) == (
        "Anti-reflective",
        "Coating",
        True,
    )
    assert station.flow_step == "ar_coat"


def test_patch_null_clears_customer_desc_and_flow_step(supervisor_api, make_station):
    make_station("AR", customer_description="Coating", flow_step="ar_coat")

    body = supervisor_api.patch(url("AR"), {"customerDesc": None, "flowStep": None}, status=200)

    assert body == payload("AR")
    station = Station.objects.get(code="AR")
    assert (station.customer_description, station.flow_step) == ("", "")


def test_patch_with_the_same_code_is_allowed(supervisor_api, make_station):
    make_station("AR")

    body = supervisor_api.patch(url("AR"), {"code": "AR", "desc": "renamed"}, status=200)

    assert body == payload("AR", desc="renamed")


def test_patch_cannot_change_the_code(supervisor_api, make_station):
    make_station("AR")

    body = supervisor_api.patch(url("AR"), {"code": "AC"}, status=400)

    assert body == error("Incorrect arguments provided", "code: cannot be changed")
    assert list(Station.objects.values_list("code", flat=True)) == ["AR"]


@pytest.mark.parametrize(
    ("data", "details"),
    [
        pytest.param(
            {"flowStep": "painting"},
            ['flowStep: "painting" is not a valid choice.'],
            id="bad-flow-step",
        ),
        pytest.param({"colour": "red"}, ["colour: unknown field"], id="unknown-field"),
    ],
)
def test_patch_with_bad_data_is_400(supervisor_api, make_station, data, details):
    make_station("AR", flow_step="ar_coat")

    body = supervisor_api.patch(url("AR"), data, status=400)

    assert body == error("Incorrect arguments provided", *details)
    assert Station.objects.get(code="AR").flow_step == "ar_coat"


def test_patch_unknown_station_is_404(supervisor_api):
    body = supervisor_api.patch(url("NOPE"), {"desc": "x"}, status=404)

    assert body == error("No record found", "Provided: NOPE")


# --- DELETE ---------------------------------------------------------------------------------------


def test_delete_unused_station_is_204(supervisor_api, make_station):
    make_station("AR")

    assert supervisor_api.delete(url("AR"), status=204) is None

    assert not Station.objects.filter(code="AR").exists()
    supervisor_api.get(url("AR"), status=404)


def test_delete_station_with_a_checkin_is_refused(
    supervisor_api, make_order, make_station, check_in
):
    station = make_station("AR")
    check_in(make_order(), station)

    body = supervisor_api.delete(url("AR"), status=400)

    assert body == error("Station in use", "Station AR is referenced by 1 check-in(s)")
    assert Station.objects.filter(code="AR").exists()


def test_a_checkin_made_while_the_station_is_deleted_keeps_it(
    supervisor_api, make_order, make_station, check_in, monkeypatch
):
    station = make_station("AR")
    delete = Station.delete

    def checked_in_meanwhile(self, *args, **kwargs):
        check_in(make_order(), self)  # between the check and the delete
        return delete(self, *args, **kwargs)

    monkeypatch.setattr(Station, "delete", checked_in_meanwhile)

    body = supervisor_api.delete(url("AR"), status=400)

    assert body == error("Station in use", "Station AR is referenced by 1 check-in(s)")
    assert Station.objects.filter(pk=station.pk).exists()


def test_delete_operator_station_with_a_checkin_is_refused(
    supervisor_api, make_order, make_station
):
    surf = make_station("SURF")
    operator = make_station("OP1", is_operator=True)
    CheckIn.objects.create(order=make_order(), station=surf, operator=operator)

    body = supervisor_api.delete(url("OP1"), status=400)

    assert body == error("Station in use", "Station OP1 is referenced by 1 check-in(s)")
    assert Station.objects.filter(code="OP1").exists()


def test_delete_counts_every_checkin(supervisor_api, make_order, make_station, check_in):
    station = make_station("AR")
    check_in(make_order(), station)
    check_in(make_order(), station)

    body = supervisor_api.delete(url("AR"), status=400)

    assert body == error("Station in use", "Station AR is referenced by 2 check-in(s)")


def test_delete_unknown_station_is_404(supervisor_api):
    body = supervisor_api.delete(url("NOPE"), status=404)

    assert body == error("No record found", "Provided: NOPE")


# --- rights ---------------------------------------------------------------------------------------


def test_lab_clients_may_read_stations(client_api, make_station):
    make_station("AR")

    assert client_api.get(LIST, status=200)["results"] == [payload("AR")]
    assert client_api.get(url("AR"), status=200) == payload("AR")


def test_lab_clients_may_not_create_stations(client_api):
    body = client_api.post(LIST, {"code": "AR", "desc": "x"}, status=403)

    assert body == error("Permission denied", "Requires: orders.add_station")
    assert not Station.objects.exists()


def test_lab_clients_may_not_change_stations(client_api, make_station):
    make_station("AR")

    body = client_api.patch(url("AR"), {"desc": "changed"}, status=403)

    assert body == error("Permission denied", "Requires: orders.change_station")
    assert Station.objects.get(code="AR").description == "Station AR"


def test_lab_clients_may_not_delete_stations(client_api, make_station):
    make_station("AR")

    body = client_api.delete(url("AR"), status=403)

    assert body == error("Permission denied", "Requires: orders.delete_station")
    assert Station.objects.filter(code="AR").exists()


def test_reading_stations_needs_the_view_right(no_rights_api, make_station):
    make_station("AR")

    assert no_rights_api.get(LIST, status=403) == error(
        "Permission denied", "Requires: orders.view_station"
    )
    assert no_rights_api.get(url("AR"), status=403) == error(
        "Permission denied", "Requires: orders.view_station"
    )


def test_stations_without_a_key_is_401(anonymous_api):
    assert anonymous_api.get(LIST, status=401) == error("Authentication required")
