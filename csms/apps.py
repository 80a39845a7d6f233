from django.apps import AppConfig


class CsmsConfig(AppConfig):
    """The project package as an app, for its management commands (run, demo data)."""

    name = "csms"
    verbose_name = "Voltstack"
