"""A station's rules live on the model (orders.models.Station): the admin's forms and the Lab
API v2 refuse the same stations, in the same words.

Each rule is one row below, tried on both faces: the admin's add form refuses it under the
model field, the API refuses it under the wire name, with the same message.
"""

import pytest

from orders.models import Station

pytestmark = pytest.mark.django_db

ADD = "/admin/orders/station/add/"
STATIONS = "/api/v2/job_track/stations"
WIRE_NAMES = {"code": "code", "description": "desc"}

# A station both faces take.
VALID = {"code": "MIR", "description": "Mirror coating"}

RULES = [
    pytest.param({"code": "A R"}, "code", "use letters, digits, '-' or '_'", id="code-space"),
    pytest.param({"code": "AR/1"}, "code", "use letters, digits, '-' or '_'", id="code-slash"),
    pytest.param({"code": "ÄR"}, "code", "use letters, digits, '-' or '_'", id="code-not-ascii"),
    pytest.param({"code": "AR"}, "code", "station AR already exists", id="code-taken"),
]


@pytest.mark.parametrize(("values", "field", "message"), RULES)
def test_a_station_is_refused_alike_by_the_admin_and_the_api(
    admin_forms, supervisor_api, make_station, values, field, message
):
    make_station("AR")
    station = VALID | values

    assert admin_forms.refusals(ADD, station) == {field: [message]}
    body = supervisor_api.post(
        STATIONS, {WIRE_NAMES[name]: value for name, value in station.items()}, status=400
    )
    assert body == {
        "error": "Incorrect arguments provided",
        "details": [f"{WIRE_NAMES[field]}: {message}"],
    }
    assert list(Station.objects.values_list("code", flat=True)) == ["AR"]


def test_renaming_a_station_to_a_taken_code_in_the_admin_says_so(admin_forms, make_station):
    make_station("AR")
    surf = make_station("SURF")

    refusals = admin_forms.refusals(
        f"/admin/orders/station/{surf.pk}/change/", {"code": "AR", "description": "Surfacing"}
    )

    assert refusals == {"code": ["station AR already exists"]}


def test_codes_differing_only_in_case_are_taken_alike(admin_forms, supervisor_api, make_station):
    make_station("AR")

    admin_forms.saves(ADD, {"code": "ar", "description": "lower"})
    supervisor_api.post(STATIONS, {"code": "Ar", "desc": "mixed"}, status=201)

    assert sorted(Station.objects.values_list("code", flat=True)) == ["AR", "Ar", "ar"]
