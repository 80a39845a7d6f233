from django.apps import AppConfig


class OcppConfig(AppConfig):
    name = "csms.ocpp"
    label = "ocpp"
    verbose_name = "OCPP central system"
