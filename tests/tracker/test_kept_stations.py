"""What a process keeps of the stations it checks orders in at (tracker.services): found once
per LAB_SETTINGS_CACHE_SECONDS, forgotten at once when this process saves or deletes a
station, and checked against the database when a check-in locks its order."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from orders.models import OrderEvent, Station
from tracker.models import CheckIn
from tracker.services import find_station, forget_stations

pytestmark = pytest.mark.django_db

URL = "/api/v2/job_track/stations/SURF"


@pytest.fixture
def surf(make_station):
    return make_station("SURF", description="Surfacing", customer_description="In surfacing")


def station_lookups(queries) -> list[str]:
    """The statements that look a station up by its code."""
    return [q["sql"] for q in queries if '"orders_station"."code" =' in q["sql"]]


def check_in(api, order, *, status=201, **extra):
    with CaptureQueriesContext(connection) as queries:
        body = api.post(URL, {"orderIdentifier": str(order.number), **extra}, status=status)
    return body, queries


def test_a_station_found_moments_ago_is_not_looked_up_again(supervisor_api, make_order, surf):
    _, first = check_in(supervisor_api, make_order())
    body, kept = check_in(supervisor_api, make_order())
    forget_stations()
    _, afresh = check_in(supervisor_api, make_order())

    assert len(station_lookups(first)) == 1
    assert station_lookups(kept) == []
    assert len(kept) == len(afresh) - 1
    assert (body["code"], body["desc"]) == ("SURF", "Surfacing")


def test_a_station_saved_in_this_process_counts_at_once(supervisor_api, make_order, surf):
    check_in(supervisor_api, make_order())
    surf.requires_operator = True
    surf.save()

    body, _ = check_in(supervisor_api, make_order(), status=400)

    assert body == {"error": "Checkin not performed", "details": ["Operator required"]}


def test_a_kept_station_deleted_by_another_process_is_not_found(supervisor_api, make_order, surf):
    assert find_station("SURF") == surf  # now kept; never used, so it may be deleted
    order = make_order()
    with connection.cursor() as cursor:  # as another process would: no signal here
        cursor.execute("DELETE FROM orders_station WHERE id = %s", [surf.pk])

    body, _ = check_in(supervisor_api, order, status=400)
    again, queries = check_in(supervisor_api, order, status=400)

    assert body == again == {"error": "Checkin not performed", "details": ["Station not found"]}
    assert not CheckIn.objects.filter(order=order).exists()
    assert not OrderEvent.objects.filter(order=order, kind="checkin").exists()
    assert len(station_lookups(queries)) == 1  # forgotten: looked up afresh


def test_a_change_by_another_process_counts_once_the_time_runs_out(
    supervisor_api, make_order, surf, clock, settings
):
    settings.LAB_SETTINGS_CACHE_SECONDS = 5
    check_in(supervisor_api, make_order())
    Station.objects.filter(pk=surf.pk).update(description="Surfacing, line 2")  # no signal

    clock(4.9)
    kept, _ = check_in(supervisor_api, make_order())
    clock(0.2)
    fresh, _ = check_in(supervisor_api, make_order())

    assert kept["desc"] == "Surfacing"
    assert fresh["desc"] == "Surfacing, line 2"


def test_nothing_is_kept_when_the_setting_is_zero(supervisor_api, make_order, surf, settings):
    settings.LAB_SETTINGS_CACHE_SECONDS = 0
    check_in(supervisor_api, make_order())

    _, queries = check_in(supervisor_api, make_order())

    assert len(station_lookups(queries)) == 1


def test_operators_are_looked_up_every_time(supervisor_api, make_order, surf, make_station):
    make_station("OP1", description="Operator 1", is_operator=True)
    check_in(supervisor_api, make_order(), operator="OP1")

    _, queries = check_in(supervisor_api, make_order(), operator="OP1")

    assert [sql for sql in station_lookups(queries) if "OP1" in sql or "%s" in sql]
    assert len(station_lookups(queries)) == 1  # the operator's; the station was kept


def test_each_check_in_gets_its_own_copy_of_a_kept_station(supervisor_api, make_order, surf):
    check_in(supervisor_api, make_order())
    first = find_station("SURF")
    first.description = "changed by one request"

    assert find_station("SURF").description == "Surfacing"
