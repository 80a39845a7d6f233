"""Invoice numbers, gap-free per issuer and year (PREFIX-YEAR-000001), and the issuer whose numbers they are.

The counter row is locked (select_for_update) in the same database
transaction that creates the invoice, so concurrent creations wait for each
other, and a rollback gives the number back. The "already invoiced?" checks
run under that lock too, which is what makes the session and the monthly
services idempotent under races.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from billing.models import InvoiceCounter, InvoiceIssuer


def default_issuer() -> InvoiceIssuer:
    """The issuer new invoices name; the first call creates it with defaults for the operator to edit.

    At most one is the default (a unique constraint), so two first calls at once still make one
    issuer, and one number sequence.
    """
    return InvoiceIssuer.objects.get_or_create(is_default=True)[0]


def locked_counter(issuer: InvoiceIssuer) -> tuple[InvoiceCounter, datetime]:
    """This year's counter, locked until the surrounding transaction ends; the moment is the invoice date."""
    now = timezone.now()
    year = now.astimezone(ZoneInfo(issuer.time_zone)).year
    InvoiceCounter.objects.get_or_create(issuer=issuer, year=year)
    return InvoiceCounter.objects.select_for_update().select_related("issuer").get(issuer=issuer, year=year), now


def take_number(counter: InvoiceCounter) -> str:
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{counter.issuer.invoice_prefix}-{counter.year}-{counter.last_number:06d}"
