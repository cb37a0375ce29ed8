"""Subscriptions' secrets, and delivering the events: claim, sign, POST, record.

Deliveries are claimed like print jobs (DESIGN.md, decision 4): due rows taken with
``SKIP LOCKED`` and marked ``sending`` by one worker, so any number of workers may run; a
worker that dies leaves its claims to the others once its heartbeat is stale. A delivery is
claimed only while no earlier delivery of the same order to the same subscription is still
open (pending, retrying or being sent): one order's events reach a subscription in the order
they happened, a retried one holding back the later ones.

Each subscription's deliveries are POSTed on a thread of that subscription's (``Sender``), so a
receiver that does not answer holds up only its own; the database work (claims, records) stays
on the worker's thread. Every attempt is recorded as soon as it ends.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Collection
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings as django_settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

import httpx

from toolkit.workers import left_by_dead_worker

from .destinations import DestinationRefused, check_destination
from .models import (
    KEEP_DAYS,
    Attempt,
    Delivery,
    DeliveryStatus,
    Event,
    SecretUnreadable,
    Subscription,
    new_secret,
)

logger = logging.getLogger(__name__)

WEBHOOKS = "webhooks"  # the heartbeat kind of run_webhooks
# The contract's "up to 8 attempts over about 2 hours", read as the first attempt and up to 8
# retries: waits of 30 s, 1, 2, 4, 8, 16, 32 and 64 min, 2 h 7 min 30 s from first to last.
MAX_RETRIES = 8
MAX_ATTEMPTS = 1 + MAX_RETRIES
BACKOFF_START_SECONDS = 30  # the wait after the first failed attempt, doubling after each
TIMEOUT_SECONDS = 10.0  # an answer later than this is a failed attempt
EXCERPT_BYTES = 1024
DEFAULT_BATCH_SIZE = 50
MAX_SUBSCRIPTIONS_AT_ONCE = 16
WAIT_FOR_SENDS_SECONDS = 0.2
PURGE_EVERY_SECONDS = 600  # how often a worker deletes what is past KEEP_DAYS
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


def rotate_secret(subscription: Subscription) -> str:
    """Give the subscription a new secret and answer it (shown this once)."""
    secret = new_secret()
    subscription.secret = secret
    subscription.save(update_fields=["sealed_secret"])
    return secret


def purge_expired(*, clock: Callable[[], datetime] = timezone.now) -> int:
    """Delete deliveries that ended more than ``KEEP_DAYS`` ago, with their attempts, and the
    events left without a delivery; how many deliveries."""
    cutoff = clock() - timedelta(days=KEEP_DAYS)
    _, deleted = Delivery.objects.filter(
        status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED], finished_at__lt=cutoff
    ).delete()
    Event.objects.filter(occurred_at__lt=cutoff).exclude(
        Exists(Delivery.objects.filter(event_id=OuterRef("pk")))
    ).delete()
    return deleted.get(Delivery._meta.label, 0)


def retry_delivery(delivery: Delivery, *, clock: Callable[[], datetime] = timezone.now) -> bool:
    """Send a failed delivery again, with a fresh set of attempts (a supervisor's re-send)."""
    return bool(
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=clock(),
            last_error="",
            finished_at=None,
        )
    )


# --- signing ------------------------------------------------------------------------------


def signature_headers(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """``X-Labsite-Timestamp`` and ``X-Labsite-Signature`` (HMAC-SHA256 over
    ``<timestamp>.<body>``), and PORTOS' ``X-PORTOS-WEBHOOK-SIGNATURE`` (base64 of HMAC-SHA256
    over the body alone)."""
    key = secret.encode()
    signed = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    portos = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    return {
        "X-Labsite-Timestamp": str(timestamp),
        "X-Labsite-Signature": f"sha256={signed}",
        "X-PORTOS-WEBHOOK-SIGNATURE": portos,
    }


def encode(event: Event) -> bytes:
    return json.dumps(event.body(), separators=(",", ":"), ensure_ascii=False).encode()


def target_url(subscription: Subscription, order_number) -> str:
    """The subscription's URL, with ``orderid=<number>`` added to its query where it asks for
    it (a fragment, which is never sent, is dropped)."""
    if not subscription.append_order_id:
        return subscription.url
    parts = urlsplit(subscription.url)
    query = "&".join(part for part in (parts.query, f"orderid={order_number}") if part)
    return urlunsplit(parts._replace(query=query, fragment=""))


# --- one POST -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """What a sender thread needs for one attempt: plain values, no model."""

    delivery_id: int
    url: str
    secret: str = field(repr=False)
    event_type: str
    event_id: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    at: datetime
    duration_ms: int
    status_code: int | None = None
    error: str = ""
    excerpt: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410

    def describe(self) -> str:
        return self.error or f"HTTP {self.status_code}"


def _pinned(url: str, address: str) -> tuple[str, str, str]:
    """``url`` aimed at ``address`` (one the destination rules checked), the Host header it
    must carry, and the host name TLS must verify."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc)), host_header, host


def send(client: httpx.Client, post: Post, *, clock: Callable[[], datetime]) -> Outcome:
    """POST one delivery and say what happened; never raises for the receiver's faults."""
    at = clock()
    started = time.monotonic()

    def outcome(**values) -> Outcome:
        return Outcome(at=at, duration_ms=round(1000 * (time.monotonic() - started)), **values)

    def late() -> bool:
        return time.monotonic() - started > TIMEOUT_SECONDS

    try:
        addresses = check_destination(post.url)
    except DestinationRefused as refusal:
        return outcome(error=f"destination refused: the URL {refusal}")
    if not addresses:
        return outcome(error="the host does not resolve")
    url, host_header, host = _pinned(post.url, addresses[0])
    headers = {
        "Content-Type": "application/json",
        "Host": host_header,
        "User-Agent": "labsite-webhooks",
        "X-Labsite-Event": post.event_type,
        "X-Labsite-Delivery": post.event_id,
        **signature_headers(post.secret, post.body, int(at.timestamp())),
    }
    try:
        with client.stream(
            "POST", url, content=post.body, headers=headers, extensions={"sni_hostname": host}
        ) as response:
            excerpt = b""
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES or late():
                    break
    except httpx.TimeoutException:
        return outcome(error=f"no answer within {TIMEOUT_SECONDS:g} s")
    except httpx.HTTPError as error:
        return outcome(error=f"{type(error).__name__}: {error}"[:500])
    if late():  # an answer trickling in counts within the same 10 s as one that never comes
        return outcome(error=f"no complete answer within {TIMEOUT_SECONDS:g} s")
    return outcome(
        status_code=response.status_code,
        excerpt=excerpt[:EXCERPT_BYTES].decode("utf-8", errors="replace"),
    )


def http_client() -> httpx.Client:
    """The pooled client one subscription is sent to with (a client per subscription: a
    connection opened and verified for one host is never reused for another's requests, and
    one subscription's hung connections never take another's place in the pool). No
    redirects followed (a 3xx is a failed attempt, not a way around the destination rules),
    no proxies from the environment."""
    return httpx.Client(
        timeout=httpx.Timeout(TIMEOUT_SECONDS),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=2, max_keepalive_connections=1),
    )


# --- claims and records ---------------------------------------------------------------------


def claim_deliveries(
    *,
    worker: str,
    limit: int = DEFAULT_BATCH_SIZE,
    skip_subscriptions: Collection[int] = (),
    clock: Callable[[], datetime] = timezone.now,
    heartbeat_window: float | None = None,
) -> list[Delivery]:
    """Take up to ``limit`` due deliveries of active subscriptions and mark them sending: the
    first open one of each order for each subscription, pending and due, or left sending by a
    worker taken for dead. ``skip_subscriptions``: those this worker is still sending to."""
    if heartbeat_window is None:
        heartbeat_window = django_settings.WEBHOOK_HEARTBEAT_WINDOW_SECONDS
    now = clock()
    stale = now - timedelta(seconds=heartbeat_window)
    earlier_open = Delivery.objects.filter(
        subscription_id=OuterRef("subscription_id"),
        order_id=OuterRef("order_id"),
        id__lt=OuterRef("id"),
        status__in=OPEN,
    )
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "subscription")
            .filter(
                Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
                | (Q(status=DeliveryStatus.SENDING) & left_by_dead_worker(stale)),
                subscription__active=True,
            )
            .exclude(Exists(earlier_open))
            .exclude(subscription_id__in=list(skip_subscriptions))
            .order_by("next_attempt_at", "id")[:limit]
        )
        if not deliveries:
            return []
        Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            status=DeliveryStatus.SENDING,
            claimed_at=now,
            claimed_by=worker,
            attempts=F("attempts") + 1,
        )
        for delivery in deliveries:
            delivery.status, delivery.claimed_at, delivery.claimed_by = (
                DeliveryStatus.SENDING,
                now,
                worker,
            )
            delivery.attempts += 1
        return deliveries


def release_deliveries(deliveries: list[Delivery]) -> int:
    """Give claimed deliveries back unsent, as if they had never been claimed."""
    return sum(
        Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_by=delivery.claimed_by
        ).update(status=DeliveryStatus.PENDING, claimed_at=None, attempts=F("attempts") - 1)
        for delivery in deliveries
    )


def record_outcome(delivery: Delivery, outcome: Outcome) -> str:
    """Record one attempt and what follows from it: delivered; failed for good (410 Gone,
    which also deactivates the subscription and closes its other pending deliveries, or the
    last of ``MAX_ATTEMPTS``); or retried with backoff. A delivery deleted meanwhile (with its
    subscription or order) records nothing; one another worker has reclaimed records only the
    attempt. A subscription counts its deliveries failed in a row (``failing``). Returns the
    delivery's status."""
    with transaction.atomic():
        current = (
            Delivery.objects.select_for_update()
            .filter(pk=delivery.pk)
            .values_list("status", "claimed_by")
            .first()
        )
        if current is None:
            return delivery.status
        Attempt.objects.create(
            delivery_id=delivery.pk,
            at=outcome.at,
            status_code=outcome.status_code,
            error=outcome.error[:500],
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
        )
        if current != (DeliveryStatus.SENDING, delivery.claimed_by):
            return current[0]
        if outcome.delivered:
            status, changes = DeliveryStatus.DELIVERED, {"last_error": ""}
        elif outcome.gone or delivery.attempts >= MAX_ATTEMPTS:
            status, changes = DeliveryStatus.FAILED, {"last_error": outcome.describe()}
        else:
            delay = BACKOFF_START_SECONDS * 2 ** (delivery.attempts - 1)
            status = DeliveryStatus.PENDING
            changes = {
                "last_error": outcome.describe(),
                "next_attempt_at": outcome.at + timedelta(seconds=delay),
            }
        if status != DeliveryStatus.PENDING:
            changes["finished_at"] = outcome.at
        Delivery.objects.filter(pk=delivery.pk).update(status=status, **changes)
        subscription = Subscription.objects.filter(pk=delivery.subscription_id)
        if status == DeliveryStatus.DELIVERED:
            subscription.exclude(consecutive_failures=0).update(consecutive_failures=0)
        elif status == DeliveryStatus.FAILED:
            subscription.update(consecutive_failures=F("consecutive_failures") + 1)
        if outcome.gone:
            subscription.update(active=False)
            Delivery.objects.filter(
                subscription_id=delivery.subscription_id, status=DeliveryStatus.PENDING
            ).update(
                status=DeliveryStatus.FAILED,
                last_error="not sent: the receiver answered 410 Gone, subscription deactivated",
                finished_at=outcome.at,
            )
            logger.warning(
                "Webhook subscription %s deactivated: its receiver answered 410 Gone",
                delivery.subscription_id,
            )
        delivery.status = status
        return status


class Sender:
    """One worker's sending: each subscription's deliveries go out on a thread of that
    subscription's, in claim order, so a receiver that does not answer holds up only its own
    deliveries. Database work stays on the calling thread."""

    def __init__(
        self,
        *,
        worker: str,
        max_subscriptions: int = MAX_SUBSCRIPTIONS_AT_ONCE,
        clock: Callable[[], datetime] = timezone.now,
    ):
        self.worker = worker
        self.max_subscriptions = max_subscriptions
        self.clock = clock
        self._threads: dict[int, ThreadPoolExecutor] = {}  # by subscription id
        self._clients: dict[int, httpx.Client] = {}  # by subscription id, with its thread
        self._in_flight: dict[Future, Delivery] = {}
        self._purged_at = float("-inf")  # time.monotonic() of the last purge

    def pending(self) -> bool:
        return bool(self._in_flight)

    def step(self, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
        """Record the sends that ended, claim what is due for the subscriptions not busy and
        hand it on. Returns how many attempts were recorded."""
        recorded = self._record_ended()
        if time.monotonic() - self._purged_at >= PURGE_EVERY_SECONDS:
            purge_expired(clock=self.clock)
            self._purged_at = time.monotonic()
        busy = {delivery.subscription_id for delivery in self._in_flight.values()}
        if len(busy) < self.max_subscriptions:
            claimed = claim_deliveries(
                worker=self.worker, limit=batch_size, skip_subscriptions=busy, clock=self.clock
            )
            recorded += self._hand_on(self._within_limit(claimed, busy))
        if not recorded and self._in_flight:
            wait(list(self._in_flight), WAIT_FOR_SENDS_SECONDS, return_when=FIRST_COMPLETED)
            recorded += self._record_ended()
        return recorded

    def drain(self) -> int:
        recorded = 0
        while self._in_flight:
            wait(list(self._in_flight), return_when=FIRST_COMPLETED)
            recorded += self._record_ended()
        return recorded

    def stop(self) -> int:
        """Give back what has not started, finish what has; how many attempts recorded."""
        unstarted = [d for future, d in list(self._in_flight.items()) if future.cancel()]
        for future in [future for future in self._in_flight if future.cancelled()]:
            del self._in_flight[future]
        release_deliveries(unstarted)
        return self.drain()

    def close(self) -> None:
        try:
            self.drain()
        finally:
            for thread in self._threads.values():
                thread.shutdown(wait=True)
            self._threads.clear()
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def _within_limit(self, deliveries: list[Delivery], busy: set[int]) -> list[Delivery]:
        room = self.max_subscriptions - len(busy)
        chosen = list(dict.fromkeys(d.subscription_id for d in deliveries))[:room]
        release_deliveries([d for d in deliveries if d.subscription_id not in chosen])
        return [d for d in deliveries if d.subscription_id in chosen]

    def _hand_on(self, deliveries: list[Delivery]) -> int:
        """Queue each delivery's POST on its subscription's thread; how many attempts ended
        here instead (a secret that does not open)."""
        ended = 0
        for delivery in deliveries:
            event, subscription = delivery.event, delivery.subscription
            try:
                secret = subscription.secret
            except SecretUnreadable as unreadable:
                record_outcome(
                    delivery, Outcome(at=self.clock(), duration_ms=0, error=str(unreadable))
                )
                ended += 1
                continue
            post = Post(
                delivery_id=delivery.pk,
                url=target_url(subscription, event.order_model.get("orderNumber")),
                secret=secret,
                event_type=event.type,
                event_id=str(event.id),
                body=encode(event),
            )
            thread = self._threads.get(subscription.pk)
            if thread is None:
                thread = self._threads[subscription.pk] = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix=f"webhook-{subscription.pk}"
                )
                self._clients[subscription.pk] = http_client()
            client = self._clients[subscription.pk]
            self._in_flight[thread.submit(send, client, post, clock=self.clock)] = delivery
        return ended

    def _record_ended(self) -> int:
        ended = [future for future in self._in_flight if future.done()]
        for future in ended:
            delivery = self._in_flight.pop(future)
            try:
                outcome = future.result()
            except Exception as error:  # a bug in sending fails the attempt, not the worker
                logger.exception("Webhook delivery %s: sending failed", delivery.pk)
                outcome = Outcome(at=self.clock(), duration_ms=0, error=type(error).__name__)
            try:
                record_outcome(delivery, outcome)
            except DatabaseError:  # this attempt unrecorded: resent, as at-least-once allows
                logger.exception("Webhook delivery %s: recording the attempt failed", delivery.pk)
                with suppress(DatabaseError):
                    release_deliveries([delivery])
        busy = {delivery.subscription_id for delivery in self._in_flight.values()}
        for subscription_id in [pk for pk in self._threads if pk not in busy]:
            self._threads.pop(subscription_id).shutdown(wait=False)  # idle: nothing to wait for
            self._clients.pop(subscription_id).close()
        return len(ended)


def deliver_due(*, worker: str = "deliver-due", clock=timezone.now, batch_size=DEFAULT_BATCH_SIZE):
    """Claim what is due once, send it and wait for every send (tests and the benchmark);
    how many attempts were recorded."""
    sender = Sender(worker=worker, clock=clock)
    try:
        recorded = sender.step(batch_size)
        return recorded + sender.drain()
    finally:
        sender.close()
