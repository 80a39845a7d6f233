from importlib import import_module

from django.apps import AppConfig, apps
from django.contrib.admin.apps import SimpleAdminConfig
from django.utils.module_loading import module_has_submodule

# Apps whose admin module is not loaded (see AdminConfig).
WITHOUT_ADMIN = {"leaflet"}


class CsmsConfig(AppConfig):
    """The project package as an app, for its management commands (run, demo data)."""

    name = "csms"
    verbose_name = "Voltstack"


class AdminConfig(SimpleAdminConfig):
    """Django's admin, finding each app's admin.py itself but for django-leaflet's.

    leaflet.admin imports GIS form widgets, which need the GDAL library; the
    dashboard uses only Leaflet's files and template tags, so GDAL is not needed.
    """

    def ready(self) -> None:
        super().ready()
        for app_config in apps.get_app_configs():
            if app_config.name not in WITHOUT_ADMIN and module_has_submodule(app_config.module, "admin"):
                import_module(f"{app_config.name}.admin")
