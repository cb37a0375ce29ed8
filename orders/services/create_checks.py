"""What a new order must pass before it is created: the checks of contracts/rx-orders.md, in
the contract's order, the first failing one raised as its domain error.

One module for every way an order is created — the Lab API v2 create, the admin, the legacy
``addStock`` — so each rule is written once. Types, sizes and the ranges of the order's lens
and frame fields are the faces' and the models' (check 1 as a face sees it); this module adds
the rules that need more than one field or the database.
"""

from dataclasses import dataclass

from orders.errors import (
    CustomerNotFound,
    DuplicateOrder,
    InvalidOrderData,
    LensChoiceMissing,
    NoAddonsEntered,
    RxValidationFailed,
    UncutOnly,
)
from orders.identifiers import order_number_error, po_number_error, tray_number_error
from orders.models import Addon, Customer, LabSettings, Order
from orders.rx import first_failure
from orders.status import JobType

# At most this many addons on one order (the vendor's limit).
MAX_ADDONS = 10
# Jobs whose lenses are surfaced or edged: they name a lens style and a material.
JOBS_WITH_LENSES = (JobType.FULL, JobType.UNCUT, JobType.EDGE)


@dataclass(frozen=True)
class CheckedOrder:
    """What the checks found out on the way: the records the new order refers to."""

    customer: Customer | None
    addons: list[Addon]
    duplicate_of: Order | None  # an order, not cancelled, with the same customer and job id


def check_new_order(data, *, lab: LabSettings) -> CheckedOrder:
    """Run the checks on ``data`` (a ``NewOrder``) in the contract's order; raise the first
    that fails. Stock orders are not jobs: only the checks of identifiers and the customer
    apply to them."""
    addons = _field_checks(data)
    if not data.stock_order:
        for name in ("crib", "ellh"):
            if data.lens_and_frame.get(name) is not None and data.job_type != JobType.UNCUT:
                raise UncutOnly(name, data.job_type)
    customer = _customer(data.customer_number)
    if not data.stock_order:
        _lens_checks(data, addons)
    duplicate = _duplicate_of(data, customer)
    if duplicate is not None and not lab.save_duplicate_orders and duplicate.is_active:
        raise DuplicateOrder(duplicate.number)
    return CheckedOrder(customer=customer, addons=addons, duplicate_of=duplicate)


def _field_checks(data) -> list[Addon]:
    """Check 1 beyond types and sizes, every problem at once (``field_problems``)."""
    problems, addons = field_problems(
        number=data.number,
        tray=data.tray,
        po_number=data.po_number,
        frame_sku=data.lens_and_frame.get("frame_sku"),
        frame_upc=data.lens_and_frame.get("frame_upc"),
        addon_codes=data.addons,
    )
    if problems:
        raise InvalidOrderData(problems)
    return addons


def field_problems(
    *, number=None, tray="", po_number="", frame_sku=None, frame_upc=None, addon_codes=()
) -> tuple[dict[str, list[str]], list[Addon]]:
    """Check 1's rules beyond types and sizes, by wire name: identifiers free and well formed,
    not both a frame SKU and a frame UPC, addon codes known and active; and the addons found.

    A face whose own type checks failed asks this too, with the values that passed them, so
    that its answer lists every problem of check 1 at once (contracts/rx-orders.md)."""
    problems = _identifier_problems(number, tray, po_number)
    if frame_sku and frame_upc:
        problems["frameUPC"] = ["give a frame SKU or a frame UPC, not both"]
    addons, addon_problem = _addons(list(addon_codes))
    if addon_problem:
        problems["addons"] = [addon_problem]
    return problems, addons


def identifier_problems(data) -> dict[str, list[str]]:
    """What is wrong with the new order's number, tray and PO number (malformed, or taken by
    another order): at most one problem per field. Asked again when a concurrent create took
    the number or the tray between the check and the insert."""
    return _identifier_problems(data.number, data.tray, data.po_number)


def _identifier_problems(number, tray: str, po_number: str) -> dict[str, list[str]]:
    problems = {
        "orderNumber": _order_number_problem(number),
        "trayNumber": _tray_problem(tray),
        "poNumber": po_number_error(po_number) if po_number else None,
    }
    return {field: [problem] for field, problem in problems.items() if problem}


def _order_number_problem(number) -> str | None:
    if number is None:
        return None
    problem = order_number_error(number)
    if not problem and Order.objects.filter(number=int(number)).exists():
        problem = f"order number {number} already exists"
    return problem


def tray_problem(tray: str) -> str | None:
    """What is wrong with a new order's tray (malformed, or held by an active order)."""
    return _tray_problem(tray)


def _tray_problem(tray: str) -> str | None:
    if not tray:
        return None
    problem = tray_number_error(tray)
    if not problem:
        holder = Order.objects.active().filter(tray=tray).only("number").first()
        if holder is not None:
            problem = f"tray {tray} is in use by order {holder.number}"
    return problem


def _addons(codes: list[str]) -> tuple[list[Addon], str | None]:
    """The active addons ``codes`` name, in their order, or what is wrong with the codes."""
    if not codes:
        return [], None
    if len(codes) > MAX_ADDONS:
        return [], f"at most {MAX_ADDONS} addons"
    if len(set(codes)) < len(codes):
        return [], "an addon is listed twice"
    found = {addon.code: addon for addon in Addon.objects.filter(code__in=codes, active=True)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        return [], f"unknown or inactive addon code(s): {', '.join(unknown)}"
    return [found[code] for code in codes], None


def active_customer(number: str) -> Customer | None:
    """The active customer ``number`` names; None when no number is given; else
    ``CustomerNotFound``."""
    return _customer(number)


def _customer(number: str) -> Customer | None:
    """The active customer ``number`` names (check 4); None when no number is given."""
    if not number:
        return None
    customer = Customer.objects.filter(number=number, active=True).first()
    if customer is None:
        raise CustomerNotFound(number)
    return customer


def _lens_checks(data, addons: list[Addon]) -> None:
    """Checks 5 to 7: a lens style and a material for a job with lenses, addons for an addon
    job, then each ordered eye's prescription (right eye first, catalogue order)."""
    if data.job_type in JOBS_WITH_LENSES:
        eyes = data.eyes.values()
        missing = [
            wire
            for wire, name in (("LensStyle", "lens_style"), ("LensMaterial", "lens_material"))
            if not any(getattr(eye, name) for eye in eyes)
        ]
        if missing:
            raise LensChoiceMissing(missing)
    if data.job_type == JobType.ADDON and not addons:
        raise NoAddonsEntered
    failure = first_failure(
        data.eyes,
        addon_job=data.job_type == JobType.ADDON,
        balance_lens=data.lens_and_frame.get("balance_lens") or "",
    )
    if failure is not None:
        raise RxValidationFailed(details=failure.details)


def _duplicate_of(data, customer: Customer | None) -> Order | None:
    if not data.customer_job_id:
        return None
    return (
        Order.objects.filter(
            customer=customer, customer_job_id=data.customer_job_id, cancelled_at__isnull=True
        )
        .order_by("number")
        .only("number", "state", "cancelled_at", "on_hold", "pending_completion")
        .first()
    )
