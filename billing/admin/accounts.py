"""Billing accounts in the admin: how a driver pays, whom invoices address, and closing a period early."""

from django.contrib import admin, messages

from billing.invoices import monthly
from billing.invoices.delivery import deliver
from billing.invoices.errors import InvoiceError, PaysByCard
from billing.invoices.pdf import money
from billing.models import BillingAccount


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    """How a driver pays, and the name and address their invoices are addressed to."""

    list_display = ["driver", "pays_by_invoice", "name"]
    list_filter = ["pays_by_invoice"]
    raw_id_fields = ["driver"]
    search_fields = ["driver__username", "driver__email", "name"]
    fields = ["driver", "pays_by_invoice", "name", "address"]
    actions = ["close_period"]

    def has_close_period_permission(self, request) -> bool:
        """Closing a period issues an invoice."""
        return request.user.has_perm("billing.add_invoice")

    @admin.action(description="Close the period now: invoice what is not invoiced yet", permissions=["close_period"])
    def close_period(self, request, queryset) -> None:
        """The month's own invoice later continues from here, so nothing is billed twice."""
        for account in queryset.select_related("driver"):
            try:
                invoice = monthly.close_period(driver=account.driver)
            except PaysByCard as error:
                self.message_user(request, f"{account.driver}: {error}", messages.WARNING)
                continue
            except InvoiceError as error:
                self.message_user(request, f"{account.driver}: {error}", messages.ERROR)
                continue
            if invoice is None:
                self.message_user(request, f"{account.driver}: nothing left to invoice this month.", messages.WARNING)
                continue
            deliver(invoice)
            self.message_user(
                request,
                f"{account.driver}: invoice {invoice.number} issued, {money(invoice.total_incl_vat, invoice.currency)}.",
            )
