"""Alerts: what needs a human, one row per time a rule's condition held for a subject."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Alert(models.Model):
    """A condition a rule (alerts/rules.py) found true for a subject, from when it opened until it was resolved.

    At most one open or acknowledged alert per (rule, subject): the database
    says so, so two evaluations at once cannot open the same alert twice.
    A resolved alert is history; the condition holding again opens a new row.
    """

    class State(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"

    class Severity(models.TextChoices):
        CRITICAL = "critical"
        WARNING = "warning"

    ACTIVE_STATES = (State.OPEN, State.ACKNOWLEDGED)

    rule = models.CharField(max_length=32, help_text="The rule's name in alerts/rules.py")
    subject = models.CharField(max_length=64, help_text="What it is about, e.g. connector:12 or payment:7")
    station = models.ForeignKey(
        "stations.ChargingStation", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    charge_point_id = models.CharField(
        max_length=64, blank=True, help_text="The station's id, or the unknown id a charger connected with"
    )
    title = models.CharField(max_length=255)
    details = models.JSONField(default=dict, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.WARNING)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(help_text="When an evaluation last found the condition true")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto_resolved = models.BooleanField(default=False, help_text="Resolved because the condition cleared")
    cleared_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the condition was first found clear after it was resolved; "
        "a hand-resolved alert's condition opens no new alert before this",
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject"],
                condition=Q(state__in=["open", "acknowledged"]),
                name="one_active_alert_per_subject",
            )
        ]
        indexes = [
            models.Index(fields=["state", "-opened_at"], name="alert_inbox"),
            models.Index(fields=["rule", "subject", "-resolved_at"], name="alert_history"),
            models.Index(fields=["station", "state"], name="alert_station_state"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES
