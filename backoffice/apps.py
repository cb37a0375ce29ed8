from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The supervisors' pages that combine the apps: the dashboard, the order page with its
    tracker and printing panels, and the demo data."""

    name = "backoffice"
    verbose_name = "Back office"
