"""Tariffs shaped like OCPI 2.2.1's Tariff module, where they apply, and the priced sessions.

A Tariff holds ordered elements; each element has restrictions (when it
applies) and price components (what it charges per dimension). Money is
Decimal excl. VAT with the VAT percentage beside it, as OCPI keeps it.
"""

import os
import re

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

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


def validate_currency(value: str) -> None:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValidationError("An ISO 4217 code: three capital letters, e.g. EUR.")


def _money(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=4, **kwargs)


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
    min_price_excl_vat = _money(null=True, blank=True, validators=[MinValueValidator(0)])
    min_price_incl_vat = _money(null=True, blank=True, validators=[MinValueValidator(0)])
    max_price_excl_vat = _money(null=True, blank=True, validators=[MinValueValidator(0)])
    max_price_incl_vat = _money(null=True, blank=True, validators=[MinValueValidator(0)])
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
    price = _money(validators=[MinValueValidator(0)], help_text="Per unit (kWh, hour, or once), excl. VAT")
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


class ChargeDetailRecord(models.Model):
    """A finished session priced once and kept as priced (OCPI CDR totals), one per transaction."""

    transaction = models.OneToOneField(
        "charging.Transaction", on_delete=models.PROTECT, related_name="charge_detail_record"
    )
    tariff = models.ForeignKey(Tariff, null=True, on_delete=models.SET_NULL, related_name="charge_detail_records")
    tariff_snapshot = models.JSONField(help_text="The tariff as it priced this session (OCPI JSON)")
    currency = models.CharField(max_length=3)
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField()
    total_cost_excl_vat = _money()
    total_cost_incl_vat = _money()
    total_fixed_cost_excl_vat = _money()
    total_fixed_cost_incl_vat = _money()
    total_energy_wh = models.BigIntegerField()
    total_energy_cost_excl_vat = _money()
    total_energy_cost_incl_vat = _money()
    total_time = models.DurationField()
    total_time_cost_excl_vat = _money()
    total_time_cost_incl_vat = _money()
    total_parking_time = models.DurationField()
    total_parking_cost_excl_vat = _money()
    total_parking_cost_incl_vat = _money()
    total_reservation_cost_excl_vat = _money()
    total_reservation_cost_incl_vat = _money()
    charging_periods = models.JSONField(help_text="OCPI ChargingPeriods: start_date_time, dimensions, tariff_id")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-end_date_time"]
        verbose_name = "charge detail record"

    def __str__(self) -> str:
        return f"CDR of transaction {self.transaction_id}: {self.total_cost_incl_vat} {self.currency}"


class PaymentCustomer(models.Model):
    """The Stripe customer that holds a driver's saved cards: created once, then reused for every session."""

    driver = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_customer")
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.stripe_customer_id} ({self.driver})"


class Payment(models.Model):
    """The money side of one driver session: a card hold at the start, one capture at the end.

    One per session (the rule that prevents double billing). A cost above the
    hold is charged by a second PaymentIntent, kept beside the first.
    """

    class Status(models.TextChoices):
        AUTHORISED = "authorised"
        CAPTURED = "captured"
        CANCELLED = "cancelled"
        FAILED = "failed"
        REFUNDED = "refunded"

    driver_session = models.OneToOneField("charging.DriverSession", on_delete=models.PROTECT, related_name="payment")
    stripe_payment_intent_id = models.CharField(
        max_length=255, blank=True, help_text="The hold (capture_method=manual)"
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    amount_authorised = _money()
    amount_captured = _money(default=0, help_text="Taken from the hold")
    excess_payment_intent_id = models.CharField(max_length=255, blank=True, help_text="Charges the cost above the hold")
    amount_excess = _money(default=0, help_text="Charged by the excess PaymentIntent")
    status = models.CharField(max_length=16, choices=Status.choices)
    failure_code = models.CharField(
        max_length=64, blank=True, help_text="Stripe's decline code, when the card was refused"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Payment of session {self.driver_session_id}: {self.status}"


# --- Invoices ---------------------------------------------------------------------


class InvoiceIssuer(models.Model):
    """The CPO running this Voltstack, as its invoices name it; one default row is created on first use."""

    name = models.CharField(max_length=255, default="Voltstack")
    address = models.TextField(blank=True, help_text="Printed under the name, line by line")
    vat_id = models.CharField(max_length=32, blank=True, help_text="e.g. DE123456789")
    invoice_prefix = models.CharField(max_length=16, default="VS", help_text="Numbers read PREFIX-YEAR-000001")
    time_zone = models.CharField(
        max_length=64, default="Europe/Berlin", help_text="Dates on invoices and month boundaries"
    )
    is_default = models.BooleanField(default=True, help_text="The issuer of new invoices; one at most")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_invoice_issuer"
            )
        ]

    def __str__(self) -> str:
        return self.name


class InvoiceCounter(models.Model):
    """The last number given per issuer and year; its row is locked while a number is taken, so none is skipped or repeated."""

    issuer = models.ForeignKey(InvoiceIssuer, on_delete=models.PROTECT, related_name="counters")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "year"], name="one_invoice_counter_per_issuer_year")]


class BillingAccount(models.Model):
    """How a driver pays: by card per session (no row, or pays_by_invoice off) or by a monthly invoice (fleets)."""

    driver = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_account")
    pays_by_invoice = models.BooleanField(default=False, help_text="Billed monthly by invoice instead of by card")
    name = models.CharField(
        max_length=255, blank=True, help_text="Person or company invoices are addressed to; empty: the driver's name"
    )
    address = models.TextField(blank=True, help_text="Printed under the name on invoices, line by line")

    def __str__(self) -> str:
        return f"{self.driver}: {'invoice' if self.pays_by_invoice else 'card'}"


class InvoiceStorage(FileSystemStorage):
    """Invoice PDFs under settings.INVOICE_STORAGE_DIR, else VAR_DIR/invoices (MEDIA_ROOT is not used).

    The setting is read on every use, not once at import, so a changed setting (as in tests) applies.
    """

    @property
    def base_location(self) -> str:
        return str(getattr(settings, "INVOICE_STORAGE_DIR", settings.VAR_DIR / "invoices"))

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def invoice_storage() -> InvoiceStorage:
    return InvoiceStorage()


class Invoice(models.Model):
    """An issued invoice: numbered once, never edited; it bills one CDR (session) or a month of them."""

    class Kind(models.TextChoices):
        SESSION = "session"
        MONTHLY = "monthly"

    number = models.CharField(max_length=32, unique=True)
    issuer = models.ForeignKey(InvoiceIssuer, on_delete=models.PROTECT, related_name="invoices")
    driver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField(
        help_text="Exclusive for monthly invoices (the next month's first moment, or when an operator closed the period early); "
        "the session's end for session invoices"
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    total_excl_vat = _money()
    total_incl_vat = _money()
    vat_breakdown = models.JSONField(
        help_text='Per rate: [{"rate": "19.00" or null (no VAT), "base": "...", "vat": "..."}]'
    )
    charge_detail_records = models.ManyToManyField(
        ChargeDetailRecord, through="InvoicedRecord", related_name="invoices"
    )
    issued_at = models.DateTimeField()
    # Who issued it and to whom, as the records said at issue: an invoice never changes afterwards.
    issuer_name = models.CharField(max_length=255, blank=True)
    issuer_address = models.TextField(blank=True)
    issuer_vat_id = models.CharField(max_length=32, blank=True)
    customer_name = models.CharField(max_length=255, blank=True)
    customer_address = models.TextField(blank=True)
    pdf = models.FileField(storage=invoice_storage, upload_to="%Y/", blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["driver", "period_start"],
                condition=Q(kind="monthly"),
                name="one_monthly_invoice_per_driver_month",
            )
        ]

    def __str__(self) -> str:
        return self.number


class InvoicedRecord(models.Model):
    """A CDR on an invoice; one-to-one, so no CDR is ever billed twice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="invoiced_records")
    charge_detail_record = models.OneToOneField(
        ChargeDetailRecord, on_delete=models.PROTECT, related_name="invoiced_record"
    )


class InvoiceLine(models.Model):
    class Dimension(models.TextChoices):
        ENERGY = "ENERGY"
        TIME = "TIME"
        PARKING_TIME = "PARKING_TIME"
        FLAT = "FLAT"
        RESERVATION = "RESERVATION"
        ADJUSTMENT = "ADJUSTMENT", "adjustment (tariff minimum/maximum price, rounding)"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    charge_detail_record = models.ForeignKey(ChargeDetailRecord, on_delete=models.PROTECT, related_name="invoice_lines")
    position = models.PositiveIntegerField()
    description = models.CharField(max_length=255)
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    quantity = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=8, blank=True, help_text="kWh, h; empty for a fee")
    amount_excl_vat = _money()
    vat_rate = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Percent; empty: no VAT applies"
    )
    amount_incl_vat = _money()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="unique_invoice_line_position")]

    def __str__(self) -> str:
        return f"{self.invoice.number} #{self.position}: {self.description}"


# --- Stripe webhooks and refunds ---------------------------------------------------


class StripeEvent(models.Model):
    """A webhook event Stripe delivered, kept once: Stripe retries deliveries, so a replay must find its id here and do nothing."""

    class Outcome(models.TextChoices):
        HANDLED = "handled", "handled (our records were checked against it)"
        UNMATCHED = "unmatched", "unmatched (about a payment we do not know)"
        IGNORED = "ignored", "ignored (a type we do not handle)"

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=128)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    payload = models.JSONField(help_text="The event as Stripe sent it")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.stripe_event_id} ({self.type}): {self.outcome}"


class Refund(models.Model):
    """Money given back from a Payment's hold capture or excess charge; one row per Stripe refund, whoever made it."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    stripe_refund_id = models.CharField(max_length=255, unique=True)
    stripe_payment_intent_id = models.CharField(
        max_length=255, help_text="The refunded PaymentIntent: the hold or the excess"
    )
    amount = _money()
    reason = models.CharField(max_length=32, blank=True, help_text="Stripe's reason, e.g. requested_by_customer")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.stripe_refund_id}: {self.amount} {self.payment.currency}"
