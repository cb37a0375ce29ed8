"""The Job Tracker: completes the orders whose completion the API accepted."""

from toolkit.workers import WorkerCommand
from tracker.services import TRACKER, process_completions


class Command(WorkerCommand):
    help = (
        "Run the Job Tracker: heartbeat, then process pending completion requests. "
        "SIGTERM finishes the current transaction and exits."
    )
    kind = TRACKER

    def work(self, *, worker, batch_size, **options):
        return process_completions(worker=worker, batch_size=batch_size)
