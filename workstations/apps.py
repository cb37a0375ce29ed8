from django.apps import AppConfig


class WorkstationsConfig(AppConfig):
    """The floor's pages under /ws/: the scanning pages of the people at the benches and the
    Dynamic Display. A face on top of the domain apps: it calls their services, nothing
    imports it."""

    name = "workstations"
    verbose_name = "The floor"
