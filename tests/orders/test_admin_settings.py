"""The lab settings page explains, in plain words, what each setting changes, quoting the
answers API clients get because of it."""

from django.test import Client

import pytest

from orders.models import LabSettings
from orders.settings_registry import LAB_SETTINGS

SETTINGS_PAGE = "/admin/orders/labsettings/1/change/"


@pytest.fixture
def page(make_user):
    LabSettings.load()
    client = Client()
    client.force_login(make_user("Supervisors", is_staff=True))
    response = client.get(SETTINGS_PAGE)
    assert response.status_code == 200
    return response.content.decode()


def test_every_setting_is_declared_once():
    editable = [
        field.name
        for field in LabSettings._meta.concrete_fields
        if field.editable and not field.primary_key
    ]
    declared = [setting.field for setting in LAB_SETTINGS]
    assert sorted(declared) == sorted(editable)
    assert len(set(declared)) == len(declared)


def test_every_setting_is_on_the_page_with_its_explanation(page):
    for setting in LAB_SETTINGS:
        assert f'name="{setting.field}"' in page, setting.field
        assert setting.help in page, setting.field


def test_the_reason_code_setting_says_what_api_clients_get_without_a_code(page):
    for text in (
        "Enter reason code when deleting order",
        "deleteReason parameter of DELETE /api/v2/orders/{id}",
        '400 "Delete reason code does not exist"',
        '400 "The delete reasons file is empty"',
        "one sent anyway is ignored",
    ):
        assert text in page, text


@pytest.mark.parametrize(
    "quoted",
    [
        "Job Tracker module required for cancel method",
        "Hold orders are not allowed",
        "Job Tracker is not running",
        "Order waiting for tray",
        "Needs AR Coat!",
    ],
)
def test_the_other_settings_quote_the_refusals_they_cause(page, quoted):
    assert f'{quoted}"' in page


def test_each_group_of_settings_is_introduced(page):
    assert "Cancelling marks an order for cancelation; nothing is deleted." in page
    assert "When work tickets may print, and on what paper." in page
