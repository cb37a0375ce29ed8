"""Refusals of the Job Tracker: check-ins and completions. Messages are the contract's."""

from orders.errors import RecordNotFound
from toolkit.errors import DomainError, Refusal


class CheckinRefused(Refusal):
    """A check-in that cannot be performed; ``reason`` is the one detail line."""

    code = "checkin_refused"
    message = "Checkin not performed"


class StationNotFound(CheckinRefused):
    reason = "Station not found"


class CheckinOrderNotFound(CheckinRefused):
    reason = "Order not found"


class OperatorNotFound(CheckinRefused):
    reason = "Operator not found"


class OperatorRequired(CheckinRefused):
    reason = "Operator required"


class CheckinOrderNotInProduction(CheckinRefused):
    """The order is completed, marked for cancelation, on hold or unvalid."""


class StepNotNeeded(CheckinRefused):
    """Station verify is on and the order does not require the station's flow step."""


class CompletionRefused(Refusal):
    """A completion the Job Tracker will not perform, with the vendor's numbered code."""

    code = "completion_refused"
    message = "Could not complete order"
    number = "00"

    def reason_lines(self) -> list[str]:
        return [f"Error Code: {self.number}", f"Error Message: {self.reason}"]


class CompletionOrderNotFound(CompletionRefused):
    number, reason = "01", "Order not found"


class CompletionOrderDeleted(CompletionRefused):
    number, reason = "02", "Order deleted"


class CompletionOrderUnvalid(CompletionRefused):
    number, reason = "03", "Order unvalid"


class CompletionAlreadyCompleted(CompletionRefused):
    number, reason = "04", "Order already completed"


class CompletionOrderOnHold(CompletionRefused):
    number, reason = "05", "Order on hold"


class FlowVerificationFailed(CompletionRefused):
    number = "20"  # reason: "Needs <Step>!"


class JobTrackerNotRunning(CompletionRefused):
    number, reason = "30", "Job Tracker is not running"


class StationInUse(DomainError):
    code = "station_in_use"
    message = "Station in use"

    def __init__(self, station_code: str, checkins: int):
        super().__init__(
            details=[f"Station {station_code} is referenced by {checkins} check-in(s)"]
        )


class StationNotFoundForConfig(RecordNotFound):
    code = "station_not_found"
