"""Every change to an order happens here, one module per concern.

Each service runs in one transaction, re-reads the order under a row lock (``locks``), checks
its guards in the documented order, raises a typed ``DomainError`` when one fails, and saves
the change with an entry in the order's history in the same transaction (``history``).
Callers (API faces, admin actions, background processes) pass the acting user explicitly and
never change orders themselves. Where another app must act inside a transition, the
transition calls ``orders.hooks``.
"""

from .calculation import record_calculation
from .cancel import (
    REASON_IGNORED_WARNING,
    CancelItemsResult,
    CancelResult,
    cancel_items,
    cancel_order,
    cancel_refusal,
)
from .create import MAX_ORDER_NUMBER, NewItem, NewOrder, create_order
from .history import actor_name, new_event, record_event, record_events, save_change
from .hold import hold_order, release_order
from .lab_settings import update_lab_settings
from .locks import lock_order, locked_orders
from .picking import PICK_FIELDS, PICK_REJECT_REASONS, PickState, pick_items, pick_state
from .processing import (
    process_orders,
    refresh_processing_status,
    set_endpoint_status,
    set_item_status,
    set_order_status,
)
from .stock import NewStockOrder, StockLine, create_stock_order
from .trays import TrayAssignment, assign_tray, order_for_tray

__all__ = [
    "MAX_ORDER_NUMBER",
    "PICK_FIELDS",
    "PICK_REJECT_REASONS",
    "REASON_IGNORED_WARNING",
    "CancelItemsResult",
    "CancelResult",
    "NewItem",
    "NewOrder",
    "NewStockOrder",
    "PickState",
    "StockLine",
    "TrayAssignment",
    "actor_name",
    "assign_tray",
    "cancel_items",
    "cancel_order",
    "cancel_refusal",
    "create_order",
    "create_stock_order",
    "hold_order",
    "lock_order",
    "locked_orders",
    "new_event",
    "order_for_tray",
    "pick_items",
    "pick_state",
    "process_orders",
    "record_calculation",
    "record_event",
    "record_events",
    "refresh_processing_status",
    "release_order",
    "save_change",
    "set_endpoint_status",
    "set_item_status",
    "set_order_status",
    "update_lab_settings",
]
