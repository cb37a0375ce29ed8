"""Webhooks in the supervisor admin: subscriptions added with their secret shown once, rotated,
refused where the API refuses them, deleted with their deliveries, listed filtered to the
failing ones, and managed only with ``manage_webhooks``; the deliveries' list with re-sending
of failed ones; the order page's webhook panel."""

import re
from urllib.parse import urljoin

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.test import Client
from django.utils import timezone

import pytest

from webhooks.event_types import EventType
from webhooks.models import FAILING_AFTER, Delivery, DeliveryStatus, Subscription
from webhooks.services import MAX_ATTEMPTS

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = "/admin/webhooks/subscription/"
ADD = f"{SUBSCRIPTIONS}add/"
DELIVERIES = "/admin/webhooks/delivery/"
ACTION_CHECKBOX = "_selected_action"
ANYWHERE = "https://hooks.example.com/lab"
SECRET_ON_PAGE = r'<code id="webhook-secret"[^>]*>([^<]+)</code>'


def change_url(subscription: Subscription) -> str:
    return f"{SUBSCRIPTIONS}{subscription.pk}/change/"


def refused_address(address: str) -> str:
    return (
        f"The URL resolves to {address}, a loopback, private, link-local or reserved address "
        "(allowed only for hosts listed in WEBHOOK_ALLOWED_HOSTS)."
    )


HTTPS_ONLY = "The URL must use https:// (http:// only for hosts listed in WEBHOOK_ALLOWED_HOSTS)."


@pytest.fixture(autouse=True)
def no_allowed_hosts(monkeypatch):
    monkeypatch.delenv("WEBHOOK_ALLOWED_HOSTS", raising=False)


@pytest.fixture
def supervisor_user(make_user):
    return make_user("Supervisors", username="sue", is_staff=True)


@pytest.fixture
def browser(supervisor_user) -> Client:
    client = Client()
    client.force_login(supervisor_user)
    return client


@pytest.fixture
def staff_without_the_right(make_user) -> Client:
    """Staff with every model right on subscriptions and the deliveries' view right, but not
    ``manage_webhooks``."""
    client = Client()
    client.force_login(
        make_user(
            is_staff=True,
            rights=(
                "webhooks.view_subscription",
                "webhooks.add_subscription",
                "webhooks.change_subscription",
                "webhooks.delete_subscription",
                "webhooks.view_delivery",
            ),
        )
    )
    return client


@pytest.fixture
def hook(subscribe) -> Subscription:
    return subscribe(ANYWHERE)


def messages_of(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


def run_action(client: Client, changelist: str, action: str, *objects, **extra):
    return client.post(
        changelist,
        {"action": action, ACTION_CHECKBOX: [str(o.pk) for o in objects], "index": 0, **extra},
    )


def secret_shown(response) -> str:
    [secret] = re.findall(SECRET_ON_PAGE, response.content.decode())
    return secret


# --- adding, and the secret shown once --------------------------------------------------------


def test_the_add_form_offers_each_event_as_a_checkbox(browser):
    response = browser.get(ADD)

    page = response.content.decode()
    assert response.status_code == 200
    for n, event in enumerate(EventType.values):
        assert f'<input type="checkbox" name="events" value="{event}" id="id_events_{n}">' in page
    assert '<input type="text" name="customer_numbers"' in page
    assert 'name="secret"' not in page


def test_a_supervisor_adds_a_subscription_and_sees_its_secret_once(browser, supervisor_user):
    response = browser.post(
        ADD,
        {
            "url": ANYWHERE,
            "events": [EventType.CREATED, EventType.CANCELLED],
            "customer_numbers": " C1, C2,, C1 ",
            "append_order_id": "on",
            "active": "on",
        },
    )

    subscription = Subscription.objects.get()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert secret_shown(response) == subscription.secret
    assert f"<code>{ANYWHERE}</code>" in response.content.decode()
    assert (
        subscription.url,
        subscription.events,
        subscription.customer_numbers,
        subscription.append_order_id,
        subscription.active,
        subscription.created_by,
    ) == (ANYWHERE, ["order.created", "order.cancelled"], ["C1", "C2"], True, True, supervisor_user)


def test_no_events_ticked_and_no_customers_send_everything(browser):
    response = browser.post(ADD, {"url": ANYWHERE, "customer_numbers": "", "active": "on"})

    subscription = Subscription.objects.get()
    assert response.status_code == 200
    assert (subscription.events, subscription.customer_numbers) == ([], [])
    assert secret_shown(response) == subscription.secret


def test_the_change_page_never_shows_the_secret(browser, hook):
    Subscription.objects.filter(pk=hook.pk).update(customer_numbers=["C1", "C2"])

    response = browser.get(change_url(hook))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="customer_numbers" value="C1, C2"' in page
    assert hook.secret not in page
    assert 'id="webhook-secret"' not in page


def test_the_change_page_links_to_the_subscriptions_deliveries(
    browser, hook, subscribe, make_order
):
    make_order(number=48201)
    Subscription.objects.filter(pk=hook.pk).update(active=False)
    subscribe("https://other.example.com/in")
    make_order(number=48202)

    page = browser.get(change_url(hook)).content.decode()
    [link] = re.findall(r'<a href="([^"]+)">Deliveries of this subscription</a>', page)
    deliveries = browser.get(urljoin(change_url(hook), link))

    assert deliveries.status_code == 200
    rows = deliveries.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr") == 1
    assert "48201" in rows
    assert "48202" not in rows


def test_changing_a_subscription_keeps_its_secret(browser, hook):
    response = browser.post(
        change_url(hook),
        {"url": "https://other.example.com/in", "customer_numbers": "C7", "active": "on"},
    )

    assert response.status_code == 302
    assert hook.secret not in browser.get(response["Location"]).content.decode()
    secret = hook.secret
    hook.refresh_from_db()
    assert (hook.url, hook.customer_numbers, hook.secret) == (
        "https://other.example.com/in",
        ["C7"],
        secret,
    )


def test_the_new_secret_action_shows_the_new_secret_once(browser, hook):
    old = hook.secret

    response = run_action(browser, SUBSCRIPTIONS, "rotate_secret_of_selected", hook)

    hook.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert hook.secret != old
    assert secret_shown(response) == hook.secret
    assert old not in page


def test_the_new_secret_is_in_the_subscriptions_history(browser, supervisor_user, hook):
    run_action(browser, SUBSCRIPTIONS, "rotate_secret_of_selected", hook)

    entry = LogEntry.objects.get()
    hook.refresh_from_db()
    assert (entry.user, entry.object_id, entry.action_flag, entry.change_message) == (
        supervisor_user,
        str(hook.pk),
        CHANGE,
        "Gave it a new secret.",
    )
    assert hook.secret not in entry.object_repr
    history = browser.get(f"{SUBSCRIPTIONS}{hook.pk}/history/").content.decode()
    assert "Gave it a new secret." in history
    assert hook.secret not in history


def test_the_new_secret_action_takes_one_subscription_at_a_time(browser, hook, subscribe):
    other = subscribe("https://other.example.com/in")
    secrets = {hook.pk: hook.secret, other.pk: other.secret}

    response = run_action(browser, SUBSCRIPTIONS, "rotate_secret_of_selected", hook, other)

    assert response.status_code == 302
    assert messages_of(response) == [(ERROR, "Select one subscription at a time.")]
    assert {hook.pk: hook.secret for hook in Subscription.objects.all()} == secrets


def test_the_action_is_named_as_supervisors_read_it(browser, hook):
    page = browser.get(SUBSCRIPTIONS).content.decode()

    assert (
        '<option value="rotate_secret_of_selected">Give the selected subscription a new secret'
        "</option>" in page
    )


def test_the_list_filters_failing_subscriptions(browser, hook, subscribe):
    failing = subscribe("https://down.example.com/in")
    gone = subscribe("https://gone.example.com/in")
    Subscription.objects.filter(pk=failing.pk).update(consecutive_failures=FAILING_AFTER)
    Subscription.objects.filter(pk=gone.pk).update(active=False, consecutive_failures=FAILING_AFTER)
    Subscription.objects.filter(pk=hook.pk).update(consecutive_failures=FAILING_AFTER - 1)

    def listed(query: str) -> list[int]:
        response = browser.get(f"{SUBSCRIPTIONS}?{query}")
        assert response.status_code == 200
        return sorted(s.pk for s in response.context["cl"].result_list)

    # As the list's failing column says, deactivated or not; with the active filter beside it,
    # as Subscription.objects.failing() counts (the dashboard's link).
    assert listed("failing=yes") == sorted([failing.pk, gone.pk])
    assert listed("failing=no") == [hook.pk]
    assert listed("failing=yes&active__exact=1") == [failing.pk]
    assert [s.pk for s in Subscription.objects.failing()] == [failing.pk]
    assert '<a href="?failing=yes">Yes</a>' in browser.get(SUBSCRIPTIONS).content.decode()


# --- refusals: the model's rules, in the model's words ----------------------------------------


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        pytest.param("http://hooks.example.com/lab", HTTPS_ONLY, id="http"),
        pytest.param("https://10.1.2.3/in", refused_address("10.1.2.3"), id="private"),
        pytest.param(
            "https://169.254.169.254/latest", refused_address("169.254.169.254"), id="metadata"
        ),
        pytest.param("https://127.0.0.1/in", refused_address("127.0.0.1"), id="loopback"),
    ],
)
def test_the_form_refuses_a_destination_the_api_refuses(admin_forms, destination, message):
    refusals = admin_forms.refusals(ADD, {"url": destination, "customer_numbers": ""})

    assert refusals == {"url": [message]}
    assert not Subscription.objects.exists()


def test_a_host_listed_in_webhook_allowed_hosts_is_taken(admin_forms, monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOWED_HOSTS", "10.1.2.3")

    response = admin_forms.client.post(ADD, {"url": "http://10.1.2.3/in", "customer_numbers": ""})

    assert response.status_code == 200
    assert Subscription.objects.get().url == "http://10.1.2.3/in"


# --- deleting ---------------------------------------------------------------------------------


def test_deleting_a_subscription_takes_its_deliveries(browser, hook, make_order):
    make_order()

    confirm = browser.get(f"{SUBSCRIPTIONS}{hook.pk}/delete/")
    response = browser.post(f"{SUBSCRIPTIONS}{hook.pk}/delete/", {"post": "yes"})

    assert confirm.status_code == 200
    assert "Deliveries: 1" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", confirm.content.decode()))
    assert response.status_code == 302
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()


# --- the right --------------------------------------------------------------------------------


def test_staff_without_manage_webhooks_get_403_on_subscription_pages(staff_without_the_right, hook):
    for page in (
        SUBSCRIPTIONS,
        ADD,
        change_url(hook),
        f"{SUBSCRIPTIONS}{hook.pk}/delete/",
        f"{SUBSCRIPTIONS}{hook.pk}/history/",
    ):
        assert staff_without_the_right.get(page).status_code == 403, page


def test_staff_without_manage_webhooks_cannot_add_change_nor_rotate(staff_without_the_right, hook):
    secret = hook.secret

    responses = [
        staff_without_the_right.post(ADD, {"url": "https://other.example.com/in"}),
        staff_without_the_right.post(change_url(hook), {"url": "https://other.example.com/in"}),
        run_action(staff_without_the_right, SUBSCRIPTIONS, "rotate_secret_of_selected", hook),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403]
    assert [(hook.url, hook.secret) for hook in Subscription.objects.all()] == [(ANYWHERE, secret)]


# --- deliveries -------------------------------------------------------------------------------


def failed(delivery: Delivery) -> Delivery:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED,
        attempts=MAX_ATTEMPTS,
        last_error="HTTP 500",
        finished_at=timezone.now(),
    )
    delivery.refresh_from_db()
    return delivery


def test_the_delivery_list_shows_each_delivery(browser, hook, make_order):
    make_order(number=48001)
    delivery = Delivery.objects.get()

    response = browser.get(DELIVERIES)

    page = response.content.decode()
    assert response.status_code == 200
    row = page.split(f'value="{delivery.pk}"')[1].split("</tr>")[0]
    assert '<td class="field-event_type">order.created</td>' in row
    assert "48001" in row
    assert str(hook) in row
    assert '<td class="field-status">Pending</td>' in row


def test_resending_a_failed_delivery_queues_it_again(browser, hook, make_order):
    make_order()
    make_order()
    failing, delivered = Delivery.objects.order_by("id")
    failed(failing)
    Delivery.objects.filter(pk=delivered.pk).update(status=DeliveryStatus.DELIVERED, attempts=1)

    response = run_action(browser, DELIVERIES, "resend_selected", failing, delivered)

    assert response.status_code == 302
    assert messages_of(response) == [(SUCCESS, "1 failed delivery(ies) queued again.")]
    failing.refresh_from_db()
    assert (failing.status, failing.attempts, failing.last_error, failing.finished_at) == (
        DeliveryStatus.PENDING,
        0,
        "",
        None,
    )
    delivered.refresh_from_db()
    assert (delivered.status, delivered.attempts) == (DeliveryStatus.DELIVERED, 1)


def test_resending_needs_manage_webhooks(staff_without_the_right, hook, make_order):
    make_order()
    delivery = failed(Delivery.objects.get())

    listed = staff_without_the_right.get(DELIVERIES)
    response = run_action(staff_without_the_right, DELIVERIES, "resend_selected", delivery)

    assert listed.status_code == 200
    assert "order.created" in listed.content.decode()  # the right to see them is enough here
    assert 'value="resend_selected"' not in listed.content.decode()
    assert response.status_code == 200  # no action to take: the list again
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)


def test_the_resend_action_is_offered_to_supervisors(browser, hook, make_order):
    make_order()

    page = browser.get(DELIVERIES).content.decode()

    assert (
        '<option value="resend_selected">Send the selected failed deliveries again</option>' in page
    )


# --- the order page ---------------------------------------------------------------------------


def webhook_panel(page: str) -> str:
    """The order page's "webhook deliveries" panel."""
    [panel] = [
        fieldset.split("</fieldset>")[0]
        for fieldset in page.split("<fieldset")
        if re.search(r"<h2[^>]*>\s*Webhook deliveries\s*</h2>", fieldset)
    ]
    return panel


def test_the_order_page_shows_its_webhook_deliveries(browser, hook, make_order):
    order = make_order(number=48101)
    Subscription.objects.filter(pk=hook.pk).update(events=[EventType.CANCELLED])
    other = Subscription.objects.create(url="https://other.example.com/in")
    make_order(number=48102)  # another order's delivery is not on this page

    response = browser.get(f"/admin/orders/order/{order.pk}/change/")

    panel = webhook_panel(response.content.decode())
    assert response.status_code == 200
    assert panel.count('<td class="field-event_type">') == 1
    assert "<p>order.created</p>" in panel
    assert f"#{hook.pk} {ANYWHERE}" in panel
    assert f"#{other.pk} " not in panel
    assert "<p>Pending</p>" in panel


def test_the_panel_needs_the_right_to_see_deliveries(make_user, hook, make_order):
    order = make_order()
    client = Client()
    client.force_login(make_user(is_staff=True, rights=("orders.view_order",)))

    response = client.get(f"/admin/orders/order/{order.pk}/change/")

    assert response.status_code == 200
    assert "Webhook deliveries" not in response.content.decode()
