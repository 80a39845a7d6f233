"""Invoices built from sealed CDRs: numbers, lines and VAT to the cent, PDF, e-mail, monthly collection."""

import re
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.services import register_driver
from billing.invoices import delivery, errors, issuing, monthly, numbering, per_session
from billing.models import BillingAccount, Invoice, InvoicedRecord, InvoiceLine
from billing.services import record_charge_detail_record
from sessions.models import IdTag, MeterValue, Transaction

pytestmark = pytest.mark.django_db
MIXED_VAT = (("FLAT", "1.00", 1, "7"), ("ENERGY", "0.40", 1, "19"), ("TIME", "1.20", 1, "7"))


@pytest.fixture(autouse=True)
def invoice_dir(settings, tmp_path):
    settings.INVOICE_STORAGE_DIR = tmp_path / "invoices"
    return settings.INVOICE_STORAGE_DIR


@pytest.fixture
def driver(db):
    return register_driver(
        email="dana@example.com", password="a-fine-password-42", first_name="Dana", last_name="Meyer"
    )


@pytest.fixture
def priced(connectors, location, make_tariff, assign):
    """Assign a tariff of (type, price, step, vat) components to the location."""

    def assign_tariff(*components, **fields):
        return assign(make_tariff("T", *components, **fields), location=location)

    return assign_tariff


@pytest.fixture
def session_cdr(connectors, driver):
    """A stopped session with meter values, sealed into its CDR: `kwh` charged evenly over `minutes`."""
    counter = iter(range(1000))

    def make(*, start=datetime(2026, 3, 5, 9, 0, tzinfo=UTC), minutes=60, kwh=20, owner=driver):
        n = next(counter)
        tag = IdTag.objects.create(id_tag=f"INV-{n}", owner=owner)
        transaction = Transaction.objects.create(
            station=connectors[0].evse.station,
            connector=connectors[0],
            id_tag=tag,
            id_tag_value=tag.id_tag,
            authorization_status="Accepted",
            started_at=start,
            stopped_at=start + timedelta(minutes=minutes),
            meter_start_wh=1_000_000,
            meter_stop_wh=1_000_000 + kwh * 1000,
        )
        for part in (1, 2):
            MeterValue.objects.create(
                station=transaction.station,
                connector=transaction.connector,
                transaction=transaction,
                timestamp=start + timedelta(minutes=minutes * part / 2),
                measurand="Energy.Active.Import.Register",
                value=Decimal(1_000_000 + kwh * 500 * part),
                raw_value=str(1_000_000 + kwh * 500 * part),
            )
        return record_charge_detail_record(transaction_id=transaction.pk)

    return make


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def pdf_text(content: bytes) -> str:
    """fpdf2 deflates each page's content stream; inflated, the text shows as PDF string operands."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
    return "".join(zlib.decompress(s).decode("latin-1") for s in streams if s[:1] == b"x")


def assert_adds_up(invoice: Invoice) -> None:
    """Lines and VAT breakdown both add up to the invoice totals exactly."""
    lines = list(invoice.lines.all())
    assert sum(l.amount_excl_vat for l in lines) == invoice.total_excl_vat
    assert sum(l.amount_incl_vat for l in lines) == invoice.total_incl_vat
    assert sum(Decimal(r["base"]) for r in invoice.vat_breakdown) == invoice.total_excl_vat
    assert sum(Decimal(r["base"]) + Decimal(r["vat"]) for r in invoice.vat_breakdown) == invoice.total_incl_vat


class TestSessionInvoice:
    def test_lines_per_dimension_and_vat_per_rate_from_the_snapshot(self, priced, session_cdr, driver):
        priced(*MIXED_VAT)
        cdr = session_cdr()
        invoice = per_session.invoice_session(cdr=cdr)
        lines = [
            (l.dimension, l.quantity, l.unit, l.amount_excl_vat, l.vat_rate, l.amount_incl_vat)
            for l in invoice.lines.all()
        ]
        assert lines == [
            ("ENERGY", Decimal("20"), "kWh", Decimal("8.00"), Decimal("19"), Decimal("9.52")),
            (
                "TIME",
                Decimal("60"),
                "min",
                Decimal("1.20"),
                Decimal("7"),
                Decimal("1.28"),
            ),  # 1.284 rounded by the engine
            ("FLAT", None, "", Decimal("1.00"), Decimal("7"), Decimal("1.07")),
        ]
        assert invoice.vat_breakdown == [
            {"rate": "19.00", "base": "8.00", "vat": "1.52"},
            {"rate": "7.00", "base": "2.20", "vat": "0.15"},  # 7 % of 2.20 is 0.154
        ]
        assert (invoice.driver, invoice.kind, invoice.currency) == (driver, "session", "EUR")
        assert (invoice.period_start, invoice.period_end) == (cdr.start_date_time, cdr.end_date_time)

    def test_totals_are_the_cdr_totals_to_the_cent(self, priced, session_cdr):
        priced(*MIXED_VAT)
        cdr = session_cdr()
        invoice = per_session.invoice_session(cdr=cdr)
        assert (
            (invoice.total_excl_vat, invoice.total_incl_vat)
            == (cdr.total_cost_excl_vat, cdr.total_cost_incl_vat)
            == (Decimal("10.20"), Decimal("11.87"))
        )
        assert_adds_up(invoice)

    def test_the_engine_rounding_the_total_once_is_shared_out_over_the_lines(self, priced, session_cdr):
        priced(("FLAT", "0.105", 1, None), ("TIME", "1.05", 1, None))
        cdr = session_cdr(minutes=30)
        invoice = per_session.invoice_session(cdr=cdr)
        assert cdr.total_cost_excl_vat == Decimal("0.63")  # 0.105 + 0.525, rounded once; the parts round to 0.11 + 0.53
        assert [(l.dimension, l.amount_excl_vat) for l in invoice.lines.all()] == [
            ("TIME", Decimal("0.52")),
            ("FLAT", Decimal("0.11")),
        ]
        assert invoice.vat_breakdown == [{"rate": None, "base": "0.63", "vat": "0.00"}]
        assert_adds_up(invoice)

    def test_the_tariff_minimum_price_shows_as_its_own_line(self, priced, session_cdr):
        priced(("ENERGY", "0.20", 1, "19"), min_price_excl_vat=Decimal("5.00"), min_price_incl_vat=Decimal("5.95"))
        invoice = per_session.invoice_session(cdr=session_cdr(kwh=10))
        adjustment = invoice.lines.get(dimension="ADJUSTMENT")
        assert adjustment.description.endswith(": Minimum price of the tariff")
        assert (adjustment.amount_excl_vat, adjustment.amount_incl_vat) == (Decimal("3.00"), Decimal("3.57"))
        assert invoice.vat_breakdown == [{"rate": "19.00", "base": "5.00", "vat": "0.95"}]
        assert_adds_up(invoice)

    def test_a_second_call_returns_the_same_invoice(self, priced, session_cdr):
        priced(*MIXED_VAT)
        cdr = session_cdr()
        first = per_session.invoice_session(cdr=cdr)
        assert per_session.invoice_session(cdr=cdr).pk == first.pk
        assert Invoice.objects.count() == 1 and first.lines.count() == 3

    def test_a_cdr_is_billed_at_most_once_even_past_the_services(self, priced, session_cdr):
        from django.db import IntegrityError, transaction

        priced(*MIXED_VAT)
        cdr = session_cdr()
        first = per_session.invoice_session(cdr=cdr)
        with pytest.raises(IntegrityError), transaction.atomic():
            InvoicedRecord.objects.create(invoice=first, charge_detail_record=cdr)

    def test_a_session_without_a_driver_is_not_invoiced(self, priced, session_cdr):
        priced(*MIXED_VAT)
        with pytest.raises(errors.NoDriver):
            per_session.invoice_session(cdr=session_cdr(owner=None))
        assert not Invoice.objects.exists()


class TestNumbers:
    def test_sequential_per_year_and_unique(self, priced, session_cdr):
        priced(*MIXED_VAT)
        made = [
            per_session.invoice_session(cdr=session_cdr(start=datetime(2026, 3, 5, 9, i, tzinfo=UTC))) for i in range(3)
        ]
        year = made[0].issued_at.year
        assert [i.number for i in made] == [f"VS-{year}-{n:06d}" for n in (1, 2, 3)]

    def test_a_failed_creation_gives_its_number_back(self, priced, session_cdr, monkeypatch):
        priced(*MIXED_VAT)
        cdr = session_cdr()
        with monkeypatch.context() as patch:
            patch.setattr(issuing, "vat_breakdown", lambda lines, currency: 1 / 0)  # fails after the number is taken
            with pytest.raises(ZeroDivisionError):
                per_session.invoice_session(cdr=cdr)
        assert not Invoice.objects.exists()
        assert per_session.invoice_session(cdr=cdr).number.endswith("-000001")

    def test_a_dimension_priced_at_two_rates_is_refused(self, priced, session_cdr):
        priced(*MIXED_VAT)
        cdr = session_cdr()
        cdr.tariff_snapshot["elements"].append(
            {"price_components": [{"type": "ENERGY", "price": "0.1", "step_size": 1, "vat": "7"}]}
        )
        with pytest.raises(errors.AmbiguousVat):
            per_session.invoice_session(cdr=cdr)

    def test_the_prefix_is_the_issuers(self, priced, session_cdr):
        priced(*MIXED_VAT)
        issuer = numbering.default_issuer()
        issuer.invoice_prefix = "ACME"
        issuer.save()
        assert per_session.invoice_session(cdr=session_cdr()).number.startswith("ACME-")


class TestPdfAndEmail:
    def test_the_pdf_names_the_number_lines_and_totals(self, priced, session_cdr, invoice_dir):
        priced(*MIXED_VAT)
        issuer = numbering.default_issuer()
        issuer.name, issuer.address, issuer.vat_id = "Stadtwerke Süd", "Hauptstraße 1\n80331 München", "DE123456789"
        issuer.save()
        invoice = delivery.render_pdf(per_session.invoice_session(cdr=session_cdr()))
        content = invoice.pdf.read()
        assert content.startswith(b"%PDF") and invoice.pdf.path.startswith(str(invoice_dir))
        text = pdf_text(content)
        for expected in (
            invoice.number,
            "11.87 EUR",
            "10.20 EUR",
            "Stadtwerke S\xfcd",
            "DE123456789",
            "Dana Meyer",
            "Energy",
            "19 %",
            "0.15 EUR",
        ):
            assert expected in text

    def test_the_pdf_is_rendered_once(self, priced, session_cdr):
        priced(*MIXED_VAT)
        invoice = delivery.render_pdf(per_session.invoice_session(cdr=session_cdr()))
        name = invoice.pdf.name
        assert delivery.render_pdf(Invoice.objects.get(pk=invoice.pk)).pdf.name == name

    def test_the_email_carries_the_pdf(self, priced, session_cdr, mailoutbox, driver):
        priced(*MIXED_VAT)
        invoice = per_session.invoice_session(cdr=session_cdr())
        delivery.email_invoice(invoice)
        [message] = mailoutbox
        assert message.to == [driver.email] and invoice.number in message.subject
        [(filename, content, mimetype)] = message.attachments
        assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf") and content.startswith(b"%PDF")
        invoice.refresh_from_db()
        assert invoice.emailed_at is not None

    def test_bill_session_sends_once_and_skips_drivers_billed_monthly(self, priced, session_cdr, mailoutbox, driver):
        priced(*MIXED_VAT)
        cdr = session_cdr()
        invoice = per_session.bill_session(cdr_id=cdr.pk)
        assert per_session.bill_session(cdr_id=cdr.pk).pk == invoice.pk and len(mailoutbox) == 1
        BillingAccount.objects.create(driver=driver, pays_by_invoice=True)
        assert per_session.bill_session(cdr_id=session_cdr(start=datetime(2026, 3, 6, tzinfo=UTC)).pk) is None


class TestMonthlyInvoice:
    @pytest.fixture
    def march(self, priced, session_cdr, driver):
        """Sessions ending in February, March (two; one already billed on its own) and April, Berlin time."""
        priced(*MIXED_VAT)
        cdrs = {
            "feb": session_cdr(start=utc(2026, 2, 28, 20, 0)),
            "mar_first": session_cdr(
                start=utc(2026, 2, 28, 22, 45), minutes=30
            ),  # ends 23:15 UTC, 00:15 on 1 March in Berlin
            "mar": session_cdr(start=utc(2026, 3, 10, 8, 0)),
            "mar_billed": session_cdr(start=utc(2026, 3, 11, 8, 0)),
            "apr": session_cdr(
                start=utc(2026, 3, 31, 22, 0), minutes=30
            ),  # ends 22:30 UTC, 00:30 on 1 April in Berlin (CEST)
        }
        per_session.invoice_session(cdr=cdrs["mar_billed"])
        return cdrs

    def test_collects_only_that_months_unbilled_cdrs(self, march, driver):
        invoice = monthly.invoice_month(driver=driver, year=2026, month=3)
        assert set(invoice.charge_detail_records.all()) == {march["mar_first"], march["mar"]}
        assert invoice.kind == "monthly"
        assert invoice.total_incl_vat == march["mar_first"].total_cost_incl_vat + march["mar"].total_cost_incl_vat
        assert {l.charge_detail_record_id for l in invoice.lines.all()} == {march["mar_first"].pk, march["mar"].pk}
        assert (
            invoice.lines.first().description == "Session at CP-BILL, 2026-02-28 23:45: Energy"
        )  # no app session: an RFID card
        assert_adds_up(invoice)

    def test_idempotent_per_driver_and_month(self, march, driver):
        first = monthly.invoice_month(driver=driver, year=2026, month=3)
        assert monthly.invoice_month(driver=driver, year=2026, month=3).pk == first.pk
        assert Invoice.objects.filter(kind="monthly").count() == 1

    def test_nothing_to_bill_no_invoice(self, march, driver):
        assert monthly.invoice_month(driver=driver, year=2026, month=5) is None

    def test_previous_month_for_drivers_who_pay_by_invoice(self, march, driver, mailoutbox):
        other = register_driver(email="card@example.com", password="a-fine-password-42")
        BillingAccount.objects.create(driver=driver, pays_by_invoice=True)
        BillingAccount.objects.create(driver=other, pays_by_invoice=False)
        [invoice] = monthly.bill_previous_month(now=datetime(2026, 4, 1, 3, 0, tzinfo=UTC))
        assert (invoice.driver, invoice.period_start.month) == (driver, 3) and invoice.pdf
        assert [m.to for m in mailoutbox] == [[driver.email]]


def test_celery_tasks_call_the_services(priced, session_cdr, mailoutbox):
    from billing import tasks

    priced(*MIXED_VAT)
    cdr = session_cdr()
    number = tasks.invoice_session.apply(args=[cdr.transaction_id]).get()
    assert Invoice.objects.get(number=number).charge_detail_records.get() == cdr
    assert tasks.invoice_monthly_accounts.apply().get() == []
    assert InvoiceLine.objects.count() == 3
