"""An invoice a driver understands (issue 9, item 26).

Lines name the app's session, the station and the local start time, energy
in kWh and time in minutes; no zero-quantity lines and no rounding line
(the CDR total is shared out over the lines); the issuer's and customer's
names and addresses come from records operators edit; an operator may close
a period early and the month's run continues from there.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from accounts.services import register_driver
from billing.invoices import delivery, issuing, monthly, numbering, per_session
from billing.models import BillingAccount, ChargeDetailRecord, Invoice, InvoicedRecord
from billing.services import record_charge_detail_record
from sessions.models import DriverSession, IdTag, MeterValue, Transaction
from stations.models import StatusEvent
from tests.billing.test_admin import operator_client  # noqa: F401 (fixture)
from tests.billing.test_invoices import invoice_dir, pdf_text  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
DEMO = (("ENERGY", "0.35", 1, "19"), ("PARKING_TIME", "6.00", 60, "19"))  # csms/management/commands/seed_demo.py
MS = timedelta(milliseconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def driver(db):
    driver = register_driver(
        email="dana@example.com", password="a-fine-password-42", first_name="Dana", last_name="Meyer"
    )
    BillingAccount.objects.create(
        driver=driver, pays_by_invoice=True, name="Meyer Logistics GmbH", address="Hafenweg 3\n20457 Hamburg"
    )
    return driver


@pytest.fixture
def issuer(db):
    issuer = numbering.default_issuer()
    issuer.name, issuer.address, issuer.vat_id = "Stadtwerke Nord GmbH", "Am Kai 1\n20095 Hamburg", "DE123456789"
    issuer.save()
    return issuer


@pytest.fixture
def charge(connectors, driver):
    """A 1.6 app session as a compliant charger reports it, sealed into its CDR: Preparing, start, Charging, ...,
    SuspendedEV for the last `idle_minutes`, stop, Finishing, Available."""

    def make(
        start: datetime, *, minutes: int = 60, kwh: int = 10, idle_minutes: int = 0, connector=None
    ) -> ChargeDetailRecord:
        connector = connector or connectors[0]
        station, stop = connector.evse.station, start + timedelta(minutes=minutes)
        tag = IdTag.objects.get_or_create(id_tag="DANA-APP", defaults={"owner": driver, "token_type": "APP_USER"})[0]
        tx = Transaction.objects.create(
            station=station,
            connector=connector,
            id_tag=tag,
            id_tag_value=tag.id_tag,
            authorization_status="Accepted",
            started_at=start,
            stopped_at=stop,
            meter_start_wh=2_000_000,
            meter_stop_wh=2_000_000 + kwh * 1000,
            status="completed",
        )
        DriverSession.objects.create(
            driver=driver, id_tag=tag, station=station, connector=connector, transaction=tx, state="completed"
        )
        charged_until = stop - timedelta(minutes=idle_minutes)
        MeterValue.objects.create(
            station=station,
            connector=connector,
            transaction=tx,
            timestamp=charged_until,
            measurand="Energy.Active.Import.Register",
            value=Decimal(tx.meter_stop_wh),
            raw_value=str(tx.meter_stop_wh),
        )
        statuses = [
            (start - 30 * MS, "Preparing"),
            (start + 45 * MS, "Charging"),
            (stop + 40 * MS, "Finishing"),
            (stop + timedelta(seconds=30), "Available"),
        ]
        if idle_minutes:
            statuses.append((charged_until, "SuspendedEV"))
        for timestamp, status in statuses:
            StatusEvent.objects.create(station=station, connector=connector, status=status, timestamp=timestamp)
        return record_charge_detail_record(transaction_id=tx.pk)

    return make


def lines(invoice: Invoice) -> list[tuple]:
    return [
        (l.description, l.quantity, l.unit, l.amount_excl_vat, l.vat_rate, l.amount_incl_vat)
        for l in invoice.lines.all()
    ]


def session_number(cdr: ChargeDetailRecord) -> int:
    return DriverSession.objects.get(transaction_id=cdr.transaction_id).pk


class TestAKnownMonth:
    @pytest.fixture
    def march(self, location, make_tariff, assign, issuer, charge):
        assign(make_tariff("DEMO-AC", *DEMO), location=location)
        return charge(utc(2026, 3, 5, 9, 0)), charge(utc(2026, 3, 12, 17, 30), kwh=20, idle_minutes=20)

    def test_lines_and_totals(self, march, driver):
        short, idle = march
        invoice = monthly.invoice_month(driver=driver, year=2026, month=3)
        first, second = (
            f"Session {session_number(short)} at CP-BILL, 2026-03-05 10:00",
            f"Session {session_number(idle)} at CP-BILL, 2026-03-12 18:30",
        )
        assert lines(invoice) == [
            (f"{first}: Energy", Decimal("10"), "kWh", Decimal("3.50"), Decimal("19"), Decimal("4.17")),
            (f"{second}: Energy", Decimal("20"), "kWh", Decimal("7.00"), Decimal("19"), Decimal("8.33")),
            (f"{second}: Parking time", Decimal("20"), "min", Decimal("2.00"), Decimal("19"), Decimal("2.38")),
        ]
        assert (invoice.total_excl_vat, invoice.total_incl_vat) == (Decimal("12.50"), Decimal("14.88"))
        assert invoice.vat_breakdown == [{"rate": "19.00", "base": "12.50", "vat": "2.38"}]
        assert (invoice.issuer_name, invoice.issuer_vat_id, invoice.customer_name) == (
            "Stadtwerke Nord GmbH",
            "DE123456789",
            "Meyer Logistics GmbH",
        )

    def test_the_pdf_text(self, march, driver, issuer):
        invoice = delivery.render_pdf(monthly.invoice_month(driver=driver, year=2026, month=3))
        issuer.address = "moved away"
        issuer.save()  # an issued invoice keeps the issuer it was issued by
        text = pdf_text(invoice.pdf.read())
        short, idle = march
        for expected in (
            "Stadtwerke Nord GmbH",
            "Am Kai 1",
            "20095 Hamburg",
            "VAT id: DE123456789",
            invoice.number,
            "Billed to:",
            "Meyer Logistics GmbH",
            "Hafenweg 3",
            "20457 Hamburg",
            "Service period: 2026-03-01 to 2026-03-31",
            f"Session {session_number(short)} at CP-BILL, 2026-03-05 10:00: Energy",
            "10 kWh",
            "20 min",
            "Parking time",
            "14.88 EUR",
            "12.50 EUR",
            "2.38 EUR",
        ):
            assert expected in text, expected
        for unexpected in ("Rounding", " h)", "(0 min)", "dana@example.com", "moved away"):
            assert unexpected not in text, unexpected

    def test_a_driver_without_an_address_is_billed_by_name(self, location, make_tariff, assign, issuer, charge, driver):
        assign(make_tariff("DEMO-AC", *DEMO), location=location)
        BillingAccount.objects.filter(driver=driver).update(name="", address="")
        invoice = delivery.render_pdf(per_session.invoice_session(cdr=charge(utc(2026, 3, 5, 9, 0))))
        text = pdf_text(invoice.pdf.read())
        assert invoice.customer_name == "Dana Meyer" and text.count("dana@example.com") == 0


class TestLinesAddUp:
    def test_rounded_parts_are_shared_out_without_a_rounding_line(self, location, make_tariff, assign, charge, driver):
        assign(make_tariff("ODD", ("FLAT", "0.105", 1, None), ("PARKING_TIME", "1.05", 1, None)), location=location)
        cdr = charge(utc(2026, 3, 5, 9, 0), minutes=31, kwh=0, idle_minutes=30)
        assert cdr.total_cost_excl_vat == Decimal("0.63")  # 0.105 + 0.525 rounded once; the parts round to 0.11 + 0.53
        invoice = per_session.invoice_session(cdr=cdr)
        assert [(l.dimension, l.amount_excl_vat, l.amount_incl_vat) for l in invoice.lines.all()] == [
            ("PARKING_TIME", Decimal("0.52"), Decimal("0.52")),
            ("FLAT", Decimal("0.11"), Decimal("0.11")),
        ]

    @pytest.mark.parametrize("minutes", [7, 13, 29, 41, 59])
    def test_every_line_is_within_a_cent_of_its_part_and_all_add_up(
        self, location, make_tariff, assign, charge, driver, minutes
    ):
        assign(
            make_tariff(
                "MIXED", ("FLAT", "0.3333", 1, "7"), ("ENERGY", "0.3337", 1, "19"), ("PARKING_TIME", "4.999", 1, "7")
            ),
            location=location,
        )
        cdr = charge(utc(2026, 3, 5, 9, 0), minutes=minutes + 10, kwh=minutes % 7 + 1, idle_minutes=minutes)
        invoice = per_session.invoice_session(cdr=cdr)
        parts = {
            "ENERGY": cdr.total_energy_cost_excl_vat,
            "PARKING_TIME": cdr.total_parking_cost_excl_vat,
            "FLAT": cdr.total_fixed_cost_excl_vat,
        }
        assert sum(l.amount_excl_vat for l in invoice.lines.all()) == cdr.total_cost_excl_vat
        assert sum(l.amount_incl_vat for l in invoice.lines.all()) == cdr.total_cost_incl_vat
        assert sum(Decimal(r["base"]) + Decimal(r["vat"]) for r in invoice.vat_breakdown) == cdr.total_cost_incl_vat
        for line in invoice.lines.all():
            assert line.dimension != "ADJUSTMENT" and line.quantity != 0
            assert abs(line.amount_excl_vat - parts[line.dimension]) <= Decimal("0.01")


class TestClosingAPeriodEarly:
    @pytest.fixture
    def priced(self, location, make_tariff, assign, issuer):
        assign(make_tariff("DEMO-AC", *DEMO), location=location)

    def test_the_monthly_run_continues_from_the_early_close(self, priced, charge, connectors, driver):
        early = charge(utc(2026, 3, 5, 9, 0))
        closed_at = utc(2026, 3, 10, 12, 0)
        first = monthly.close_period(driver=driver, now=closed_at)
        assert [r.pk for r in first.charge_detail_records.all()] == [early.pk]
        assert (first.period_start, first.period_end) == (utc(2026, 2, 28, 23, 0), closed_at)  # 1 March, Berlin
        assert monthly.close_period(driver=driver, now=closed_at + timedelta(minutes=1)) is None  # nothing new
        late = charge(utc(2026, 3, 20, 8, 0), kwh=20)
        sealed_late = charge(utc(2026, 3, 9, 8, 0), connector=connectors[1])  # ended before the close, priced after it
        month = monthly.invoice_month(driver=driver, year=2026, month=3)
        assert {r.pk for r in month.charge_detail_records.all()} == {late.pk, sealed_late.pk}
        assert (month.period_start, month.period_end) == (closed_at, utc(2026, 3, 31, 22, 0))
        assert monthly.invoice_month(driver=driver, year=2026, month=3).pk == month.pk
        assert InvoicedRecord.objects.count() == ChargeDetailRecord.objects.count() == 3
        assert [i.total_incl_vat for i in (first, month)] == [Decimal("4.17"), Decimal("12.50")]
        assert "Service period: 2026-03-10 13:00 to 2026-03-31" in pdf_text(delivery.render_pdf(month).pdf.read())

    def test_the_admin_action(self, priced, charge, driver, operator_client, mailoutbox):
        charge(utc(2026, 3, 5, 9, 0))
        card_driver = register_driver(email="card@example.com", password="a-fine-password-42")
        card_account = BillingAccount.objects.create(driver=card_driver, pays_by_invoice=False)
        changelist = reverse("admin:billing_billingaccount_changelist")
        with mock.patch(
            "django.utils.timezone.now", return_value=utc(2026, 3, 10, 12, 0)
        ):  # the operator closes on 10 March
            response = operator_client.post(
                changelist,
                {"action": "close_period", "_selected_action": [driver.billing_account.pk, card_account.pk]},
                follow=True,
            )
        invoice = Invoice.objects.get(driver=driver)
        page = response.content.decode()
        assert f"invoice {invoice.number} issued, 4.17 EUR." in page and "pays by card" in page
        assert [m.to for m in mailoutbox] == [["dana@example.com"]] and invoice.pdf
        operator_client.post(changelist, {"action": "close_period", "_selected_action": [driver.billing_account.pk]})
        assert Invoice.objects.count() == 1

    def test_operators_edit_the_customers_name_and_address(self, driver, operator_client):
        account = driver.billing_account
        response = operator_client.post(
            reverse("admin:billing_billingaccount_change", args=[account.pk]),
            {
                "driver": driver.pk,
                "pays_by_invoice": "on",
                "name": "Meyer & Söhne KG",
                "address": "Neue Str. 9\n10115 Berlin",
            },
        )
        assert response.status_code == 302
        assert issuing.customer(driver) == ("Meyer & Söhne KG", "Neue Str. 9\n10115 Berlin")
