from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from orders import hooks

        from .outbox import enqueue

        hooks.on_history.register(enqueue)
