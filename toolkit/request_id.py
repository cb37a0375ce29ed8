"""The current request's id, for log lines and error references. Imports nothing heavy, so
logging configuration can load it before Django is set up."""

import contextvars
import logging

current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every log record, so a client's reference finds its log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get()
        return True
