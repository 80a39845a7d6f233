from django.apps import AppConfig


class SmartChargingConfig(AppConfig):
    """Site load balancing and price-aware schedules (issue 13): a domain app above sessions and stations,
    beside billing; it reaches chargers only through the command port."""

    name = "smartcharging"
    verbose_name = "Smart charging"
