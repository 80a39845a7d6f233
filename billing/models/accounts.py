"""Billing accounts: whether a driver pays by card per session or by a monthly invoice, and whom invoices address."""

from django.conf import settings
from django.db import models


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
