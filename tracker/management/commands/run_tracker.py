"""The Job Tracker: completes the orders whose completion the API accepted."""

from django.core.management.base import BaseCommand

from toolkit.workers import WorkerLoop, positive_int, positive_seconds
from tracker.services import TRACKER, process_completions


class Command(BaseCommand):
    help = (
        "Run the Job Tracker: heartbeat, then process pending completion requests. "
        "SIGTERM finishes the current transaction and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Process what is pending, then exit."
        )
        parser.add_argument("--batch-size", type=positive_int, default=50)
        parser.add_argument("--idle-seconds", type=positive_seconds, default=1.0)
        parser.add_argument("--heartbeat-seconds", type=positive_seconds, default=2.0)

    def handle(self, *args, once, batch_size, idle_seconds, heartbeat_seconds, **options):
        loop = WorkerLoop(
            TRACKER,
            heartbeat_seconds=heartbeat_seconds,
            idle_seconds=idle_seconds,
            log=lambda line: self.stdout.write(line),
        )
        loop.run(
            lambda: process_completions(worker=loop.worker_id, batch_size=batch_size),
            once=once,
        )
