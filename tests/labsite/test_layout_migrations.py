"""The re-layering moved models between apps: API keys, partners and failed logins from the
project package's app to ``accounts``, worker heartbeats to ``toolkit``, stations from
``tracker`` to ``orders``. A lab that upgrades keeps its rows, its foreign keys and the rights
its groups hold on those models; and the move can be undone."""

from django.db import connection

import pytest

from tests.migrating import migrate

# Migrations run outside any transaction, so a transactional test; serialized_rollback keeps the
# flush that ends it from removing what the migrations made (groups, rights) for later tests.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE_THE_MOVES = [
    ("labsite", "0005_apipartner"),
    ("tracker", "0003_tracker_rights"),
    ("orders", "0010_work_in_progress_index"),
    ("accounts", None),
    ("toolkit", None),
]

LOCKOUT_RIGHTS = {
    ("accessattempt", "view_accessattempt"),
    ("accessattempt", "delete_accessattempt"),
    ("accesslog", "view_accesslog"),
    ("accessfailurelog", "view_accessfailurelog"),
}
CUSTOMER_RIGHTS = {
    ("customer", f"{action}_customer") for action in ("view", "add", "change", "delete")
}
ADDON_RIGHTS = {("addon", f"{action}_addon") for action in ("view", "add", "change", "delete")}
STOCK_RIGHTS = {("order", "add_stock_order")} | {
    ("product", f"{action}_product") for action in ("view", "add", "change", "delete")
}

CALCULATION_RIGHTS = {("order", "record_calculation")}
FLOOR_RIGHTS = {("order", "assign_tray"), ("order", "pick"), ("orderpick", "view_orderpick")}
DISPLAY_RIGHTS = {
    ("displaylink", "view_displaylink"),
    ("displaylink", "add_displaylink"),
    ("displaylink", "change_displaylink"),
    ("floorpage", "view_dynamic_display"),
}
WEBHOOK_RIGHTS = {("subscription", "manage_webhooks"), ("delivery", "view_delivery")}


def test_an_upgraded_lab_keeps_its_rows_links_and_rights(latest):
    old = migrate(BEFORE_THE_MOVES)
    user = old.get_model("auth", "User").objects.create(username="ops")
    key = old.get_model("labsite", "ApiKey").objects.create(
        user=user, name="client", prefix="lab_abc", key_hash="h" * 64
    )
    old.get_model("labsite", "WorkerHeartbeat").objects.create(kind="tracker", worker_id="t1")
    station = old.get_model("tracker", "Station").objects.create(code="SURF", description="S")
    order = old.get_model("orders", "Order").objects.create(
        number=70001, tray="7", current_station=station
    )
    old.get_model("tracker", "CheckIn").objects.create(order=order, station=station)
    supervisors = old.get_model("auth", "Group").objects.get(name="Supervisors")
    held_before = set(supervisors.permissions.values_list("content_type__model", "codename"))

    new = migrate(latest)

    assert new.get_model("accounts", "ApiKey").objects.get().pk == key.pk
    assert new.get_model("toolkit", "WorkerHeartbeat").objects.get().worker_id == "t1"
    moved = new.get_model("orders", "Station").objects.get()
    assert (moved.pk, moved.code) == (station.pk, "SURF")
    assert new.get_model("orders", "Order").objects.get().current_station_id == station.pk
    assert new.get_model("tracker", "CheckIn").objects.get().station_id == station.pk
    supervisors = new.get_model("auth", "Group").objects.get(name="Supervisors")
    # What they held, the rights to see and clear login lockouts (labsite 0007), and those
    # of the customers (orders 0016), the addons (orders 0021), stock orders (0022) and
    # calculations (0023), the floor's trays and picks (0024) and the Dynamic Display
    # (workstations 0002), and the webhooks (webhooks 0002).
    assert set(supervisors.permissions.values_list("content_type__model", "codename")) == (
        held_before
        | LOCKOUT_RIGHTS
        | CUSTOMER_RIGHTS
        | ADDON_RIGHTS
        | STOCK_RIGHTS
        | CALCULATION_RIGHTS
        | FLOOR_RIGHTS
        | DISPLAY_RIGHTS
        | WEBHOOK_RIGHTS
    )
    assert set(
        supervisors.permissions.filter(content_type__model="station").values_list(
            "content_type__app_label", flat=True
        )
    ) == {"orders"}
    tables = set(connection.introspection.table_names())
    assert {"accounts_apikey", "toolkit_workerheartbeat", "orders_station"} <= tables
    assert not {"labsite_apikey", "labsite_workerheartbeat", "tracker_station"} & tables


def test_the_moves_can_be_undone(latest):
    migrate(BEFORE_THE_MOVES)

    tables = set(connection.introspection.table_names())
    assert {"labsite_apikey", "labsite_workerheartbeat", "tracker_station"} <= tables
    assert not {"accounts_apikey", "toolkit_workerheartbeat", "orders_station"} & tables
