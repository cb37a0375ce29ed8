"""The lab settings' rules live on the model (orders.models.LabSettings): the admin's settings
page and PATCH /api/v2/settings refuse the same values, in the same words."""

from django.db import models

import pytest

from orders.models import LabSettings, LabSettingsChange

pytestmark = pytest.mark.django_db

PAGE = "/admin/orders/labsettings/1/change/"
SETTINGS = "/api/v2/settings"

RULES = [
    pytest.param(4, "Ensure this value is greater than or equal to 5.", id="heartbeat-4"),
    pytest.param(3601, "Ensure this value is less than or equal to 3600.", id="heartbeat-3601"),
]


def settings_form(**values) -> dict:
    """The settings page as a supervisor sends it: every setting, flags ticked or not."""
    lab = LabSettings.load()
    form = {}
    for field in LabSettings._meta.concrete_fields:
        if field.primary_key or not field.editable:
            continue
        value = getattr(lab, field.attname)
        if isinstance(field, models.BooleanField):
            if value:
                form[field.name] = "on"
        else:
            form[field.name] = str(value)
    return form | {name: str(value) for name, value in values.items()}


@pytest.mark.parametrize(("heartbeat", "message"), RULES)
def test_a_heartbeat_window_is_refused_alike_by_the_admin_and_the_api(
    admin_forms, supervisor_api, heartbeat, message
):
    refusals = admin_forms.refusals(PAGE, settings_form(tracker_heartbeat_seconds=heartbeat))

    assert refusals == {"tracker_heartbeat_seconds": [message]}
    assert supervisor_api.patch(SETTINGS, {"trackerHeartbeatSeconds": heartbeat}, status=400) == {
        "error": "Incorrect arguments provided",
        "details": [f"trackerHeartbeatSeconds: {message}"],
    }
    assert LabSettings.load().tracker_heartbeat_seconds == 30
    assert not LabSettingsChange.objects.exists()


@pytest.mark.parametrize("heartbeat", [5, 3600])
def test_the_heartbeat_bounds_are_taken_alike(admin_forms, supervisor_api, heartbeat):
    admin_forms.saves(PAGE, settings_form(tracker_heartbeat_seconds=heartbeat))
    assert LabSettings.load().tracker_heartbeat_seconds == heartbeat

    supervisor_api.patch(SETTINGS, {"trackerHeartbeatSeconds": 30}, status=200)
    supervisor_api.patch(SETTINGS, {"trackerHeartbeatSeconds": heartbeat}, status=200)
    assert LabSettings.load().tracker_heartbeat_seconds == heartbeat
