"""What a process keeps of the lab settings row (orders.LabSettings.load): read once per
LAB_SETTINGS_CACHE_SECONDS, a change made in this process counted at once, one made by another
process counted when that time runs out."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import pytest

from orders.models import LabSettings

SETTINGS_PAGE = "/admin/orders/labsettings/1/change/"


@pytest.fixture
def db(db):
    """The settings row exists, as in any lab that has been running."""
    LabSettings().save()


def reads(callable_) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as queries:
        result = callable_()
    return result, len(queries)


def test_the_settings_read_moments_ago_are_not_read_again(db):
    LabSettings.load()

    lab, statements = reads(LabSettings.load)

    assert statements == 0
    assert lab.pk == 1


def test_a_change_saved_in_this_process_counts_at_once(db):
    LabSettings.load()
    lab = LabSettings.load()
    lab.allow_hold_orders = False
    lab.save()

    assert LabSettings.load().allow_hold_orders is False


def test_a_change_by_another_process_counts_once_the_time_runs_out(db, clock, settings):
    settings.LAB_SETTINGS_CACHE_SECONDS = 5
    assert LabSettings.load().allow_hold_orders is True
    LabSettings.objects.filter(pk=1).update(allow_hold_orders=False)  # no signal: elsewhere

    clock(4.9)
    assert LabSettings.load().allow_hold_orders is True
    clock(0.2)

    assert LabSettings.load().allow_hold_orders is False


def test_a_read_for_update_always_reads_the_row(db):
    LabSettings.load()

    _, statements = reads(lambda: LabSettings.load(for_update=True))

    assert statements >= 1


def test_each_call_gets_its_own_copy(db):
    first = LabSettings.load()
    first.allow_hold_orders = False  # changed, not saved

    assert LabSettings.load().allow_hold_orders is True


def test_nothing_is_kept_when_the_setting_is_zero(db, settings):
    settings.LAB_SETTINGS_CACHE_SECONDS = 0
    LabSettings.load()

    _, statements = reads(LabSettings.load)

    assert statements == 1


def test_a_change_in_the_admin_counts_at_once_for_the_api(make_user, supervisor_api, make_order):
    order = make_order()
    LabSettings.load()
    admin = Client()
    admin.force_login(make_user("Supervisors", is_staff=True))
    form = admin.get(SETTINGS_PAGE).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data["enter_reason_code_when_deleting_order"] = "on"

    response = admin.post(SETTINGS_PAGE, data)

    assert response.status_code == 302, response.content[:2000]
    refused = supervisor_api.delete(f"/api/v2/orders/{order.number}", status=400)
    assert refused["error"] in {
        "The delete reasons file is empty",
        "Delete reason code does not exist",
    }
