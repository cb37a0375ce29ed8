"""GET/POST /api/v2/webhooks, GET/PATCH/DELETE /api/v2/webhooks/{id} and POST
/api/v2/webhooks/{id}/rotate_secret: subscriptions, their secret shown only when made, where
they may point, who may manage them, and which events each one gets (contracts/webhooks.md)."""

import json
import logging
import socket
from pathlib import Path

from django.conf import settings

import pytest
import yaml

from orders.services import cancel_order
from webhooks.event_types import EventType
from webhooks.models import FAILING_AFTER, Delivery, Subscription
from webhooks.services import deliver_due

pytestmark = pytest.mark.django_db

LIST = "/api/v2/webhooks"
INCORRECT = "Incorrect arguments provided"
# A public destination (an unresolvable host is taken too: the worker checks before each send).
ANYWHERE = "https://hooks.example.com/lab"
KEYS = ["id", "url", "events", "customerNumbers", "appendOrderId", "active", "failing"]

# Measured: key lookup + key last-used write + 2 rights queries + count + page.
LIST_QUERY_CEILING = 6
# Measured: key lookup + key last-used write + 2 rights queries + subscription.
DETAIL_QUERY_CEILING = 5


def url(pk) -> str:
    return f"{LIST}/{pk}"


def rotate_url(pk) -> str:
    return f"{LIST}/{pk}/rotate_secret"


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def not_found(provided: str) -> dict:
    return error("No record found", f"Provided: {provided}")


def refused_address(address: str) -> str:
    return (
        f"url: The URL resolves to {address}, a loopback, private, link-local or reserved "
        "address (allowed only for hosts listed in WEBHOOK_ALLOWED_HOSTS)."
    )


HTTPS_ONLY = (
    "url: The URL must use https:// (http:// only for hosts listed in WEBHOOK_ALLOWED_HOSTS)."
)


def webhook(pk: int, **values) -> dict:
    """The wire model of a subscription with the defaults of a new one (no secret)."""
    return {
        "id": pk,
        "url": ANYWHERE,
        "events": [],
        "customerNumbers": [],
        "appendOrderId": False,
        "active": True,
        "failing": False,
    } | values


@pytest.fixture(autouse=True)
def no_allowed_hosts(monkeypatch):
    """Every destination rule applies unless a test lists a host (the ``receiver`` fixture
    lists 127.0.0.1, where its receivers listen)."""
    monkeypatch.delenv("WEBHOOK_ALLOWED_HOSTS", raising=False)


@pytest.fixture
def hook(db) -> Subscription:
    return Subscription.objects.create(url=ANYWHERE)


def types_sent(subscription: Subscription) -> list[tuple[str, int]]:
    """(event type, order number) of each delivery to ``subscription``, in the order made."""
    return [
        (delivery.event.type, delivery.order.number)
        for delivery in subscription.deliveries.select_related("event", "order").order_by("id")
    ]


# --- POST: create -----------------------------------------------------------------------------


def test_create_answers_the_subscription_with_its_secret(supervisor_api, supervisor):
    body = supervisor_api.post(
        LIST,
        {
            "url": ANYWHERE,
            "events": ["order.cancelled", "order.created"],
            "customerNumbers": ["C1", "C2"],
            "appendOrderId": True,
        },
        status=201,
    )

    subscription = Subscription.objects.get()
    assert list(body) == [*KEYS, "secret"]
    assert body == webhook(
        subscription.pk,
        events=["order.cancelled", "order.created"],
        customerNumbers=["C1", "C2"],
        appendOrderId=True,
    ) | {"secret": subscription.secret}
    assert len(subscription.secret) >= 32
    assert (
        subscription.url,
        subscription.events,
        subscription.customer_numbers,
        subscription.append_order_id,
        subscription.active,
        subscription.created_by,
    ) == (ANYWHERE, ["order.cancelled", "order.created"], ["C1", "C2"], True, True, supervisor)


def test_create_with_only_a_url_sends_every_event_of_every_customer(supervisor_api):
    body = supervisor_api.post(LIST, {"url": ANYWHERE}, status=201)

    pk = Subscription.objects.get().pk
    assert body == webhook(pk) | {"secret": Subscription.objects.get().secret}


def test_each_subscription_gets_a_secret_of_its_own(supervisor_api):
    first = supervisor_api.post(LIST, {"url": ANYWHERE}, status=201)
    second = supervisor_api.post(LIST, {"url": ANYWHERE}, status=201)

    assert first["secret"] != second["secret"]


def test_repeated_events_and_customers_are_kept_once(supervisor_api):
    body = supervisor_api.post(
        LIST,
        {
            "url": ANYWHERE,
            "events": ["order.created", "order.created"],
            "customerNumbers": ["C1", "C1"],
        },
        status=201,
    )

    assert (body["events"], body["customerNumbers"]) == (["order.created"], ["C1"])


def test_the_secret_is_never_shown_again(supervisor_api):
    created = supervisor_api.post(LIST, {"url": ANYWHERE}, status=201)
    secret, pk = created["secret"], created["id"]

    fetched = supervisor_api.get(url(pk), status=200, max_queries=DETAIL_QUERY_CEILING)
    listed = supervisor_api.get(LIST, status=200, max_queries=LIST_QUERY_CEILING)
    changed = supervisor_api.patch(url(pk), {"appendOrderId": True}, status=200)

    assert fetched == webhook(pk)
    assert listed == {"count": 1, "next": None, "previous": None, "results": [webhook(pk)]}
    assert changed == webhook(pk, appendOrderId=True)
    for answer in (fetched, *listed["results"], changed):
        assert list(answer) == KEYS
    assert secret not in json.dumps([fetched, listed, changed])


# --- POST rotate_secret -----------------------------------------------------------------------


def test_rotate_secret_answers_a_new_secret_once(supervisor_api):
    created = supervisor_api.post(LIST, {"url": ANYWHERE, "events": ["order.created"]}, status=201)
    pk = created["id"]

    body = supervisor_api.post(rotate_url(pk), status=200)

    stored = Subscription.objects.get(pk=pk).secret
    assert list(body) == [*KEYS, "secret"]
    assert body == webhook(pk, events=["order.created"]) | {"secret": stored}
    assert stored != created["secret"]
    fetched = supervisor_api.get(url(pk), status=200)
    assert fetched == webhook(pk, events=["order.created"])
    assert stored not in json.dumps(fetched)


def test_deliveries_after_a_rotation_are_signed_with_the_new_secret(
    supervisor_api, receiver, make_order
):
    hooks = receiver()
    created = supervisor_api.post(LIST, {"url": hooks.url}, status=201)
    make_order(number=47001)
    assert deliver_due() == 1
    (before,) = hooks.wait_for(1)

    rotated = supervisor_api.post(rotate_url(created["id"]), status=200)
    make_order(number=47002)
    assert deliver_due() == 1
    after = hooks.wait_for(2)[1]

    assert before.json["order"]["orderNumber"] == "47001"
    assert before.signature_is_valid(created["secret"])
    assert after.json["order"]["orderNumber"] == "47002"
    assert after.signature_is_valid(rotated["secret"])
    assert not after.signature_is_valid(created["secret"])


def test_a_delivery_waiting_at_the_rotation_is_signed_with_the_new_secret(
    supervisor_api, receiver, make_order
):
    hooks = receiver()
    created = supervisor_api.post(LIST, {"url": hooks.url}, status=201)
    make_order(number=47003)  # its delivery waits for the worker

    rotated = supervisor_api.post(rotate_url(created["id"]), status=200)
    assert deliver_due() == 1

    (received,) = hooks.wait_for(1)
    assert received.signature_is_valid(rotated["secret"])
    assert not received.signature_is_valid(created["secret"])


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param({"url": "http://hooks.example.com/lab"}, HTTPS_ONLY, id="http"),
        pytest.param({"url": "https://127.0.0.1/x"}, refused_address("127.0.0.1"), id="loopback"),
        pytest.param({"url": "https://10.0.0.5/x"}, refused_address("10.0.0.5"), id="private"),
        pytest.param(
            {"url": "https://169.254.169.254/latest"},
            refused_address("169.254.169.254"),
            id="metadata",
        ),
        pytest.param({"url": "https://[::1]/x"}, refused_address("::1"), id="ipv6-loopback"),
        pytest.param(
            {"url": "https://[64:ff9b::a9fe:a9fe]/x"},
            refused_address("64:ff9b::a9fe:a9fe"),
            id="metadata-through-nat64",
        ),
        pytest.param(
            {"url": "https://[::127.0.0.1]/x"}, refused_address("::127.0.0.1"), id="ipv4-compatible"
        ),
        pytest.param(
            {"url": "https://user:pass@hooks.example.com/x"},
            "url: The URL must not carry a user name or password.",
            id="userinfo",
        ),
        pytest.param(
            {"url": ANYWHERE, "events": ["order.shipped"]},
            'events[0]: "order.shipped" is not a valid choice.',
            id="unknown-event",
        ),
        pytest.param(
            {"url": ANYWHERE, "events": "order.created"},
            'events: Expected a list of items but got type "str".',
            id="events-not-a-list",
        ),
        pytest.param(
            {"url": ANYWHERE, "customerNumbers": ["C1", 7]},
            "customerNumbers[1]: Not a valid string.",
            id="customer-number-not-a-string",
        ),
        pytest.param({"url": ANYWHERE, "colour": "red"}, "colour: unknown field", id="unknown-key"),
        pytest.param(
            {"url": ANYWHERE, "secret": "chosen-by-the-client"},
            "secret: unknown field",
            id="secret-is-not-taken",
        ),
        pytest.param(
            {"url": ANYWHERE, "failing": False}, "failing: unknown field", id="failing-read-only"
        ),
        pytest.param({"url": 443}, "url: Not a valid string.", id="url-a-number"),
        pytest.param({}, "url: This field is required.", id="no-url"),
        pytest.param(
            {"url": ANYWHERE, "active": "yes"},
            "active: Must be a valid boolean.",
            id="active-not-a-boolean",
        ),
    ],
)
def test_create_refuses(supervisor_api, body, detail):
    answer = supervisor_api.post(LIST, body, status=400)

    assert answer == error(INCORRECT, detail)
    assert Subscription.objects.count() == 0


def test_a_host_that_resolves_to_a_loopback_address_is_refused(supervisor_api):
    resolved = {
        info[4][0] for info in socket.getaddrinfo("localhost", 443, proto=socket.IPPROTO_TCP)
    }
    assert resolved == {"127.0.0.1"}  # what this test needs of the machine

    answer = supervisor_api.post(LIST, {"url": "https://localhost/x"}, status=400)

    assert answer == error(INCORRECT, refused_address("127.0.0.1"))
    assert Subscription.objects.count() == 0


@pytest.mark.parametrize(
    "destination",
    [
        "http://localhost:8080/hooks",
        "https://10.0.0.5/x",
        "http://HOOKS.example.com/lab",
    ],
)
def test_a_host_listed_in_webhook_allowed_hosts_is_taken(supervisor_api, monkeypatch, destination):
    monkeypatch.setenv("WEBHOOK_ALLOWED_HOSTS", "localhost, 10.0.0.5,hooks.example.com")

    body = supervisor_api.post(LIST, {"url": destination}, status=201)

    assert body["url"] == destination
    assert Subscription.objects.get().url == destination


def test_a_listed_host_does_not_open_the_others(supervisor_api, monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOWED_HOSTS", "10.0.0.5")

    answer = supervisor_api.post(LIST, {"url": "https://10.0.0.6/x"}, status=400)

    assert answer == error(INCORRECT, refused_address("10.0.0.6"))
    assert Subscription.objects.count() == 0


# --- PATCH ------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_given(supervisor_api, hook):
    Subscription.objects.filter(pk=hook.pk).update(events=["order.created"])
    secret = hook.secret

    body = supervisor_api.patch(
        url(hook.pk),
        {
            "url": "https://other.example.com/in",
            "customerNumbers": ["C9"],
            "appendOrderId": True,
        },
        status=200,
    )

    assert body == webhook(
        hook.pk,
        url="https://other.example.com/in",
        events=["order.created"],
        customerNumbers=["C9"],
        appendOrderId=True,
    )
    hook.refresh_from_db()
    assert (hook.url, hook.events, hook.customer_numbers, hook.append_order_id, hook.secret) == (
        "https://other.example.com/in",
        ["order.created"],
        ["C9"],
        True,
        secret,
    )


def test_an_empty_list_of_events_sends_them_all_again(supervisor_api, hook):
    Subscription.objects.filter(pk=hook.pk).update(events=["order.created"])

    body = supervisor_api.patch(url(hook.pk), {"events": []}, status=200)

    assert body == webhook(hook.pk)


def test_active_toggles(supervisor_api, hook):
    off = supervisor_api.patch(url(hook.pk), {"active": False}, status=200)
    hook.refresh_from_db()
    assert (off, hook.active) == (webhook(hook.pk, active=False), False)

    on = supervisor_api.patch(url(hook.pk), {"active": True}, status=200)
    hook.refresh_from_db()
    assert (on, hook.active) == (webhook(hook.pk), True)


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        pytest.param({"url": "https://10.0.0.5/x"}, refused_address("10.0.0.5"), id="private"),
        pytest.param({"url": "http://hooks.example.com/lab"}, HTTPS_ONLY, id="http"),
        pytest.param(
            {"events": ["order.shipped"]},
            'events[0]: "order.shipped" is not a valid choice.',
            id="unknown-event",
        ),
        pytest.param({"secret": "mine"}, "secret: unknown field", id="secret"),
        pytest.param({"id": 99}, "id: unknown field", id="id"),
    ],
)
def test_patch_refuses_and_changes_nothing(supervisor_api, hook, change, detail):
    body = supervisor_api.patch(url(hook.pk), {**change, "active": False}, status=400)

    assert body == error(INCORRECT, detail)
    hook.refresh_from_db()
    assert (hook.url, hook.events, hook.active) == (ANYWHERE, [], True)


# --- DELETE -----------------------------------------------------------------------------------


def test_delete_answers_204_then_the_subscription_is_gone(supervisor_api, hook, make_order):
    make_order()
    assert Delivery.objects.filter(subscription=hook).count() == 1

    assert supervisor_api.delete(url(hook.pk), status=204) is None

    assert supervisor_api.get(url(hook.pk), status=404) == not_found(str(hook.pk))
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()  # its pending deliveries went with it


# --- ids that name no subscription ------------------------------------------------------------

OPERATIONS = [
    pytest.param("get", "{}", None, id="get"),
    pytest.param("patch", "{}", {"active": False}, id="patch"),
    pytest.param("delete", "{}", None, id="delete"),
    pytest.param("post", "{}/rotate_secret", None, id="rotate"),
]


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
@pytest.mark.parametrize("provided", ["abc", "1.5", "-1", "0", "1" * 30])
def test_an_id_that_is_not_a_subscriptions_is_404(
    supervisor_api, hook, method, path, body, provided
):
    answer = supervisor_api.call(method, f"{LIST}/{path.format(provided)}", body, status=404)

    assert answer == not_found(provided)
    hook.refresh_from_db()
    assert hook.active is True


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_a_deleted_subscriptions_id_is_404(supervisor_api, hook, method, path, body):
    pk = hook.pk
    hook.delete()

    answer = supervisor_api.call(method, f"{LIST}/{path.format(pk)}", body, status=404)

    assert answer == not_found(str(pk))


# --- rights -----------------------------------------------------------------------------------

EVERY_OPERATION = [
    pytest.param("get", LIST, None, id="list"),
    pytest.param("post", LIST, {"url": ANYWHERE}, id="create"),
    pytest.param("get", "{pk}", None, id="get"),
    pytest.param("patch", "{pk}", {"active": False}, id="patch"),
    pytest.param("delete", "{pk}", None, id="delete"),
    pytest.param("post", "{pk}/rotate_secret", None, id="rotate"),
]


def operation_path(path: str, pk: int) -> str:
    return path if path == LIST else f"{LIST}/{path.format(pk=pk)}"


@pytest.mark.parametrize(("method", "path", "body"), EVERY_OPERATION)
def test_a_key_without_manage_webhooks_is_refused(client_api, hook, method, path, body):
    secret = hook.secret

    answer = client_api.call(method, operation_path(path, hook.pk), body, status=403)

    assert answer == error("Permission denied", "Requires: webhooks.manage_webhooks")
    assert [(h.pk, h.active, h.secret) for h in Subscription.objects.all()] == [
        (hook.pk, True, secret)
    ]


@pytest.mark.parametrize(("method", "path", "body"), EVERY_OPERATION)
def test_no_key_is_401(anonymous_api, hook, method, path, body):
    answer = anonymous_api.call(method, operation_path(path, hook.pk), body, status=401)

    assert answer == error("Authentication required")
    assert Subscription.objects.get().active is True


def test_the_right_alone_is_enough(api_for, make_user, hook):
    api = api_for(make_user(rights=("webhooks.manage_webhooks",)))

    assert api.get(url(hook.pk), status=200) == webhook(hook.pk)


def test_failing_counts_failed_deliveries_as_the_schema_says(supervisor_api, hook):
    Subscription.objects.filter(pk=hook.pk).update(consecutive_failures=FAILING_AFTER - 1)
    assert supervisor_api.get(url(hook.pk), status=200)["failing"] is False
    Subscription.objects.filter(pk=hook.pk).update(consecutive_failures=FAILING_AFTER)
    assert supervisor_api.get(url(hook.pk), status=200)["failing"] is True

    schemas = yaml.safe_load((Path(settings.BASE_DIR) / "openapi.yaml").read_text())
    for name in ("Webhook", "WebhookCreated"):
        described = schemas["components"]["schemas"][name]["properties"]["failing"]
        assert described["description"].startswith(
            f"True after {FAILING_AFTER} failed deliveries in a row"
        ), name


# --- which events each subscription gets ------------------------------------------------------


def test_a_subscription_to_cancels_gets_only_cancels(supervisor_api, make_order):
    every = supervisor_api.post(LIST, {"url": ANYWHERE}, status=201)
    cancels = supervisor_api.post(
        LIST, {"url": ANYWHERE, "events": [EventType.CANCELLED]}, status=201
    )
    order = make_order(number=47101)

    cancel_order(order=order, actor=None, reason_code=None)

    assert types_sent(Subscription.objects.get(pk=every["id"])) == [
        ("order.created", 47101),
        ("order.cancelled", 47101),
    ]
    assert types_sent(Subscription.objects.get(pk=cancels["id"])) == [("order.cancelled", 47101)]


def test_a_subscription_to_a_customer_gets_only_its_orders(supervisor_api, make_order, receiver):
    hooks = receiver()
    created = supervisor_api.post(LIST, {"url": hooks.url, "customerNumbers": ["C1"]}, status=201)
    make_order(number=47201, customer_number="C1")
    make_order(number=47202, customer_number="C2")
    make_order(number=47203)  # no customer
    make_order(number=47204, customer_number="C1")

    assert types_sent(Subscription.objects.get(pk=created["id"])) == [
        ("order.created", 47201),
        ("order.created", 47204),
    ]
    assert deliver_due() == 2
    received = hooks.wait_for(2)
    assert sorted(r.json["order"]["orderNumber"] for r in received) == ["47201", "47204"]
    assert {r.json["order"]["customerNumber"] for r in received} == {"C1"}


def test_an_inactive_subscription_gets_nothing(supervisor_api, hook, make_order):
    supervisor_api.patch(url(hook.pk), {"active": False}, status=200)

    make_order()

    assert types_sent(hook) == []


# --- logs -------------------------------------------------------------------------------------


def test_the_secrets_are_never_logged(supervisor_api, receiver, make_order, caplog):
    # Every logger at DEBUG but the SQL statements': the secret is stored (it signs), so it is
    # a parameter of the statements that write it, which Django logs only under DEBUG or while
    # queries are being counted.
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.INFO, logger="django.db.backends")
    hooks = receiver()

    created = supervisor_api.post(LIST, {"url": hooks.url}, status=201)
    make_order()
    assert deliver_due() == 1
    rotated = supervisor_api.post(rotate_url(created["id"]), status=200)
    make_order()
    assert deliver_due() == 1
    hooks.wait_for(2)

    assert f"POST {hooks.url}" in caplog.text  # the capture sees the deliveries
    assert created["secret"] not in caplog.text
    assert rotated["secret"] not in caplog.text


def test_a_url_that_does_not_parse_is_refused_not_a_server_error(supervisor_api):
    answer = supervisor_api.post(LIST, {"url": "https://[::1/x"}, status=400)

    assert answer == error(INCORRECT, "url: Enter a valid URL.", "url: The URL is malformed.")
    assert Subscription.objects.count() == 0
