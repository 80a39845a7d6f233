from django.apps import AppConfig


class OcppConfig(AppConfig):
    name = "csms.ocpp"
    label = "ocpp"
    verbose_name = "OCPP central system"

    def ready(self) -> None:
        from csms import lifecycle
        from csms.ocpp.subscribers import close_when_not_accepted
        from stations.events import RegistrationChanged

        lifecycle.subscribe(RegistrationChanged, close_when_not_accepted)
