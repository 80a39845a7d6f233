"""Operators find invoices in the admin, open their PDF, and e-mail one again."""

import pytest
from django.urls import reverse

from billing.invoices import per_session
from tests.billing.test_admin import operator_client  # noqa: F401 (fixture)
from tests.billing.test_invoices import MIXED_VAT, driver, invoice_dir, priced, session_cdr  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(priced, session_cdr):
    priced(*MIXED_VAT)
    return per_session.invoice_session(cdr=session_cdr())


def test_the_list_links_the_pdf_which_the_admin_serves(operator_client, invoice):
    pdf_url = reverse("admin:billing_invoice_pdf", args=[invoice.pk])
    listing = operator_client.get(reverse("admin:billing_invoice_changelist"))
    assert invoice.number in listing.content.decode() and pdf_url in listing.content.decode()
    response = operator_client.get(pdf_url)
    assert response["Content-Type"] == "application/pdf" and b"".join(response.streaming_content).startswith(b"%PDF")
    assert operator_client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).status_code == 200


def test_the_pdf_is_for_staff_only(client, invoice):
    response = client.get(reverse("admin:billing_invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_send_again_emails_each_selected_invoice(operator_client, invoice, mailoutbox, driver):
    changelist = reverse("admin:billing_invoice_changelist")
    response = operator_client.post(changelist, {"action": "send_again", "_selected_action": [invoice.pk]}, follow=True)
    assert [m.to for m in mailoutbox] == [[driver.email]]
    assert f"{invoice.number} sent to {driver.email}." in response.content.decode()
