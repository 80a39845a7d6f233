"""The OCPP message log: every frame in and out, per station."""

from django.db import models


class OcppMessage(models.Model):
    class Direction(models.TextChoices):
        IN = "in", "charger → CSMS"
        OUT = "out", "CSMS → charger"

    charge_point_id = models.CharField(max_length=64, db_index=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    message_type = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="2 CALL, 3 CALLRESULT, 4 CALLERROR"
    )
    action = models.CharField(max_length=64, blank=True)
    unique_id = models.CharField(max_length=64, blank=True, db_index=True)
    payload = models.TextField(help_text="The frame exactly as sent or received")
    error = models.CharField(max_length=255, blank=True, help_text="Why the frame was refused, if it was")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["charge_point_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.charge_point_id} {self.direction} {self.action or self.message_type} {self.unique_id}"


class RefusedConnection(models.Model):
    """Chargers whose WebSocket handshake was refused, one row per (charge point id, address, reason).

    Aggregated (a count and when it was last seen) rather than a row per
    attempt, so someone hammering the endpoint cannot flood the database;
    while an id or address is rate-limited only the first refusal of each
    window is counted.
    """

    class Reason(models.TextChoices):
        INVALID_ID = "invalid_id", "malformed charge point id"
        NO_SUBPROTOCOL = "no_subprotocol", "no supported OCPP subprotocol"
        MISSING_PASSWORD = "missing_password", "no HTTP Basic credentials for this id"
        UNKNOWN_STATION = "unknown_station", "unknown station id"
        WRONG_PASSWORD = "wrong_password", "wrong password"
        NO_PASSWORD_SET = "no_password_set", "the station has no password set"
        RATE_LIMITED = "rate_limited", "too many refused attempts (429)"

    # What the charger asked for, escaped where it is no printable text; OVERFLOW_ID gathers the
    # attempts past the limit of new rows per window.
    charge_point_id = models.CharField(max_length=64)
    client_address = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    attempts = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    OVERFLOW_ID = "*"

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["charge_point_id", "client_address", "reason"], name="refused_connection_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.charge_point_id} from {self.client_address or '?'}: {self.get_reason_display()} ×{self.attempts}"
