from django.apps import AppConfig


class LabsiteConfig(AppConfig):
    """The project package. An app only for its management command (``runlab``) and the
    migrations that once created the models now in ``accounts`` and ``toolkit``."""

    name = "labsite"
    verbose_name = "labsite"
