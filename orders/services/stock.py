"""Stock orders (the legacy ``addStock``): products from the catalogue, picked and shipped
rather than made. Checked in the contract's order — the customer, that there are items, each
item's price, each quantity, the tray — each refusal in the contract's words; then created by
``create_order``, which runs the checks every new order passes (``create_checks``), in one
transaction: all or nothing."""

import re
from dataclasses import dataclass

from orders.errors import CustomerNotFound, StockOrderRefused
from orders.models import SHIP_TO_FIELDS, Order, Product

from .create import NewItem, NewOrder, create_order
from .create_checks import active_customer, tray_problem

MAX_QUANTITY = 999
QUANTITY = re.compile(r"[0-9]{1,3}")


@dataclass(frozen=True)
class StockLine:
    """``item<position>`` of the request: a product code, and its quantity as sent (None: 1)."""

    position: int
    code: str
    quantity: str | None = None


@dataclass
class NewStockOrder:
    customer_number: str
    lines: list[StockLine]
    patient: str = ""
    customer_job_id: str = ""
    job_type: str = ""
    tray: str = ""
    ship_to: dict[str, str] | None = None  # SHIP_TO_FIELDS given; the customer's otherwise
    remarks: str = ""


def create_stock_order(*, data: NewStockOrder, actor, device: str = "") -> Order:
    """A valid stock order of the products ``data`` names, or the first refusal."""
    try:
        customer = active_customer(data.customer_number)
    except CustomerNotFound:
        raise StockOrderRefused(f"customer {data.customer_number} not found") from None
    if customer is None:
        raise StockOrderRefused("customer  not found")
    if not data.lines:
        raise StockOrderRefused("no items")
    priced = {
        product.code: product
        for product in Product.objects.filter(
            code__in=[line.code for line in data.lines], price__isnull=False
        )
    }
    for line in data.lines:
        if line.code not in priced:
            raise StockOrderRefused(f"item {line.code} pricing not found")
    quantities = [_quantity(line) for line in data.lines]
    if data.tray and tray_problem(data.tray):
        raise StockOrderRefused(f"tray {data.tray} is not valid")
    ship_to = data.ship_to or {name: getattr(customer, name) for name in SHIP_TO_FIELDS}
    return create_order(
        data=NewOrder(
            tray=data.tray,
            customer_number=customer.number,
            customer_job_id=data.customer_job_id,
            patient=data.patient,
            job_type=data.job_type or NewOrder.job_type,
            stock_order=True,
            ship_to=ship_to,
            lens_and_frame={"instructions": data.remarks} if data.remarks else {},
            items=[
                NewItem(sku=line.code, name=priced[line.code].description, quantity=quantity)
                for line, quantity in zip(data.lines, quantities, strict=True)
            ],
        ),
        actor=actor,
        device=device,
    )


def _quantity(line: StockLine) -> int:
    if line.quantity is None:
        return 1
    if QUANTITY.fullmatch(line.quantity) and 1 <= int(line.quantity) <= MAX_QUANTITY:
        return int(line.quantity)
    raise StockOrderRefused(f"quantity{line.position} must be a whole number from 1 to 999")
