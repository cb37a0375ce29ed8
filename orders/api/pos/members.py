"""The members of an order that ``GET /orders`` filters and sorts on, and the fields behind them.

Each has an index (see ``Order.Meta.indexes``), so every documented filter is answered from one.
"""

from django.db.models import Q

from orders.models import PROCESSABLE_ORDER
from orders.status import ProcessingStatus
from toolkit.api.ndata import Kind, Member

ID = Member("id", Kind.UUID, "public_id", description="Stable public id of the order")
NUMBER = Member("number", Kind.INT, "number", description="Lab order number")

ORDER_MEMBERS: tuple[Member, ...] = (
    ID,
    NUMBER,
    Member(
        "ticketId",
        Kind.STRING,
        "ticket_id",
        nullable=True,
        empty_is_null=True,
        description="Job ticket the order came from",
    ),
    Member(
        "ticketName",
        Kind.STRING,
        "ticket_name",
        nullable=True,
        empty_is_null=True,
        description="Name of the job ticket (customer job id / patient)",
    ),
    Member(
        "deviceName",
        Kind.STRING,
        "created_device",
        nullable=True,
        empty_is_null=True,
        description="Workstation or API client that created the order",
    ),
    Member(
        "userUserName",
        Kind.STRING,
        "created_by__username",
        nullable=True,
        description="User who created the order",
    ),
    Member(
        "isProcessed",
        Kind.BOOL,
        sortable=False,
        truth=Q(processed_at__isnull=False),
        description="Released to its endpoints",
    ),
    Member(
        "isProcessable",
        Kind.BOOL,
        sortable=False,
        truth=PROCESSABLE_ORDER,
        description="Valid, not on hold, not cancelled, not completed, not yet processed",
    ),
    Member(
        "status",
        Kind.ENUM,
        "processing_status",
        choices=tuple(ProcessingStatus.values),
        description="Processing status, derived from the items'",
    ),
    Member("createdAt", Kind.DATETIME, "received_at", description="When the order arrived"),
    Member(
        "trayNumber",
        Kind.STRING,
        "tray",
        nullable=True,
        empty_is_null=True,
        description="Tray number",
    ),
    Member(
        "poNumber",
        Kind.STRING,
        "po_number",
        nullable=True,
        empty_is_null=True,
        description="Purchase order number",
    ),
)

DEFAULT_SORT = "-number"
# Sorting on one of these already orders every row uniquely: no tie-break is added.
UNIQUE_MEMBERS = ("id", "number")
