"""Recording a job's surfacing calculation: which of its eyes are calculated."""

from collections.abc import Mapping

from django.db import transaction

from orders.errors import EyeNotOrdered
from orders.models import Order, OrderEye
from orders.rx import Eye
from orders.status import EventKind

from .history import save_change
from .locks import lock_open_order


def record_calculation(*, order: Order, calculated: Mapping[Eye, bool], actor) -> Order:
    """Mark each eye in ``calculated`` as calculated or not. Refused for an eye the order does
    not have (``EyeNotOrdered``) and, as every change of content, for an order that is marked
    for cancelation or completed. The history records the description before and after; a
    request that changes nothing records nothing."""
    with transaction.atomic():
        order = lock_open_order(order)
        eyes = {row.eye: row for row in order.eyes.all()}
        for eye, attribute in Order.EYE_ATTRIBUTES.items():
            setattr(order, attribute, eyes.get(eye))  # the rows changed below
        for eye in calculated:
            if eye not in eyes:
                raise EyeNotOrdered(eye)
        before = order.calculation_description
        changed = [eyes[eye] for eye, done in calculated.items() if eyes[eye].calculated != done]
        if not changed:
            return order
        for row in changed:
            row.calculated = calculated[row.eye]
        OrderEye.objects.bulk_update(changed, ["calculated"])
        save_change(
            order,
            [],
            kind=EventKind.CALCULATION,
            actor=actor,
            from_value=before,
            to_value=order.calculation_description,
        )
        return order
