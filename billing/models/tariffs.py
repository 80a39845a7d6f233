"""Tariffs shaped like OCPI 2.2.1's Tariff module: elements, their price components, and where a tariff applies.

A Tariff holds ordered elements; each element has restrictions (when it
applies) and price components (what it charges per dimension). Money is
Decimal excl. VAT with the VAT percentage beside it, as OCPI keeps it.
"""

import re

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from billing.models.money import money_field, validate_currency

_HH_MM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
DAYS_OF_WEEK = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_BOUNDS = (
    ("min_kwh", "max_kwh"),
    ("min_current", "max_current"),
    ("min_power", "max_power"),
    ("min_duration", "max_duration"),
    ("start_date", "end_date"),
)


def validate_time_of_day(value: str) -> None:
    if not _HH_MM.match(value):
        raise ValidationError(f"{value!r} is not a time of day as HH:MM (00:00 to 23:59).")


def validate_days_of_week(value) -> None:
    if not isinstance(value, list) or any(day not in DAYS_OF_WEEK for day in value):
        raise ValidationError(f"List days among {', '.join(DAYS_OF_WEEK)}.")


def _optional_number(help_text: str) -> models.DecimalField:
    return models.DecimalField(
        max_digits=12, decimal_places=3, null=True, blank=True, validators=[MinValueValidator(0)], help_text=help_text
    )


class Tariff(models.Model):
    class Type(models.TextChoices):
        AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
        PROFILE_CHEAP = "PROFILE_CHEAP"
        PROFILE_FAST = "PROFILE_FAST"
        PROFILE_GREEN = "PROFILE_GREEN"
        REGULAR = "REGULAR"

    tariff_id = models.CharField(max_length=36, unique=True, help_text="Our id for the tariff, as OCPI partners see it")
    currency = models.CharField(max_length=3, default="EUR", validators=[validate_currency])
    type = models.CharField(
        max_length=16, choices=Type.choices, null=True, blank=True, help_text="Empty: valid for all sessions"
    )
    alt_text = models.JSONField(default=list, blank=True, help_text='[{"language": "en", "text": "..."}]')
    alt_url = models.URLField(blank=True)
    min_price_excl_vat = money_field(null=True, blank=True, validators=[MinValueValidator(0)])
    min_price_incl_vat = money_field(null=True, blank=True, validators=[MinValueValidator(0)])
    max_price_excl_vat = money_field(null=True, blank=True, validators=[MinValueValidator(0)])
    max_price_incl_vat = money_field(null=True, blank=True, validators=[MinValueValidator(0)])
    start_date_time = models.DateTimeField(null=True, blank=True, help_text="Valid from (UTC); empty: always")
    end_date_time = models.DateTimeField(null=True, blank=True, help_text="Valid until (UTC); empty: no end")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tariff_id"]

    def __str__(self) -> str:
        return f"{self.tariff_id} ({self.currency})"

    def clean(self) -> None:
        errors = {}
        for kind in ("excl_vat", "incl_vat"):
            low, high = getattr(self, f"min_price_{kind}"), getattr(self, f"max_price_{kind}")
            if low is not None and high is not None and low > high:
                errors[f"max_price_{kind}"] = "The maximum price is below the minimum price."
        for limit in ("min_price", "max_price"):
            if getattr(self, f"{limit}_incl_vat") is not None and getattr(self, f"{limit}_excl_vat") is None:
                errors[f"{limit}_excl_vat"] = "OCPI needs the price excl. VAT whenever one incl. VAT is given."
        if self.start_date_time and self.end_date_time and self.start_date_time >= self.end_date_time:
            errors["end_date_time"] = "The tariff must end after it starts."
        if not isinstance(self.alt_text, list) or any(
            not isinstance(t, dict) or set(t) != {"language", "text"} for t in self.alt_text
        ):
            errors["alt_text"] = 'A list of {"language": ..., "text": ...} objects.'
        if errors:
            raise ValidationError(errors)


class TariffElement(models.Model):
    """Price components that apply together while every restriction set here matches."""

    class Reservation(models.TextChoices):
        RESERVATION = "RESERVATION"
        RESERVATION_EXPIRES = "RESERVATION_EXPIRES"

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="elements")
    position = models.PositiveIntegerField(
        default=0, help_text="Order matters: per dimension the first matching element prices it"
    )
    start_time = models.CharField(
        max_length=5, blank=True, validators=[validate_time_of_day], help_text="HH:MM local time"
    )
    end_time = models.CharField(
        max_length=5,
        blank=True,
        validators=[validate_time_of_day],
        help_text="HH:MM local; before start_time wraps past midnight, 00:00 is end of day",
    )
    start_date = models.DateField(null=True, blank=True, help_text="Local date, inclusive")
    end_date = models.DateField(null=True, blank=True, help_text="Local date, exclusive")
    min_kwh = _optional_number("Energy used so far in the session, kWh, inclusive")
    max_kwh = _optional_number("kWh, exclusive")
    min_current = _optional_number("Sum of current over all phases, A, inclusive")
    max_current = _optional_number("A, exclusive")
    min_power = _optional_number("kW, inclusive")
    max_power = _optional_number("kW, exclusive")
    min_duration = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds into the session, inclusive")
    max_duration = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds, exclusive")
    day_of_week = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_days_of_week],
        help_text='e.g. ["MONDAY", "FRIDAY"]; empty: every day',
    )
    reservation = models.CharField(
        max_length=19, choices=Reservation.choices, blank=True, help_text="Set: the element prices reservations"
    )

    class Meta:
        ordering = ["tariff", "position", "id"]

    def __str__(self) -> str:
        return f"{self.tariff.tariff_id} element {self.position}"

    def clean(self) -> None:
        errors = {}
        for low, high in _BOUNDS:
            if (
                getattr(self, low) is not None
                and getattr(self, high) is not None
                and getattr(self, low) > getattr(self, high)
            ):
                errors[high] = f"{high} is below {low}."
        if errors:
            raise ValidationError(errors)


class PriceComponent(models.Model):
    class Type(models.TextChoices):
        ENERGY = "ENERGY", "energy (per kWh)"
        FLAT = "FLAT", "flat fee (once per session)"
        TIME = "TIME", "charging time (per hour)"
        PARKING_TIME = "PARKING_TIME", "parking time (per hour)"

    element = models.ForeignKey(TariffElement, on_delete=models.CASCADE, related_name="price_components")
    type = models.CharField(max_length=12, choices=Type.choices)
    price = money_field(validators=[MinValueValidator(0)], help_text="Per unit (kWh, hour, or once), excl. VAT")
    vat = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percent; empty: no VAT applies (not the same as 0)",
    )
    step_size = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Billed in blocks of this many Wh (ENERGY) or seconds (TIME, PARKING_TIME)",
    )

    class Meta:
        ordering = ["element", "id"]
        constraints = [models.UniqueConstraint(fields=["element", "type"], name="one_price_component_per_dimension")]

    def __str__(self) -> str:
        return f"{self.type} {self.price}"


class TariffAssignment(models.Model):
    """Which tariff a location, an EVSE or a connector charges, for everyone or for one driver group.

    Precedence, most specific first (billing.selectors.tariff_for_connector):
    a connector's assignment beats its EVSE's, which beats its location's; at
    the same level an assignment for a group the driver belongs to (a
    fleet's contract price) beats the general one (no group). Only
    assignments whose tariff is valid at that moment (start_date_time /
    end_date_time) count; among equals the tariff that started last wins,
    so a successor tariff can be assigned ahead of its start date.
    """

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="assignments")
    location = models.ForeignKey(
        "stations.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="tariff_assignments"
    )
    evse = models.ForeignKey(
        "stations.Evse", null=True, blank=True, on_delete=models.CASCADE, related_name="tariff_assignments"
    )
    connector = models.ForeignKey(
        "stations.Connector", null=True, blank=True, on_delete=models.CASCADE, related_name="tariff_assignments"
    )
    group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tariff_assignments",
        help_text="Empty: every driver",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(location__isnull=False, evse__isnull=True, connector__isnull=True)
                    | Q(location__isnull=True, evse__isnull=False, connector__isnull=True)
                    | Q(location__isnull=True, evse__isnull=True, connector__isnull=False)
                ),
                name="tariff_assignment_exactly_one_target",
            )
        ]

    def __str__(self) -> str:
        target = self.connector or self.evse or self.location
        return f"{self.tariff.tariff_id} → {target}" + (f" for {self.group}" if self.group_id else "")

    def clean(self) -> None:
        if [self.location_id, self.evse_id, self.connector_id].count(None) != 2:
            raise ValidationError("Assign the tariff to exactly one of: a location, an EVSE, a connector.")
