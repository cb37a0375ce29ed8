from django.apps import AppConfig


class ToolkitConfig(AppConfig):
    name = "toolkit"
    verbose_name = "Background workers"

    def ready(self):
        from toolkit.api import schema  # noqa: F401 - registers the schema extension
