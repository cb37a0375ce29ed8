from django.apps import AppConfig


class PrintingConfig(AppConfig):
    name = "printing"
    verbose_name = "Printing"

    def ready(self):
        from orders import hooks

        from .services import cancel_queued_tickets

        hooks.on_cancel.register(cancel_queued_tickets)
