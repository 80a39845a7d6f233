"""A finished session is sealed into one charge detail record, once."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.models import ChargeDetailRecord, PriceComponent
from billing.pricing import tariff_from_ocpi
from billing.services import SessionNotFinished, record_charge_detail_record
from tests.billing.stored_sessions import stored_transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def priced_connector(connectors, location, make_tariff, assign):
    assign(make_tariff("STD", ("FLAT", "0.50", 1, "20"), ("ENERGY", "0.25", 1, "10")), location=location)
    return connectors[0]


def test_records_the_totals_periods_and_tariff(priced_connector):
    transaction = stored_transaction(priced_connector, minutes=60, meter_stop_wh=1_020_000)
    record = record_charge_detail_record(transaction_id=transaction.pk)
    record.refresh_from_db()
    assert (record.total_cost_excl_vat, record.total_cost_incl_vat) == (Decimal("5.50"), Decimal("6.10"))
    assert (record.total_fixed_cost_incl_vat, record.total_energy_cost_incl_vat) == (Decimal("0.60"), Decimal("5.50"))
    assert record.total_energy_wh == 20_000 and record.total_time == timedelta(hours=1)
    assert record.tariff.tariff_id == "STD" and record.currency == "EUR"
    assert record.charging_periods[0]["dimensions"][:2] == [
        {"type": "TIME", "volume": "1"},
        {"type": "ENERGY", "volume": "20"},
    ]
    assert tariff_from_ocpi(record.tariff_snapshot).elements[0].price_components[1].price == Decimal("0.25")


def test_a_second_call_returns_the_stored_record_and_changes_nothing(priced_connector):
    transaction = stored_transaction(priced_connector, minutes=60, meter_stop_wh=1_020_000)
    first = record_charge_detail_record(transaction_id=transaction.pk)
    PriceComponent.objects.filter(type="ENERGY").update(price=Decimal("0.99"))
    second = record_charge_detail_record(transaction_id=transaction.pk)
    assert second.pk == first.pk and ChargeDetailRecord.objects.count() == 1
    second.refresh_from_db()
    assert second.total_cost_excl_vat == Decimal("5.50")
    assert second.tariff_snapshot == first.tariff_snapshot


def test_a_running_session_gets_no_record(priced_connector):
    transaction = stored_transaction(priced_connector)
    transaction.stopped_at = None
    transaction.save()
    with pytest.raises(SessionNotFinished):
        record_charge_detail_record(transaction_id=transaction.pk)
    assert not ChargeDetailRecord.objects.exists()


def test_no_tariff_no_record(connectors):
    transaction = stored_transaction(connectors[0], meter_stop_wh=1_001_000)
    assert record_charge_detail_record(transaction_id=transaction.pk) is None
    assert not ChargeDetailRecord.objects.exists()
