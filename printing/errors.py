"""Refusals of print_ticket, and the error every printer driver raises."""

from orders.errors import DomainError, OrderMarkedForCancelation, RecordNotFound
from toolkit.errors import Refusal


class CancelledBeforePrinting(OrderMarkedForCancelation):
    """The order is marked for cancelation (found so once locked, a cancel having committed
    after the lookup). print_ticket documents this refusal with status 200, unlike hold and
    release, so it has its own class for the faces' tables."""

    code = "order_cancelled_before_printing"


class PrintingRejected(Refusal):
    code = "printing_rejected"
    message = "Printing request rejected"


class StockOrder(PrintingRejected):
    reason = "Order is a stock order and there is no work ticket"


class OrderWaitingForTray(PrintingRejected):
    reason = "Order waiting for tray"


class BadLptPort(PrintingRejected):
    def __init__(self, provided: str):
        super().__init__(f"Provided: {provided}")


class NoPrinterDefined(PrintingRejected):
    def __init__(self, workstation_code: str):
        super().__init__(f"No printer defined for workstation {workstation_code}")


class PrinterNotFound(RecordNotFound):
    code = "printer_not_found"


class WorkstationNotFound(PrinterNotFound):
    code = "workstation_not_found"


class PrinterInUse(DomainError):
    code = "printer_in_use"
    message = "Printer in use"

    def __init__(self, name: str, jobs: int):
        super().__init__(details=[f"Printer {name} has {jobs} print job(s); disable it instead"])


class PrinterGone(DomainError):
    """Printers named for a workstation's ports that another request deleted meanwhile."""

    code = "invalid"
    message = "Incorrect arguments provided"

    def __init__(self, names: list[str]):
        super().__init__(details=[f"lptPorts: no printer named {', '.join(names)}"])


class PrinterDisabled(DomainError):
    code = "printer_disabled"
    message = "Printer disabled"

    def __init__(self, name: str):
        super().__init__(details=[f"Printer {name} is disabled"])


class PrinterError(Exception):
    """A driver could not hand the document to its printer. The message is for people."""
