from django.apps import AppConfig


class LabsiteConfig(AppConfig):
    name = "labsite"
    verbose_name = "Access"

    def ready(self):
        from labsite.api import schema  # noqa: F401 - registers the schema extension
        from labsite.api.credentials import connect_signals

        connect_signals()
