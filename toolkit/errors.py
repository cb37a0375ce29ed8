"""The base of every typed domain error. Domain errors know nothing of HTTP: each API face maps
them to its own shape and status through a table of its own.

``message`` is the contract's wording (typos included); ``details`` are extra lines a face may
show beside it.
"""


class DomainError(Exception):
    code = "domain_error"
    message = "Request not performed"

    def __init__(self, message: str | None = None, *, details: list[str] | None = None):
        if message is not None:
            self.message = message
        self.details = list(details or [])
        super().__init__(self.message)


class Refusal(DomainError):
    """A refusal whose details say why: ``reason``, which a subclass sets for each reason the
    contract names, or which is given when raised, or else the message itself. Some faces
    answer with the reason alone (the legacy check-in's ``result``), so it is kept apart from
    the detail lines."""

    reason = ""

    def __init__(self, reason: str | None = None):
        if reason is not None:
            self.reason = reason
        elif not self.reason:
            self.reason = self.message
        super().__init__(details=self.reason_lines())

    def reason_lines(self) -> list[str]:
        """The detail lines that tell the reason: the reason itself, unless a contract says
        more."""
        return [self.reason]


def looked_up[T](table: dict[type[DomainError], T], error: DomainError, default: T) -> T:
    """A face's entry for ``error``: the one for its class, or for its nearest listed base
    class, or ``default``."""
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return default
