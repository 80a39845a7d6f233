"""An issued invoice's PDF, stored once, and the e-mail that sends it to the driver.

Settings: INVOICE_STORAGE_DIR (see billing.models.invoices.invoice_storage)
and DEFAULT_FROM_EMAIL, the sender of invoice e-mails.
"""

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.utils import timezone

from billing.invoices import pdf as invoice_pdf
from billing.invoices.errors import InvoiceError
from billing.models import Invoice


def render_pdf(invoice: Invoice) -> Invoice:
    """Store the invoice's PDF once: an issued invoice never changes, so neither does its document."""
    if not invoice.pdf:
        invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(invoice_pdf.render(invoice)), save=False)
        invoice.save(update_fields=["pdf"])
    return invoice


def email_invoice(invoice: Invoice) -> None:
    """Send the PDF to the driver; every call sends (the admin's "send again"), emailed_at keeps the last."""
    address = invoice.driver.email
    if not address:
        raise InvoiceError(f"driver {invoice.driver} has no e-mail address")
    render_pdf(invoice)
    with invoice.pdf.open("rb") as pdf:
        content = pdf.read()
    message = EmailMessage(
        subject=f"Invoice {invoice.number} from {invoice.issuer.name}",
        body=f"Please find attached invoice {invoice.number}: {invoice_pdf.money(invoice.total_incl_vat, invoice.currency)} incl. VAT.",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    )
    message.attach(f"{invoice.number}.pdf", content, "application/pdf")
    message.send()
    invoice.emailed_at = timezone.now()
    invoice.save(update_fields=["emailed_at"])


def deliver(invoice: Invoice) -> Invoice:
    """Render, and e-mail unless it went out already (a retried task must not send twice) or there is no address."""
    render_pdf(invoice)
    if invoice.emailed_at is None and invoice.driver.email:
        email_invoice(invoice)
    return invoice
