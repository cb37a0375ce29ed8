"""The supervisor dashboard on the admin index: what is in the lab now, and what needs a look.

Every figure comes from a constant number of aggregate queries, however many orders there are,
and links to the admin list filtered to exactly the rows it counts. Charts are drawn here, on
the server, as inline SVG: no script, no network, readable by screen readers.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.rights import Right
from orders.models import Order, Station
from orders.status import ON_HOLD_STATUS, OrderState
from printing.models import PrintJob, PrintStatus
from tracker.models import CompletionRequest, CompletionStatus
from webhooks.models import Delivery, DeliveryStatus, Subscription

# Query parameters of the order list's filters (see orders/admin.py).
WORK_IN_PROGRESS = {"wip": "yes"}
NOT_ON_HOLD = {"on_hold__exact": "0"}
ON_HOLD = {"on_hold__exact": "1"}
WITHOUT_TRAY = {"has_tray": "no"}
OVERDUE = {"overdue": "yes"}
NO_STATION = {"current_station__isnull": "True"}
# The webhook subscription list's filters (see webhooks/admin.py): failing, and active, as
# ``Subscription.objects.failing()`` counts them.
FAILING = {"failing": "yes", "active__exact": "1"}

# Work in progress is never completed, so these are the states it can be in.
WIP_STATES = [OrderState.UNVALID, OrderState.VALID, OrderState.PROCESS]


def changelist_url(model, **params) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def order_list_url(*filters: dict) -> str:
    params: dict[str, str] = {}
    for part in filters:
        params.update(part)
    return changelist_url(Order, **params)


@dataclass
class Figure:
    """One number on the dashboard; ``alert`` marks it as needing attention when above 0."""

    key: str
    label: str
    count: int
    url: str
    alert: bool = False

    @property
    def needs_attention(self) -> bool:
        return self.alert and self.count > 0


@dataclass
class Bar:
    key: str
    label: str
    count: int
    url: str
    # Geometry, filled in by Chart.
    y: int = 0
    width: int = 0


@dataclass
class Chart:
    """A horizontal bar chart: one row per bar, label on the left, count after the bar."""

    key: str
    title: str
    bars: list[Bar]
    label_width: int = 190
    bar_area: int = 330
    row_height: int = 30
    bar_height: int = 20
    count_gap: int = 6
    width: int = field(init=False)
    height: int = field(init=False)

    def __post_init__(self):
        largest = max((bar.count for bar in self.bars), default=0)
        for index, bar in enumerate(self.bars):
            bar.y = index * self.row_height
            bar.width = round(bar.count / largest * self.bar_area) if largest else 0
            if bar.count and bar.width < 2:
                bar.width = 2  # a single order among thousands is still visible
        self.width = self.label_width + self.bar_area + 60
        self.height = max(len(self.bars), 1) * self.row_height

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)

    @property
    def text_offset(self) -> int:
        """Baseline of a row's text, from the row's top: centred on the bar."""
        return (self.row_height + self.bar_height) // 2 - 4

    @property
    def bar_offset(self) -> int:
        return (self.row_height - self.bar_height) // 2


@dataclass
class Dashboard:
    charts: list[Chart] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    work_in_progress: Figure | None = None


def _order_figures(today) -> tuple[Figure, list[Figure], Chart, Chart]:
    # One query: every count over the orders in progress.
    totals = Order.objects.active().aggregate(
        n_total=Count("pk"),
        n_on_hold=Count("pk", filter=Q(on_hold=True)),
        n_without_tray=Count("pk", filter=Q(tray="")),
        n_overdue=Count("pk", filter=Q(date_wanted__lt=today)),
        **{
            f"n_state_{state.value}": Count("pk", filter=Q(state=state, on_hold=False))
            for state in WIP_STATES
        },
    )
    # One query: orders in progress per current station (None: not checked in anywhere yet).
    per_station = dict(
        Order.objects.active().values_list("current_station").annotate(count=Count("pk")).order_by()
    )
    # One query: the stations, so that empty ones show as empty.
    stations = list(Station.objects.filter(is_operator=False).order_by("code"))

    # The states as the API reports them: on hold hides the state it sits on.
    state_chart = Chart(
        key="state",
        title="Work in progress by state",
        bars=[
            *(
                Bar(
                    key=state.value,
                    label=state.label,
                    count=totals[f"n_state_{state.value}"],
                    url=order_list_url(
                        WORK_IN_PROGRESS, NOT_ON_HOLD, {"state__exact": state.value}
                    ),
                )
                for state in WIP_STATES
            ),
            Bar(
                key=ON_HOLD_STATUS[0],
                label=ON_HOLD_STATUS[1],
                count=totals["n_on_hold"],
                url=order_list_url(WORK_IN_PROGRESS, ON_HOLD),
            ),
        ],
    )
    known = {station.pk for station in stations}
    station_bars = [
        Bar(
            key=station.code,
            label=f"{station.code} — {station.description}",
            count=per_station.get(station.pk, 0),
            url=order_list_url(WORK_IN_PROGRESS, {"current_station__id__exact": str(station.pk)}),
        )
        for station in stations
    ]
    # An operator "station" as current station is a data error, but its orders still count.
    unlisted = sum(n for pk, n in per_station.items() if pk is not None and pk not in known)
    if unlisted:
        station_bars.append(
            Bar(key="", label="Other", count=unlisted, url=order_list_url(WORK_IN_PROGRESS))
        )
    station_bars.append(
        Bar(
            key="-",
            label="Not checked in yet",
            count=per_station.get(None, 0),
            url=order_list_url(WORK_IN_PROGRESS, NO_STATION),
        )
    )
    station_chart = Chart(
        key="station", title="Work in progress by current station", bars=station_bars
    )
    wip = Figure(
        key="wip",
        label="Orders in progress",
        count=totals["n_total"],
        url=order_list_url(WORK_IN_PROGRESS),
    )
    figures = [
        Figure(
            key="without_tray",
            label="Waiting for a tray",
            count=totals["n_without_tray"],
            url=order_list_url(WORK_IN_PROGRESS, WITHOUT_TRAY),
            alert=True,
        ),
        Figure(
            key="overdue",
            label="Overdue (date wanted passed)",
            count=totals["n_overdue"],
            url=order_list_url(OVERDUE),
            alert=True,
        ),
    ]
    return wip, figures, state_chart, station_chart


def _completion_figures() -> list[Figure]:
    counts = CompletionRequest.objects.aggregate(
        n_pending=Count("pk", filter=Q(status=CompletionStatus.PENDING)),
        n_failed=Count("pk", filter=Q(status=CompletionStatus.FAILED)),
    )
    return [
        Figure(
            key="completions_pending",
            label="Completions waiting for the Job Tracker",
            count=counts["n_pending"],
            url=changelist_url(CompletionRequest, status__exact=CompletionStatus.PENDING),
        ),
        Figure(
            key="completions_failed",
            label="Completions refused by the Job Tracker",
            count=counts["n_failed"],
            url=changelist_url(CompletionRequest, status__exact=CompletionStatus.FAILED),
            alert=True,
        ),
    ]


def _print_figures() -> list[Figure]:
    failed = PrintJob.objects.filter(status=PrintStatus.FAILED).count()
    return [
        Figure(
            key="prints_failed",
            label="Failed print jobs",
            count=failed,
            url=changelist_url(PrintJob, status__exact=PrintStatus.FAILED),
            alert=True,
        )
    ]


def _webhook_figures() -> list[Figure]:
    failed = Delivery.objects.filter(status=DeliveryStatus.FAILED).count()
    failing = Subscription.objects.failing().count()
    return [
        Figure(
            key="webhooks_failing",
            label="Failing webhook subscriptions",
            count=failing,
            url=changelist_url(Subscription, **FAILING),
            alert=True,
        ),
        Figure(
            key="webhook_deliveries_failed",
            label="Failed webhook deliveries",
            count=failed,
            url=changelist_url(Delivery, status__exact=DeliveryStatus.FAILED),
            alert=True,
        ),
    ]


def build_dashboard(user) -> Dashboard:
    """The figures ``user`` may see (each section needs the right to view its list)."""
    dashboard = Dashboard()
    if user.has_perm(Right.VIEW_ORDER):
        wip, figures, state_chart, station_chart = _order_figures(timezone.localdate())
        dashboard.work_in_progress = wip
        dashboard.figures.extend(figures)
        dashboard.charts.extend([state_chart, station_chart])
    if user.has_perm(Right.VIEW_COMPLETION_REQUEST):
        dashboard.figures.extend(_completion_figures())
    if user.has_perm(Right.VIEW_PRINT_JOB):
        dashboard.figures.extend(_print_figures())
    if user.has_perm(Right.VIEW_WEBHOOK_DELIVERY):
        dashboard.figures.extend(_webhook_figures())
    return dashboard
