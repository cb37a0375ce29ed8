"""Read-your-writes across web processes: two gunicorn servers (one worker each) on one
database, as a production host's workers are. A change made through one process, or by a
script (a third process), is honoured by the other on its very next request.

Before each change the other process serves a request that reads what is about to change (so
that anything it kept would be warm); right after the change, its next request must see it.
"""

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from tests.served import manage, serve, served_database

# Run once in the served database: users, keys, a partner, orders and settings the tests use.
SET_UP = """
import json
from django.contrib.auth.models import Group, Permission, User
from accounts.models import ApiKey, ApiPartner
from orders.models import LabSettings
from orders.services import NewItem, NewOrder, create_order
from tests.jobs import A_LENS

def permission(label):
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)

view = permission("orders.view_order")
readers = Group.objects.create(name="two-process readers")
readers.permissions.add(view)
keys = {}
for name in ("revoked", "deleted", "deactivated", "direct", "member", "grouped"):
    user = User.objects.create_user(f"two-process-{name}")
    if name == "member" or name == "grouped":
        user.groups.add(Group.objects.create(name=f"two-process {name}") if name == "grouped"
                        else readers)
    else:
        user.user_permissions.add(view)
    keys[name] = ApiKey.issue(user=user, name=f"two-process {name}")[1]
Group.objects.get(name="two-process grouped").permissions.add(view)
floor = User.objects.create_user("two-process-floor", password="two-process floor password")
floor.user_permissions.add(view)
boss = User.objects.create_superuser("two-process-boss", None, None)
keys["boss"] = ApiKey.issue(user=boss, name="two-process boss")[1]
partner, partner_key = ApiPartner.issue(name="two-process partner", user=boss)
LabSettings.objects.filter(pk=1).update(
    job_tracker_module_installed=True, enter_reason_code_when_deleting_order=False
)
orders = [
    create_order(
        data=NewOrder(
            number=str(880000 + n),
            items=[NewItem(sku="SKU1", name="Lens", endpoints=["surfacing"])],
            eyes=A_LENS,
        ),
        actor=boss,
    ).number
    for n in range(8)
]
print("SET-UP", json.dumps({
    "keys": keys, "partner": [partner.recipe_id, partner_key],
    "orders": [str(number) for number in orders],
}))
"""


class Answer:
    def __init__(self, status: int, body: bytes):
        self.status = status
        self.body = body

    def json(self):
        return json.loads(self.body)


def call(base_url: str, method: str, path: str, *, key: str | None = None, body=None) -> Answer:
    headers = {"Authorization": f"Token {key}"} if key else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(  # noqa: S310 - our own server
        base_url + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - ours
            return Answer(response.status, response.read())
    except urllib.error.HTTPError as refused:
        return Answer(refused.code, refused.read())


class Lab:
    """The two servers ("one" makes changes, "other" must honour them) and the set-up's
    records; ``script`` runs Python in a third process on the same database."""

    def __init__(self, env, one, other, records):
        self.env = env
        self.one = one.base_url
        self.other = other.base_url
        self.keys = records["keys"]
        self.partner = records["partner"]
        self.orders = list(records["orders"])

    def script(self, code: str) -> None:
        manage(self.env, "shell", "-c", code)

    def order(self) -> str:
        return self.orders.pop(0)


@pytest.fixture(scope="module")
def lab():
    with served_database() as env:
        lines = manage(env, "shell", "-c", SET_UP).splitlines()
        records = json.loads(next(line for line in lines if line.startswith("SET-UP "))[7:])
        assert len(records["orders"]) == 8, "the demo data has too few open orders"
        with serve(env, workers=1) as one, serve(env, workers=1) as other:
            yield Lab(env, one, other, records)
            for server in (one, other):
                assert "Traceback" not in server.log(), server.log()


def read_order(lab: Lab, key: str) -> int:
    """The other process's answer to a read of an order with ``key``: its status."""
    return call(lab.other, "GET", f"/api/v2/orders/{lab.orders[-1]}", key=key).status


@pytest.mark.parametrize(
    ("name", "change", "refused"),
    [
        pytest.param(
            "revoked",
            'ApiKey.objects.filter(name="two-process revoked").revoke()',
            401,
            id="key-revoked-in-bulk",
        ),
        pytest.param(
            "deleted",
            'ApiKey.objects.filter(name="two-process deleted").delete()',
            401,
            id="key-deleted",
        ),
        pytest.param(
            "deactivated",
            'User.objects.filter(username="two-process-deactivated").update(is_active=False)',
            401,
            id="user-deactivated",
        ),
        pytest.param(
            "direct",
            'User.objects.get(username="two-process-direct").user_permissions.clear()',
            403,
            id="right-withdrawn",
        ),
        pytest.param(
            "member",
            'User.objects.get(username="two-process-member").groups.clear()',
            403,
            id="user-left-group",
        ),
        pytest.param(
            "grouped",
            'Group.objects.get(name="two-process grouped").permissions.clear()',
            403,
            id="group-right-withdrawn",
        ),
    ],
)
def test_a_key_or_right_changed_by_a_script_counts_in_the_other_process_at_once(
    lab, name, change, refused
):
    key = lab.keys[name]
    assert read_order(lab, key) == 200

    lab.script(
        "from django.contrib.auth.models import Group, User\n"
        "from accounts.models import ApiKey\n" + change
    )

    assert read_order(lab, key) == refused


def test_a_logout_in_one_process_counts_in_the_other_at_once(lab):
    login = call(
        lab.one,
        "POST",
        "/api/auth",
        body={"UserName": "two-process-floor", "Password": "two-process floor password"},
    )
    assert login.status == 200, login.body
    token = login.json()["tokenId"]
    assert read_order(lab, token) == 200

    assert call(lab.one, "DELETE", "/api/auth", key=token).status == 204

    assert read_order(lab, token) == 401


def partner_cancel(lab: Lab, recipe_id: str, key: str) -> int:
    query = urlencode({"orderId": "987654321", "recipeid": recipe_id, "partnerBillingKey": key})
    return call(lab.other, "PUT", f"/api/orderCancel?{query}", body={"Ids": [1]}).status


def test_a_partner_key_rotated_or_partner_revoked_counts_in_the_other_process_at_once(lab):
    recipe_id, old_key = lab.partner
    accepted = partner_cancel(lab, recipe_id, old_key)
    assert accepted not in (401, 403)  # authenticated: the unknown order is what is refused

    lab.script(
        "from accounts.models import ApiPartner\n"
        'print("NEW", ApiPartner.objects.get(name="two-process partner").rotate_key())'
    )
    assert partner_cancel(lab, recipe_id, old_key) == 401

    lab.script(
        "from accounts.models import ApiPartner\n"
        'ApiPartner.objects.filter(name="two-process partner").revoke()'
    )
    assert partner_cancel(lab, recipe_id, old_key) == 401


def test_a_setting_changed_in_one_process_counts_in_the_other_at_once(lab):
    boss = lab.keys["boss"]
    assert call(lab.other, "DELETE", f"/api/v2/orders/{lab.order()}", key=boss).status == 200

    changed = call(
        lab.one,
        "PATCH",
        "/api/v2/settings",
        key=boss,
        body={"enterReasonCodeWhenDeletingOrder": True},
    )
    assert changed.status == 200, changed.body

    refused = call(lab.other, "DELETE", f"/api/v2/orders/{lab.order()}", key=boss)
    assert refused.status == 400
    assert refused.json()["error"] in {
        "Delete reason code does not exist",
        "The delete reasons file is empty",
    }


def test_a_reason_code_added_or_withdrawn_in_one_process_counts_in_the_other_at_once(lab):
    boss = lab.keys["boss"]
    call(
        lab.one,
        "PATCH",
        "/api/v2/settings",
        key=boss,
        body={"enterReasonCodeWhenDeletingOrder": True},
    )
    refused = call(
        lab.other, "DELETE", f"/api/v2/orders/{lab.orders[0]}?deleteReason=TWOP", key=boss
    )
    assert refused.status == 400

    added = call(
        lab.one,
        "POST",
        "/api/v2/delete_reasons",
        key=boss,
        body={"code": "TWOP", "description": "Two processes", "active": True},
    )
    assert added.status == 201, added.body
    cancelled = call(
        lab.other, "DELETE", f"/api/v2/orders/{lab.order()}?deleteReason=TWOP", key=boss
    )
    assert cancelled.status == 200, cancelled.body

    withdrawn = call(
        lab.one, "PATCH", "/api/v2/delete_reasons/TWOP", key=boss, body={"active": False}
    )
    assert withdrawn.status == 200, withdrawn.body
    refused = call(lab.other, "DELETE", f"/api/v2/orders/{lab.order()}?deleteReason=TWOP", key=boss)
    assert refused.status == 400
    assert refused.json()["error"] in {
        "Delete reason code does not exist",
        "The delete reasons file is empty",
    }


def legacy_check_in(lab: Lab, order: str, station: str) -> str:
    answer = call(
        lab.other,
        "POST",
        "/api/jt/checkin",
        key=lab.keys["boss"],
        body={"order": order, "station": station},
    )
    assert answer.status == 200, answer.body
    return answer.json()["result"]


def test_a_station_added_or_deleted_in_one_process_counts_in_the_other_at_once(lab):
    boss = lab.keys["boss"]
    order = lab.order()
    assert legacy_check_in(lab, order, "TWOP-A") == "invalid station"

    added = call(
        lab.one,
        "POST",
        "/api/v2/job_track/stations",
        key=boss,
        body={"code": "TWOP-A", "desc": "Two processes"},
    )
    assert added.status == 201, added.body
    assert legacy_check_in(lab, order, "TWOP-A") == "successful"

    # A station the other process found (on a check-in refused for its order, which records
    # nothing) ...
    added = call(
        lab.one,
        "POST",
        "/api/v2/job_track/stations",
        key=boss,
        body={"code": "TWOP-B", "desc": "Two processes"},
    )
    assert added.status == 201, added.body
    assert legacy_check_in(lab, "987654321", "TWOP-B") == "order not found"
    # ... deleted by the first: the other's next check-in does not find it.
    deleted = call(lab.one, "DELETE", "/api/v2/job_track/stations/TWOP-B", key=boss)
    assert deleted.status in (200, 204), deleted.body
    assert legacy_check_in(lab, lab.order(), "TWOP-B") == "invalid station"
