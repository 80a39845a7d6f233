"""Invoices: the issuer and its number counter, the issued invoice with its lines and the CDRs it bills, where PDFs are stored."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q

from billing.models.cdrs import ChargeDetailRecord
from billing.models.money import money_field, validate_currency


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
    total_excl_vat = money_field()
    total_incl_vat = money_field()
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
    amount_excl_vat = money_field()
    vat_rate = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Percent; empty: no VAT applies"
    )
    amount_incl_vat = money_field()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="unique_invoice_line_position")]

    def __str__(self) -> str:
        return f"{self.invoice.number} #{self.position}: {self.description}"
