"""The Dynamic Display's board: the work in progress of the whole lab in three queries,
whatever the number of orders (no per-order work in Python: a row per station)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from orders.models import ACTIVE_ORDER, Order, Station
from orders.status import OrderState


@dataclass(frozen=True)
class StationLoad:
    code: str
    description: str
    count: int
    oldest_at: datetime  # the earliest check-in of the orders there now

    def oldest_age(self, now: datetime) -> timedelta:
        return now - self.oldest_at


@dataclass(frozen=True)
class Board:
    at: datetime
    stations: list[StationLoad]  # by station code
    in_progress: int  # neither completed nor marked for cancelation
    not_checked_in: int  # of those, not checked in at any station yet
    due_today: int  # in progress and wanted today
    late: int  # in progress and wanted before today
    completed_today: int


def read_board(now: datetime | None = None) -> Board:
    """The board, in three queries: the orders in progress grouped by their station (those
    not checked in yet a group of their own), each group with its due-today and late counts;
    the stations named there; and the completions of the day."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    groups = list(
        Order.objects.filter(ACTIVE_ORDER)
        .values("current_station")
        .annotate(
            count=Count("pk"),
            oldest_at=Min("current_station_at"),
            due_today=Count("pk", filter=Q(date_wanted=today)),
            late=Count("pk", filter=Q(date_wanted__lt=today)),
        )
        .order_by()
    )
    at_stations = [group for group in groups if group["current_station"] is not None]
    stations = Station.objects.in_bulk([group["current_station"] for group in at_stations])
    start_of_day = timezone.make_aware(datetime.combine(today, time.min))
    completed_today = Order.objects.filter(
        state=OrderState.COMPLETED, completed_at__gte=start_of_day
    ).count()
    return Board(
        at=now,
        stations=sorted(
            (
                StationLoad(
                    code=stations[group["current_station"]].code,
                    description=stations[group["current_station"]].description,
                    count=group["count"],
                    oldest_at=group["oldest_at"],
                )
                for group in at_stations
                if group["current_station"] in stations  # not deleted in between
            ),
            key=lambda load: load.code,
        ),
        in_progress=sum(group["count"] for group in groups),
        not_checked_in=sum(g["count"] for g in groups if g["current_station"] is None),
        due_today=sum(group["due_today"] for group in groups),
        late=sum(group["late"] for group in groups),
        completed_today=completed_today,
    )
