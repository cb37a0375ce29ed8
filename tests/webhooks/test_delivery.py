"""Deliveries to a real HTTP receiver: what arrives (body, both signatures, the delivery id),
the URL with ``appendOrderId``, retries on the contract's schedule with the clock injected,
a subscription to one event type, a refused change sending nothing, 410 Gone, per-order order,
a receiver that never answers holding up only its own subscription, and the destination
checked again at send time on what the name resolves to then, the POST going to the address
checked."""

import threading
import time
from contextlib import suppress
from datetime import timedelta

from django.utils import timezone

import pytest

from orders.errors import OrderAlreadyCompleted
from orders.models import Station
from orders.services import (
    assign_tray,
    cancel_items,
    cancel_order,
    hold_order,
    release_order,
)
from printing.models import Printer, WorkstationPort
from printing.services import queue_ticket
from tracker.services import check_in, process_completions, request_completion
from webhooks.event_types import EventType
from webhooks.models import (
    FAILING_AFTER,
    Attempt,
    Delivery,
    DeliveryStatus,
    Event,
    Subscription,
)
from webhooks.services import (
    BACKOFF_START_SECONDS,
    MAX_ATTEMPTS,
    MAX_RETRIES,
    TIMEOUT_SECONDS,
    Sender,
    deliver_due,
    purge_expired,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# How long a receiver that never answers may delay another subscription's delivery.
HEALTHY_DELAY_LIMIT_SECONDS = 2


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_an_event_arrives_signed_with_the_order_after_the_change(
    receiver, subscribe, make_order, client_api
):
    hooks = receiver()
    subscription = subscribe(hooks.url)
    order = make_order(number=42001)

    assert deliver_due() == 1

    (created,) = hooks.wait_for(1)
    assert created.signature_is_valid(subscription.secret)
    assert not created.signature_is_valid("another secret")
    body = created.json
    event = Event.objects.get()
    assert created.headers["X-Labsite-Event"] == body["type"] == "order.created"
    assert created.delivery_id == body["id"] == str(event.id)
    assert created.headers["Content-Type"] == "application/json"
    assert body["occurredAt"].endswith("Z")
    assert body["order"] == client_api.get(f"/api/v2/orders/{order.number}", status=200)
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    attempt = Attempt.objects.get()
    assert (attempt.status_code, attempt.error, attempt.response_excerpt) == (
        200,
        "",
        '{"ok": true}',
    )


def test_the_order_is_shown_as_it_was_after_each_change(receiver, subscribe, make_order):
    hooks = receiver()
    subscribe(hooks.url)
    order = make_order(number=42002)
    hold_order(order=order, actor=None)
    release_order(order=order, actor=None)
    cancel_order(order=order, actor=None, reason_code=None)

    while deliver_due():
        pass

    bodies = [request.json for request in hooks.wait_for(4)]
    assert [(b["type"], b["order"]["onHold"]) for b in bodies] == [
        ("order.created", False),
        ("order.status_changed", True),
        ("order.status_changed", False),
        ("order.cancelled", False),
    ]
    assert [b["order"]["items"][0]["status"] for b in bodies] == ["New", "New", "New", "Cancelled"]


def test_append_order_id(receiver, subscribe, make_order):
    hooks = receiver()
    subscribe(hooks.url, append_order_id=True)
    subscribe(hooks.url + "?source=lab", append_order_id=True)
    make_order(number=42003)

    deliver_due()

    paths = sorted(request.path for request in hooks.wait_for(2))
    assert paths == ["/hooks?orderid=42003", "/hooks?source=lab&orderid=42003"]


def test_a_subscription_to_one_event_type_receives_only_that_type(receiver, subscribe, make_order):
    cancels, everything = receiver(), receiver()
    subscribe(cancels.url, events=[EventType.CANCELLED])
    subscribe(everything.url)
    order = make_order(number=42014)
    hold_order(order=order, actor=None)
    release_order(order=order, actor=None)
    cancel_order(order=order, actor=None, reason_code=None)

    while deliver_due():
        pass

    assert [r.json["type"] for r in everything.requests] == [
        "order.created",
        "order.status_changed",
        "order.status_changed",
        "order.cancelled",
    ]
    assert [(r.headers["X-Labsite-Event"], r.json["type"]) for r in cancels.requests] == [
        ("order.cancelled", "order.cancelled")
    ]
    assert cancels.requests[0].delivery_id == everything.requests[3].delivery_id  # one event


def test_a_refused_change_delivers_nothing(receiver, subscribe, make_order):
    hooks = receiver()
    subscribe(hooks.url)
    order = make_order(number=42015)
    request_completion(order=order, actor=None, require_tracker=False)
    process_completions(worker="t1")
    while deliver_due():
        pass
    sent = ["order.created", "order.completed", "order.status_changed"]
    assert [r.json["type"] for r in hooks.requests] == sent

    with pytest.raises(OrderAlreadyCompleted):
        cancel_order(order=order, actor=None, reason_code=None)

    assert deliver_due() == 0
    assert [r.json["type"] for r in hooks.requests] == sent
    assert (Event.objects.count(), Delivery.objects.count()) == (3, 3)


def test_a_failing_receiver_is_retried_on_the_schedule_then_failed(receiver, subscribe, make_order):
    hooks = receiver(status=500)
    subscription = subscribe(hooks.url)
    make_order(number=42004)
    clock = Clock()
    started = clock.now

    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_due(clock=clock) == 1
        delivery = Delivery.objects.get()
        assert delivery.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert delivery.status == DeliveryStatus.PENDING
            waits.append((delivery.next_attempt_at - clock.now).total_seconds())
            clock.advance(waits[-1] - 1)
            assert deliver_due(clock=clock) == 0  # not due a second early
            clock.advance(1)

    # The contract: backoff from 30 s, doubling, up to 8 attempts over about 2 hours: the
    # first attempt, then 8 retries.
    assert MAX_ATTEMPTS == 1 + MAX_RETRIES == 9
    assert waits == [BACKOFF_START_SECONDS * 2**n for n in range(MAX_RETRIES)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3840]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, "HTTP 500")
    assert (clock.now - started).total_seconds() == sum(waits) == 2 * 3600 + 7 * 60 + 30
    assert Attempt.objects.filter(status_code=500).count() == MAX_ATTEMPTS
    assert len(hooks.requests) == MAX_ATTEMPTS
    assert len({request.delivery_id for request in hooks.requests}) == 1
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 1  # one delivery failed; failing after 10
    assert subscription.failing is False


def test_410_gone_deactivates_the_subscription(receiver, subscribe, make_order):
    hooks = receiver(status=410)
    subscription = subscribe(hooks.url)
    order = make_order(number=42005)
    hold_order(order=order, actor=None)

    assert deliver_due() == 1

    subscription.refresh_from_db()
    assert subscription.active is False
    # The hold's delivery, still waiting behind the creation, is closed with it.
    closed = list(Delivery.objects.order_by("id").values_list("status", "last_error"))
    assert closed == [
        (DeliveryStatus.FAILED, "HTTP 410"),
        (
            DeliveryStatus.FAILED,
            "not sent: the receiver answered 410 Gone, subscription deactivated",
        ),
    ]
    assert len(hooks.requests) == 1
    assert deliver_due() == 0  # an inactive subscription gets nothing more
    release_order(order=order, actor=None)
    assert Delivery.objects.count() == 2  # and no new events


def test_an_orders_later_event_waits_while_an_earlier_one_is_retried(
    receiver, subscribe, make_order
):
    hooks = receiver(status=503)
    subscribe(hooks.url)
    order = make_order(number=42006)
    hold_order(order=order, actor=None)
    other = make_order(number=42007)
    clock = Clock()

    assert deliver_due(clock=clock) == 2  # the first of each order; the hold waits
    assert sorted(r.json["order"]["orderNumber"] for r in hooks.requests) == ["42006", "42007"]

    hooks.status = 200
    clock.advance(BACKOFF_START_SECONDS)
    assert deliver_due(clock=clock) == 2  # both creations now; the hold still waits
    assert deliver_due(clock=clock) == 1  # then the hold
    assert [
        r.json["type"] for r in hooks.requests if r.json["order"]["orderNumber"] == "42006"
    ] == [
        "order.created",
        "order.created",
        "order.status_changed",
    ]
    assert other.number == 42007


def test_a_receiver_that_never_answers_holds_up_only_its_own_subscription(
    receiver, subscribe, make_order
):
    stuck, healthy = receiver(), receiver()
    stuck.hold()
    subscribe(stuck.url)  # claimed and handed on first
    subscribe(healthy.url)
    make_order(number=42008)
    sender = Sender(worker="isolation")
    try:
        started = time.monotonic()
        # A bound on the loop only, so that a failure ends; the test's limit is the assert.
        give_up = started + TIMEOUT_SECONDS
        while (
            not Delivery.objects.filter(
                subscription__url=healthy.url, status=DeliveryStatus.DELIVERED
            ).exists()
            and time.monotonic() < give_up
        ):
            sender.step()
        delayed = time.monotonic() - started
        assert delayed < HEALTHY_DELAY_LIMIT_SECONDS, (
            f"the healthy subscription's delivery took {delayed:.2f} s while the other hung"
        )
        assert [r.json["type"] for r in healthy.requests] == ["order.created"]
        assert len(stuck.wait_for(1)) == 1  # its POST arrived and still has no answer
        hung = Delivery.objects.get(subscription__url=stuck.url)
        assert (hung.status, hung.attempts) == (DeliveryStatus.SENDING, 1)
        assert not Attempt.objects.filter(delivery=hung).exists()
    finally:
        stuck.release()
        sender.close()
    hung.refresh_from_db()
    assert hung.status == DeliveryStatus.DELIVERED


def test_the_receivers_address_is_checked_again_at_send_time(
    receiver, subscribe, make_order, monkeypatch
):
    hooks = receiver()
    subscribe(hooks.url)
    make_order(number=42009)
    monkeypatch.delenv("WEBHOOK_ALLOWED_HOSTS")  # loopback no longer allowed

    assert deliver_due() == 1

    assert hooks.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error.startswith("destination refused: the URL must use https://")


PUBLIC = "93.184.216.34"
LOOPBACK_REFUSED = (
    "destination refused: the URL resolves to {}, a loopback, private, link-local or reserved "
    "address (allowed only for hosts listed in WEBHOOK_ALLOWED_HOSTS)"
)


@pytest.mark.parametrize(
    ("at_send", "refused"),
    [
        pytest.param(["127.0.0.1"], "127.0.0.1", id="loopback"),
        pytest.param([PUBLIC, "127.0.0.1"], "127.0.0.1", id="public-and-loopback"),
        pytest.param(["::ffff:127.0.0.1"], "::ffff:127.0.0.1", id="ipv4-mapped-loopback"),
    ],
)
def test_a_name_that_resolves_inside_the_lab_at_send_time_is_refused(
    receiver, subscribe, make_order, fake_dns, monkeypatch, at_send, refused
):
    """DNS rebinding: saved while its name pointed at a public address, the subscription's
    name points at the worker's own host when the event is sent."""
    local = receiver()  # listening on 127.0.0.1, where the name will point
    monkeypatch.delenv("WEBHOOK_ALLOWED_HOSTS")
    fake_dns.answer("hooks.example.com", [PUBLIC])
    subscription = subscribe(f"https://hooks.example.com:{local.port}/hooks")  # taken: public
    make_order(number=42012)
    fake_dns.answer("hooks.example.com", at_send)
    fake_dns.asked.clear()

    assert deliver_due() == 1

    assert fake_dns.asked == ["hooks.example.com"]  # resolved again at send time
    assert (local.connections, local.requests) == (0, [])
    delivery = Delivery.objects.get()
    error = LOOPBACK_REFUSED.format(refused)
    assert (delivery.subscription, delivery.status, delivery.attempts, delivery.last_error) == (
        subscription,
        DeliveryStatus.PENDING,  # retried: the name may point outside again
        1,
        error,
    )
    attempt = Attempt.objects.get()
    assert (attempt.status_code, attempt.error) == (None, error)


def test_the_post_goes_to_the_address_checked_not_to_a_second_lookup(
    receiver, subscribe, make_order, fake_dns, monkeypatch
):
    """The name is resolved once per attempt, by the destination check, and the request is
    sent to that address: a name whose answer changes between the check and the connection
    (rebinding to an address the check would refuse) is never looked up again."""
    checked = receiver()
    decoy = receiver(address="127.0.0.2", port=checked.port)
    monkeypatch.setenv("WEBHOOK_ALLOWED_HOSTS", "hooks.lab.test")
    fake_dns.answer("hooks.lab.test", ["127.0.0.1"])
    subscribe(f"http://hooks.lab.test:{checked.port}/hooks")
    make_order(number=42013)
    fake_dns.answer("hooks.lab.test", ["127.0.0.1"], ["127.0.0.2"])  # the check, then later
    fake_dns.asked.clear()

    assert deliver_due() == 1

    assert fake_dns.asked == ["hooks.lab.test"]
    assert (decoy.connections, decoy.requests) == (0, [])
    (arrived,) = checked.requests
    assert arrived.headers["Host"] == f"hooks.lab.test:{checked.port}"
    assert arrived.path == "/hooks"
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_deliveries_are_kept_30_days_after_they_end(receiver, subscribe, make_order):
    hooks = receiver()
    subscribe(hooks.url)
    make_order(number=42010)
    make_order(number=42011)
    clock = Clock()
    assert deliver_due(clock=clock) == 2
    Delivery.objects.filter(event__order__number=42011).update(status=DeliveryStatus.PENDING)

    clock.advance(timedelta(days=30).total_seconds() - 1)
    assert purge_expired(clock=clock) == 0
    clock.advance(2)
    assert purge_expired(clock=clock) == 1  # the delivered one; the open one stays

    assert list(Delivery.objects.values_list("event__order__number", flat=True)) == [42011]
    assert list(Event.objects.values_list("order__number", flat=True)) == [42011]
    assert Attempt.objects.filter(delivery__event__order__number=42010).count() == 0


def test_every_event_type_arrives_signed_with_the_order_as_its_change_left_it(
    receiver, subscribe, make_order, client_api
):
    hooks = receiver()
    subscription = subscribe(hooks.url)
    order = make_order(number=42020, items=2)
    printer = Printer.objects.create(name="Front", driver="spool", folder="front")
    WorkstationPort.objects.filter(workstation__code="00", number=1).update(printer=printer)
    station = Station.objects.create(code="SURF", description="Surfacing")
    other = make_order(number=42021)
    first_item = order.items.order_by("id").first().pk

    def fetched(number):
        return client_api.get(f"/api/v2/orders/{number}", status=200)

    # Each event's order as the API showed it right after the change that wrote the event (a
    # change may write more than one).
    model_after: dict[str, dict] = {}

    def note_new_events():
        for event in Event.objects.exclude(pk__in=list(model_after)).select_related("order"):
            model_after[str(event.pk)] = fetched(event.order.number)

    for change in [
        lambda: None,  # both orders created above
        lambda: hold_order(order=order, actor=None),
        lambda: release_order(order=order, actor=None),
        lambda: assign_tray(order=order, tray="31", actor=None),
        lambda: queue_ticket(order=order, lpt_port="1", actor=None),
        lambda: cancel_items(order=order, item_ids=[first_item], actor=None),
        lambda: check_in(order=order, station=station, operator=None, actor=None),
        lambda: cancel_order(order=other, actor=None, reason_code=None),
        lambda: request_completion(order=order, actor=None, require_tracker=False),
        lambda: process_completions(worker="t1"),
    ]:
        change()
        note_new_events()

    while deliver_due():
        pass

    arrived = hooks.wait_for(len(model_after))
    assert len(arrived) == len(model_after) == Event.objects.count()
    assert all(request.signature_is_valid(subscription.secret) for request in arrived)
    assert {request.json["type"] for request in arrived} == set(EventType.values)
    for request in arrived:
        body = request.json
        if body["type"] == EventType.CANCELLED:
            # The API no longer shows an order marked for cancelation; the event shows it as
            # the cancel left it, its items cancelled.
            assert model_after[body["id"]] == {
                "error": "Order marked for cancelation",
                "details": [],
            }
            assert body["order"]["orderNumber"] == "42021"
            assert [item["status"] for item in body["order"]["items"]] == ["Cancelled"]
        else:
            assert body["order"] == model_after[body["id"]], body["type"]


def test_the_secret_is_stored_sealed_and_opens_after_a_key_rotation(
    receiver, subscribe, make_order, settings
):
    hooks = receiver()
    subscription = subscribe(hooks.url)
    secret = subscription.secret
    stored = Subscription.objects.values_list("sealed_secret", flat=True).get()
    assert secret not in stored

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a new development-only key " + "x" * 40
    make_order(number=42030)
    assert deliver_due() == 1
    assert hooks.wait_for(1)[0].signature_is_valid(secret)

    settings.SECRET_KEY_FALLBACKS = []  # the old key dropped: the secret no longer opens
    make_order(number=42031)
    assert deliver_due() == 1
    delivery = Delivery.objects.get(event__order__number=42031)
    assert delivery.status == DeliveryStatus.PENDING
    assert "does not open with SECRET_KEY" in delivery.last_error
    assert len(hooks.requests) == 1


def test_a_subscription_is_failing_after_ten_failed_deliveries_in_a_row(
    receiver, subscribe, make_order
):
    hooks = receiver(status=500)
    subscription = subscribe(hooks.url)
    for n in range(FAILING_AFTER):
        make_order(number=42040 + n)
    Delivery.objects.update(attempts=MAX_ATTEMPTS - 1)  # each at its last attempt

    assert deliver_due() == FAILING_AFTER

    subscription.refresh_from_db()
    assert subscription.failing is True
    hooks.status = 200
    make_order(number=42060)
    assert deliver_due() == 1
    subscription.refresh_from_db()
    assert (subscription.consecutive_failures, subscription.failing) == (0, False)


def test_a_delivery_deleted_while_it_is_sent_records_nothing_and_the_worker_goes_on(
    receiver, subscribe, make_order
):
    stuck = receiver()
    stuck.hold()
    gone = subscribe(stuck.url)
    make_order(number=42070)
    sender = Sender(worker="deleted-meanwhile")
    try:
        sender.step()
        stuck.wait_for(1)
        gone.delete()  # the supervisor deletes it while its POST waits for an answer
        stuck.release()
        assert sender.drain() == 1
    finally:
        sender.close()

    assert not Delivery.objects.exists()
    assert not Attempt.objects.exists()


def test_append_order_id_keeps_the_query_and_drops_a_fragment(receiver, subscribe, make_order):
    hooks = receiver()
    subscribe(hooks.url + "?#top", append_order_id=True)
    make_order(number=42080)

    deliver_due()

    assert [request.path for request in hooks.wait_for(1)] == ["/hooks?orderid=42080"]


def test_an_answer_trickling_in_past_the_time_limit_is_a_failed_attempt(
    allow_loopback, subscribe, make_order, monkeypatch
):
    """Each read within the limit, the whole answer not: the limit is the attempt's."""
    import socket

    from webhooks import services

    monkeypatch.setattr(services, "TIMEOUT_SECONDS", 0.5)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    sent = []

    def trickle():
        connection, _ = listener.accept()
        with connection, suppress(OSError):  # the worker hangs up on it
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
            for _ in range(10):
                time.sleep(0.2)
                connection.sendall(b"x")
                sent.append(1)

    server = threading.Thread(target=trickle, daemon=True)
    server.start()
    subscribe(f"http://127.0.0.1:{port}/slow")
    make_order(number=42090)

    assert deliver_due() == 1

    server.join(10)
    listener.close()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        DeliveryStatus.PENDING,
        "no complete answer within 0.5 s",
    )
    assert len(sent) < 10  # the worker stopped reading before the answer was complete
