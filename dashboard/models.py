"""Per-day rollups behind the overview and analytics pages: a year of sessions read as a few hundred rows.

A day is the network's local day (settings.TIME_ZONE): these figures are network-wide. Every figure
of a day is attributed to the day its session started (a session over midnight counts once, on its
first day), except occupied time, which is split at midnight. Rows are recomputed from the sessions,
CDRs and status history (dashboard.services.refresh_rollups): never edited, only replaced. A station's
month is the sum of its days, recomputed from them whenever any of its days is.
"""

from django.db import models


class StationFigures(models.Model):
    """What a station did over a period: a day (StationDay) or a month of days (StationMonth)."""

    station = models.ForeignKey("stations.ChargingStation", on_delete=models.CASCADE, related_name="+")
    sessions = models.PositiveIntegerField(default=0)
    energy_wh = models.BigIntegerField(default=0)
    occupied_seconds = models.BigIntegerField(default=0, help_text="EVSE-seconds with a transaction running")
    revenue = models.JSONField(default=dict, help_text="Sealed CDR totals excl. VAT: {currency: amount as string}")

    class Meta:
        abstract = True


class StationDay(StationFigures):
    """One station's day, for utilisation per station and the analytics of one station."""

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "day"], name="unique_station_day")]
        # Utilisation of every station over a period groups a range of days by station: covering, so the
        # grouping reads the index alone.
        indexes = [
            models.Index(
                fields=["day", "station", "occupied_seconds", "sessions", "energy_wh"], name="station_day_by_day"
            )
        ]


class NetworkDay(models.Model):
    """The whole network's day: the overview's today/month/30-day figures and the network's analytics."""

    day = models.DateField(unique=True)
    sessions = models.PositiveIntegerField(default=0)
    energy_wh = models.BigIntegerField(default=0)
    occupied_seconds = models.BigIntegerField(default=0)
    revenue = models.JSONField(default=dict, help_text="Sealed CDR totals excl. VAT: {currency: amount as string}")
    starts_by_hour = models.JSONField(default=list, help_text="Session starts in each local hour 0-23")
    port_seconds = models.BigIntegerField(default=0, help_text="Connector-seconds the stations existed (NEVI)")
    up_seconds = models.BigIntegerField(
        default=0, help_text="Connector-seconds networked and neither Faulted nor Unavailable"
    )
    refreshed_at = models.DateTimeField()


class StationMonth(StationFigures):
    """One station's calendar month of local days, the sum of its StationDay rows: a year of utilisation per
    station reads twelve rows a station instead of 365 (dashboard.selectors.months)."""

    month = models.DateField(help_text="The month's first day")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "month"], name="unique_station_month")]
        # The same covering index as StationDay's: utilisation groups a range of months by station.
        indexes = [
            models.Index(
                fields=["month", "station", "occupied_seconds", "sessions", "energy_wh"], name="station_month_by_month"
            )
        ]
