"""The work ticket: one PDF page that travels with the tray through the lab."""

import io
from dataclasses import dataclass

from django.utils import timezone

from reportlab.graphics.barcode.code39 import Standard39
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from orders.flow import FLOW_STEPS
from orders.models import Order, OrderItem, OrderItemEndpoint
from orders.rx import Eye, signed
from orders.status import PaperSize

PAGE_SIZES = {PaperSize.LETTER: LETTER, PaperSize.A4: A4}
LAB_NAME = "labsite"


@dataclass(frozen=True)
class TicketLine:
    """One item as the ticket prints it."""

    quantity: int
    sku: str
    name: str
    endpoints: tuple[str, ...]


def ticket_lines(order: Order) -> list[TicketLine]:
    """The lines of an order loaded with ``for_display`` (its items and endpoints prefetched)."""
    return [
        TicketLine(item.quantity, item.sku, item.name, tuple(e.name for e in item.endpoints.all()))
        for item in order.items.all()
    ]


def ticket_lines_for(order_ids) -> dict[int, list[TicketLine]]:
    """The lines of many orders in two plain queries, by order id, items and endpoints in id
    order (as ``for_display`` orders them). For the spooler, which prints a batch of orders:
    building their item and endpoint models through ``prefetch_related`` took longer than
    rendering the tickets."""
    endpoints: dict[int, list[str]] = {}
    for endpoint in (
        OrderItemEndpoint.objects.filter(item__order_id__in=order_ids)
        .order_by("id")
        .values_list("item_id", "name", named=True)
    ):
        endpoints.setdefault(endpoint.item_id, []).append(endpoint.name)
    lines: dict[int, list[TicketLine]] = {order_id: [] for order_id in order_ids}
    for item in (
        OrderItem.objects.filter(order_id__in=order_ids)
        .order_by("id")
        .values_list("id", "order_id", "quantity", "sku", "name", named=True)
    ):
        lines[item.order_id].append(
            TicketLine(
                quantity=item.quantity,
                sku=item.sku,
                name=item.name,
                endpoints=tuple(endpoints.get(item.id, ())),
            )
        )
    return lines


def _barcode(canvas: Canvas, value: str, x: float, y: float, label: str) -> None:
    # Wide bars and a tall symbol so an ordinary scanner reads it off a paper ticket.
    symbol = Standard39(value, barWidth=0.33 * mm, barHeight=14 * mm, checksum=0, quiet=1)
    symbol.drawOn(canvas, x, y)
    canvas.setFont("Helvetica", 9)
    canvas.drawString(x + 6 * mm, y - 4 * mm, f"{label} {value}")


def render_ticket(
    order: Order,
    *,
    paper_size: str = PaperSize.LETTER,
    printed_at=None,
    lines: list[TicketLine] | None = None,
) -> bytes:
    """The order's work ticket as PDF bytes.

    The items come from ``lines`` (see ``ticket_lines_for``) or else from the order, which is
    then expected to be loaded with ``for_display``.
    """
    if lines is None:
        lines = ticket_lines(order)
    printed_at = printed_at or timezone.now()
    width, height = PAGE_SIZES[paper_size]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1)
    canvas.setTitle(f"Work ticket {order.number}")
    canvas.setAuthor(LAB_NAME)
    left, top = 18 * mm, height - 18 * mm

    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(left, top, f"{LAB_NAME} — work ticket")
    canvas.setFont("Helvetica-Bold", 28)
    canvas.drawString(left, top - 14 * mm, f"Order {order.number}")
    canvas.setFont("Helvetica", 14)
    canvas.drawString(
        left, top - 22 * mm, f"Tray {order.tray or '—'}    PO {order.po_number or '—'}"
    )

    _barcode(canvas, str(order.number), left - 6 * mm, top - 44 * mm, "Order")
    if order.tray:
        _barcode(canvas, order.tray, width / 2, top - 44 * mm, "Tray")

    facts = [
        ("Customer", _customer(order)),
        ("Patient", order.patient or "—"),
        ("Job type", f"{order.job_type} ({order.get_job_type_display()})"),
        ("Ordered", _date(order.date_ordered)),
        ("Received", _date(timezone.localdate(order.received_at))),
        ("Wanted", _date(order.date_wanted)),
        ("Station", _station(order)),
    ]
    y = top - 58 * mm
    for label, value in facts:
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(left, y, label)
        canvas.setFont("Helvetica", 11)
        canvas.drawString(left + 30 * mm, y, value)
        y -= 6 * mm

    if not order.stock_order:
        y = _prescription(canvas, left, y, order)
        y = _frame(canvas, left, y, order, width=width - 2 * left)

    y = _section(canvas, left, y, "Items", line_height=6 * mm, font_size=10)
    for line in lines:
        canvas.drawString(left, y, f"{line.quantity} x {line.sku}  {line.name}")
        if line.endpoints:
            canvas.drawString(left + 100 * mm, y, ", ".join(line.endpoints))
        y -= 5 * mm

    y = _section(canvas, left, y, "Flow", line_height=7 * mm, font_size=11)
    required = [spec for spec in FLOW_STEPS if getattr(order, spec.order_field)]
    for spec in required:
        canvas.rect(left, y - 1 * mm, 4 * mm, 4 * mm)  # a box to tick at the station
        canvas.drawString(left + 7 * mm, y, spec.step.label)
        y -= 7 * mm
    if not required:
        canvas.drawString(left, y, "No flow steps required")

    canvas.setFont("Helvetica", 8)
    canvas.drawString(left, 12 * mm, f"Printed {timezone.localtime(printed_at):%Y-%m-%d %H:%M %Z}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# The prescription table: a column per value, a row per eye (right first), as a surfacing
# technician reads it at a glance. Diopters are signed; every number has two decimals.
RX_COLUMNS = (
    ("Sphere", "sphere", signed),
    ("Cyl", "cylinder", signed),
    ("Axis", "axis", lambda value: "" if value is None else str(value)),
    ("Add", "add", signed),
    ("Prism", "prism", lambda value: _two_places(value)),
    ("Base", "prism_base", lambda value: value),
    ("PD", "pd", lambda value: _two_places(value)),
    ("Near PD", "near_pd", lambda value: _two_places(value)),
    ("Seg ht", "seg_height", lambda value: _two_places(value)),
)
LENS_COLUMNS = (("Lens style", "lens_style"), ("Material", "lens_material"), ("OPC", "opc"))


def _two_places(value) -> str:
    return "" if value is None else f"{value:.2f}"


# Each row of both tables is one line of a fixed-width font, its columns padded to RX_WIDTH
# (or LENS_WIDTH) characters: the columns line up, and a row is one string to draw, not a
# dozen (which made the ticket take two thirds longer to render).
RX_WIDTH = 8
RX_FONT_SIZE = 10  # the eye and 9 columns of 8 characters: 444 points, within Letter and A4
LENS_WIDTH = 22


def _rx_row(cells) -> str:
    return "".join(f"{cell:>{RX_WIDTH}}" for cell in cells)


def _lens_row(cells) -> str:
    return "".join(f"{cell:<{LENS_WIDTH}}" for cell in cells)


def _prescription(canvas: Canvas, x: float, y: float, order: Order) -> float:
    """The Rx table and each eye's lens; returns where the next section starts. Both tables
    are one text object in one fixed-width font, a row per line, the eye first on its row:
    each string drawn on its own costs a text object, and each font change an operator."""
    eyes = [(Eye.RIGHT, order.right_eye), (Eye.LEFT, order.left_eye)]
    y = _section(canvas, x, y, "Prescription", line_height=6 * mm, font_size=10)
    header = "  " + _rx_row(title for title, _, _ in RX_COLUMNS)
    rows = [header]
    for eye, row in eyes:
        if order.balance_lens == eye.value:
            text = "    balance lens"
        elif row is None:
            text = "    not ordered"
        else:
            text = _rx_row(shown(getattr(row, name)) for _, name, shown in RX_COLUMNS)
        rows.append(f"{eye.value} {text}")
    rows.append("")
    rows.append("  " + _lens_row(title for title, _ in LENS_COLUMNS))
    for eye, row in eyes:
        cells = (getattr(row, name) if row else "" for _, name in LENS_COLUMNS)
        rows.append(f"{eye.value} {_lens_row(cells)}")

    text = canvas.beginText(x, y)
    text.setFont("Courier-Bold", RX_FONT_SIZE, leading=5.5 * mm)
    text.textLines(rows)
    canvas.drawText(text)
    rule = y - 1.5 * mm
    canvas.line(x, rule, x + canvas.stringWidth(header, "Courier-Bold", RX_FONT_SIZE), rule)
    return y - len(rows) * 5.5 * mm - 3 * mm


FACT_FONT = ("Helvetica", 11)  # the frame, addons and instructions


def _frame(canvas: Canvas, x: float, y: float, order: Order, *, width: float) -> float:
    """The frame, the addons and the instructions, when the order has them (its addons
    prefetched with their addon: ``for_display``, or the spooler's batch), each wrapped to
    ``width``: ten addons or the longest instructions take a few lines, none runs off."""
    sizes = [
        f"{label} {_two_places(value)}"
        for label, value in (
            ("A", order.frame_a),
            ("B", order.frame_b),
            ("ED", order.frame_ed),
            ("Crib", order.crib),
            ("ELLH", order.ellh),
        )
        if value is not None
    ]
    if order.frame_bridge is not None:
        sizes.append(f"DBL {order.frame_bridge}")
    described = " ".join(
        part for part in (order.frame_manufacturer, order.frame_name, order.frame_color) if part
    )
    status = order.get_frame_status_code_display() if order.frame_status_code else ""
    addons = ", ".join(
        f"{row.addon.code} {row.addon.description}" for row in order.order_addons.all()
    )
    facts = [
        ("Frame", "   ".join(part for part in (described, "  ".join(sizes), status) if part)),
        ("Addons", addons),
        ("Instructions", order.instructions),
    ]
    for label, value in facts:
        if not value:
            continue
        y -= 6 * mm
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(x, y, label)
        canvas.setFont(*FACT_FONT)
        room = width - 30 * mm
        if "\n" not in value and "\r" not in value and stringWidth(value, *FACT_FONT) <= room:
            canvas.drawString(x + 30 * mm, y, value)
            continue
        lines = _wrapped(value, room)
        text = canvas.beginText(x + 30 * mm, y)
        text.setFont(*FACT_FONT, leading=5 * mm)
        text.textLines(lines)
        canvas.drawText(text)
        y -= (len(lines) - 1) * 5 * mm
    return y - 4 * mm


def _wrapped(value: str, room: float) -> list[str]:
    """``value`` as lines no wider than ``room`` in ``FACT_FONT``: broken at its own line
    breaks, between words, and inside a word longer than a line (a URL, a long code)."""
    lines = []
    for paragraph in value.splitlines() or [""]:
        for line in simpleSplit(paragraph, *FACT_FONT, room) or [""]:
            while stringWidth(line, *FACT_FONT) > room:
                cut = len(line) - 1
                while cut > 1 and stringWidth(line[:cut], *FACT_FONT) > room:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
            lines.append(line)
    return lines


def _section(
    canvas: Canvas, x: float, y: float, title: str, *, line_height: float, font_size: int
) -> float:
    """Draw a section's title below ``y`` and set the font of its lines; returns where the
    first line goes."""
    y -= 4 * mm
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawString(x, y, title)
    canvas.setFont("Helvetica", font_size)
    return y - line_height


def _customer(order) -> str:
    """The customer's number and name, and the customer's job id."""
    who = f"{order.customer.number} {order.customer.name}" if order.customer else "—"
    return f"{who}   job {order.customer_job_id or '—'}"


def _date(value) -> str:
    return value.isoformat() if value else "—"


def _station(order: Order) -> str:
    if order.current_station_id is None:
        return "not checked in yet"
    station = order.current_station
    at = timezone.localtime(order.current_station_at)
    return f"{station.code} {station.description} since {at:%Y-%m-%d %H:%M}"


def render_test_page(*, paper_size: str = PaperSize.LETTER) -> bytes:
    """A page to check that a printer is reachable and its barcodes scan."""
    width, height = PAGE_SIZES[paper_size]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1)
    canvas.setTitle("Test page")
    canvas.setFont("Helvetica-Bold", 24)
    canvas.drawString(18 * mm, height - 30 * mm, f"{LAB_NAME} — printer test page")
    canvas.setFont("Helvetica", 12)
    canvas.drawString(18 * mm, height - 40 * mm, f"{timezone.localtime():%Y-%m-%d %H:%M %Z}")
    _barcode(canvas, "12345678", 12 * mm, height - 70 * mm, "Test")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
