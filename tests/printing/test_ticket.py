"""The work ticket as people and scanners see it: page size, text, and Code 39 barcodes that a
real decoder reads off the rasterized page (poppler's pdftoppm at 200 dpi, then zbarimg).

Needs the Debian packages poppler-utils and zbar-tools (``apt-get install poppler-utils
zbar-tools``); without them these tests are skipped, or fail with LABSITE_REQUIRE_SYSTEM_TOOLS=1.
"""

from decimal import Decimal
from pathlib import Path

import pytest

from orders.models import Addon, Order
from orders.rx import Eye, EyeValues
from orders.status import PaperSize
from printing.models import PrintJob, PrintStatus
from printing.services import process_jobs
from printing.ticket import (
    TicketLine,
    render_test_page,
    render_ticket,
    ticket_lines,
    ticket_lines_for,
)

from .conftest import is_complete_pdf, media_boxes, pdf_title

LETTER_BOX = (0.0, 0.0, 612.0, 792.0)
A4_BOX = (0.0, 0.0, 595.2756, 841.8898)


def assert_page(document: bytes, expected) -> None:
    boxes = media_boxes(document)
    assert len(boxes) == 1, f"expected one page, found MediaBoxes {boxes}"
    assert boxes[0] == pytest.approx(expected, abs=0.01)


@pytest.fixture
def order(make_order):
    return make_order(
        items=3,
        endpoints=("surfacing", "coating"),
        tray="412",
        po_number="PO-7781",
        patient="Jane Q Patient",
        customer_number="C042",
        customer_job_id="J-9",
        requires={"requires_ar_coat", "requires_final_qa"},
    )


# --- page size --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paper_size", "box"), [(PaperSize.LETTER, LETTER_BOX), (PaperSize.A4, A4_BOX)]
)
def test_the_paper_size_argument_sets_the_media_box(order, paper_size, box):
    document = render_ticket(order, paper_size=paper_size)
    assert is_complete_pdf(document)
    assert_page(document, box)


def test_letter_is_the_default(order):
    assert_page(render_ticket(order), LETTER_BOX)


@pytest.mark.parametrize(
    ("paper_size", "box"), [(PaperSize.LETTER, LETTER_BOX), (PaperSize.A4, A4_BOX)]
)
def test_the_spooler_prints_on_the_lab_settings_paper_size(
    order, lab_settings, spool_printer, queue_job, paper_size, box
):
    lab_settings(ticket_paper_size=paper_size)
    job = queue_job(order)
    assert process_jobs(worker="test", batch_size=1) == 1
    job.refresh_from_db()
    assert job.status == PrintStatus.DONE
    assert_page(Path(job.reference).read_bytes(), box)


def test_the_document_is_titled_with_the_order_number(order):
    assert pdf_title(render_ticket(order)) == f"Work ticket {order.number}"


# --- what is printed --------------------------------------------------------------------------


@pytest.mark.parametrize("paper_size", [PaperSize.LETTER, PaperSize.A4])
def test_the_ticket_shows_the_order_tray_po_patient_items_and_flow(order, pdf_tools, paper_size):
    text = pdf_tools.text(render_ticket(order, paper_size=paper_size))
    words = " ".join(text.split())  # layout spacing aside
    assert f"Order {order.number}" in words
    assert "Tray 412" in words
    assert "PO PO-7781" in words
    assert "Patient Jane Q Patient" in words
    assert "C042 Customer C042 job J-9" in words  # number and name
    for item in order.items.all():
        assert f"{item.quantity} x {item.sku} {item.name}" in words
    assert "surfacing, coating" in words
    assert "AR Coat" in words
    assert "Final QA" in words
    assert "Tint" not in words  # only the steps the order requires
    assert "No flow steps required" not in words


def test_an_order_without_flow_steps_says_so(make_order, pdf_tools):
    order = make_order(tray="7")
    words = " ".join(pdf_tools.text(render_ticket(order)).split())
    assert "No flow steps required" in words


def test_the_printed_ticket_is_what_render_ticket_makes(order, spool_printer, queue_job, pdf_tools):
    job = queue_job(order)
    process_jobs(worker="test", batch_size=1)
    job = PrintJob.objects.get(pk=job.pk)
    words = " ".join(pdf_tools.text(Path(job.reference).read_bytes()).split())
    assert f"Order {order.number}" in words
    assert "Patient Jane Q Patient" in words


# --- the item lines ---------------------------------------------------------------------------


def test_the_spoolers_bulk_lines_are_the_lines_of_each_loaded_order(make_order):
    orders = [
        make_order(items=3, endpoints=("surfacing", "coating")),
        make_order(items=1, endpoints=()),
        make_order(items=0),
    ]
    ids = [order.pk for order in orders]

    bulk = ticket_lines_for(ids)

    loaded = Order.objects.for_display().in_bulk(ids)
    assert bulk == {order_id: ticket_lines(loaded[order_id]) for order_id in ids}
    assert bulk[ids[0]] == [
        TicketLine(1, f"SKU{i}", f"Lens {i}", ("surfacing", "coating")) for i in range(3)
    ]
    assert bulk[ids[1]] == [TicketLine(1, "SKU0", "Lens 0", ())]
    assert bulk[ids[2]] == []


def test_lines_given_to_render_ticket_are_the_items_it_prints(order, pdf_tools):
    lines = [TicketLine(2, "SKU-X", "Given lens", ("edging",))]
    words = " ".join(pdf_tools.text(render_ticket(order, lines=lines)).split())
    assert "2 x SKU-X Given lens edging" in words
    assert "Lens 0" not in words


# --- barcodes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("paper_size", [PaperSize.LETTER, PaperSize.A4])
def test_the_barcodes_decode_to_the_order_number_and_the_tray(order, pdf_tools, paper_size):
    symbols = pdf_tools.barcodes(render_ticket(order, paper_size=paper_size))
    assert sorted(symbols) == sorted([f"CODE-39:{order.number}", "CODE-39:412"])


def test_an_order_without_a_tray_has_only_the_order_barcode(make_order, pdf_tools):
    order = make_order(tray="")
    assert pdf_tools.barcodes(render_ticket(order)) == [f"CODE-39:{order.number}"]


def test_an_eight_digit_order_number_still_scans(make_order, pdf_tools):
    order = make_order(number=99_999_999, tray="99999")
    symbols = pdf_tools.barcodes(render_ticket(order, paper_size=PaperSize.A4))
    assert sorted(symbols) == sorted(["CODE-39:99999999", "CODE-39:99999"])


def test_the_printer_test_page_barcode_scans(pdf_tools):
    assert pdf_tools.barcodes(render_test_page()) == ["CODE-39:12345678"]


# --- the prescription -------------------------------------------------------------------------


@pytest.fixture
def rx_order(make_order):
    order = make_order(
        tray="118",
        job_type="F",
        frame_manufacturer="RAY",
        frame_name="Aviator",
        frame_color="Gold",
        frame_a="58",
        frame_b="47.5",
        frame_ed="60.2",
        frame_bridge=14,
        frame_status_code="S",
        instructions="Rush: patient travelling",
        eyes={
            Eye.RIGHT: EyeValues(
                lens_style="PROG-HD",
                lens_material="1.67",
                sphere=Decimal("-2.25"),
                cylinder=Decimal("-0.75"),
                axis=90,
                add=Decimal("2"),
                prism=Decimal("1.5"),
                prism_base="IN",
                pd=Decimal("31.5"),
                near_pd=Decimal("29"),
                seg_height=Decimal("18.25"),
                opc="4011-67-R",
            ),
            Eye.LEFT: EyeValues(
                lens_style="PROG-HD",
                lens_material="1.67",
                sphere=Decimal("1.5"),
                add=Decimal("2"),
                opc="4011-L",
            ),
        },
    )
    return Order.objects.for_display().get(pk=order.pk)


@pytest.mark.parametrize("paper_size", [PaperSize.LETTER, PaperSize.A4])
def test_the_ticket_prints_the_rx_right_row_before_left_signed_with_two_decimals(
    rx_order, pdf_tools, paper_size
):
    document = render_ticket(rx_order, paper_size=paper_size)
    lines = [" ".join(line.split()) for line in pdf_tools.text(document).split("\n")]

    header = lines.index("Sphere Cyl Axis Add Prism Base PD Near PD Seg ht")
    assert lines[header + 1] == "R -2.25 -0.75 90 +2.00 1.50 IN 31.50 29.00 18.25"
    assert lines[header + 2] == "L +1.50 +2.00"
    assert "R PROG-HD 1.67 4011-67-R" in lines
    assert "L PROG-HD 1.67 4011-L" in lines
    assert "Frame RAY Aviator Gold A 58.00 B 47.50 ED 60.20 DBL 14 Supply" in lines
    assert "Instructions Rush: patient travelling" in lines
    assert "Job type F (Full)" in lines


def test_the_rx_ticket_barcodes_still_scan(rx_order, pdf_tools):
    symbols = pdf_tools.barcodes(render_ticket(rx_order, paper_size=PaperSize.A4))
    assert sorted(symbols) == sorted([f"CODE-39:{rx_order.number}", "CODE-39:118"])


def test_a_balance_lens_eye_and_an_eye_not_ordered_say_so(make_order, pdf_tools):
    order = make_order(
        balance_lens="L",
        eyes={Eye.LEFT: EyeValues(lens_style="SV", lens_material="CR39", sphere=Decimal(1))},
    )
    shown = Order.objects.for_display().get(pk=order.pk)
    lines = [" ".join(line.split()) for line in pdf_tools.text(render_ticket(shown)).split("\n")]

    assert "R not ordered" in lines
    assert "L balance lens" in lines


def printed_by_the_spooler(order, queue_job, pdf_tools) -> str:
    """The text of ``order``'s ticket as the spooler prints it: the spooler loads its batch of
    orders itself, not with ``for_display``."""
    job = queue_job(order)
    process_jobs(worker="test", batch_size=1)
    job = PrintJob.objects.get(pk=job.pk)
    return pdf_tools.text(Path(job.reference).read_bytes())


def test_the_spooler_prints_the_rx(rx_order, spool_printer, queue_job, pdf_tools):
    words = " ".join(printed_by_the_spooler(rx_order, queue_job, pdf_tools).split())

    assert "R -2.25 -0.75 90 +2.00 1.50 IN 31.50 29.00 18.25" in words


# --- the addons -------------------------------------------------------------------------------


@pytest.fixture
def addon_order(make_order):
    """An addon job with two addons, the tint listed first by the client."""
    Addon.objects.create(code="TINT-G", description="Grey tint, 75 %", is_tint=True)
    Addon.objects.create(code="AR-SUP", description="Super AR coating", is_ar=True)
    Addon.objects.create(code="POL", description="Polish")  # not ordered
    order = make_order(tray="119", job_type="A", addons=["TINT-G", "AR-SUP"])
    return Order.objects.for_display().get(pk=order.pk)


def squeezed_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n")]


@pytest.mark.parametrize("paper_size", [PaperSize.LETTER, PaperSize.A4])
def test_the_ticket_prints_each_addon_code_and_description_in_the_clients_order(
    addon_order, pdf_tools, paper_size
):
    lines = squeezed_lines(pdf_tools.text(render_ticket(addon_order, paper_size=paper_size)))

    assert "Addons TINT-G Grey tint, 75 %, AR-SUP Super AR coating" in lines
    assert "Job type A (Addon)" in lines
    assert not any("POL" in line for line in lines)  # only the order's addons
    # The addons' flow steps are checklist lines of their own.
    assert "Tint" in lines
    assert "AR Coat" in lines


def test_the_spooler_prints_the_addons(addon_order, spool_printer, queue_job, pdf_tools):
    lines = squeezed_lines(printed_by_the_spooler(addon_order, queue_job, pdf_tools))

    assert "Addons TINT-G Grey tint, 75 %, AR-SUP Super AR coating" in lines


def test_an_order_without_addons_prints_no_addons_line(rx_order, pdf_tools):
    lines = squeezed_lines(pdf_tools.text(render_ticket(rx_order)))

    assert not any(line.startswith("Addons") for line in lines)


def test_all_ten_addons_an_order_may_have_are_on_the_ticket(make_order, pdf_tools):
    codes = [f"ADD-{i}" for i in range(10)]
    for code in codes:
        Addon.objects.create(code=code, description=f"Addon {code[-1]} description")
    order = make_order(job_type="A", addons=codes)
    shown = Order.objects.for_display().get(pk=order.pk)

    words = " ".join(pdf_tools.text(render_ticket(shown)).split())

    for code in codes:
        assert f"{code} Addon {code[-1]} description" in words


def test_instructions_of_the_most_the_contract_allows_are_on_the_ticket(make_order, pdf_tools):
    instructions = "Tint to sample; " * 15 + "call C1001"
    assert len(instructions) == 250
    order = make_order(instructions=instructions)
    shown = Order.objects.for_display().get(pk=order.pk)

    words = " ".join(pdf_tools.text(render_ticket(shown)).split())

    assert f"Instructions {instructions}" in words


def test_a_word_longer_than_a_line_and_the_clients_line_breaks_stay_on_the_ticket(
    make_order, pdf_tools
):
    link = "https://lab.example.com/jobs/" + "x" * 200  # no space to break at
    order = make_order(instructions=f"Rush\n{link}")
    shown = Order.objects.for_display().get(pk=order.pk)

    text = pdf_tools.text(render_ticket(shown))

    lines = squeezed_lines(text)
    assert "Instructions Rush" in lines  # the client's line break kept
    assert "".join(text.split()).count(link) == 1  # every character, over several lines
    assert not any(line.startswith("x" * 120) for line in lines)  # cut to the page
