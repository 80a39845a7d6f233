from django.apps import AppConfig


class ChargingConfig(AppConfig):
    # "sessions" is django.contrib.sessions' label, which the admin needs.
    name = "sessions"
    label = "charging"
    verbose_name = "Charging sessions"
