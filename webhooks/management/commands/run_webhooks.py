"""The webhook worker: POSTs the order events client systems subscribed to."""

from toolkit.workers import WorkerCommand, positive_int
from webhooks.services import DEFAULT_BATCH_SIZE, MAX_SUBSCRIPTIONS_AT_ONCE, WEBHOOKS, Sender


class Command(WorkerCommand):
    help = (
        "Run the webhook worker: heartbeat, then POST due deliveries, each subscription's on "
        "a thread of its own, retrying failures with exponential backoff. SIGTERM finishes "
        "the POSTs in flight and exits."
    )
    kind = WEBHOOKS
    default_batch_size = DEFAULT_BATCH_SIZE
    once_help = "Send what is due, then exit."
    sender: Sender | None = None

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--max-subscriptions",
            type=positive_int,
            default=MAX_SUBSCRIPTIONS_AT_ONCE,
            help=f"Subscriptions sent to at the same time (default {MAX_SUBSCRIPTIONS_AT_ONCE}).",
        )

    def handle(self, *args, max_subscriptions, **options):
        self.max_subscriptions = max_subscriptions
        try:
            super().handle(*args, **options)
        finally:
            if self.sender is not None:
                self.sender.close()

    def work(self, *, worker, batch_size, **options):
        if self.sender is None:
            self.sender = Sender(worker=worker, max_subscriptions=self.max_subscriptions)
        return self.sender.step(batch_size)

    def pending(self):
        return self.sender is not None and self.sender.pending()

    def drain(self):
        return self.sender.stop() if self.sender is not None else 0
