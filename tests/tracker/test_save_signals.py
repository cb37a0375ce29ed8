"""Check-ins and completion requests are written through the models: a save signal receiver
that anyone connects sees every row the tracker writes, and nothing refuses to run."""

from django.db.models.signals import post_save

import pytest

from orders.models import Order
from toolkit.models import WorkerHeartbeat
from tracker.models import CheckIn, CompletionRequest
from tracker.services import check_in, request_completion

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved():
    """Every post_save of an order, a check-in or a completion request while the test runs:
    (model, created, the fields named by ``update_fields``)."""
    seen = []

    def receiver(sender, instance, created, update_fields, **kwargs):
        seen.append((sender, created, sorted(update_fields or ())))

    for model in (Order, CheckIn, CompletionRequest):
        post_save.connect(receiver, sender=model, dispatch_uid=f"test-saved-{model.__name__}")
    yield seen
    for model in (Order, CheckIn, CompletionRequest):
        post_save.disconnect(sender=model, dispatch_uid=f"test-saved-{model.__name__}")


def test_a_check_in_sends_the_save_signals_of_its_rows(make_order, make_station, saved):
    order = make_order()
    saved.clear()

    check_in(order=order, station=make_station("SURF"), operator=None, actor=None)

    assert saved == [
        (CheckIn, True, []),
        (Order, False, ["current_station", "current_station_at", "state", "version"]),
    ]


def test_a_completion_request_sends_the_save_signals_of_its_rows(make_order, saved):
    WorkerHeartbeat.objects.create(kind="tracker", worker_id="tracker-test")
    order = make_order()
    saved.clear()

    request_completion(order=order, actor=None)

    assert saved == [
        (CompletionRequest, True, []),
        (Order, False, ["pending_completion", "version"]),
    ]
