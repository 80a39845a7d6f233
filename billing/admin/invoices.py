"""Invoices in the admin: the issuer printed on new ones, issued invoices with their lines and PDF, sending one again."""

from django.contrib import admin, messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from billing.admin.read_only import ReadOnlyAdmin
from billing.invoices.delivery import email_invoice, render_pdf
from billing.invoices.errors import InvoiceError
from billing.models import Invoice, InvoiceIssuer, InvoiceLine


@admin.register(InvoiceIssuer)
class InvoiceIssuerAdmin(admin.ModelAdmin):
    """The name, address and VAT id printed on new invoices (issued ones keep their PDF)."""

    list_display = ["name", "vat_id", "invoice_prefix", "time_zone", "is_default"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = [
        "position",
        "description",
        "quantity",
        "unit",
        "amount_excl_vat",
        "vat_rate",
        "amount_incl_vat",
        "charge_detail_record",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    """Issued invoices are shown, never edited; the PDF opens from here, and an invoice can be e-mailed again."""

    list_display = [
        "number",
        "driver",
        "kind",
        "period_start",
        "period_end",
        "issued_at",
        "total_incl_vat",
        "currency",
        "emailed_at",
        "pdf_link",
    ]
    list_filter = ["kind", "currency"]
    list_select_related = ["driver"]
    search_fields = ["number", "driver__username", "driver__email"]
    date_hierarchy = "issued_at"
    exclude = ["pdf"]
    readonly_fields = ["pdf_link"]
    inlines = [InvoiceLineInline]
    actions = ["send_again"]

    def has_send_permission(self, request) -> bool:
        """Sending is a change to what the driver has received, so it takes the change permission."""
        return request.user.has_perm("billing.change_invoice")

    def get_urls(self):
        pdf = path("<int:invoice_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_invoice_pdf")
        return [pdf, *super().get_urls()]

    def pdf_view(self, request, invoice_id: int) -> FileResponse:
        """Served through the admin (no MEDIA_URL): only staff who may view invoices get the file."""
        if not self.has_view_permission(request):
            raise Http404
        invoice = render_pdf(get_object_or_404(Invoice, pk=invoice_id))
        return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf", filename=f"{invoice.number}.pdf")

    @admin.display(description="PDF")
    def pdf_link(self, invoice: Invoice) -> str:
        return format_html(
            '<a href="{}">{}.pdf</a>', reverse("admin:billing_invoice_pdf", args=[invoice.pk]), invoice.number
        )

    @admin.action(description="Send again by e-mail", permissions=["send"])
    def send_again(self, request, queryset) -> None:
        for invoice in queryset.select_related("driver", "issuer"):
            try:
                email_invoice(invoice)
            except InvoiceError as error:
                self.message_user(request, f"{invoice.number}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{invoice.number} sent to {invoice.driver.email}.")
