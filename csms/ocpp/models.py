"""The OCPP message log: every frame in and out, per station."""
from django.db import models


class OcppMessage(models.Model):
    class Direction(models.TextChoices):
        IN = "in", "charger → CSMS"
        OUT = "out", "CSMS → charger"

    charge_point_id = models.CharField(max_length=64, db_index=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    message_type = models.PositiveSmallIntegerField(null=True, blank=True, help_text="2 CALL, 3 CALLRESULT, 4 CALLERROR")
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
